"""The publication: one JSON file with every figure the dashboard and the annual report show.

``build_publication(data, ...)`` computes the indicators, the disclosure-controlled breakdowns,
the overlap between reporters, the estimates, the method comparison of the latest year and the
target statuses once, and writes them with what they were made from (input hashes, indicator
versions and fingerprints, the chain version, k) and the file's format version
(:data:`zicht.monitor.publication.FORMAT_VERSION`; :func:`zicht.monitor.publication.load`
reads and checks the file).  The web pages and the report only read it:
a page never recomputes a published number, and the numbers of one publication agree everywhere.

Two parts:

* ``public`` - only aggregates that passed disclosure control (k persons, secondary
  suppression; :mod:`zicht.monitor.disclosure`): counts per year and breakdown level, overlap
  patterns, and indicators computed on at least k persons;
* ``analyst`` - the same breakdowns unprotected, the comparison's full results and the capture
  histories; the web application shows them only to the analyst role.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from .disclosure import protect, protect_series
from .estimates import annotate_changes, hidden_range
from .indicators import INDICATORS, PERSON_BREAKDOWNS
from .inputs import MonitorData
from .modus import published as published_modus
from .pooling import is_pool, is_pool_level, pool_combinations, pool_degrees, pool_levels
from .protection import published as published_protection
from .publication import FORMAT_VERSION, check

BREAKDOWNS = ("sex", "age_band", "form", "nationality_group", "region")
COMPARE_LEVEL = 0.95


def _clean(value):
    """JSON-safe: NaN/inf -> None, numpy scalars -> Python."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if value is pd.NA:
        return None
    return value


def _indicator_values(data: MonitorData, k: int) -> list[dict[str, Any]]:
    out = []
    for key, ind in INDICATORS.items():
        if any(getattr(data, need) is None for need in ind.needs):
            continue
        frame = ind.compute(data)
        values = []
        for row in frame.itertuples(index=False):
            small = ind.hides(row, k)
            value = {"year": int(row.year), "value": None if small else ind.published(row.value),
                     "suppressed": small}
            if "low" in frame.columns:
                value.update(low=None if small else ind.published(row.low),
                             high=None if small else ind.published(row.high))
            values.append(value)
        out.append({"key": key, "version": ind.version, "fingerprint": ind.fingerprint,
                    "name_nl": ind.name_nl, "name_en": ind.name_en, "counts_nl": ind.counts_nl,
                    "counts_en": ind.counts_en, "unit": ind.unit, "source": ind.source,
                    "domain": ind.domain, "values": values})
    return out


def _breakdowns(data: MonitorData, k: int) -> tuple[dict, dict]:
    public, analyst = {}, {}
    counts = INDICATORS["registered_persons"]
    for by in BREAKDOWNS:
        assert by in PERSON_BREAKDOWNS
        frame = counts.compute(data, (by,))
        wide = frame.pivot_table(index=by, columns="year", values="numerator", aggfunc="sum",
                                 fill_value=0).astype(int)
        wide.index = wide.index.astype(str)
        wide.columns = [int(c) for c in wide.columns]
        analyst[by] = {"levels": list(wide.index), "years": list(wide.columns),
                       "counts": wide.to_numpy().tolist()}
        # levels that suppression would take over are pooled first (zicht.monitor.pooling)
        table, pooled = pool_levels(wide, k, lambda t: _hidden_cells(_protect_breakdown(t, k)))
        public[by] = {**_protect_breakdown(table, k), "pooled": pooled}
    return public, analyst


