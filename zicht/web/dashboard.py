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
from ..monitor import charts, labels, pooling
from ..monitor.capacity import published_view as capacity_view
from ..monitor.indicators import format_value
from ..monitor.mse_labels import method_name, mse_text
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


def _chart(chart, lang: str) -> Markup:
    """An Altair chart or a Vega-Lite dict as the content of a ``<figure class="zicht-chart">``:
    the SVG rendered on the server (hidden from screen readers: the table beside it carries the
    numbers) and the Vega-Lite spec in a JSON script block, which static/charts.js embeds as
    the interactive chart in the SVG's place.  ``<``, ``>`` and ``&`` are escaped inside the
    JSON (``\\u003c`` ...), so no string in the spec can close the script element.  Numbers
    read in ``lang`` on both (:func:`charts.localized`)."""
    spec = json.dumps(charts.localized(chart, lang), ensure_ascii=False, separators=(",", ":"))
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


def interval_name(e: dict, lang: str) -> str:
    """The name of the interval :func:`charts.estimate_interval` gives for ``e``: the one that
    carries the linkage's uncertainty too, or the model's alone (two different figures, two
    names; the methods page defines both)."""
    _ = translator(lang)
    if e.get("combined_low") is not None:
        return _("95% interval incl. linkage")
    return _("95% model interval")


def _key_figures(doc: dict, lang: str) -> list[tuple[str, str, str, str]]:
    """The latest year's four headline figures: (value, label, note, key of its definition on
    the methods page)."""
    latest = doc["latest_year"]
    values = {i["key"]: next((v["value"] for v in i["values"] if v["year"] == latest), None)
              for i in doc["public"]["indicators"]}
    e = next((e for e in doc["public"].get("estimates") or [] if e["year"] == latest), {})
    low, high = charts.estimate_interval(e)
    _ = translator(lang)
    interval = _interval(low, high, lang)
    return [
        (_fmt(values.get("registered_persons"), "count", lang),
         _("registered persons"), _("after linking reports"), "registered_persons"),
        ("-" if e.get("estimate") is None else _fmt(e["estimate"], "count", lang),
         _("estimated victims"), f"{interval_name(e, lang)}: {interval}", "estimated_victims"),
        ("-" if values.get("detection_rate") is None
         else _fmt(values["detection_rate"], "share", lang),
         _("detection rate"), _("registered / estimated"), "detection_rate"),
        ("-" if values.get("dark_number") is None
         else _fmt(values["dark_number"], "count", lang),
         _("dark number"), _("estimated, not registered"), "dark_number"),
    ]


