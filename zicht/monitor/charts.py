"""The publication's charts as Vega-Lite specs (Altair), shared by the dashboard and the report.

Each builder takes parts of a publication (``zicht monitor publish``) and returns an Altair
chart; :func:`to_svg` renders one on the server (vl-convert) for the report and for pages
read without JavaScript.  Colours are the dashboard's: the registered count in the theme's
blue, the estimate in a contrasting purple.
"""

from __future__ import annotations

import pandas as pd

from ..i18n import N_, number_symbols, translator
from .mse_labels import method_name

BLUE, PURPLE, GREY = "#01689b", "#8b4a6a", "#d9d9d9"
# axis and tooltip titles (English msgids; the catalogue holds the Dutch)
LABELS = {"year": N_("year"), "persons": N_("persons"), "registered": N_("registered"),
          "estimated": N_("estimated"), "method": N_("method"), "family": N_("family"),
          "verdict": N_("verdict"), "low": "95% -", "high": "95% +",
          "log_size": N_("population size (log scale)"), "suppressed": N_("suppressed"),
          "combination": N_("combination")}
# the estimator families of zicht.mse.compare (their names are msgids) and their colours
FAMILIES = {N_("log-linear"): BLUE, N_("log-linear with covariates"): "#42145f",
            N_("classical (Rcapture)"): "#e17000", N_("graph averaging (dga)"): "#39870c",
            N_("latent classes"): PURPLE}


def _label(key: str, lang: str) -> str:
    return translator(lang)(LABELS[key])


def registered_by_year(doc: dict) -> dict[int, float | None]:
    """The published number of registered persons per year."""
    return {v["year"]: v["value"] for i in doc["public"]["indicators"]
            if i["key"] == "registered_persons" for v in i["values"]}


def estimate_interval(e: dict) -> tuple[float | None, float | None]:
    """An estimate's published interval: the combined (statistical + linkage) band when the
    publication has one, else the statistical interval."""
    low = e.get("combined_low") if e.get("combined_low") is not None else e.get("ci_low")
    high = e.get("combined_high") if e.get("combined_high") is not None else e.get("ci_high")
    return low, high


def overview(doc: dict, lang: str = "nl", width: int = 520, height: int = 280):
    """Registered persons per year (bars) with the estimate and its interval (point, rule):
    the tip of the iceberg."""
    import altair as alt

    reg = pd.DataFrame([{"year": str(y), "persons": v}
                        for y, v in registered_by_year(doc).items() if v is not None])
    x = alt.X("year:O", title=_label("year", lang), axis=alt.Axis(labelAngle=0))
    layers = [alt.Chart(reg).mark_bar(color=BLUE).encode(
        x=x, y=alt.Y("persons:Q", title=None),
        tooltip=[alt.Tooltip("year:O", title=_label("year", lang)),
                 alt.Tooltip("persons:Q", title=_label("registered", lang), format=",.0f")])]
    rows = []
    for e in doc["public"].get("estimates") or []:
        if e.get("estimate") is not None:
            low, high = estimate_interval(e)
            rows.append({"year": str(e["year"]), "estimate": e["estimate"], "low": low,
                         "high": high})
    if rows:
        est = pd.DataFrame(rows)
        tip = [alt.Tooltip("year:O", title=_label("year", lang)),
               alt.Tooltip("estimate:Q", title=_label("estimated", lang), format=",.0f"),
               alt.Tooltip("low:Q", title="95% -", format=",.0f"),
               alt.Tooltip("high:Q", title="95% +", format=",.0f")]
        layers.append(alt.Chart(est).mark_rule(color=PURPLE, strokeWidth=2).encode(
            x=x, y="low:Q", y2="high:Q", tooltip=tip))
        layers.append(alt.Chart(est).mark_point(color=PURPLE, filled=True, size=70).encode(
            x=x, y="estimate:Q", tooltip=tip))
    return alt.layer(*layers).properties(width=width, height=height)