def _protect_breakdown(wide: pd.DataFrame, k: int) -> dict:
    """One breakdown (levels x years) as published: the year totals (registered persons) are
    published as an indicator and shared by every breakdown, so they are known to the attacker
    and never suppressed."""
    try:
        p = protect(wide, k=k, total_label="__total__", known_col_totals=True)
    except ValueError:  # some year cannot be protected as part of the whole table
        return _by_year(wide, k)
    table = p.table
    return {
        "levels": list(table.index), "years": [int(c) for c in table.columns],
        "counts": [[None if pd.isna(v) else int(v) for v in row]
                   for row in table.to_numpy(dtype=object)],
        "level_totals": [None if pd.isna(v) else int(v) for v in p.row_totals],
        "year_totals": [None if pd.isna(v) else int(v) for v in p.col_totals],
        "suppressed": int(p.suppressed.to_numpy().sum()),
        "withheld_years": [],
    }


def _hidden_cells(table: dict) -> pd.DataFrame:
    """The suppressed cells of a published breakdown (withheld years count as suppressed)."""
    return pd.DataFrame([[c is None for c in row] for row in table["counts"]],
                        index=table["levels"], columns=table["years"])


def _by_year(wide: pd.DataFrame, k: int) -> dict:
    """Each year protected on its own (its total known); a year that cannot be protected at
    all (e.g. three persons in three levels: each is pinned to one) is withheld whole, and no
    totals across years are published."""
    counts = pd.DataFrame(index=wide.index, columns=wide.columns, dtype=object)
    withheld, suppressed = [], 0
    for year in wide.columns:
        try:
            p = protect_series(wide[year], k=k, total=False, known_total=True)
        except ValueError:
            withheld.append(int(year))
            continue
        counts[year] = [None if pd.isna(v) else int(v) for v in p.published]
        suppressed += int(p.suppressed.sum())
    totals = wide.sum()
    return {
        "levels": list(wide.index), "years": [int(c) for c in wide.columns],
        "counts": [[None if pd.isna(v) else v for v in row]
                   for row in counts.to_numpy(dtype=object)],
        "level_totals": [None] * len(wide.index),
        "year_totals": [int(t) if t >= k or t == 0 else None for t in totals],
        "suppressed": suppressed + len(withheld) * len(wide.index),
        "withheld_years": withheld,
    }


def _overlap(data: MonitorData, k: int) -> tuple[dict, dict]:
    """Persons per combination of reporter categories in the latest year (UpSet input): the
    combinations below k pooled by their number of categories (zicht.monitor.pooling) before
    disclosure control."""
    py = data.person_years()
    latest = py[py["year"] == py["year"].max()]
    combos = latest["categories"].map("+".join).value_counts().sort_values(ascending=False)
    year = int(py["year"].max())
    analyst = {"year": year, "combinations": [{"reporters": c, "persons": int(n)}
                                              for c, n in combos.items()]}
    pooled = pool_combinations(combos, k)
    # the year's total of persons is published, and so is the share seen by two or more
    # categories (the "overlap" indicator): the persons of one category and those of more are
    # both known sums, and each side is protected against subtraction from its own; a list
    # that cannot be protected (too few persons), or is one pool (nothing but the total, and
    # a trait of everyone in it), is withheld whole
    protected = protect_overlap(pooled, k)
    if protected is None:
        return {"year": year, "combinations": [], "withheld": True}, analyst
    shown, suppressed = protected
    public = {"year": year, "withheld": False, "total": int(combos.sum()), "combinations": [
        {"reporters": c, "persons": None if pd.isna(v) else int(v),
         "suppressed": bool(suppressed[c]), "pooled": is_pool(c)}
        for c, v in shown.items()]}
    return public, analyst


