"""Indicators as declared, versioned definitions (docs/DOMAIN.md section 6).

Each :class:`Indicator` says in Dutch and English what it counts, its numerator and denominator,
the breakdowns it allows, its data source and its version, and holds the function that computes
it from :class:`~zicht.monitor.data.MonitorData`.  ``compute(data, by=("sex",))`` returns a long
table: ``year``, the breakdown columns, ``numerator``, ``denominator`` and ``value`` (the
numerator for counts, the ratio for shares and rates).

Versions: a definition's *fingerprint* is a hash of its declared text and of its function's
source.  ``indicator_versions.json`` beside this module records the fingerprint of every
version; a test fails when a definition changes without a new version, so a published number
always names the definition it was made with (``publish`` stamps key, version and fingerprint on
every value).
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from ..i18n import N_, number_symbols, translator
from .inputs import MonitorData, MonitorInputError, is_missing
from .protection import BREAKDOWNS as GAP_BREAKDOWNS
from .protection import COUNTS as GAP_COUNTS
from .protection import ROUNDING as GAP_ROUNDING
from .protection import complaint_groups
from .protection import gap as complaint_gap

PERSON_BREAKDOWNS = ("sex", "age_band", "minor", "form", "nationality_group", "dutch", "region")
REPORT_BREAKDOWNS = ("reporter_category", "sex", "age_band", "minor", "form",
                     "nationality_group", "region", "obliged")
KEY_FIELDS = ("sex", "age_band", "nationality", "exploitation_forms", "place_of_exploitation")
EXTRA_COLUMNS = ("low", "high", "smallest")  # see Indicator.compute
POINTS = N_("{value} pp")  # percentage points


@dataclass(frozen=True)
class Indicator:
    key: str
    version: int
    name_nl: str
    name_en: str
    counts_nl: str
    counts_en: str
    numerator: str
    denominator: str | None
    unit: str  # count, share, ratio, rate, points (a difference of shares)
    breakdowns: tuple[str, ...]
    source: str
    domain: str  # the item of docs/DOMAIN.md section 6 it implements
    fn: Callable[[MonitorData, tuple[str, ...]], pd.DataFrame]
    # functions outside ``fn`` that define what it computes: part of the fingerprint
    depends: tuple[Callable, ...] = ()

    @property
    def needs(self) -> tuple[str, ...]:
        """The optional inputs of :class:`MonitorData` it cannot do without."""
        return tuple(n for n in ("estimates", "chain") if n in self.source)

    def name(self, lang: str = "nl") -> str:
        return self.name_nl if lang == "nl" else self.name_en

    @property
    def fingerprint(self) -> str:
        text = json.dumps([self.key, self.version, self.name_nl, self.name_en, self.counts_nl,
                           self.counts_en, self.numerator, self.denominator, self.unit,
                           list(self.breakdowns), self.source, inspect.getsource(self.fn),
                           *(inspect.getsource(f) for f in self.depends)])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def compute(self, data: MonitorData, by: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
        """The long table; an indicator with an interval adds ``low`` and ``high``, and
        ``smallest``: the smallest count of persons behind a value, for disclosure control
        where numerator and denominator are no counts (a difference of two shares)."""
        by = tuple(by)
        unknown = [b for b in by if b not in self.breakdowns]
        if unknown:
            raise MonitorInputError(
                f"{self.key} cannot be broken down by {unknown[0]!r} (allowed: "
                f"{', '.join(self.breakdowns) or 'none'})")
        out = self.fn(data, by)
        extra = [c for c in EXTRA_COLUMNS if c in out.columns]
        return out[["year", *by, "numerator", "denominator", "value", *extra]].reset_index(
            drop=True)

    def hides(self, row, k: int) -> bool:
        """Whether publishing a row of :meth:`compute` would show fewer than ``k`` persons or
        reports (the publication suppresses it, and a target does not use it): counts of
        persons or reports below k, shares or rates whose numerator or (person) denominator is
        below k, and a difference of shares whose ``smallest`` count is below k.  Estimates and
        chain figures are not counts of identifiable persons."""
        smallest = getattr(row, "smallest", None)
        if smallest is not None:
            return bool(not pd.isna(smallest) and 0 < smallest < k)
        if not any(s in self.source for s in ("registry", "linkage")):
            return False
        numerator, denominator = row.numerator, row.denominator
        if self.key in ("detection_rate", "dark_number", "prosecutions_per_registered",
                        "convictions_per_registered"):
            numerator = None  # an estimate or a chain figure; check the persons
        for count in (numerator, denominator if self.unit != "count" else None):
            if count is not None and not pd.isna(count) and 0 < count < k:
                return True
        return False

    def published(self, value: float | None) -> float | None:
        """A value at the precision the publication gives it (differences of shares: 0.1
        percentage point, as the pages show; finer ones would give counts away)."""
        if value is None or pd.isna(value):
            return None
        return round(float(value), GAP_ROUNDING) if self.unit == "points" else value


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype(float)
    return num.astype(float).div(den.where(den > 0))


def _grouped(frame: pd.DataFrame, by: tuple[str, ...], num: str | None) -> pd.DataFrame:
    """Per year and breakdown: rows (denominator) and rows where ``num`` is true."""
    keys = ["year", *by]
    g = frame.groupby(keys, dropna=False, sort=True)
    out = g.size().rename("denominator").to_frame()
    out["numerator"] = g[num].sum() if num else out["denominator"]
    return out.reset_index()


# -- 1. reports, persons, reports per person -----------------------------------------------------
def _reports(data: MonitorData, by):
    r = data.reports.rename(columns={"reference_year": "year"})
    out = _grouped(r, by, None)
    out["denominator"] = np.nan
    out["value"] = out["numerator"].astype(float)
    return out


def _persons(data: MonitorData, by):
    out = _grouped(data.person_years(), by, None)
    out["denominator"] = np.nan
    out["value"] = out["numerator"].astype(float)
    return out


def _persons_by_category(data: MonitorData, by):
    py = data.person_years().explode("categories").rename(
        columns={"categories": "reporter_category"})
    out = _grouped(py, by, None)
    out["denominator"] = np.nan
    out["value"] = out["numerator"].astype(float)
    return out


def _reports_per_person(data: MonitorData, by):
    py = data.person_years()
    keys = ["year", *by]
    g = py.groupby(keys, dropna=False, sort=True)
    out = g["reports"].sum().rename("numerator").to_frame()
    out["denominator"] = g.size()
    out = out.reset_index()
    out["value"] = _ratio(out["numerator"], out["denominator"])
    return out


# -- 3. obliged reporters, change on the year ----------------------------------------------------
def _share_obliged(data: MonitorData, by):
    r = data.reports.rename(columns={"reference_year": "year"})
    out = _grouped(r, by, "obliged")
    out["value"] = _ratio(out["numerator"], out["denominator"])
    return out


def _change_on_year(data: MonitorData, by):
    counts = _grouped(data.person_years(), by, None)[["year", *by, "numerator"]]
    previous = counts.assign(year=counts["year"] + 1).rename(
        columns={"numerator": "denominator"})
    out = counts.merge(previous, on=["year", *by], how="left")
    out["value"] = _ratio(out["numerator"] - out["denominator"], out["denominator"])
    return out


# -- 4. overlap between reporters ----------------------------------------------------------------
def _overlap(data: MonitorData, by):
    py = data.person_years()
    py["two_or_more"] = py["n_categories"] >= 2
    out = _grouped(py, by, "two_or_more")
    out["value"] = _ratio(out["numerator"], out["denominator"])
    return out


# -- 5. minors -----------------------------------------------------------------------------------
def _minors(data: MonitorData, by):
    out = _grouped(data.person_years(), by, "minor")
    out["value"] = _ratio(out["numerator"], out["denominator"])
    return out


def _dutch_minors_domestic_sexual(data: MonitorData, by):
    py = data.person_years()
    py["target"] = py["minor"] & py["dutch"] & py["form"].eq("domestic_sexual")
    out = _grouped(py, by, "target")
    out["value"] = out["numerator"].astype(float)
    return out


# -- 6. protection: complaint, reflection period, shelter ----------------------------------------
def _share_of_persons(field: str):
    def compute(data: MonitorData, by):
        out = _grouped(data.person_years(), by, field)
        out["value"] = _ratio(out["numerator"], out["denominator"])
        return out

    compute.__name__ = f"_share_{field}"
    return compute


def _gap_of(outcome: str):
    """Share with a complaint minus share without (zicht.monitor.protection), with its
    interval; ``smallest`` is the smallest non-zero of the counts behind it (the three groups
    and their persons with the outcome: zicht.monitor.protection.disclosive)."""
    def compute(data: MonitorData, by):
        out = complaint_gap(data, by, (outcome,))
        counts = out[list(GAP_COUNTS)].to_numpy(dtype=float)
        positive = np.where(counts > 0, counts, np.inf).min(axis=1)
        out["smallest"] = np.where(np.isfinite(positive), positive, np.nan)
        out["numerator"] = out["gap"]
        out["denominator"] = np.nan
        out["value"] = out["gap"]
        return out

    compute.__name__ = f"_gap_{outcome}"
    return compute


# -- 7. completeness of key fields ---------------------------------------------------------------
def _completeness(data: MonitorData, by):
    r = data.reports.rename(columns={"reference_year": "year"})
    filled = np.column_stack([~is_missing(r[f]) for f in KEY_FIELDS])
    r = r.assign(filled=filled.sum(axis=1))
    keys = ["year", *by]
    g = r.groupby(keys, dropna=False, sort=True)
    out = g["filled"].sum().rename("numerator").to_frame()
    out["denominator"] = g.size() * len(KEY_FIELDS)
    out = out.reset_index()
    out["value"] = _ratio(out["numerator"], out["denominator"])
    return out


# -- 8, 9. the estimate, detection rate, dark number ---------------------------------------------
def _estimates(data: MonitorData) -> pd.DataFrame:
    if data.estimates is None:
        raise MonitorInputError("no estimates given: this indicator needs the MSE estimates")
    est = data.estimates.copy()
    est["year"] = est["year"].astype(int)
    return est


def _estimated(data: MonitorData, by):
    est = _estimates(data)
    return est.assign(numerator=est["estimate"], denominator=np.nan, value=est["estimate"])


def _detection_rate(data: MonitorData, by):
    registered = _grouped(data.person_years(), (), None)[["year", "numerator"]]
    out = registered.merge(_estimates(data)[["year", "estimate"]], on="year", how="inner")
    out["denominator"] = out["estimate"]
    out["value"] = _ratio(out["numerator"], out["denominator"])
    return out


def _dark_number(data: MonitorData, by):
    registered = _grouped(data.person_years(), (), None)[["year", "numerator"]]
    out = registered.merge(_estimates(data)[["year", "estimate"]], on="year", how="inner")
    out = out.rename(columns={"numerator": "registered"})
    out["numerator"] = out["estimate"] - out["registered"]
    out["denominator"] = np.nan
    out["value"] = out["numerator"]
    return out


# -- 2, 9. per 100,000 population (SDG 16.2.2) ---------------------------------------------------
POPULATION_AREA = {"NL": "NL", "BES": "CN", "ABW": "AW", "CUW": "CW", "SXM": "SX"}


def _population(year: int, region: str) -> float:
    from .population import PopulationNotAvailable, population

    area = POPULATION_AREA.get(region)
    if area is None:
        return np.nan
    try:
        return float(population(area, int(year)))
    except PopulationNotAvailable:
        return np.nan


def _per_100k(frame: pd.DataFrame, by) -> pd.DataFrame:
    """Counts per year and region over the population on 1 January; without a region
    breakdown the European Netherlands."""
    if "region" not in by:
        frame = frame[frame["region"] == "NL"]
    out = _grouped(frame, ("region",), None)[["year", "region", "numerator"]]
    out["denominator"] = [_population(y, r) for y, r in zip(out["year"], out["region"],
                                                           strict=True)]
    out["value"] = _ratio(out["numerator"] * 100_000, out["denominator"])
    return out if "region" in by else out.drop(columns="region")


def _registered_per_100k(data: MonitorData, by):
    return _per_100k(data.person_years(), by)


def _sdg_16_2_2(data: MonitorData, by):
    est = _estimates(data)
    out = pd.DataFrame({"year": est["year"], "numerator": est["estimate"]})
    out["denominator"] = [_population(y, "NL") for y in out["year"]]
    out["value"] = _ratio(out["numerator"] * 100_000, out["denominator"])
    return out


# -- 11. the chain: police, prosecution, courts ---------------------------------------------------
def _chain(data: MonitorData, measure: str) -> pd.DataFrame:
    if data.chain is None:
        raise MonitorInputError("no chain figures given: this indicator needs them "
                                "(zicht.monitor.chain)")
    c = data.chain
    c = c[(c["measure"] == measure) & (c["area"] == "NL")]
    return c.groupby("year", as_index=False)["value"].sum()


def _chain_count(measure: str):
    def compute(data: MonitorData, by):
        c = _chain(data, measure)
        return pd.DataFrame({"year": c["year"].astype(int), "numerator": c["value"],
                             "denominator": np.nan, "value": c["value"]})

    compute.__name__ = f"_chain_{measure}"
    return compute


def _chain_per_registered(measure: str):
    def compute(data: MonitorData, by):
        c = _chain(data, measure).rename(columns={"value": "numerator"})
        py = data.person_years()
        registered = py[py["region"] == "NL"].groupby("year").size().rename("denominator")
        out = c.merge(registered.reset_index(), on="year", how="inner")
        out["value"] = _ratio(out["numerator"], out["denominator"])
        return out

    compute.__name__ = f"_{measure}_per_registered"
    return compute


_R = "registry (reports)"
_L = "linkage (persons)"
_P = "persons per 100,000"
INDICATORS: dict[str, Indicator] = {i.key: i for i in (
    Indicator("reports", 1, "meldingen", "reports",
              "meldingen per jaar", "reports per year", "reports", None, "count",
              REPORT_BREAKDOWNS, _R, "6.1", _reports),
    Indicator("registered_persons", 1, "geregistreerde personen", "registered persons",
              "unieke personen met ten minste één melding in het jaar (na koppeling)",
              "distinct persons with at least one report in the year (after linkage)",
              "persons", None, "count", PERSON_BREAKDOWNS, _L, "6.1", _persons),
    Indicator("persons_by_reporter", 1, "personen per melder", "persons by reporter",
              "personen per meldercategorie (een persoon telt bij elke melder die meldde)",
              "persons per reporter category (a person counts for every reporter that "
              "reported them)", "persons", None, "count", ("reporter_category",), _L, "6.1",
              _persons_by_category),
    Indicator("reports_per_person", 1, "meldingen per persoon", "reports per person",
              "meldingen gedeeld door geregistreerde personen", "reports divided by persons",
              "reports", "persons", "ratio", PERSON_BREAKDOWNS, _L, "6.1", _reports_per_person),
    Indicator("share_obliged", 1, "aandeel meldplichtige melders", "share from obliged reporters",
              "aandeel meldingen van politie, KMar en NLA", "share of reports from police, KMar "
              "and NLA", "reports from obliged reporters", "reports", "share",
              tuple(b for b in REPORT_BREAKDOWNS if b != "obliged"), _R, "6.3", _share_obliged),
    Indicator("change_on_year", 1, "verandering t.o.v. vorig jaar", "change on the year",
              "relatieve verandering van het aantal geregistreerde personen",
              "relative change in registered persons", "persons this year minus last year",
              "persons last year", "share", PERSON_BREAKDOWNS, _L, "6.3", _change_on_year),
    Indicator("overlap", 1, "overlap tussen melders", "overlap between reporters",
              "aandeel personen gemeld door twee of meer meldercategorieën",
              "share of persons reported by two or more reporter categories",
              "persons with two or more reporter categories", "persons", "share",
              PERSON_BREAKDOWNS, _L, "6.4", _overlap),
    Indicator("minors", 1, "minderjarigen", "minors", "aandeel personen jonger dan 18",
              "share of persons under 18", "persons under 18", "persons", "share",
              tuple(b for b in PERSON_BREAKDOWNS if b not in ("minor", "age_band")), _L, "6.5",
              _minors),
    Indicator("dutch_minors_domestic_sexual", 1,
              "Nederlandse minderjarigen in binnenlandse seksuele uitbuiting",
              "Dutch minors in domestic sexual exploitation",
              "Nederlandse personen jonger dan 18 in binnenlandse seksuele uitbuiting",
              "Dutch persons under 18 in domestic sexual exploitation", "persons", None,
              "count", ("sex", "region"), _L, "6.5", _dutch_minors_domestic_sexual),
    Indicator("complaint_filed", 1, "aangifte gedaan", "complaint filed",
              "aandeel personen met aangifte in het jaar", "share of persons who filed a "
              "complaint in the year", "persons with a complaint", "persons", "share",
              PERSON_BREAKDOWNS, _R, "6.6", _share_of_persons("complaint_filed")),
    Indicator("reflection_period", 1, "bedenktijd", "reflection period",
              "aandeel personen aan wie bedenktijd is aangeboden of verleend",
              "share of persons offered or granted a reflection period",
              "persons offered or granted", "persons", "share", PERSON_BREAKDOWNS, _R, "6.6",
              _share_of_persons("reflection_period")),
    Indicator("shelter_requested", 1, "opvang aangevraagd", "shelter requested",
              "aandeel personen voor wie opvang is aangevraagd",
              "share of persons for whom shelter was requested", "persons", "persons",
              "share", PERSON_BREAKDOWNS, _R, "6.6", _share_of_persons("shelter_requested")),
    Indicator("shelter_placed", 1, "in opvang geplaatst", "placed in shelter",
              "aandeel personen dat in de opvang is geplaatst",
              "share of persons placed in a shelter", "persons placed", "persons", "share",
              PERSON_BREAKDOWNS, _R, "6.6", _share_of_persons("shelter_placed")),
    *(Indicator(f"complaint_gap_{outcome}", 1, f"verschil {nl} met en zonder aangifte",
                f"gap in {en}, with and without a complaint",
                f"aandeel met aangifte min aandeel zonder aangifte ({nl}), in procentpunten, "
                "met 95%-interval", f"share with a complaint minus share without ({en}), in "
                "percentage points, with its 95% interval",
                "share with a complaint minus share without", None, "points", GAP_BREAKDOWNS,
                _L, "6.6", _gap_of(outcome),
                (complaint_gap, complaint_groups, MonitorData._compute_person_years))
      for outcome, nl, en in (
          ("reflection_period", "bedenktijd", "reflection period"),
          ("shelter_requested", "opvang aangevraagd", "shelter requested"),
          ("shelter_placed", "in opvang geplaatst", "placed in shelter"),
          ("referred_to_care", "doorverwezen naar zorg", "referred to care"))),
    Indicator("registered_per_100k", 1, "geregistreerden per 100.000 inwoners",
              "registered per 100,000 population",
              "geregistreerde personen per 100.000 inwoners op 1 januari (zonder uitsplitsing: "
              "Europees Nederland)", "registered persons per 100,000 population on 1 January "
              "(without a breakdown: the European Netherlands)", "registered persons",
              "population / 100,000", "rate", ("region",), "linkage + CBS population", "6.2",
              _registered_per_100k),
    Indicator("sdg_16_2_2", 1, "SDG 16.2.2: slachtoffers per 100.000 inwoners",
              "SDG 16.2.2: victims per 100,000 population",
              "geschat aantal slachtoffers (MSE) per 100.000 inwoners van Europees Nederland",
              "estimated victims (MSE) per 100,000 population of the European Netherlands",
              "estimated victims", "population / 100,000", "rate", (),
              "estimates + CBS population", "6.9", _sdg_16_2_2),
    Indicator("completeness", 1, "volledigheid kernvelden", "completeness of key fields",
              "aandeel ingevulde kernvelden (geslacht, leeftijd, nationaliteit, vorm, plaats)",
              "share of key fields filled in (sex, age, nationality, form, place)",
              "key fields filled in", "key fields", "share", ("reporter_category",), _R,
              "6.7", _completeness),
    Indicator("police_cases_to_om", 1, "zaken van politie naar het OM",
              "police cases to the prosecution",
              "mensenhandelzaken die de politie aan het OM aanbood (Europees Nederland)",
              "trafficking cases the police passed to the prosecution (European Netherlands)",
              "cases", None, "count", (), "chain figures", "6.11",
              _chain_count("police_cases_to_om")),
    Indicator("prosecutions_per_registered", 1, "vervolgingen per geregistreerde",
              "prosecutions per registered person",
              "vervolgingen gedeeld door geregistreerde personen in Europees Nederland",
              "prosecutions divided by registered persons in the European Netherlands",
              "prosecutions", "registered persons (NL)", "ratio", (),
              "chain figures + linkage", "6.11", _chain_per_registered("prosecutions")),
    Indicator("convictions_per_registered", 1, "veroordelingen per geregistreerde",
              "convictions per registered person",
              "veroordelingen gedeeld door geregistreerde personen in Europees Nederland",
              "convictions divided by registered persons in the European Netherlands",
              "convictions", "registered persons (NL)", "ratio", (),
              "chain figures + linkage", "6.11", _chain_per_registered("convictions")),
    Indicator("estimated_victims", 1, "geschat aantal slachtoffers", "estimated victims",
              "geschat totaal (geregistreerd en niet geregistreerd), multiple systems "
              "estimation", "estimated total (registered and not), multiple systems estimation",
              "estimate", None, "count", (), "estimates (MSE)", "6.8", _estimated),
    Indicator("detection_rate", 1, "detectiegraad", "detection rate",
              "geregistreerde personen gedeeld door het geschatte totaal",
              "registered persons divided by the estimated total", "registered persons",
              "estimated victims", "share", (), "linkage + estimates", "6.9", _detection_rate),
    Indicator("dark_number", 2, "geschat verborgen aantal", "dark number",
              "geschat totaal min geregistreerde personen",
              "estimated total minus registered persons", "estimate minus registered", None,
              "count", (), "linkage + estimates", "6.9", _dark_number),
)}


@lru_cache(maxsize=8)
def _symbols(lang: str) -> dict[str, str]:
    return number_symbols(lang)


def format_value(value: float, unit: str, lang: str = "en") -> str:
    """A value as people read it: shares as percentages, differences of shares in percentage
    points ("+12.3 pp"; Dutch "+12,3 %-punt"), ratios and rates with two decimals, counts whole;
    in the language's decimal sign and digit grouping (Dutch: decimal comma, thousands
    point)."""
    if unit == "share":
        text = f"{value:.1%}"
    elif unit == "points":  # a difference of shares, in percentage points
        text = f"{100 * value:+.1f}"
    elif unit == "fte":  # full-time employees, to one decimal
        text = f"{value:,.1f}"
    elif unit in ("ratio", "rate"):
        text = f"{value:,.2f}"
    else:
        text = f"{value:,.0f}"
    symbols = _symbols(lang)  # the locale's signs: 1,234.5 -> 1.234,5 in Dutch
    text = text.replace(",", "\u2009").replace(".", symbols["decimal"]).replace(
        "\u2009", symbols["group"])
    return translator(lang)(POINTS).format(value=text) if unit == "points" else text


def recorded_versions() -> dict[str, dict[str, str]]:
    """``indicator_versions.json``: key -> {version: fingerprint}."""
    text = resources.files(__package__).joinpath("indicator_versions.json").read_text()
    return json.loads(text)


def publish(values: pd.DataFrame, indicator: Indicator) -> list[dict]:
    """Values stamped with the definition they were made with (key, version, fingerprint)."""
    stamp = {"indicator": indicator.key, "version": indicator.version,
             "fingerprint": indicator.fingerprint}
    return [{**stamp, **row} for row in json.loads(values.to_json(orient="records"))]