def trend(table: dict, name: str, width: int = 460, height: int = 220, lang: str = "nl"):
    """Registered persons per year of one breakdown, a line per level.  A suppressed count is
    not left out silently (a line would seem to start or stop there): the line is broken at it,
    a dashed line bridges the gap between the published neighbours and a hollow marker stands
    at the suppressed year (between its neighbours, or level with the one neighbour at the
    start or end of a series; its height is no value), listed in the legend as "suppressed".
    None when nothing is published."""
    import altair as alt

    points, bridges, marks = [], [], []
    for level, counts in zip(table["levels"], table["counts"], strict=True):
        years = [str(y) for y in table["years"]]
        shown = [i for i, c in enumerate(counts) if c is not None]
        run = 0
        for i, c in enumerate(counts):
            if c is None:
                run += 1
                before = [j for j in shown if j < i]
                after = [j for j in shown if j > i]
                if not before and not after:
                    continue
                a, b = (before or after)[-1 if before else 0], (after or before)[0 if after
                                                                              else -1]
                y = counts[a] if a == b else counts[a] + (counts[b] - counts[a]) * (i - a) / (
                    b - a)
                marks.append({"year": years[i], "level": level, "persons": y,
                              "status": _label("suppressed", lang)})
                continue
            points.append({"year": years[i], "level": level, "persons": c,
                           "segment": f"{level}/{run}"})
        for a, b in zip(shown, shown[1:], strict=False):
            if b > a + 1:
                bridges += [{"year": years[j], "level": level, "persons": counts[j],
                             "gap": f"{level}/{a}"} for j in (a, b)]
    if not points:
        return None
    x = alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0),
              scale=alt.Scale(domain=[str(y) for y in table["years"]]))
    y = alt.Y("persons:Q", title=None)
    color = alt.Color("level:N", title=name, scale=alt.Scale(domain=list(table["levels"])))
    tip = [alt.Tooltip("year:O", title=_label("year", lang)), alt.Tooltip("level:N", title=name),
           alt.Tooltip("persons:Q", title=_label("persons", lang), format=",.0f")]
    layers = [alt.Chart(pd.DataFrame(points)).mark_line(point=True).encode(
        x=x, y=y, color=color, detail="segment:N", tooltip=tip)]
    if bridges:
        layers.append(alt.Chart(pd.DataFrame(bridges)).mark_line(
            strokeDash=[3, 3], strokeWidth=1).encode(x=x, y=y, color=color, detail="gap:N"))
    if marks:
        layers.append(alt.Chart(pd.DataFrame(marks)).mark_point(
            filled=False, size=80, strokeWidth=2).encode(
            x=x, y=y, color=color,
            shape=alt.Shape("status:N", title=None, scale=alt.Scale(
                domain=[_label("suppressed", lang)], range=["circle"])),
            tooltip=[alt.Tooltip("year:O", title=_label("year", lang)),
                     alt.Tooltip("level:N", title=name),
                     alt.Tooltip("status:N", title=_label("persons", lang))]))
    return alt.layer(*layers).properties(width=width, height=height)


def suppressed_points(table: dict) -> list[tuple[str, list[int]]]:
    """The suppressed counts of a breakdown, for the chart's text alternative: (level, years)
    for every level with one."""
    return [(level, [int(y) for y, c in zip(table["years"], counts, strict=True) if c is None])
            for level, counts in zip(table["levels"], table["counts"], strict=True)
            if any(c is None for c in counts)]


def upset(combos: list[dict], lang: str = "nl", width: int = 460):
    """UpSet-style: a bar per combination of reporter categories (largest first) above a dot
    matrix marking which categories are in it."""
    import altair as alt

    order = [c["reporters"] for c in combos]
    reporters = sorted({r for c in combos for r in c["reporters"].split("+")})
    bars = pd.DataFrame({"combination": order, "persons": [c["persons"] for c in combos]})
    dots = pd.DataFrame([{"combination": c["reporters"], "reporter": r,
                          "member": r in c["reporters"].split("+")}
                         for c in combos for r in reporters])
    x = alt.X("combination:N", sort=order, axis=None)
    top = alt.Chart(bars).mark_bar(color=BLUE).encode(
        x=x, y=alt.Y("persons:Q", title=_label("persons", lang)),
        tooltip=[alt.Tooltip("combination:N", title=_label("combination", lang)),
                 alt.Tooltip("persons:Q", title=_label("persons", lang), format=",.0f")],
    ).properties(width=width, height=200)
    matrix = alt.Chart(dots).mark_circle(size=90).encode(
        x=x, y=alt.Y("reporter:N", title=None, sort=reporters),
        color=alt.condition(alt.datum.member, alt.value(BLUE), alt.value(GREY)),
    ).properties(width=width, height=18 * len(reporters))
    return alt.vconcat(top, matrix, spacing=4)