def protect_overlap(pooled: pd.Series, k: int) -> tuple[pd.Series, dict[str, bool]] | None:
    """The pooled combinations after disclosure control, in their order, and which were
    suppressed; None when the list must be withheld whole.  Both the persons of one category
    and those of more are known sums (the year's total and the published "overlap" share), so
    each side is protected against subtraction from its own sum."""
    single = pd.Series([_degree(c) == 1 for c in pooled.index], index=pooled.index, dtype=bool)
    published, suppressed = [], {}
    try:
        if len(pooled) < 2:
            raise ValueError("one row")
        for side in (pooled[single], pooled[~single]):
            if len(side) == 1:  # the side's sum itself: known already, nothing to protect
                if 0 < int(side.iloc[0]) < k:
                    raise ValueError("a side below k")
                published.append(side.astype("Int64"))
                suppressed.update({c: False for c in side.index})
            elif len(side) > 1:
                p = protect_series(side, k=k, total=False, known_total=True)
                published.append(p.published)
                suppressed.update(p.suppressed.to_dict())
    except ValueError:
        return None
    return pd.concat(published).reindex(pooled.index), suppressed


def _degree(code: str) -> int:
    """The least number of reporter categories of a combination or pool ("POL+ZC": 2)."""
    return pool_degrees(code)[0] if is_pool(code) else len(code.split("+"))


def _comparison(linkage_dir: Path | None, year: int) -> dict | None:
    if linkage_dir is None or not (linkage_dir / "capture_histories.csv").exists():
        return None
    from ..mse import CaptureHistories
    from ..mse.compare import compare

    histories = pd.read_csv(linkage_dir / "capture_histories.csv")
    part = histories[histories["year"] == year]
    if part.empty:
        return None
    lists = [c for c in part.columns if c not in ("year", "count")]
    table = CaptureHistories.from_frame(part[[*lists, "count"]].reset_index(drop=True))
    result = compare(table, level=COMPARE_LEVEL)
    return {"year": year, "observed": result.observed, "lists": list(result.lists),
            "findings": result.findings,
            "rows": [{k: v for k, v in row.items() if k != "result"}
                     for row in result.to_dict()],
            "chart": result.plot().to_dict() if result.estimated else None,
            "sensitivity": _sensitivity(table, linkage_dir, year)}


def _sensitivity(table, linkage_dir: Path, year: int) -> dict:
    """How the stepwise estimate moves with the lists (each left out, the two smallest merged)
    and with the linkage (each linkage of the band)."""
    from ..linked_estimate import band_table
    from ..mse import Stepwise, sensitivity

    lists = sensitivity(table, Stepwise, ci="profile", level=COMPARE_LEVEL)
    lists = lists.astype(object).where(lists.notna(), None)
    out = {"method": "stepwise", "lists": lists.to_dict("records"), "linkage": [],
           "chosen": None}
    if (linkage_dir / "capture_histories_band.csv").exists():
        band = band_table(linkage_dir, year, "stepwise", COMPARE_LEVEL)
        out["linkage"] = band.astype(object).where(band.notna(), None).to_dict("records")
        # the band's label of the linkage the estimate uses (a threshold band holds it; a
        # sampled band does not)
        summary = linkage_dir / "summary.json"
        if summary.exists():
            threshold = json.loads(summary.read_text()).get("threshold")
            label = f"threshold {threshold:g}" if threshold is not None else None
            if any(r["label"] == label for r in out["linkage"]):
                out["chosen"] = label
    return out


STRATA = ("sex", "age_band", "form", "nationality_group", "region")


def _hidden(estimates: list[dict] | None) -> dict | None:
    """The sensitivity range for victims no reporter can see: the latest estimated year's
    estimate and interval if 10, 25 or 50 % of the victims are hidden from every list."""
    ranges = {int(r["year"]): rows for r in estimates or [] if (rows := hidden_range(r))}
    if not ranges:
        return None
    latest = max(ranges)
    return {"year": latest, "rows": ranges[latest]}


def _series(linkage_dir: Path) -> dict | None:
    """The sensitivity row of the estimate page: one log-linear model over all years
    (:class:`zicht.mse.series.SeriesLogLinear`) beside the published yearly estimates; None
    when it gives no estimate (the reason is not published)."""
    from ..mse import EstimateNotAvailable, MSEInputError
    from .estimates import joint_series

    try:
        return joint_series(linkage_dir).to_dict()
    except (EstimateNotAvailable, MSEInputError):
        return None


