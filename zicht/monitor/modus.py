"""The traffickers' modus operandi: how victims were controlled and who recruited them, per year
and breakdown, and how that changes over the years (issue 21).

Per person and year (``person_years``: all of that year's reports of the person together):

* **recorded** when any report gives a means of control or a recruiter relation; the shares
  below are of these persons only (a field a reporter did not fill in is not "no");
* **means of control** (``zicht.codes.MEANS_OF_CONTROL``): a person has a means when any
  report names it (several means per person);
* **recruiter relation** (``zicht.codes.RECRUITER_RELATIONS``): the most frequent relation the
  reports give other than ``unknown`` (ties: the first in the code list), ``unknown`` when they
  give only that.

:func:`shares` gives each share with Wilson's 95 % interval (for analysis; the publication
shows shares only).  The **trend** of a share is the slope of the linear probability model
fitted to the persons of all years (share = a + b x year, least squares on the 0/1 outcomes),
in percentage points a year, with a robust interval clustered by person: the outcome is binary,
so its variance differs by year (HC0, White 1980), and a person reported in several years
counts in each, so those years are not independent.  A trend is *found* when the interval
excludes zero; with 23 codes about one interval in twenty misses zero by chance.

Published after disclosure control (:func:`published`): a cell is left out when the persons
recorded, those with the code or those without it number 1 to k - 1, complementary
suppression follows, and only shares in whole percents leave (no counts, no intervals).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..codes import MEANS_OF_CONTROL, RECRUITER_RELATIONS
from ..i18n import N_, format_percent, translator
from .inputs import MonitorData
from .protection import LEVEL, NO_VALUE, points_text, wilson

KINDS = {"means": tuple(MEANS_OF_CONTROL), "recruiter": tuple(RECRUITER_RELATIONS)}
BREAKDOWNS = ("sex", "minor", "form", "region")
ROUNDING = 3  # 0.1 percentage point, as the pages show


def person_years(data: MonitorData) -> pd.DataFrame:
    """One row per person and year with a recorded modus operandi: ``year``, ``person_id``,
    the person's breakdown levels, a 0/1 column ``means:<code>`` per means and
    ``recruiter:<code>`` per relation, and ``means:recorded`` / ``recruiter:recorded``: whether
    some report gives that kind."""
    r = data.reports
    means = r["means_of_control"].astype("string").fillna("").str.lower()
    relation = r["recruiter_relation"].astype("string").fillna("").str.lower()
    frame = pd.DataFrame({"person_id": r["person_id"].to_numpy(),
                          "year": r["reference_year"].to_numpy()})
    for code in MEANS_OF_CONTROL:
        frame[f"means:{code}"] = means.str.split(";").apply(lambda m, c=code: c in m).to_numpy()
    frame["_relation"] = relation.to_numpy()
    frame["_means"] = (means != "").to_numpy()
    frame["recorded"] = (frame["_means"] | relation.isin(RECRUITER_RELATIONS).to_numpy())
    frame = frame[frame["recorded"]]
    g = frame.groupby(["person_id", "year"], sort=True)
    out = g[[f"means:{c}" for c in MEANS_OF_CONTROL]].any()
    chosen = recruiter_of(frame[["person_id", "year"]], frame["_relation"]).reindex(
        out.index).fillna("").to_numpy()
    for code in RECRUITER_RELATIONS:
        out[f"recruiter:{code}"] = chosen == code
    # each kind's shares are of the persons whose reports record that kind: a report with only
    # a relation says nothing about the means, and one with only means nothing of the recruiter
    out["means:recorded"] = g["_means"].any()
    out["recruiter:recorded"] = chosen != ""
    out = out.reset_index()
    persons = data.persons.copy()
    persons["minor"] = np.where(persons["minor"], "minor",
                                np.where(persons["age_band"].eq("unknown"), "unknown", "adult"))
    return out.merge(persons[["person_id", *BREAKDOWNS]], on="person_id", how="left",
                     validate="many_to_one")


def recruiter_of(keys: pd.DataFrame, values: pd.Series) -> pd.Series:
    """Per key (a person and year), the relation most of its reports give other than unknown
    (ties: the first in the code list); unknown when they give only that; missing when they
    give none.  ``keys`` and ``values`` are per report, on one index.  The monitor and the CTDC
    export (:mod:`zicht.monitor.ctdc`) read a person's recruiter this way."""
    text = values.astype(str).str.lower()
    given = text.isin(RECRUITER_RELATIONS)
    frame = keys[given].assign(v=text[given].to_numpy())
    cols = list(keys.columns)
    order = {c: i for i, c in enumerate(RECRUITER_RELATIONS)}
    counts = frame.groupby([*cols, "v"], sort=False).size().rename("n").reset_index()
    counts["known"] = counts["v"] != "unknown"
    counts["order"] = counts["v"].map(order)
    counts = counts.sort_values([*cols, "known", "n", "order"],
                                ascending=[*([True] * len(cols)), False, False, True],
                                kind="stable")
    return counts.drop_duplicates(cols).set_index(cols)["v"]