def comparison(comp: dict, lang: str = "nl", width: int = 440):
    """The publication's method comparison (``analyst.comparison``) in either language: per
    method a line over its interval and a point at the estimate (a triangle when the method
    carries a verdict), on a log scale, the observed number as a dashed rule.  None when no
    method gave an estimate."""
    import altair as alt

    rows = [r for r in comp.get("rows") or [] if r.get("estimate") is not None]
    if not rows:
        return None

    def family(f: str) -> str:
        return translator(lang)(f) if f in FAMILIES else f

    frame = pd.DataFrame([{
        "method": method_name(r["method"], lang), "family": family(r.get("family") or ""),
        "estimate": r["estimate"],
        "low": r["ci_low"] if r.get("ci_low") is not None else r["estimate"],
        "high": r["ci_high"] if r.get("ci_high") is not None else r["estimate"],
        "ok": (r.get("verdicts") or ["ok"]) == ["ok"],
        "verdict": ", ".join(r.get("verdicts") or ["ok"])} for r in rows])
    order = list(frame["method"])
    families = {r.get("family") or "" for r in rows}
    present = [f for f in FAMILIES if f in families]  # fixed colours, listed in this order
    present += sorted(families - set(FAMILIES))
    observed = comp.get("observed") or float(frame[["estimate", "low"]].min().min())
    floor = max(1.0, 0.8 * min(observed, float(frame[["estimate", "low"]].min().min())))
    top = 1.1 * max(observed, float(frame[["estimate", "high"]].max().max()))
    scale = alt.Scale(type="log", domain=[floor, top])
    y = alt.Y("method:N", sort=order, title=None)
    color = alt.Color("family:N", title=_label("family", lang),
                      scale=alt.Scale(domain=[family(f) for f in present],
                                      range=[FAMILIES.get(f, GREY) for f in present]),
                      legend=alt.Legend(orient="bottom", columns=3))
    tip = [alt.Tooltip("method:N", title=_label("method", lang)),
           alt.Tooltip("family:N", title=_label("family", lang)),
           alt.Tooltip("estimate:Q", title=_label("estimated", lang), format=",.0f"),
           alt.Tooltip("low:Q", title=_label("low", lang), format=",.0f"),
           alt.Tooltip("high:Q", title=_label("high", lang), format=",.0f"),
           alt.Tooltip("verdict:N", title=_label("verdict", lang))]
    lines = alt.Chart(frame).mark_rule(strokeWidth=2).encode(
        x=alt.X("low:Q", scale=scale, title=_label("log_size", lang)), x2="high:Q", y=y,
        color=color, tooltip=tip)
    points = alt.Chart(frame).mark_point(filled=True, size=60, opacity=1).encode(
        x=alt.X("estimate:Q", scale=scale, title=_label("log_size", lang)), y=y, color=color,
        tooltip=tip,
        shape=alt.condition(alt.datum.ok, alt.value("circle"), alt.value("triangle-up")))
    rule = alt.Chart(pd.DataFrame({"estimate": [observed]})).mark_rule(
        color="black", strokeDash=[4, 4]).encode(
        x=alt.X("estimate:Q", scale=scale, title=_label("log_size", lang)))
    return alt.layer(rule, lines, points).properties(width=width,
                                                     height=max(120, 20 * len(rows)))


def spec(chart) -> dict:
    """A chart (Altair or an already built Vega-Lite dict) as a Vega-Lite dict."""
    return chart if isinstance(chart, dict) else chart.to_dict()


def number_locale(lang: str) -> dict:
    """The number format of Vega's axes and labels (a d3 locale) with the language's decimal
    sign and digit grouping: 1.234,5 in Dutch."""
    symbols = number_symbols(lang)
    return {"decimal": symbols["decimal"], "thousands": symbols["group"], "grouping": [3],
            "currency": ["", ""]}


def localized(chart, lang: str) -> dict:
    """A chart's Vega-Lite dict whose numbers read in ``lang`` (``config.locale``), on the
    server's SVG as in the browser."""
    out = spec(chart)
    config = out.get("config") or {}
    return {**out, "config": {**config, "locale": {**config.get("locale", {}),
                                                   "number": number_locale(lang)}}}


