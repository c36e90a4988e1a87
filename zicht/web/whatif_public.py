"""The public what-if of a reporting obligation (issue 18, point 4): the publication's
precomputed scenarios (``public.whatif``, :func:`zicht.monitor.whatif.published_whatif`) for
everyone, anonymous visitors included.  It reads the publication only and never simulates on a
request; the analysts' interactive form stays at ``/dashboard/whatif``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from ..i18n import format_number
from ..monitor.labels import reporters
from ..monitor.whatif import published_chart, published_view
from .dashboard import _chart, _fmt, publication
from .pages import any_page

PATH = "/dashboard/reporting-obligation"


def install(app: FastAPI) -> None:
    """Add the public what-if page to ``app``."""

    @app.get(PATH, response_class=HTMLResponse, include_in_schema=False)
    def reporting_obligation(request: Request):
        page = any_page(request)
        doc = publication(request)
        whatif = None if doc is None else doc["public"].get("whatif")
        if not whatif:
            return page.render("dashboard_whatif_public.html", doc=doc, whatif=None)
        lang = page.lang
        drawn = published_chart(whatif, lang)
        return page.render(
            "dashboard_whatif_public.html", doc=doc, whatif=whatif,
            categories=published_view(whatif, lang),
            chart=None if drawn is None else _chart(drawn, lang),
            victims=_fmt(whatif["victims"], "count", lang),
            police=None if whatif.get("police_rate") is None
            else _fmt(whatif["police_rate"], "share", lang),
            factor=format_number(whatif["level_factor"], lang, decimals=1),
            cap=_fmt(whatif["rate_cap"], "share", lang),
            left_out=", ".join(reporters(c, lang) for c in whatif.get("left_out") or []))
