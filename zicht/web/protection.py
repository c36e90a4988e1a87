"""Protection regardless of a complaint (issue 21): the publication's ``public.protection``
for everyone, anonymous visitors included.  Per outcome the share of persons with a complaint,
the share without, and the gap between them with its 95% interval: for the latest year by each
breakdown, and for everyone per year (a chart and its table)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from ..i18n import translator
from ..monitor import charts, labels
from ..monitor.protection import BREAKDOWNS, NO_VALUE, OUTCOMES, gap_text, index_cells, levels_of
from .dashboard import _chart, _fmt, publication
from .pages import any_page

PATH = "/dashboard/protection"


def _row(cell: dict | None, lang: str) -> list[str]:
    """share with, share without, gap (interval), verdict; "suppressed" where hidden."""
    _ = translator(lang)
    if cell is None:
        return [NO_VALUE] * 4
    if cell["suppressed"]:
        return [_("suppressed")] * 4

    def share(value) -> str:
        return NO_VALUE if value is None else _fmt(value, "share", lang)

    verdict = NO_VALUE if cell["gap"] is None else _("gap") if cell["found"] \
        else _("no gap shown")
    return [share(cell["share_with"]), share(cell["share_without"]), gap_text(cell, lang),
            verdict]


def view(protection: dict, lang: str) -> dict:
    """The page's tables: everyone per year and outcome, then the latest year by breakdown."""
    _ = translator(lang)
    cells = protection["cells"]
    years = sorted({c["year"] for c in cells})
    latest = max(years)
    index = index_cells(cells)
    overall = [[str(y), _(OUTCOMES[o]), *_row(index.get((y, None, None, o)), lang)]
               for y in years for o in OUTCOMES]
    tables = []
    for by in BREAKDOWNS:
        levels = levels_of(cells, by, latest)
        rows = [[labels.level(by, lv, lang), _(OUTCOMES[o]),
                 *_row(index.get((latest, by, lv, o)), lang)] for lv in levels for o in OUTCOMES]
        tables.append({"by": by, "name": labels.breakdown_name(by, lang), "rows": rows})
    unknown = {u["year"]: u for u in protection.get("unknown") or []}
    return {"years": years, "latest": latest, "overall": overall, "tables": tables,
            "unknown": [(str(y), _fmt(unknown[y]["share"], "share", lang))  # None: suppressed
                        for y in years if y in unknown]}


def install(app: FastAPI) -> None:
    """Add the protection page to ``app``."""

    @app.get(PATH, response_class=HTMLResponse, include_in_schema=False)
    def protection_page(request: Request):
        page = any_page(request)
        doc = publication(request)
        protection = None if doc is None else doc["public"].get("protection")
        if not protection or not protection.get("cells"):
            return page.render("dashboard_protection.html", doc=doc, protection=None)
        lang = page.lang
        # the chart of everyone's gaps, when one is published (suppressed rows carry none)
        everyone = [c for c in protection["cells"] if c["by"] is None and c["gap"] is not None]
        chart = _chart(charts.protection_gaps(everyone, OUTCOMES, lang), lang) if everyone \
            else None
        return page.render("dashboard_protection.html", doc=doc, protection=protection,
                           view=view(protection, lang), chart=chart)