def overview_rows(doc: Publication, lang: str) -> list[tuple]:
    """The overview's table: per year registered, estimated, its interval and the change from
    the year before (the latest year marked provisional)."""
    estimates = {e["year"]: e for e in doc["public"].get("estimates") or []}
    reg = charts.registered_by_year(doc)
    _ = translator(lang)
    rows = []
    for year in doc["years"]:
        e = estimates.get(year) or {}
        low, high = charts.estimate_interval(e)
        label = _("{year} (provisional)").format(year=year) if e.get("provisional") else year
        rows.append((label, _fmt(reg.get(year), "count", lang),
                     _fmt(e.get("estimate"), "count", lang) if e else "-",
                     _interval(low, high, lang), labels.change(e.get("change"), lang)))
    return rows


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
                 mse_text(r["model"] if r["estimate"] is not None else r["status"], lang))
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
                       "note": mse_text(part.get("note", ""), lang)})
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
                        mse_text((r.get("model") or r.get("note") or "") if model
                                 else r.get("note", ""), lang)))
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
            rows.append((Markup('<a class="utrecht-link utrecht-link--html-a" '
                                'href="/methods#def-{}">{}</a>').format(key,
                                                                       ind[f"name_{page.lang}"]),
                         _fmt(None if value is None else value["value"], ind["unit"], page.lang),
                         ind["version"]))
        series = overview_rows(doc, page.lang)
        estimates = {e["year"]: e for e in doc["public"].get("estimates") or []}
        targets = [(t["line"], t[f"line_{page.lang}"],
                    labels.target_indicator(t, indicators, page.lang),
                    _status(t["status"], page.lang),
                    t[f"reason_{page.lang}"])
                   for t in doc["public"]["targets"]]
        latest_estimate = estimates.get(latest) or {}
        return page.render("dashboard.html", doc=doc, latest=latest, indicators=rows,
                       interval_label=interval_name(latest_estimate, page.lang),
                       series=series, targets=targets, figures=_key_figures(doc, page.lang),
                       trend=labels.trend(doc.trend, page.lang), span=doc.trend_span(),
                       hidden=_hidden_rows(doc.hidden, page.lang),
                       programme=_programme_rows(doc, page.lang),
                       capacity=capacity_view(doc["public"], page.lang),
                       chart=_chart(charts.overview(doc, page.lang), page.lang))

    @app.get("/dashboard/breakdowns", response_class=HTMLResponse, include_in_schema=False)
    def breakdowns(request: Request):
        page = any_page(request)
        doc = publication(request)
        tables = [] if doc is None else [_breakdown_table(by, table, page.lang)
                                         for by, table in doc["public"]["breakdowns"].items()]
        groups = None if doc is None else _group_tables(doc, page.lang)
        return page.render("dashboard_breakdowns.html", doc=doc, tables=tables, groups=groups)

    @app.get("/dashboard/overlap", response_class=HTMLResponse, include_in_schema=False)
    def overlap(request: Request):
        page = any_page(request)
        doc = publication(request)
        public = None if doc is None else doc["public"]["overlap"]
        rows, chart = [], None
        if public and not public.get("withheld"):
            combos = public["combinations"]
            rows = [_combination_row(c["reporters"], c["persons"], page.lang) for c in combos]
            # the UpSet chart draws the combinations themselves; the pools are in the table
            shown = [c for c in combos if c["persons"] is not None
                     and not pooling.is_pool(c["reporters"])][:15]
            if shown:
                chart = _chart(charts.upset(shown, page.lang), page.lang)
        return page.render("dashboard_overlap.html", doc=doc, overlap=public, rows=rows,
                           chart=chart, pooled=any(pooling.is_pool(c["reporters"])
                                                   for c in (public or {}).get("combinations")
                                                   or []),
                           suppressed=sum(c["persons"] is None
                                          for c in (public or {}).get("combinations") or []))

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
                rows.append((method_name(r["method"], page.lang), "-" if r["estimate"] is None
                             else _fmt(r["estimate"], "count", page.lang), interval,
                             mse_text(r["model"], page.lang),
                             ", ".join(labels.verdict(v, page.lang) for v in r["verdicts"]),
                             "; ".join(mse_text(n, page.lang) for n in r["notes"])))
            drawn = charts.comparison(comparison, page.lang)  # None: no method estimated
            chart = None if drawn is None else _chart(drawn, page.lang)
        by_lists, by_linkage = _sensitivity_rows((comparison or {}).get("sensitivity"),
                                                 page.lang)
        strata = _strata_tables(None if doc is None else doc["analyst"].get("strata"),
                                page.lang)
        findings = [mse_text(f, page.lang) for f in (comparison or {}).get("findings") or []]
        return page.render("dashboard_methods.html", doc=doc, comparison=comparison,
                           findings=findings,
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


# -- the breakdowns and overlap pages: pooled categories, suppressed points, estimates by group


def _combination_row(code: str, persons, lang: str) -> tuple[str, str]:
    """A row of the overlap table: the combination's name (with its codes) and persons."""
    name = pooling.combination_label(code, lang)
    return (name if pooling.is_pool(code) else f"{name} ({code})", _fmt(persons, "count", lang))


def _breakdown_table(by: str, table: dict, lang: str) -> dict:
    """One public breakdown as the page shows it: its rows (level, counts per year, total),
    the trend chart (suppressed points marked) and the text that names the suppressed
    points and the pooled levels."""
    _ = translator(lang)
    pooled = table.get("pooled") or []
    name = labels.breakdown_name(by, lang)
    named = [pooling.level_label(by, lvl, lang, pooled) for lvl in table["levels"]]
    rows = [(level, [_fmt(c, "count", lang) for c in counts], _fmt(total, "count", lang))
            for level, counts, total in zip(named, table["counts"], table["level_totals"],
                                            strict=True)]
    labelled = {**table, "levels": named}
    drawn = charts.trend(labelled, name, lang=lang) if len(table["years"]) > 1 else None
    hidden = "; ".join(f"{level} {', '.join(map(str, years))}"
                       for level, years in charts.suppressed_points(labelled))
    return {"by": by, "name": name, "years": table["years"], "rows": rows,
            "chart": None if drawn is None else _chart(drawn, lang),
            "suppressed": _("Hollow markers are suppressed counts (their height is no value): "
                            "{points}.").format(points=hidden) if hidden else "",
            "pooled": _("Pooled because suppression would hide them in most years: "
                        "{levels}.").format(levels=", ".join(
                            labels.level(by, lvl, lang) for lvl in pooled)) if pooled else "",
            "totals": [_fmt(c, "count", lang) for c in table["year_totals"]],
            "withheld": table.get("withheld_years", []),
            "caribbean": by == "region" and any(lvl in CARIBBEAN_REGIONS
                                                for lvl in table["levels"])}


def _group_cell(row: dict | None, lang: str) -> str:
    """A group's estimate with its interval in one cell, "-" without one."""
    if row is None or row["estimate"] is None:
        return "-"
    interval = _interval(row["ci_low"], row["ci_high"], lang)
    return f"{_fmt(row['estimate'], 'count', lang)} ({interval})"


def _group_tables(doc: Publication, lang: str) -> dict | None:
    """The public estimates by group: per group its name, the latest year's rows (group,
    estimate, interval, why there is none) and, over the years, a row per year (year, then
    estimate and interval per group)."""
    groups = doc.groups
    if not groups or not groups.get("years"):
        return None
    _ = translator(lang)
    year = doc.latest_year if doc.latest_year in groups["years"] else max(groups["years"])
    tables = []
    for by, years in groups["by"].items():
        part = years.get(str(year))
        if part is None:
            continue
        rows = [(pooling.group_level(by, r["level"], lang),
                 "-" if r["estimate"] is None else _fmt(r["estimate"], "count", lang),
                 _interval(r["ci_low"], r["ci_high"], lang),
                 "" if r["reason"] is None else pooling.group_reason(
                     r["reason"], groups.get("k", doc.k), lang))
                for r in part["rows"]]
        total = part.get("total")
        rows.append((_("sum of the groups"),
                     "-" if total is None else _fmt(total["estimate"], "count", lang),
                     "-" if total is None else _interval(total["ci_low"], total["ci_high"],
                                                         lang),
                     "" if total is not None else _("no sum: not every group is published")))
        levels = [r["level"] for r in part["rows"]]
        history = []
        for y in sorted(int(v) for v in years):
            by_level = {r["level"]: r for r in years[str(y)]["rows"]}
            history.append((y, *[_group_cell(by_level.get(lvl), lang) for lvl in levels]))
        tables.append({"by": by, "name": pooling.group_name(by, lang), "rows": rows,
                       "levels": [pooling.group_level(by, lvl, lang) for lvl in levels],
                       "history": history if len(history) > 1 else []})
    return {"year": year, "tables": tables}