def to_svg(chart) -> str:
    """Render on the server with vl-convert (no browser, no network)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(spec(chart))


def protection_gaps(cells: list[dict], outcomes: dict[str, str], lang: str = "nl",
                    width: int = 460, height: int = 240):
    """The gap between persons with and without a complaint per year (percentage points), a
    point and its interval per outcome, and the zero line: an interval that crosses it shows
    no gap.  ``cells`` are ``public.protection``'s rows of everyone (no breakdown);
    ``outcomes`` names each outcome (msgids)."""
    import altair as alt

    _ = translator(lang)
    rows = [{"year": str(c["year"]), "outcome": _(outcomes[c["outcome"]]),
             "gap": 100 * c["gap"], "low": 100 * c["low"], "high": 100 * c["high"]}
            for c in cells if c.get("gap") is not None and c["outcome"] in outcomes]
    frame = pd.DataFrame(rows, columns=["year", "outcome", "gap", "low", "high"])
    points = _("percentage points")
    x = alt.X("year:O", title=_label("year", lang), axis=alt.Axis(labelAngle=0))
    color = alt.Color("outcome:N", title=None, legend=alt.Legend(orient="bottom", columns=2),
                      scale=alt.Scale(range=[BLUE, PURPLE, "#e17000", "#39870c"]))
    tip = [alt.Tooltip("year:O", title=_label("year", lang)),
           alt.Tooltip("outcome:N", title=_("outcome")),
           alt.Tooltip("gap:Q", title=points, format="+.1f"),
           alt.Tooltip("low:Q", title="95% -", format="+.1f"),
           alt.Tooltip("high:Q", title="95% +", format="+.1f")]
    zero = alt.Chart(pd.DataFrame({"zero": [0]})).mark_rule(color=GREY, strokeWidth=2).encode(
        y="zero:Q")
    base = alt.Chart(frame)
    rules = base.mark_rule(strokeWidth=2).encode(
        x=x, xOffset="outcome:N", y=alt.Y("low:Q", title=points), y2="high:Q", color=color,
        tooltip=tip)
    dots = base.mark_point(filled=True, size=60, opacity=1).encode(
        x=x, xOffset="outcome:N", y="gap:Q", color=color, tooltip=tip)
    return alt.layer(zero, rules, dots).properties(width=width, height=height)


def modus_trends(trends: list[dict], names: dict[tuple[str, str], str], lang: str = "nl",
                 width: int = 420):
    """The change a year of each means of control and recruiter relation (percentage points),
    a point and its 95 % interval per code, sorted by the change, and the zero line: an
    interval that crosses it shows no trend.  ``trends`` are ``public.modus.trends`` (the
    suppressed left out); ``names`` gives each (kind, code) its label."""
    import altair as alt

    _ = translator(lang)
    rows = [{"code": names[(t["kind"], t["code"])], "slope": 100 * t["slope"],
             "low": 100 * t["low"], "high": 100 * t["high"],
             "found": _("trend") if t["found"] else _("no trend shown")}
            for t in trends if t.get("slope") is not None]
    frame = pd.DataFrame(rows, columns=["code", "slope", "low", "high", "found"])
    order = frame.sort_values("slope")["code"].tolist()
    points = _("percentage points a year")
    y = alt.Y("code:N", title=None, sort=order)
    color = alt.Color("found:N", title=None, legend=alt.Legend(orient="bottom"),
                      scale=alt.Scale(domain=[_("trend"), _("no trend shown")],
                                      range=[BLUE, "#696969"]))
    tip = [alt.Tooltip("code:N", title=_("code")),
           alt.Tooltip("slope:Q", title=points, format="+.1f"),
           alt.Tooltip("low:Q", title="95% -", format="+.1f"),
           alt.Tooltip("high:Q", title="95% +", format="+.1f")]
    zero = alt.Chart(pd.DataFrame({"zero": [0]})).mark_rule(color=GREY, strokeWidth=2).encode(
        x="zero:Q")
    base = alt.Chart(frame)
    rules = base.mark_rule(strokeWidth=2).encode(
        y=y, x=alt.X("low:Q", title=points), x2="high:Q", color=color, tooltip=tip)
    dots = base.mark_point(filled=True, size=50, opacity=1).encode(
        y=y, x="slope:Q", color=color, tooltip=tip)
    return alt.layer(zero, rules, dots).properties(width=width, height=14 * max(len(rows), 1))
