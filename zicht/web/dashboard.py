"""The monitor's dashboard: pages that read one publication (``zicht monitor publish``).

The file is named by ``ZICHT_PUBLICATION`` (or ``app.state.publication_path``); it is read again
when it changes.  Public pages show only the publication's ``public`` part, which passed
disclosure control; the method comparison (``analyst`` part) needs the analyst role.  Charts are
Vega-Lite specs (Altair) rendered to SVG on the server (vl-convert) and placed in the page with a
text alternative and the same numbers as a table, so they need no JavaScript; the spec travels
along, and static/charts.js replaces the SVG by the interactive chart (tooltips) with the
vendored vega-embed (static/vendor/vega/, no CDN) under the strict Content-Security-Policy.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from ..codes import CARIBBEAN_REGIONS
from ..i18n import format_number, format_percent, translator
from ..monitor import charts, labels
from ..monitor.indicators import format_value
from ..monitor.publication import Publication
from ..monitor.publication import load as load_publication
from .pages import _page, any_page

KEY_INDICATORS = ("registered_persons", "reports", "estimated_victims", "detection_rate",
                  "dark_number", "registered_per_100k", "sdg_16_2_2", "overlap", "minors",
                  "share_obliged", "complaint_filed", "shelter_placed", "completeness")
def _publication_path(request: Request) -> Path | None:
    path = getattr(request.app.state, "publication_path", None) or os.environ.get(
        "ZICHT_PUBLICATION")
    return Path(path) if path else None


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> Publication:
    return load_publication(path)


def publication(request: Request) -> Publication | None:
    path = _publication_path(request)
    if path is None or not path.exists():
        return None
    return _load(str(path), path.stat().st_mtime)


def _chart(chart) -> Markup:
    """An Altair chart or a Vega-Lite dict as the content of a ``<figure class="zicht-chart">``:
    the SVG rendered on the server (hidden from screen readers: the table beside it carries the
    numbers) and the Vega-Lite spec in a JSON script block, which static/charts.js embeds as
    the interactive chart in the SVG's place.  ``<``, ``>`` and ``&`` are escaped inside the
    JSON (``\\u003c`` ...), so no string in the spec can close the script element."""
    spec = json.dumps(charts.spec(chart), ensure_ascii=False, separators=(",", ":"))
    svg = _static_svg(spec)
    spec = spec.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(f'<div class="zicht-chart__static">{svg}</div>\n'
                  f'<script type="application/json" class="zicht-chart-spec">{spec}</script>')


@lru_cache(maxsize=128)
def _static_svg(spec: str) -> str:
    """The server's SVG of a spec (as JSON), kept: the pages draw the same charts from one
    publication on every view, and vl-convert takes most of a page's time."""
    return charts.to_svg(json.loads(spec)).replace(
        "<svg ", '<svg role="img" aria-hidden="true" focusable="false" ', 1)


def _hidden_rows(hidden: dict | None, lang: str) -> dict | None:
    """The sensitivity range for victims no reporter can see, as table rows (share hidden,
    estimate, interval)."""
    if not hidden:
        return None
    return {"year": hidden["year"], "rows": [
        (format_percent(r["share"], lang), _fmt(r["estimate"], "count", lang),
         _interval(r["ci_low"], r["ci_high"], lang)) for r in hidden["rows"]]}


def _interval(low, high, lang: str) -> str:
    """An interval of counts ("3.104 - 5.410"), or "-" without one."""
    if low is None:
        return "-"
    return f"{_fmt(low, 'count', lang)} - {_fmt(high, 'count', lang)}"


def _fmt(value, unit: str, lang: str) -> str:
    if value is None:
        _ = translator(lang)
        return _("suppressed")
    return format_value(value, unit, lang)


def _status(status: str, lang: str) -> Markup:
    """A target's status as a coloured label (the text carries the meaning; colour helps)."""
    text = labels.status(status, lang)
    return Markup('<span class="zicht-status zicht-status--{}">{}</span>').format(
        status.replace(" ", "-"), text)


def _programme_rows(doc: dict, lang: str) -> list[tuple]:
    """Capacity and budget per development line in its latest year with figures (#, line,
    year, FTE, budget in euro)."""
    rows = []
    for p in doc["public"].get("programme") or []:
        year = max(p["years"], key=int)
        cell = p["years"][year]
        fte, budget = cell.get("fte"), cell.get("budget_eur")
        rows.append((p["line"], p[f"line_{lang}"], year,
                     "-" if fte is None else format_value(fte, "ratio", lang),
                     "-" if budget is None else format_value(budget, "count", lang)))
    return rows


