"""Chapter 5, the estimate: the year's estimate with its intervals, the comparison of
estimation methods (analyst part), the estimate by group and the caveats."""

from __future__ import annotations

from typing import Any

from ...i18n import N_, format_percent
from ...monitor import charts, labels
from ...monitor.mse_labels import method_name, mse_text
from ..data import ReportData
from ..formatting import INFINITY, MISSING, Numbering
from .strata import strata

INTRO = N_("The total number of victims is estimated with multiple systems estimation "
           "(capture-recapture): how often the same persons are seen by different reporters "
           "tells how many no one saw.")
COMPARISON = N_("Every method was applied to the same table of {year} ({observed} persons on "
                "{lists} lists: {names}). The verdict per method says what a reader must know "
                "before using the number; the spread between the methods shows how much the "
                "answer depends on the choice of model.")
# caveats: "Head. Body", printed with the head in bold
HETEROGENEITY = N_(
    "Heterogeneity. The estimate assumes that victims are about equally visible to a reporter, "
    "or that the model captures the differences. When some victims are hard to see for every "
    "reporter, for instance because they never meet any organisation, the estimate is too low, "
    "and so is its interval.")
DEPENDENCE = N_(
    "Cooperation between reporters. Organisations that refer victims to each other see the "
    "same persons more often. The models allow for such pairs of reporters; a stronger or "
    "different dependence than the model allows biases the estimate.")
LINKAGE_BAND = N_(
    "Linkage uncertainty. Reports are linked into persons on encrypted identifiers. A missed "
    "link turns one person into two and shrinks the overlap, so the estimate rises; a false "
    "link does the opposite. The interval above includes this uncertainty (the linkage band "
    "{low} to {high}).")
LINKAGE_NONE = N_(
    "Linkage uncertainty. Reports are linked into persons on encrypted identifiers. A missed "
    "link turns one person into two and shrinks the overlap, so the estimate rises; a false "
    "link does the opposite. The interval of {year} does not include this uncertainty.")
INTERVAL = N_(
    "What the interval does not include. The 95% interval gives the statistical uncertainty "
    "under the chosen model. It does not include the choice of model (see the comparison of "
    "methods), victims whom no reporter can see, changes in how organisations report from one "
    "year to the next, or errors in the reported data. The true number can therefore lie "
    "outside the interval.")
INTERVAL_BOOTSTRAP = N_(
    "What the interval does not include. The 95% interval holds the statistical uncertainty "
    "and the choice of model: the bootstrap chooses the model again in every replicate. It "
    "does not include victims whom no reporter can see, changes in how organisations report "
    "from one year to the next, or errors in the reported data. The true number can therefore "
    "lie outside the interval.")
YEARS = N_(
    "Comparing years. Each year is estimated on its own. The change from the year before has "
    "an interval of its own; a change whose interval includes zero is reported as no "
    "significant change, however large it looks. The latest year is provisional: reports that "
    "arrive late can still change it.")
TREND = N_(
    "The trend. The trend over the years comes from one log-linear model fitted to all years at "
    "once, with the year as a covariate. It follows a change over the years more precisely than "
    "the single years can, whose intervals are wide; it does not include the linkage "
    "uncertainty.")
HIDDEN = N_(
    "Victims no reporter can see. The estimate includes the victims that no reporter happened "
    "to see, but the overlap between the reporters cannot reveal victims whom every reporter "
    "sees much less often, or cannot see at all: they are missing from the estimate and from "
    "its interval. In zicht's simulations with such a group the estimate was 6 to 40% too low. "
    "The table's rows 'Estimate if ...' show the number if a share of the victims cannot be "
    "seen by any reporter.")


def estimate(data: ReportData, n: Numbering) -> dict:
    _, year, est = data.fmt._, data.year, data.estimate
    out: dict[str, Any] = {"year": year, "present": bool(est)}
    if est:
        out["intro"] = _(INTRO)
        if est.get("method"):
            out["intro"] += " " + _("Method used: {method}.").format(method=est["method"])
        out["rows"] = _estimate_rows(data, est)
        out["table"] = n.next_table()
    else:
        raw = data.pub.estimates.get(year)
        why = f" ({raw['status']})" if raw and raw.get("status") not in (None, "ok") else ""
        out["note"] = _("The publication holds no estimate for {year}{why}.").format(year=year,
                                                                                    why=why)
    out["comparison"] = comparison(data, n)
    if out["comparison"] is None:
        out["no_comparison"] = _("The publication holds no comparison of estimation methods "
                                 "for {year}.").format(year=year)
    out["strata"] = strata(data, n)
    out["caveats"] = caveats(data)
    return out