def shares(data: MonitorData, by: tuple[str, ...] | list[str] = (),
           level: float = LEVEL, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per year, breakdown level and code: ``n`` (persons recorded), ``k`` (with the code),
    ``share``, ``low``, ``high``."""
    by = list(by)
    bad = [b for b in by if b not in BREAKDOWNS]
    if bad:
        raise ValueError(f"the modus operandi cannot be broken down by {bad[0]!r} (allowed: "
                         f"{', '.join(BREAKDOWNS)})")
    py = person_years(data) if frame is None else frame
    keys = ["year", *by]
    parts = []
    for kind, codes in KINDS.items():
        rows = py[py[f"{kind}:recorded"]]
        columns = [f"{kind}:{code}" for code in codes]
        g = rows.groupby(keys, sort=True, dropna=False)
        counts = g[columns].sum().astype(int)
        counts.columns = list(codes)
        long = counts.stack().rename("k").reset_index()
        long = long.rename(columns={long.columns[len(keys)]: "code"})
        n = g.size().rename("n").reset_index()
        long = long.merge(n, on=keys, how="left")
        long.insert(len(keys), "kind", kind)
        parts.append(long)
    columns = [*keys, "kind", "code", "n", "k"]
    long = pd.concat(parts, ignore_index=True)[columns] if parts else \
        pd.DataFrame(columns=columns)
    long["share"] = long["k"] / long["n"]
    long["low"], long["high"] = wilson(long["k"], long["n"], level)
    return long[[*keys, "kind", "code", "n", "k", "share", "low", "high"]]


def trend(data: MonitorData, level: float = LEVEL,
          frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per code: the change of its share a year (``slope``, a fraction: 0.02 is 2 points), its
    interval (``low``, ``high``), ``found`` (the interval excludes zero), the first and last
    year, and the persons counted (``n``).  No row for a code over fewer than two years."""
    py = person_years(data) if frame is None else frame
    years = py["year"].to_numpy(dtype=float)
    persons = py["person_id"].to_numpy()
    rows = []
    if len(np.unique(years)) < 2:
        return pd.DataFrame(columns=["kind", "code", "slope", "low", "high", "found", "first",
                                     "last", "n"])
    for kind, codes in KINDS.items():
        recorded = py[f"{kind}:recorded"].to_numpy(dtype=bool)
        x = years[recorded]
        if len(np.unique(x)) < 2:
            continue
        for code in codes:
            slope, low, high = linear_trend(x, py.loc[recorded, f"{kind}:{code}"]
                                            .to_numpy(dtype=float), level,
                                            groups=persons[recorded])
            rows.append({"kind": kind, "code": code, "slope": slope, "low": low, "high": high,
                         "found": bool(low > 0 or high < 0), "first": int(x.min()),
                         "last": int(x.max()), "n": int(recorded.sum())})
    return pd.DataFrame(rows, columns=["kind", "code", "slope", "low", "high", "found", "first",
                                       "last", "n"])


def linear_trend(x: np.ndarray, y: np.ndarray, level: float = LEVEL,
                 groups: np.ndarray | None = None) -> tuple[float, float, float]:
    """The least-squares slope of ``y`` on ``x`` and its interval from the robust standard
    error: HC0 (White 1980), sqrt(sum((x - mean x)^2 e^2)) / sum((x - mean x)^2) with e the
    residuals; with ``groups`` (a person's rows across years), clustered by group: the sum of
    (x - mean x) e is taken within each group first, since one person's years are not
    independent.  Written out rather than fitted with a regression library: two sums per
    code."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    t = x - x.mean()
    sxx = float((t * t).sum())
    slope = float((t * (y - y.mean())).sum() / sxx)
    e = y - y.mean() - slope * t
    scores = t * e
    if groups is not None:
        _, of = np.unique(np.asarray(groups), return_inverse=True)
        scores = np.bincount(of, weights=scores)
    se = float(np.sqrt((scores * scores).sum()) / sxx)
    z = float(norm.ppf(0.5 + level / 2))
    return slope, slope - z * se, slope + z * se


def _round(x) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), ROUNDING)


def published(data: MonitorData, k: int, level: float = LEVEL) -> dict | None:
    """``public.modus``: the share of each code per year for everyone and by each breakdown,
    and each code's trend over the years for everyone; per year the share of persons whose
    reports record each kind.  None when no report records one.

    Disclosure control (the module's text): a cell is hidden when its persons recorded, with
    the code or without it number 1 to k - 1; then, by
    :func:`zicht.monitor.disclosure.complement_groups`, more cells of its breakdown (whose
    levels add up to everyone's) and, for the recruiter, of its level (whose relations add up
    to the persons recorded) until no hidden group adds up to fewer than k.  A cell shows only
    its share, in whole percents: no count and no interval, from which the persons could be
    worked out (a Wilson interval to 0.1 point pins them down).  A trend is hidden when any
    year of its code is."""
    from .disclosure import complement_groups

    py = person_years(data)
    if py.empty:
        return None
    frames = []
    for by in (None, *BREAKDOWNS):
        frame = shares(data, () if by is None else (by,), level, frame=py)
        frame["by"] = by
        frame["level"] = None if by is None else frame[by].astype(str)
        frames.append(frame.drop(columns=[by] if by else []))
    cells_frame = pd.concat(frames, ignore_index=True)
    cells_frame["rest"] = cells_frame["n"] - cells_frame["k"]
    counts = cells_frame[["n", "k", "rest"]]
    cells_frame["hidden"] = ((counts > 0) & (counts < k)).any(axis=1).to_numpy()
    cells_frame["by_key"] = cells_frame["by"].fillna("")
    cells_frame["level_key"] = cells_frame["level"].fillna("")
    for _ in range(10):  # until both kinds of complement agree
        before = cells_frame["hidden"].copy()
        levels = cells_frame[cells_frame["by"].notna()]
        cells_frame.loc[levels.index, "hidden"] = complement_groups(
            levels, ["year", "by_key", "kind", "code"], ["n", "k", "rest"], k)
        relations = cells_frame[cells_frame["kind"] == "recruiter"]
        cells_frame.loc[relations.index, "hidden"] = complement_groups(
            relations, ["year", "by_key", "level_key"], ["k"], k, size="k")
        if cells_frame["hidden"].equals(before):
            break
    cells = [{"year": int(r["year"]), "by": r["by"], "level": r["level"], "kind": r["kind"],
              "code": r["code"], "suppressed": bool(r["hidden"]),
              "share": None if r["hidden"] else round(float(r["share"]), 2)}
             for r in cells_frame.to_dict("records")]
    hidden_codes = {(r.kind, r.code) for r in cells_frame[cells_frame["by"].isna()].itertuples()
                    if r.hidden}
    everyone = data.person_years().groupby("year").size()
    recorded = []
    for year, n_all in everyone.items():
        entry: dict = {"year": int(year)}
        for kind in KINDS:
            n = int(py.loc[py["year"] == year, f"{kind}:recorded"].sum())
            small = 0 < n < k or 0 < n_all - n < k
            entry[kind] = None if small else round(n / n_all, 2)
        recorded.append(entry)
    trends = []
    for row in trend(data, level, frame=py).to_dict("records"):
        hidden = (row["kind"], row["code"]) in hidden_codes
        trends.append({"kind": row["kind"], "code": row["code"], "suppressed": hidden,
                       "first": row["first"], "last": row["last"],
                       **{key: None if hidden else _round(row[key])
                          for key in ("slope", "low", "high")},
                       "found": None if hidden else row["found"]})
    return {"level": level, "kinds": {kind: list(codes) for kind, codes in KINDS.items()},
            "breakdowns": list(BREAKDOWNS), "cells": cells, "recorded": recorded,
            "trends": trends}


# -- the published modus operandi as the page and the report show it

KIND_NAMES = {"means": N_("means of control"), "recruiter": N_("recruiter's relation")}


def code_label(kind: str, code: str, lang: str) -> str:
    """A means or relation by its name in ``lang`` (zicht.codes)."""
    table = MEANS_OF_CONTROL if kind == "means" else RECRUITER_RELATIONS
    nl, en = table.get(code, (code, code))
    return nl if lang == "nl" else en


def trend_text(t: dict, lang: str) -> str:
    """A published trend as read: "+6.1 (+3.8 to +8.4)" percentage points a year."""
    return points_text(t.get("slope"), t.get("low"), t.get("high"), lang)


def view(modus: dict, lang: str, year: int | None = None, hidden: str | None = None) -> dict:
    """The tables of ``public.modus`` up to ``year`` (default: its latest): per code its share
    per year for everyone and the trend; the latest year's shares by each breakdown (rows the
    codes, columns the levels); per year the share of persons whose reports record each kind.
    ``hidden`` marks a suppressed value (default: the word "suppressed")."""
    from .labels import breakdown_name, level

    _ = translator(lang)
    hidden = _("suppressed") if hidden is None else hidden
    cells = [c for c in modus["cells"] if year is None or c["year"] <= year]
    years = sorted({c["year"] for c in cells})
    latest = max(years)
    index = {(c["year"], c["by"], c["level"], c["kind"], c["code"]): c for c in cells}

    def share(c: dict | None) -> str:
        if c is None:
            return NO_VALUE
        return hidden if c["suppressed"] else format_percent(c["share"], lang)

    trends = {(t["kind"], t["code"]): t for t in modus.get("trends") or []
              if year is None or t["last"] <= year}
    overall = []
    for kind, codes in modus["kinds"].items():
        for code in codes:
            t = trends.get((kind, code))
            if t is not None and t.get("slope") is not None and t["low"] == t["high"]:
                t = None  # nobody had it in any year: no trend to show
            finding = NO_VALUE if t is None or t["found"] is None else (
                (_("rising") if t["slope"] > 0 else _("falling")) if t["found"]
                else _("no trend shown"))
            overall.append([code_label(kind, code, lang), _(KIND_NAMES[kind]),
                            *(share(index.get((y, None, None, kind, code))) for y in years),
                            hidden if t is not None and t["suppressed"]
                            else NO_VALUE if t is None else trend_text(t, lang), finding])
    tables = []
    for by in modus["breakdowns"]:
        levels = sorted({c["level"] for c in cells if c["by"] == by and c["year"] == latest})
        if not levels:
            continue
        rows = [[code_label(kind, code, lang),
                 *(share(index.get((latest, by, lv, kind, code))) for lv in levels)]
                for kind, codes in modus["kinds"].items() for code in codes]
        tables.append({"by": by, "name": breakdown_name(by, lang),
                       "levels": [level(by, lv, lang) for lv in levels], "rows": rows})
    recorded = [[str(r["year"]), *(share({"suppressed": r.get(kind) is None,
                                           "share": r.get(kind)}) for kind in KINDS)]
                for r in modus.get("recorded") or [] if r["year"] in years]
    return {"years": years, "latest": latest, "overall": overall, "tables": tables,
            "recorded": recorded,
            "found": [row for row in overall if row[-1] in (_("rising"), _("falling"))]}