def _key_figures(doc: dict, lang: str) -> list[tuple[str, str, str]]:
    """The latest year's four headline figures: (value, label, note)."""
    latest = doc["latest_year"]
    values = {i["key"]: next((v["value"] for v in i["values"] if v["year"] == latest), None)
              for i in doc["public"]["indicators"]}
    e = next((e for e in doc["public"].get("estimates") or [] if e["year"] == latest), {})
    low, high = charts.estimate_interval(e)
    _ = translator(lang)
    interval = _interval(low, high, lang)
    return [
        (_fmt(values.get("registered_persons"), "count", lang),
         _("registered persons"), _("after linking reports")),
        ("-" if e.get("estimate") is None else _fmt(e["estimate"], "count", lang),
         _("estimated victims"), _("95% interval {interval}").format(interval=interval)),
        ("-" if values.get("detection_rate") is None
         else _fmt(values["detection_rate"], "share", lang),
         _("detection rate"), _("registered / estimated")),
        ("-" if values.get("dark_number") is None
         else _fmt(values["dark_number"], "count", lang),
         _("dark number"), _("estimated, not registered")),
    ]


def _series_rows(doc: dict | None, lang: str) -> list[tuple]:
    """The published estimate per year beside one model over all years (year, published,
    interval, series, interval); empty without the series."""
    series = None if doc is None else doc["analyst"].get("series")
    if not series:
        return []
    published = {e["year"]: e for e in doc["public"].get("estimates") or []}
    rows = []
    for y in series["years"]:
        e = published.get(y["year"]) or {}
        low, high = charts.estimate_interval(e)
        rows.append((y["year"], _fmt(e.get("estimate"), "count", lang) if e else "-",
                     _interval(low, high, lang), _fmt(y["estimate"], "count", lang),
                     _interval(y["ci_low"], y["ci_high"], lang)))
    return rows


def _strata_tables(strata: dict | None, lang: str) -> list[dict]:
    """The estimate by stratum: per breakdown its name and rows (level, observed, estimate,
    interval, model or why there is none), the sum of the strata last."""
    if not strata:
        return []

    _ = translator(lang)
    tables = []
    for by, part in strata["by"].items():
        rows = [(labels.level(by, r["level"], lang), _fmt(r["observed"], "count", lang),
                 "-" if r["estimate"] is None else _fmt(r["estimate"], "count", lang),
                 _interval(r["ci_low"], r["ci_high"], lang),
                 r["model"] if r["estimate"] is not None else r["status"])
                for r in part["rows"]]
        total = part.get("total")
        rows.append((_("sum of the groups"),
                     _fmt(sum(r["observed"] for r in part["rows"]), "count", lang),
                     "-" if total is None else _fmt(total["estimate"], "count", lang),
                     "-" if total is None else _interval(total["ci_low"], total["ci_high"],
                                                         lang),
                     "" if total is not None else _(
                         "no sum: not every group has an estimate")))
        tables.append({"by": by, "name": labels.breakdown_name(by, lang), "rows": rows,
                       "note": part.get("note", "")})
    return tables


def _variant_label(label: str, lang: str) -> str:
    """A sensitivity variant's label ("without POL", "ZC and NGO merged", "threshold 0.5")
    in ``lang`` (the labels of ``zicht.mse.sensitivity`` and the linkage band are English)."""
    _ = translator(lang)
    if label == "all lists":
        return _("all lists")
    if label.startswith("without "):
        return _("without {list}").format(list=label[len("without "):])
    merged = re.fullmatch(r"(.+?) and (.+) merged", label)
    if merged:
        return _("{first} and {second} merged").format(first=merged[1], second=merged[2])
    if label.startswith("threshold "):
        value = label[len("threshold "):]
        try:
            value = format_number(float(value), lang)
        except ValueError:
            pass
        return _("threshold {value}").format(value=value)
    return label