def _strata(linkage_dir: Path, year: int, bys: tuple[str, ...] = STRATA) -> dict | None:
    """The estimate by stratum (docs/DOMAIN.md 6.8, "where the data allow"): for each breakdown, a
    stepwise estimate per level of the year's capture histories (``zicht link``'s
    ``capture_histories_by_stratum.csv``) and their sum with a log-normal interval
    (``StratifiedEstimate``); a level without an estimate says why, and then there is no sum."""
    from ..mse import MSEInputError
    from ..mse.covariates import StratifiedEstimate, StratifiedHistories

    path = linkage_dir / "capture_histories_by_stratum.csv"
    if not path.exists():
        return None
    frame = pd.read_csv(path)
    frame = frame[frame["year"] == year]
    lists = [c for c in frame.columns if c not in ("year", "count", *STRATA)]
    if "age_band" in frame.columns:
        frame = frame.assign(minor=frame["age_band"].map(_minor))
    out = {"year": year, "method": "stepwise", "by": {}}
    for by in (b for b in bys if b in frame.columns):
        cells = frame.groupby([by, *lists], as_index=False)["count"].sum()
        cells = cells[cells["count"] > 0]
        try:
            result = StratifiedEstimate("stepwise").fit(
                StratifiedHistories.from_frame(cells, covariates=[by]))
        except MSEInputError as exc:
            out["by"][by] = {"rows": [], "total": None, "note": str(exc)}
            continue
        rows = []
        for r in result.strata.itertuples(index=False):
            ok = bool(np.isfinite(r.estimate))
            rows.append({"level": str(getattr(r, by)), "observed": int(r.observed),
                         "estimate": float(r.estimate) if ok else None,
                         "ci_low": float(r.ci_low) if ok and np.isfinite(r.ci_low) else None,
                         "ci_high": float(r.ci_high) if ok and np.isfinite(r.ci_high)
                         else None, "model": r.model, "status": r.status})
        total = result.total
        out["by"][by] = {"rows": rows, "total": None if not np.isfinite(total.estimate) else {
            "observed": int(total.observed), "estimate": float(total.estimate),
            "ci_low": total.ci_low, "ci_high": total.ci_high}, "note": ""}
    return out


MINOR_BANDS = ("0-11", "12-17")
GROUPS = ("sex", "minor", "form")  # the groups the National Rapporteur publishes estimates of


def _minor(band: str) -> str:
    """minor, adult or unknown for an age band; a pool of bands ("other/unknown") is unknown:
    it may hold both."""
    if band in MINOR_BANDS:
        return "minor"
    return "unknown" if band == "unknown" or is_pool_level(band) else "adult"


def _groups(linkage_dir: Path, years: list[int], breakdowns: dict, k: int) -> dict | None:
    """The public estimates by group (sex, minor or adult, form of exploitation) per year
    (:func:`public_groups` of the stepwise estimates by stratum); None without the capture
    histories by stratum."""
    if not (linkage_dir / "capture_histories_by_stratum.csv").exists():
        return None
    strata = {year: _strata(linkage_dir, year, GROUPS) for year in years}
    return public_groups({y: s for y, s in strata.items() if s and s["by"]}, breakdowns, k)


