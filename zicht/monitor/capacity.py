"""Capacity needed: the full-time employees (FTE) each agency would need for a number of
persons, per development line beside the capacity the chain figures say exists (issue 21).

The assumptions live in a small versioned YAML file a user edits (``capacity.yaml`` beside this
module is an *example*): per agency its development line, the cases it opens per registered
person (a number, or a chain measure divided by the registered persons), how long a case stays
open, and how many open cases one FTE carries.  By Little's law the cases open at once are the
cases a year times their duration, so::

    FTE needed = persons x cases per person x duration (years) / cases per FTE

for three numbers of persons:

* ``registered`` - the persons registered in the latest year;
* ``whatif`` - those plus the extra registered persons a reporting obligation would bring, per
  category of the publication's what-if (``public.whatif``) at the rate the file names;
* ``estimate`` - a chosen share of the estimated victims of the latest year with an estimate,
  with the estimate's published interval carried through (FTE is linear in the persons, so the
  interval's ends give the FTE's).  The interval is the estimate's alone: the assumptions are
  taken as given and their own uncertainty is not in it.

The persons are the published registered persons (every region) and the chain rates are taken
per that total, so no count the publication suppresses is used; the chain figures are those of
the European Netherlands (area NL).  A year whose registered persons are suppressed is skipped:
the ``registered`` and ``whatif`` scenarios use the latest year whose count is published (their
``year`` says which), and none is made when no year's is.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..i18n import N_, translator
from .chain import MEASURES

SCENARIOS = ("registered", "whatif", "estimate")
WHATIF_RATES = ("police", "twice", "level_2014_2017")  # zicht.monitor.whatif.SCENARIOS' keys
# chain measures that count cases (not FTE or money)
CASE_MEASURES = tuple(m for m, (_nl, _en, kind) in MEASURES.items() if kind == "count")
ROUNDING = 1  # FTE are published to 0.1


class CapacityError(ValueError):
    """The capacity file is malformed, or the data cannot give a figure it asks for (the
    message names the field)."""


@dataclass(frozen=True)
class Agency:
    key: str
    name_nl: str
    name_en: str
    line: int
    duration_years: float
    cases_per_fte: float
    source: str
    cases_per_person: float | None = None  # a fixed rate, or
    measure: str | None = None  # a chain measure per registered person

    def name(self, lang: str) -> str:
        return self.name_nl if lang == "nl" else self.name_en


@dataclass(frozen=True)
class Assumptions:
    version: str
    share_of_estimate: float
    whatif_scenario: str
    agencies: tuple[Agency, ...]
    sha256: str
    file: str


def needed_fte(persons: float, cases_per_person: float, duration_years: float,
               cases_per_fte: float) -> float:
    """FTE to carry the open cases of ``persons`` a year (Little's law: open cases = cases a
    year x years a case stays open), each FTE carrying ``cases_per_fte`` at once."""
    if cases_per_fte <= 0:
        raise CapacityError("cases_per_fte must be > 0")
    return persons * cases_per_person * duration_years / cases_per_fte


def load_capacity(path: str | Path | None = None, *, share: float | None = None,
                  whatif_scenario: str | None = None) -> Assumptions:
    """Read and check a capacity file (default: the shipped example).  ``share`` and
    ``whatif_scenario`` override the file's."""
    if path is None:
        raw = resources.files(__package__).joinpath("capacity.yaml").read_bytes()
        where = "capacity.yaml"
    else:
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise CapacityError(f"{path}: cannot read it ({exc.strerror or exc})") from None
        where = str(path)
    try:
        doc = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CapacityError(f"{where}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("agencies"), list) \
            or not doc["agencies"]:
        raise CapacityError(f"{where}: expected a mapping with a non-empty list 'agencies'")
    version = doc.get("version")
    if not isinstance(version, str | int) or isinstance(version, bool) or not str(version):
        raise CapacityError(f"{where}: version: say which version of the assumptions this is "
                            "(raise it on every change)")
    chosen = doc.get("share_of_estimate", 1.0) if share is None else share
    chosen = _number(chosen, f"{where}: share_of_estimate")
    if not 0 < chosen <= 1:
        raise CapacityError(f"{where}: share_of_estimate must lie in (0, 1], got {chosen}")
    rate = doc.get("whatif_scenario", "police") if whatif_scenario is None else whatif_scenario
    if rate not in WHATIF_RATES:
        raise CapacityError(f"{where}: whatif_scenario {rate!r} (choose from "
                            f"{', '.join(WHATIF_RATES)})")
    agencies, seen = [], set()
    for i, a in enumerate(doc["agencies"], start=1):
        agency = _agency(a, f"{where}: agencies[{i}]")
        if agency.key in seen:
            raise CapacityError(f"{where}: agencies[{i}].key {agency.key!r} appears twice")
        seen.add(agency.key)
        agencies.append(agency)
    return Assumptions(str(version), chosen, rate, tuple(agencies),
                       hashlib.sha256(raw).hexdigest(), Path(where).name)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value):
        raise CapacityError(f"{where}: {value!r} is not a number")
    return float(value)