def _sensitivity_rows(sens: dict | None, lang: str) -> tuple[list, list]:
    """Table rows of the estimate's sensitivity to the lists and to the linkage: variant,
    observed, estimate, interval, change against the full table (or the chosen linkage), model
    or the reason there is no estimate."""
    if not sens:
        return [], []

    def rows(items: list[dict], base: float | None, model: bool) -> list:
        out = []
        for r in items:
            est = r.get("estimate")
            interval = _interval(r.get("ci_low"), r.get("ci_high"), lang)
            change = "-" if est is None or not base else \
                ("+" if est >= base else "") + format_value(est / base - 1, "share", lang)
            out.append((_variant_label(r["label"] if "label" in r else r["variant"], lang),
                        _fmt(r["observed"], "count", lang),
                        "-" if est is None else _fmt(est, "count", lang), interval, change,
                        (r.get("model") or r.get("note") or "") if model else r.get("note", "")))
        return out

    # changes against the estimate on all lists with the chosen linkage (the first row of the
    # lists' table); the chosen linkage is marked in the linkage table
    lists = sens.get("lists") or []
    base = lists[0]["estimate"] if lists else None
    _ = translator(lang)
    linkage = [{**r, "note": _("the chosen linkage")
                if r["label"] == sens.get("chosen")
                else r.get("note", "")} for r in sens.get("linkage") or []]
    return rows(lists, base, True), rows(linkage, base, False)