def public_groups(strata: dict[int, dict], breakdowns: dict, k: int) -> dict | None:
    """Estimates by stratum per year (``_strata``'s shape) after disclosure control: a group's
    estimate and interval are published only when its observed persons are >= k, its count of
    persons is published in that year's public breakdown (not suppressed, not pooled: an
    interval's lower bound can sit on the observed count) and it has an estimate; otherwise
    ``reason`` says why ("fewer than k", "not published", "no estimate"). The sum of the
    groups only when every group is published. Observed counts by group are not published.
    None when no year has an estimate by stratum."""
    out: dict[str, Any] = {"method": "stepwise", "k": k, "years": sorted(strata), "by": {}}
    for year in out["years"]:
        for by, part in strata[year]["by"].items():
            rows = []
            for r in part["rows"]:
                reason = ("fewer than k" if r["observed"] < k
                          else "not published" if not _count_published(breakdowns, by,
                                                                        r["level"], year)
                          else "no estimate" if r["estimate"] is None else None)
                rows.append({"level": r["level"], "reason": reason, **{
                    key: None if reason else r[key] for key in ("estimate", "ci_low",
                                                                "ci_high")}})
            total = part["total"] if rows and all(r["reason"] is None for r in rows) else None
            out["by"].setdefault(by, {})[str(year)] = {"rows": rows, "total": None if total
                                                       is None else {
                key: total[key] for key in ("estimate", "ci_low", "ci_high")}}
    order = [*GROUPS, *sorted(set(out["by"]) - set(GROUPS))]
    out["by"] = {by: out["by"][by] for by in order if by in out["by"]}
    return out if out["years"] else None


def _count_published(breakdowns: dict, by: str, level: str, year: int) -> bool:
    """Whether the public breakdown publishes the persons of a group in ``year``: the level's
    own count (a minor or adult group: every age band in it)."""
    table = breakdowns.get("age_band" if by == "minor" else by)
    if not table or year not in table["years"]:
        return False
    j = table["years"].index(year)
    counts = dict(zip(table["levels"], (row[j] for row in table["counts"]), strict=True))
    if by != "minor":
        return counts.get(level) is not None
    bands = [b for b in table.get("pooled") or [] if _minor(b) == level] + [
        b for b in counts if _minor(b) == level]
    return bool(bands) and all(counts.get(b) is not None for b in bands)


def _calibration(data: MonitorData) -> dict | None:
    """The latest estimated year's victims and persons per reporter category, to fit the
    what-if's scenario to the data (``zicht.monitor.whatif.calibrate``); None without one."""
    from .inputs import MonitorInputError
    from .whatif import WhatIfError, calibration

    try:
        return calibration(data)
    except (WhatIfError, MonitorInputError):
        return None


def _whatif(calibration: dict | None, k: int, compare_methods: bool,
            replicates: int | None) -> dict | None:
    """The public what-if of a reporting obligation (``zicht.monitor.whatif.published_whatif``:
    per category not obliged today, as often as the police, twice as often, the 2014-2017
    level), simulated here so that no page simulates on a request; None when not asked."""
    from .whatif import PUBLISHED_REPLICATES, published_whatif

    if replicates is None:
        replicates = PUBLISHED_REPLICATES if compare_methods else 0
    if replicates < 1:
        return None
    return published_whatif(calibration, k, replicates=replicates)


def _programme(data: MonitorData, names: dict[int, tuple[str, str]]) -> list[dict]:
    """Capacity (FTE) and budget per development line and year from the chain figures
    (docs/DOMAIN.md 6.12), beside the targets; empty without chain figures."""
    chain = data.chain
    if chain is None or chain.empty:
        return []
    part = chain[(chain["area"] == "NL") & chain["measure"].isin(("fte", "budget_eur"))]
    out = []
    for line, rows in part.groupby("development_line", sort=True):
        line = int(line)
        nl, en = names.get(line, (f"ontwikkellijn {line}", f"development line {line}"))
        years = {}
        for year, cells in rows.groupby("year", sort=True):
            values = dict(zip(cells["measure"], cells["value"], strict=True))
            years[str(int(year))] = {"fte": values.get("fte"),
                                     "budget_eur": values.get("budget_eur")}
        out.append({"line": line, "line_nl": nl, "line_en": en, "years": years})
    return out