def _estimate_rows(data: ReportData, est: dict) -> list[tuple[str, str]]:
    f, _ = data.fmt, data.fmt._
    rows = []
    if est.get("observed") is not None:
        rows.append((_("Registered persons in the estimate"), f.num(est["observed"])))
    rows.append((_("Estimate"), f.num(est["estimate"])))
    if est.get("ci_low") is not None:
        rows.append((_("95% interval (statistical)"),
                     f.interval(est["ci_low"], est["ci_high"])))
    if est.get("band_low") is not None:
        rows.append((_("Linkage band (estimate over plausible linkages)"),
                     f.interval(est["band_low"], est["band_high"])))
    if est.get("combined_low") is not None:
        rows.append((_("95% interval including linkage uncertainty"),
                     f.interval(est["combined_low"], est["combined_high"])))
    if est.get("change"):
        rows.append((_("Change from {year}").format(year=data.year - 1),
                     labels.change(est["change"], f.lang, interval_word=True)))
    if est.get("provisional"):
        rows.append((_("Status"), _("provisional: late reports can still change it")))
    if _shows_trend(data):
        first, last = data.pub.trend_span()
        rows.append((_("Trend {first}\u2013{last}").format(first=first, last=last),
                     labels.trend(data.pub.trend, f.lang) or MISSING))
    if _shows_hidden(data):
        for r in data.pub.hidden["rows"]:
            rows.append((_("Estimate if {share} of the victims cannot be seen by any "
                           "reporter").format(share=format_percent(r["share"], f.lang)),
                         _("{estimate} (95% interval {interval})").format(
                             estimate=f.num(r["estimate"]),
                             interval=f.interval(r["ci_low"], r["ci_high"]))))
    return rows


def _shows_trend(data: ReportData) -> bool:
    """The trend spans the publication's years: printed in the report of the last year it
    spans."""
    span = data.pub.trend_span()
    return span is not None and span[1] == data.year


def _shows_hidden(data: ReportData) -> bool:
    """The range for victims no reporter can see is of one year (the latest estimated)."""
    hidden = data.pub.hidden
    return bool(hidden) and hidden.get("year") == data.year


def comparison(data: ReportData, n: Numbering) -> dict | None:
    """Every estimation method on the year's table (the analyst part's comparison), or None
    when the publication holds none for the year."""
    f, _, year = data.fmt, data.fmt._, data.year
    comp = data.pub.comparison
    if not comp or comp.get("year") != year:
        return None
    rows = [{
        "method": method_name(r["method"], f.lang),
        "estimate": f.num(r.get("estimate"), "count", MISSING),
        "interval": MISSING if r.get("ci_low") is None else
        f"{f.num(r['ci_low'])}\u2013{f.num(r.get('ci_high'), 'count', INFINITY)}",
        "model": mse_text(r.get("model") or "", f.lang) or MISSING,
        "verdicts": [labels.verdict(v, f.lang) for v in r.get("verdicts") or []],
        "ok": (r.get("verdicts") or ["ok"]) == ["ok"],
        "notes": "; ".join(mse_text(t, f.lang) for t in r.get("notes") or [])}
        for r in comp["rows"]]
    lists = comp.get("lists") or []
    chart = charts.comparison(comp, f.lang)
    return {
        "intro": _(COMPARISON).format(year=year, observed=f.num(comp.get("observed")),
                                      lists=len(lists), names=", ".join(lists)),
        "rows": rows, "findings": [mse_text(t, f.lang) for t in comp.get("findings") or []],
        "chart": None if chart is None else f.svg(chart),
        "figure": None if chart is None else n.next_figure(),
        "table": n.next_table()}


def caveats(data: ReportData) -> list[list[str]]:
    """What the estimate assumes and what its interval leaves out, as (head, body) pairs."""
    f, _, est = data.fmt, data.fmt._, data.estimate
    texts = [_(HETEROGENEITY), _(DEPENDENCE)]
    if est and est.get("band_low") is not None and est.get("combined_low") is not None:
        texts.append(_(LINKAGE_BAND).format(low=f.num(est["band_low"]),
                                            high=f.num(est["band_high"])))
    else:
        texts.append(_(LINKAGE_NONE).format(year=data.year))
    bootstrap = bool(est) and est.get("interval") == "bootstrap"
    texts += [_(INTERVAL_BOOTSTRAP if bootstrap else INTERVAL), _(YEARS)]
    if _shows_trend(data) and (data.pub.trend or {}).get("from") == "series":
        texts.append(_(TREND))
    if est and _shows_hidden(data):
        texts.append(_(HIDDEN))
    return [c.split(". ", 1) for c in texts]