def _agency(raw: Any, here: str) -> Agency:
    if not isinstance(raw, dict):
        raise CapacityError(f"{here}: expected a mapping")
    for key in ("key", "name_nl", "name_en", "source"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise CapacityError(f"{here}.{key}: required (text)")
    line = raw.get("development_line")
    if isinstance(line, bool) or line not in (1, 2, 3, 4, 5):
        raise CapacityError(f"{here}.development_line: a development line 1-5, got {line!r}")
    duration = _number(raw.get("duration_years"), f"{here}.duration_years")
    per_fte = _number(raw.get("cases_per_fte"), f"{here}.cases_per_fte")
    if duration <= 0 or per_fte <= 0:
        raise CapacityError(f"{here}: duration_years and cases_per_fte must be > 0")
    rate = raw.get("cases_per_person")
    if isinstance(rate, dict):
        measure = rate.get("measure")
        if set(rate) != {"measure"} or measure not in CASE_MEASURES:
            raise CapacityError(f"{here}.cases_per_person: {{measure: M}} with M one of "
                                f"{', '.join(CASE_MEASURES)}, got {rate!r}")
        return Agency(raw["key"], raw["name_nl"], raw["name_en"], line, duration, per_fte,
                      raw["source"], measure=measure)
    fixed = _number(rate, f"{here}.cases_per_person")
    if fixed < 0:
        raise CapacityError(f"{here}.cases_per_person must be >= 0")
    return Agency(raw["key"], raw["name_nl"], raw["name_en"], line, duration, per_fte,
                  raw["source"], cases_per_person=fixed)


# -- the computation, from plain inputs (the publication's parts)

def compute(assumptions: Assumptions, registered: dict[int, int],
            chain: list[dict] | None = None, estimates: list[dict] | None = None,
            whatif: dict | None = None, existing: dict[int, dict] | None = None) -> dict:
    """Capacity needed (``public.capacity``).

    ``registered``: published registered persons per year; ``chain``: the
    chain figures as rows (year, area, measure, value); ``estimates``: the published estimate
    rows; ``whatif``: ``public.whatif``; ``existing``: FTE per development line and year
    (``public.programme``'s shape: line -> {year: fte}).  Raises :class:`CapacityError` only
    for an empty ``registered``; a scenario or agency the data cannot give is left out with the
    reason."""
    from .publication import estimate_interval

    if not registered:
        raise CapacityError("no registered persons: nothing to compute capacity for")
    year = max(registered)
    agencies = []
    for a in assumptions.agencies:
        rate, rate_year, reason = _rate(a, registered, chain or [])
        agencies.append({"key": a.key, "name_nl": a.name_nl, "name_en": a.name_en,
                         "line": a.line, "measure": a.measure, "cases_per_person": rate,
                         "rate_year": rate_year, "reason": reason,
                         "duration_years": a.duration_years, "cases_per_fte": a.cases_per_fte,
                         "source": a.source})

    scenarios = [_scenario("registered", agencies, registered[year], year=year)]
    for c in (whatif or {}).get("categories") or []:
        arm = next((s for s in c.get("scenarios") or []
                    if s.get("key") == assumptions.whatif_scenario), None)
        now = (c.get("now") or {}).get("registered")
        after = ((arm or {}).get("obligation") or {}).get("registered")
        if now is None or after is None:
            continue  # the category had no such rate (not higher than today's)
        extra = max(after - now, 0.0)
        scenarios.append(_scenario("whatif", agencies, registered[year] + extra, year=year,
                                   category=c["category"], extra=extra))
    rows = [e for e in estimates or [] if _finite(e.get("estimate"))]
    if rows:
        e = max(rows, key=lambda r: r["year"])
        low, high = estimate_interval(e)
        s = assumptions.share_of_estimate
        scenarios.append(_scenario(
            "estimate", agencies, s * e["estimate"], year=int(e["year"]), share=s,
            low=s * low if _finite(low) else None, high=s * high if _finite(high) else None))

    lines = []
    for line in sorted({a.line for a in assumptions.agencies} | set(existing or {})):
        have = (existing or {}).get(line) or {}
        have_year = max(have, key=int) if have else None
        lines.append({"line": line, "existing_year": None if have_year is None
                      else int(have_year),
                      "existing_fte": None if have_year is None else have[have_year],
                      "needed": [s["lines"].get(str(line)) for s in scenarios]})
    return {"version": assumptions.version, "sha256": assumptions.sha256,
            "file": assumptions.file, "year": year, "example": assumptions.sha256 == _shipped(),
            "share_of_estimate": assumptions.share_of_estimate,
            "whatif_scenario": assumptions.whatif_scenario,
            "agencies": agencies, "scenarios": scenarios, "lines": lines}


def _shipped() -> str:
    return hashlib.sha256(resources.files(__package__).joinpath("capacity.yaml").read_bytes()
                          ).hexdigest()


def _finite(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _rate(a: Agency, registered: dict[int, int], chain: list[dict]
          ) -> tuple[float | None, int | None, str | None]:
    """The agency's cases per registered person, the year it was read in, and why not."""
    if a.measure is None:
        return a.cases_per_person, None, None
    counts = {int(r["year"]): float(r["value"]) for r in chain
              if r["measure"] == a.measure and r["area"] == "NL"}
    both = sorted(y for y in counts if registered.get(y))
    if not both:
        return None, None, "no_chain"
    y = both[-1]
    return counts[y] / registered[y], y, None


def _scenario(key: str, agencies: list[dict], persons: float, *, year: int,
              low: float | None = None, high: float | None = None, **extra) -> dict:
    """FTE per agency and per line for ``persons`` (and the interval's ends)."""
    fte: dict[str, list[float | None] | None] = {}
    sums: dict[str, list[float | None]] = {}
    unknown = {a["line"] for a in agencies if a["cases_per_person"] is None}
    for a in agencies:
        if a["cases_per_person"] is None:
            fte[a["key"]] = None
            continue
        cell = [None if p is None else needed_fte(p, a["cases_per_person"],
                                                  a["duration_years"], a["cases_per_fte"])
                for p in (persons, low, high)]
        fte[a["key"]] = [_fte(v) for v in cell]
        total = sums.setdefault(str(a["line"]), [0.0, 0.0, 0.0])
        for i, v in enumerate(cell):
            t = total[i]
            total[i] = None if v is None or t is None else t + v
    # a line with an agency whose rate is unknown has no total (a part would read as the whole)
    lines = {line: (None if int(line) in unknown else [_fte(v) for v in t])
             for line, t in sums.items()}
    return {"key": key, "year": year, "persons": round(persons), "low": _round(low),
            "high": _round(high), **{k: _round(v) if k == "extra" else v
                                     for k, v in extra.items()},
            "fte": fte, "lines": lines}


def _fte(x: float | None) -> float | None:
    return None if x is None else round(x, ROUNDING)


def _round(x: float | None) -> int | None:
    return None if x is None else round(x)


def from_publication(assumptions: Assumptions, public: dict,
                     chain: pd.DataFrame | None = None) -> dict:
    """:func:`compute` on a publication's public part (its published registered persons,
    estimates, what-if and programme) and the chain figures (``zicht.monitor.chain``).

    The registered persons are the published total of every region, suppressed years left
    out, and the chain rates are taken per that same total, so nothing here reveals a count
    the publication hides (the European Netherlands' own count would give the Caribbean
    part's by subtraction)."""
    values = next((i["values"] for i in public.get("indicators") or []
                   if i["key"] == "registered_persons"), [])
    registered = {int(v["year"]): int(v["value"]) for v in values
                  if v.get("value") is not None and not v.get("suppressed")}
    rows = None if chain is None else chain.to_dict(orient="records")
    existing = {int(p["line"]): {y: c.get("fte") for y, c in p["years"].items()
                                 if c.get("fte") is not None}
                for p in public.get("programme") or []}
    return compute(assumptions, registered, rows, public.get("estimates"),
                   public.get("whatif"), existing)


# -- the capacity needed as the dashboard, the report and the command line show it

NOTE = N_("FTE needed = persons x cases per person x years a case stays open / cases one FTE "
          "carries at once (Little's law). The interval is the estimate's only: the "
          "assumptions are taken as given.")
EXAMPLE = N_("These assumptions are zicht's example, not the agencies' figures.")
EXAMPLE_SOURCE = N_("example assumption")  # the shipped file's source, shown in the language


def view(cap: dict, lang: str, names: dict[int, str] | None = None) -> dict:
    """The capacity part as text in ``lang``: the scenarios' headings, a row per agency and per
    development line (FTE needed per scenario, the line's capacity today beside it), and the
    assumptions, each table with its column headings.  The dashboard, the report and ``zicht
    monitor capacity`` show these strings."""
    from .indicators import format_value
    from .labels import reporters

    _ = translator(lang)
    names = names or {}

    def fte(cell) -> str:
        if cell is None or cell[0] is None:
            return "-"
        text = format_value(cell[0], "fte", lang)
        if cell[1] is not None and cell[2] is not None:
            text += f" ({format_value(cell[1], 'fte', lang)}-{format_value(cell[2], 'fte', lang)})"
        return text

    def count(x) -> str:
        return format_value(x, "count", lang)

    headings = []
    for s in cap["scenarios"]:
        if s["key"] == "registered":
            text = _("registered in {year}: {n} persons").format(year=s["year"],
                                                                 n=count(s["persons"]))
        elif s["key"] == "whatif":
            rate = scenario_label(cap["whatif_scenario"], lang)
            text = _("with a reporting obligation for {category} ({rate}): +{extra} persons"
                     ).format(category=reporters(s["category"], lang),
                              rate=rate, extra=count(s["extra"]))
        else:
            text = _("{share} of the estimate of {year}: {n} persons").format(
                share=format_value(s["share"], "share", lang), year=s["year"],
                n=count(s["persons"]))
            if s["low"] is not None and s["high"] is not None:
                text += f" ({count(s['low'])}-{count(s['high'])})"
        headings.append(text)
    agencies = [[a[f"name_{lang}"], str(a["line"]),
                 *(fte(s["fte"].get(a["key"])) for s in cap["scenarios"])]
                for a in cap["agencies"]]
    lines = []
    for li in cap["lines"]:
        have = li["existing_fte"]
        lines.append([names.get(li["line"]) or _("development line {n}").format(n=li["line"]),
                      "-" if have is None
                      else f"{format_value(have, 'fte', lang)} ({li['existing_year']})",
                      *(fte(n) for n in li["needed"])])
    assumptions = []
    for a in cap["agencies"]:
        if a["measure"] is not None:
            label = chain_measure(a["measure"], lang)
            rate = (_("{measure} per registered person, {year}: {value}").format(
                measure=label, year=a["rate_year"],
                value=format_value(a["cases_per_person"], "ratio", lang))
                if a["cases_per_person"] is not None
                else _("{measure} per registered person: no chain figures").format(
                    measure=label))
        else:
            rate = format_value(a["cases_per_person"], "ratio", lang)
        source = _(EXAMPLE_SOURCE) if a["source"] == EXAMPLE_SOURCE else a["source"]
        assumptions.append([a[f"name_{lang}"], rate,
                            format_value(a["duration_years"], "ratio", lang),
                            format_value(a["cases_per_fte"], "ratio", lang), source])
    return {"headings": headings, "agencies": agencies, "lines": lines,
            "assumptions": assumptions,
            "line_columns": [_(c) for c in LINE_COLUMNS] + headings,
            "agency_columns": [_(c) for c in AGENCY_COLUMNS] + headings,
            "assumption_columns": [_(c) for c in ASSUMPTION_COLUMNS],
            "note": _(NOTE) + (" " + _(EXAMPLE) if cap.get("example") else ""),
            "version": _("assumptions version {version} ({file}, sha256 {sha})").format(
                version=cap["version"], file=cap["file"], sha=cap["sha256"][:12])}


def chain_measure(measure: str, lang: str) -> str:
    nl, en, _kind = MEASURES[measure]
    return nl if lang == "nl" else en


def scenario_label(key: str, lang: str) -> str:
    """The what-if's rate by its key, as the what-if names it."""
    from .whatif import scenario_label as label

    return label(key, lang)


# the column headings of the three tables (English msgids)
AGENCY_COLUMNS = (N_("agency"), N_("line"))
LINE_COLUMNS = (N_("development line"), N_("capacity today (FTE)"))
ASSUMPTION_COLUMNS = (N_("agency"), N_("cases per person"), N_("years a case is open"),
                      N_("cases per FTE"), N_("source"))


def line_names(public: dict, lang: str) -> dict[int, str]:
    """The development lines' names a publication carries (its programme and targets)."""
    out: dict[int, str] = {}
    for row in [*(public.get("programme") or []), *(public.get("targets") or [])]:
        out.setdefault(int(row["line"]), row[f"line_{lang}"])
    return out


def published_view(public: dict, lang: str) -> dict | None:
    """:func:`view` of a publication's ``public.capacity``, its lines named as the publication
    names them; None when it has none (the dashboard and the report)."""
    cap = public.get("capacity")
    return view(cap, lang, line_names(public, lang)) if cap else None