def _sha256(path: Path) -> str | None:
    if path is None or not path.exists():
        return None
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def build_publication(data: MonitorData, out: str | Path, *, k: int = 10,
                      linkage_dir: str | Path | None = None,
                      reports_file: str | Path | None = None,
                      targets=None, chain_version: int | None = None,
                      today: int | None = None, compare_methods: bool = True,
                      whatif_replicates: int | None = None, capacity=None) -> dict:
    """Compute everything once and write ``out`` (JSON, atomically); return the dict.

    ``whatif_replicates``: simulated years per scenario of the public what-if (``0``: none);
    by default :data:`zicht.monitor.whatif.PUBLISHED_REPLICATES` with ``compare_methods`` and
    none without (the quick publication of tests and previews).  ``capacity``: the
    assumptions of the capacity needed (:func:`zicht.monitor.capacity.load_capacity`; default
    the shipped example)."""
    from .capacity import CapacityError, from_publication, load_capacity
    from .targets import evaluate, load_targets

    linkage_dir = None if linkage_dir is None else Path(linkage_dir)
    years = data.years
    latest = max(years)
    assumptions = capacity if capacity is not None else load_capacity()
    public_breakdowns, analyst_breakdowns = _breakdowns(data, k)
    public_overlap, analyst_overlap = _overlap(data, k)
    lines = targets if targets is not None else load_targets()
    now = today if today is not None else latest + 1
    statuses = evaluate(lines, data, now, k=k)  # on the values the publication shows
    calibration = _calibration(data)
    names = {line.line: (line.name_nl, line.name_en) for line in lines}
    estimates = None if data.estimates is None else data.estimates.to_dict(orient="records")
    series = _series(linkage_dir) if linkage_dir is not None else None
    trend = None if estimates is None else annotate_changes(
        estimates, joint=None if series is None else series.get("trend"))
    doc = {
        "format_version": FORMAT_VERSION,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "zicht_version": __version__,
        "k": k,
        "years": years,
        "latest_year": latest,
        "inputs": {
            "reports_sha256": _sha256(Path(reports_file)) if reports_file else None,
            "persons_sha256": _sha256(linkage_dir / "persons.parquet") if linkage_dir else None,
            "chain_version": chain_version,
            "estimates": data.estimates is not None,
            "capacity_version": assumptions.version,
            "capacity_sha256": assumptions.sha256,
        },
        "public": {
            "indicators": _indicator_values(data, k),
            "breakdowns": public_breakdowns,
            "overlap": public_overlap,
            "estimates": estimates,
            "trend": trend,
            "hidden": _hidden(estimates),
            "targets": [{
                "line": s.target.line, "line_nl": names[s.target.line][0],
                "line_en": names[s.target.line][1], "indicator": s.target.indicator,
                "where": dict(s.target.where),
                "target": s.target.target, "direction": s.target.direction,
                "deadline": s.target.deadline, "status": s.status,
                "latest_year": s.latest_year, "latest": s.latest, "projected": s.projected,
                "reason_nl": s.reason_nl, "reason_en": s.reason_en} for s in statuses],
            "programme": _programme(data, names),
            "whatif": _whatif(calibration, k, compare_methods, whatif_replicates),
            "groups": _groups(linkage_dir, years, public_breakdowns, k)
            if linkage_dir is not None else None,
            "protection": published_protection(data, k),
            "modus": published_modus(data, k),
        },
        "analyst": {
            "breakdowns": analyst_breakdowns,
            "overlap": analyst_overlap,
            "comparison": _comparison(linkage_dir, latest) if compare_methods else None,
            "calibration": calibration,
            "strata": _strata(linkage_dir, latest) if linkage_dir is not None else None,
            "series": series,
        },
    }
    # from the published estimates, what-if and programme, so it agrees with them
    try:
        doc["public"]["capacity"] = _clean(from_publication(assumptions, _clean(doc["public"]),
                                                            data.chain))
    except CapacityError:  # no published registered persons
        doc["public"]["capacity"] = None
    doc = _clean(doc)
    check(doc, str(out))  # the shape publication.load() reads
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, out)
    return doc
