"""How traffickers work (issue 21): the publication's ``public.modus`` for everyone, anonymous
visitors included.  Per means of control and recruiter relation: its share of the persons whose
reports record it, per year, and its trend (a chart and its table); the latest year by each
breakdown."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from ..monitor import charts
from ..monitor.modus import code_label, view
from .dashboard import _chart, publication
from .pages import any_page

PATH = "/dashboard/modus-operandi"


def install(app: FastAPI) -> None:
    """Add the modus operandi page to ``app``."""

    @app.get(PATH, response_class=HTMLResponse, include_in_schema=False)
    def modus_page(request: Request):
        page = any_page(request)
        doc = publication(request)
        modus = None if doc is None else doc["public"].get("modus")
        if not modus or not modus.get("cells"):
            return page.render("dashboard_modus.html", doc=doc, modus=None)
        lang = page.lang
        names = {(kind, code): code_label(kind, code, lang)
                 for kind, codes in modus["kinds"].items() for code in codes}
        shown = [t for t in modus.get("trends") or [] if t.get("slope") is not None]
        chart = _chart(charts.modus_trends(shown, names, lang), lang) if shown else None
        return page.render("dashboard_modus.html", doc=doc, modus=modus,
                           view=view(modus, lang), chart=chart)
