"""Appendix A, methods: the indicators' definitions, disclosure control, the estimation
methods, the data sources (with the population table) and the publication's provenance."""

from __future__ import annotations

from ... import __version__
from ...i18n import N_
from ...monitor import labels
from ...monitor.indicators import INDICATORS
from ..data import CHAPTERS, ReportData
from ..formatting import MISSING, Formatter, Numbering
from .breakdowns import BREAKDOWNS

DISCLOSURE = N_(
    "No published count of persons is below k = {k}. Smaller counts are suppressed (primary "
    "suppression). Because row and year totals are published, other cells are suppressed where "
    "needed (secondary suppression), so that no suppressed count can be derived from the "
    "published cells and totals; this was verified for every table by linear programming. A "
    "year that cannot be protected this way is withheld whole. Indicator values resting on "
    "fewer than k persons are withheld. Estimates of the total number of victims are not counts "
    "of identifiable persons and are not suppressed.")
ESTIMATION = N_(
    "Multiple systems estimation counts how many persons each combination of reporters (lists) "
    "saw and fits a log-linear model to those counts; the model predicts the number of persons "
    "on no list at all. The models allow interactions between pairs of lists; the model used is "
    "chosen per year ({methods}). The interval is the model's profile likelihood interval. The "
    "linkage band repeats the estimate over plausible linkages of reports into persons; the "
    "combined interval includes both. As a check, Rcapture's classical models, graph averaging "
    "(dga) and a latent class model (LCMCR) are applied to the same table (chapter {chapter}). "
    "Lists with few persons are merged.")
SOURCES = N_(
    "Reports: the registry of reports, pseudonymised at intake. Persons: the linkage of those "
    "reports. Population on 1 January (for the rates per 100,000): the published tables in the "
    "table below; a year without a published population gets no rate.")


def appendix(data: ReportData, n: Numbering) -> dict:
    f, _, pub = data.fmt, data.fmt._, data.pub
    suppressed = "; ".join(
        f"{labels.breakdown_name(by, f.lang)} {table.get('suppressed', 0)}"
        for by in BREAKDOWNS if (table := pub.breakdown(by)) is not None)
    methods_used = sorted({e.get("method") for e in data.estimates.values() if e.get("method")})
    inputs = pub.get("inputs") or {}
    return {
        "definitions": definitions(data), "definitions_table": n.next_table(),
        "disclosure": _(DISCLOSURE).format(k=data.k),
        "suppressed": _("Suppressed cells per breakdown: {cells}.").format(cells=suppressed),
        "estimation": _(ESTIMATION).format(methods=", ".join(methods_used) or MISSING,
                                           chapter=CHAPTERS["estimate"]),
        "sources": _(SOURCES),
        "population": population_rows(f, data.years), "population_table": n.next_table(),
        "about": [
            (_("Publication built on"), f.date(pub.get("built_at"))),
            (_("Made with"), f"zicht {pub.get('zicht_version') or MISSING}"),
            (_("Report typeset with"), f"zicht {__version__}"),
            (_("Years in the publication"), f.span(pub.years)),
            (_("Threshold k"), str(data.k)),
            (_("SHA-256 of the reports"), inputs.get("reports_sha256") or MISSING),
            (_("SHA-256 of the persons"), inputs.get("persons_sha256") or MISSING),
            (_("Version of the chain figures"), str(inputs.get("chain_version") or _("none")))],
    }


def definitions(data: ReportData) -> list[dict]:
    """The published indicators' definitions, in the order of the monitor's list."""
    f, _ = data.fmt, data.fmt._
    out = []
    for key, ind in data.indicators.items():
        numerator, denominator = _terms(ind, f)
        out.append({
            "domain": ind.get("domain") or "", "key": key,
            "name": f.field(ind, "name"), "counts": ind.get(f"counts_{f.lang}") or "",
            "numerator": numerator, "denominator": denominator,
            "unit": labels.unit(ind["unit"], f.lang),
            "source": labels.term(ind.get("source") or MISSING, f.lang),
            "version": ind["version"],
            "fingerprint": ind.get("fingerprint") or MISSING})
    out.sort(key=lambda d: (tuple(int(p) for p in d["domain"].split(".") if p.isdigit()),
                            d["key"]))
    return out


def _terms(ind: dict, f: Formatter) -> tuple[str, str]:
    """An indicator's numerator and denominator: the publication's when it holds them, else
    the installed definition's when that has the published version (publications up to now
    hold neither)."""
    if "numerator" in ind:
        return (labels.term(ind["numerator"] or MISSING, f.lang),
                labels.term(ind.get("denominator") or MISSING, f.lang))
    installed = INDICATORS.get(ind["key"])
    if installed is None or installed.version != ind["version"]:
        missing = f._("not recorded for this version")
        return missing, missing
    return (labels.term(installed.numerator, f.lang),
            labels.term(installed.denominator or MISSING, f.lang))


# the population table's statuses (zicht.monitor.population.STATUSES) by name
POPULATION_STATUS = {"published": N_("published"), "provisional": N_("provisional"),
                     "derived": N_("derived")}


def population_rows(f: Formatter, years: list[int]) -> list[tuple]:
    """Population of the European Netherlands on 1 January per year of the report."""
    from ...monitor.population import load_population

    table = load_population()
    table = table[(table["area"] == "NL") & (table["sex"] == "total")
                  & (table["age_band"] == "total")].set_index("year")
    rows = []
    for y in years:
        if y in table.index:
            r = table.loc[y]
            status = POPULATION_STATUS.get(r["status"])
            rows.append((y, f.num(int(r["population"])), r["source"],
                         f._(status) if status else r["status"]))
        else:
            rows.append((y, MISSING, f._("not available"), MISSING))
    return rows
