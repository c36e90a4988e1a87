"""Appendix A, methods: the indicators' definitions, disclosure control, the estimation
methods, the data sources (with the population table) and the publication's provenance."""

from __future__ import annotations

from ... import __version__
from ...monitor import labels
from ...monitor.indicators import INDICATORS
from ..data import CHAPTERS, ReportData
from ..formatting import MISSING, Formatter, Numbering
from .breakdowns import BREAKDOWNS

UNITS = {"count": ("aantal", "count"), "share": ("aandeel", "share"),
         "ratio": ("verhouding", "ratio"), "rate": ("per 100.000", "per 100,000")}


def appendix(data: ReportData, n: Numbering) -> dict:
    f, pub, public = data.fmt, data.pub, data.public
    suppressed = "; ".join(
        f"{labels.breakdown_name(by, f.lang)} {public['breakdowns'][by].get('suppressed', 0)}"
        for by in BREAKDOWNS if by in public["breakdowns"])
    methods_used = sorted({e.get("method") for e in data.estimates.values() if e.get("method")})
    inputs = pub.get("inputs") or {}
    return {
        "definitions": definitions(data), "definitions_table": n.next_table(),
        "disclosure": f.t("disclosure_text", k=data.k),
        "suppressed": f.t("suppressed_cells", cells=suppressed),
        "estimation": f.t("estimation_text", methods=", ".join(methods_used) or MISSING,
                          chapter=CHAPTERS["estimate"]),
        "sources": f.t("sources_text"),
        "population": population_rows(f, data.years), "population_table": n.next_table(),
        "about": [(f.t("about_built"), f.date(pub.get("built_at"))),
                  (f.t("about_version"), f"zicht {pub.get('zicht_version') or MISSING}"),
                  (f.t("about_report"), f"zicht {__version__}"),
                  (f.t("about_years"), f.span(pub.years)),
                  (f.t("about_k"), str(data.k)),
                  (f.t("about_reports"), inputs.get("reports_sha256") or MISSING),
                  (f.t("about_persons"), inputs.get("persons_sha256") or MISSING),
                  (f.t("about_chain"), str(inputs.get("chain_version") or f.t("none")))],
    }


def definitions(data: ReportData) -> list[dict]:
    """The published indicators' definitions, in the order of the monitor's list."""
    f = data.fmt
    out = []
    for key, ind in data.indicators.items():
        numerator, denominator = _terms(ind, f)
        out.append({
            "domain": ind.get("domain") or "", "key": key,
            "name": ind["name_nl"] if f.lang == "nl" else ind["name_en"],
            "counts": ind.get("counts_nl" if f.lang == "nl" else "counts_en") or "",
            "numerator": numerator, "denominator": denominator,
            "unit": f.pick(UNITS.get(ind["unit"], (ind["unit"],) * 2)),
            "source": ind.get("source") or MISSING, "version": ind["version"],
            "fingerprint": ind.get("fingerprint") or MISSING})
    out.sort(key=lambda d: (tuple(int(p) for p in d["domain"].split(".") if p.isdigit()),
                            d["key"]))
    return out


def _terms(ind: dict, f: Formatter) -> tuple[str, str]:
    """An indicator's numerator and denominator: the publication's when it holds them, else
    the installed definition's when that has the published version (publications up to now
    hold neither)."""
    if "numerator" in ind:
        return ind["numerator"] or MISSING, ind.get("denominator") or MISSING
    installed = INDICATORS.get(ind["key"])
    if installed is None or installed.version != ind["version"]:
        return f.t("not_recorded"), f.t("not_recorded")
    return installed.numerator, installed.denominator or MISSING


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
            rows.append((y, f.num(int(r["population"])), r["source"], r["status"]))
        else:
            rows.append((y, MISSING, f.t("no_population"), MISSING))
    return rows
