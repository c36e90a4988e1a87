"""Chapter 5, the estimate: the year's estimate with its intervals, the comparison of
estimation methods (analyst part), the estimate by group and the caveats."""

from __future__ import annotations

from typing import Any

from ...monitor import charts, labels
from ..data import ReportData
from ..formatting import INFINITY, MISSING, Numbering
from .strata import strata


def estimate(data: ReportData, n: Numbering) -> dict:
    f, year, est = data.fmt, data.year, data.estimate
    out: dict[str, Any] = {"year": year, "present": bool(est)}
    if est:
        out["intro"] = f.t("estimate_intro") + (
            " " + f.t("estimate_method", method=est["method"]) if est.get("method") else "")
        out["rows"] = _estimate_rows(data, est)
        out["table"] = n.next_table()
    else:
        raw = data.pub.estimates.get(year)
        why = f" ({raw['status']})" if raw and raw.get("status") not in (None, "ok") else ""
        out["note"] = f.t("no_estimate", year=year, why=why)
    out["comparison"] = comparison(data, n)
    if out["comparison"] is None:
        out["no_comparison"] = f.t("no_comparison", year=year)
    out["strata"] = strata(data, n)
    out["caveats"] = caveats(data)
    return out


def _estimate_rows(data: ReportData, est: dict) -> list[tuple[str, str]]:
    f = data.fmt
    rows = []
    if est.get("observed") is not None:
        rows.append((f.t("observed"), f.num(est["observed"])))
    rows.append((f.t("point"), f.num(est["estimate"])))
    if est.get("ci_low") is not None:
        rows.append((f.t("ci_stat"), f.interval(est["ci_low"], est["ci_high"])))
    if est.get("band_low") is not None:
        rows.append((f.t("band"), f.interval(est["band_low"], est["band_high"])))
    if est.get("combined_low") is not None:
        rows.append((f.t("ci_combined"), f.interval(est["combined_low"], est["combined_high"])))
    return rows


def comparison(data: ReportData, n: Numbering) -> dict | None:
    """Every estimation method on the year's table (the analyst part's comparison), or None
    when the publication holds none for the year."""
    f, year = data.fmt, data.year
    comp = data.pub.comparison
    if not comp or comp.get("year") != year:
        return None
    rows = [{
        "method": r["method"],
        "estimate": f.num(r.get("estimate"), "count", MISSING),
        "interval": MISSING if r.get("ci_low") is None else
        f"{f.num(r['ci_low'])}\u2013{f.num(r.get('ci_high'), 'count', INFINITY)}",
        "model": r.get("model") or MISSING,
        "verdicts": [labels.verdict(v, f.lang) for v in r.get("verdicts") or []],
        "ok": (r.get("verdicts") or ["ok"]) == ["ok"],
        "notes": "; ".join(r.get("notes") or [])} for r in comp["rows"]]
    lists = comp.get("lists") or []
    chart = charts.comparison(comp, f.lang)
    return {
        "intro": f.t("comparison_intro", year=year, observed=f.num(comp.get("observed")),
                     lists=len(lists), names=", ".join(lists)),
        "rows": rows, "findings": comp.get("findings") or [],
        "chart": None if chart is None else f.svg(chart),
        "figure": None if chart is None else n.next_figure(),
        "table": n.next_table()}


def caveats(data: ReportData) -> list[list[str]]:
    """What the estimate assumes and what its interval leaves out, as (head, body) pairs."""
    f, est = data.fmt, data.estimate
    texts = [f.t("caveat_heterogeneity"), f.t("caveat_dependence")]
    if est and est.get("band_low") is not None and est.get("combined_low") is not None:
        texts.append(f.t("caveat_linkage_band", low=f.num(est["band_low"]),
                         high=f.num(est["band_high"])))
    else:
        texts.append(f.t("caveat_linkage_none", year=data.year))
    texts += [f.t("caveat_interval"), f.t("caveat_years")]
    return [c.split(". ", 1) for c in texts]