def install(app: FastAPI) -> None:
    """Add the dashboard pages to ``app``."""

    @app.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request):
        page = any_page(request)
        doc = publication(request)
        if doc is None:
            return page.render("dashboard.html", doc=None)
        latest = doc["latest_year"]
        indicators = {i["key"]: i for i in doc["public"]["indicators"]}
        rows = []
        for key in KEY_INDICATORS:
            ind = indicators.get(key)
            if ind is None:
                continue
            value = next((v for v in ind["values"] if v["year"] == latest), None)
            rows.append((ind[f"name_{page.lang}"],
                         _fmt(None if value is None else value["value"], ind["unit"], page.lang),
                         ind["version"]))
        series = []
        estimates = {e["year"]: e for e in doc["public"].get("estimates") or []}
        reg = charts.registered_by_year(doc)
        _ = translator(page.lang)
        for year in doc["years"]:
            e = estimates.get(year) or {}
            low, high = charts.estimate_interval(e)
            label = _("{year} (provisional)").format(year=year) if e.get("provisional") \
                else year
            series.append((label, _fmt(reg.get(year), "count", page.lang),
                           _fmt(e.get("estimate"), "count", page.lang) if e else "-",
                           _interval(low, high, page.lang),
                           labels.change(e.get("change"), page.lang)))
        targets = [(t["line"], t[f"line_{page.lang}"],
                    labels.target_indicator(t, indicators, page.lang),
                    _status(t["status"], page.lang),
                    t[f"reason_{page.lang}"])
                   for t in doc["public"]["targets"]]
        return page.render("dashboard.html", doc=doc, latest=latest, indicators=rows,
                       series=series, targets=targets, figures=_key_figures(doc, page.lang),
                       trend=labels.trend(doc.trend, page.lang), span=doc.trend_span(),
                       hidden=_hidden_rows(doc.hidden, page.lang),
                       programme=_programme_rows(doc, page.lang),
                       chart=_chart(charts.overview(doc, page.lang)))

    @app.get("/dashboard/breakdowns", response_class=HTMLResponse, include_in_schema=False)
    def breakdowns(request: Request):
        page = any_page(request)
        doc = publication(request)
        tables = []
        if doc is not None:
            for by, table in doc["public"]["breakdowns"].items():
                name = labels.breakdown_name(by, page.lang)
                named = [labels.level(by, lvl, page.lang) for lvl in table["levels"]]
                rows = []
                for level, counts, total in zip(named, table["counts"],
                                                table["level_totals"], strict=True):
                    rows.append((level, [_fmt(c, "count", page.lang) for c in counts],
                                 _fmt(total, "count", page.lang)))
                totals = [_fmt(c, "count", page.lang) for c in table["year_totals"]]
                trend = charts.trend({**table, "levels": named}, name) \
                    if len(table["years"]) > 1 else None
                trend = None if trend is None else _chart(trend)
                tables.append({"by": by, "name": name, "years": table["years"], "rows": rows,
                               "chart": trend,
                               "totals": totals, "withheld": table.get("withheld_years", []),
                               "caribbean": by == "region" and any(
                                   lvl in CARIBBEAN_REGIONS for lvl in table["levels"])})
        return page.render("dashboard_breakdowns.html", doc=doc, tables=tables)

    @app.get("/dashboard/overlap", response_class=HTMLResponse, include_in_schema=False)
    def overlap(request: Request):
        page = any_page(request)
        doc = publication(request)
        public = None if doc is None else doc["public"]["overlap"]
        rows, chart = [], None
        if public and not public.get("withheld"):
            combos = public["combinations"]
            rows = [(f"{labels.reporters(c['reporters'], page.lang)} ({c['reporters']})",
                     _fmt(c["persons"], "count", page.lang)) for c in combos]
            shown = [c for c in combos if c["persons"] is not None][:15]
            if shown:
                chart = _chart(charts.upset(shown, page.lang))
        return page.render("dashboard_overlap.html", doc=doc, overlap=public, rows=rows,
                       chart=chart)

    @app.get("/dashboard/whatif", response_class=HTMLResponse, include_in_schema=False)
    def whatif_page(request: Request, category: str | None = None, rate: str | None = None,
                    replicates: str = "20"):
        # simulations cost seconds of CPU: for analysts, not for anonymous visitors
        page = _page(request, "analyst")
        from ..monitor.whatif import WhatIfError, fitted_scenario, whatif

        # the scenario fitted to the publication's latest estimated year, when it has one
        doc = publication(request)
        scenario, fitted = fitted_scenario(None if doc is None else doc.calibration)
        _ = page._
        options = [(c, f"{c} ({format_percent(r.rate, page.lang, decimals=2)})")
                   for c, r in scenario.reporters.items()]
        errors, result = [], None
        if category is not None:
            value = _rate(rate)
            reps = (int(replicates) if replicates.isascii() and replicates.isdigit()
                    and len(replicates) < 6 else 0)
            if value is None or not 0 < value < 1:
                errors.append(("rate", _("Give a rate between 0 and 1.")))
            if not 1 <= reps <= 100:
                errors.append(("replicates", _("Choose 1 to 100 years.")))
            if not errors:
                try:
                    result = whatif(scenario, category, rate=value, replicates=reps)
                except WhatIfError as exc:
                    errors.append(("category", str(exc)))
        rows = [] if result is None else result.table(page.lang)
        sentence = None if result is None else result.narrowing_text(page.lang)
        status = 422 if errors else 200
        return page.render("dashboard_whatif.html", status,
                           options=options,
                           category=category, rate=rate, replicates=replicates, errors=errors,
                           rows=rows, sentence=sentence, result=result,
                           scenario=_("nl-baseline, fitted to {year}").format(
                               year=fitted["year"]) if fitted
                           else scenario.name, fitted=fitted,
                           fmt_count=lambda x: _fmt(x, "count", page.lang))

    @app.get("/dashboard/methods", response_class=HTMLResponse, include_in_schema=False)
    def methods(request: Request):
        page = _page(request, "analyst")
        doc = publication(request)
        comparison = None if doc is None else doc["analyst"].get("comparison")
        rows, chart = [], None
        if comparison:
            for r in comparison["rows"]:
                interval = _interval(r["ci_low"], r["ci_high"], page.lang)
                rows.append((r["method"], "-" if r["estimate"] is None else
                             _fmt(r["estimate"], "count", page.lang), interval, r["model"],
                             ", ".join(labels.verdict(v, page.lang) for v in r["verdicts"]),
                             "; ".join(r["notes"])))
            drawn = charts.comparison(comparison, page.lang)  # None: no method estimated
            chart = None if drawn is None else _chart(drawn)
        by_lists, by_linkage = _sensitivity_rows((comparison or {}).get("sensitivity"),
                                                 page.lang)
        strata = _strata_tables(None if doc is None else doc["analyst"].get("strata"),
                                page.lang)
        return page.render("dashboard_methods.html", doc=doc, comparison=comparison,
                       rows=rows, chart=chart, by_lists=by_lists, by_linkage=by_linkage,
                       strata=strata, series=_series_rows(doc, page.lang))


def _rate(text: str | None) -> float | None:
    """A detection rate as people type it: 0.1, 0,1, 10% or 10 % (a percentage is divided by
    100); None for anything else (ASCII digits only)."""
    text = (text or "").strip().replace(" ", "").replace(",", ".")
    percent = text.endswith("%")
    number = text[:-1] if percent else text
    if not re.fullmatch(r"[0-9]*\.?[0-9]+", number):
        return None
    value = float(number)
    return value / 100 if percent else value
