"""Charts to embed in other sites: ``/embed/overview``, ``/embed/breakdowns/{by}`` and
``/embed/overlap``.

Each is a page with one chart, its caption, the same numbers as a table (under a disclosure
widget) and the source, built from the same functions as the dashboard's pages.  These are the
only pages another site may show in a frame: the security headers (zicht/web/app.py) leave out
``X-Frame-Options`` here and set ``frame-ancestors`` from ``ZICHT_EMBED_ANCESTORS`` (a
space-separated list of origins; default ``*``, anyone: the charts are public).  Every other
page keeps ``X-Frame-Options: DENY`` and ``frame-ancestors 'none'``.
"""

from __future__ import annotations

import os
import re

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from ..monitor import charts, pooling
from ..registry.service import NotFound
from .dashboard import _breakdown_table, _chart, _combination_row, interval_name, overview_rows
from .dashboard import publication as read_publication
from .pages import any_page

PREFIX = "/embed/"


# a source of frame-ancestors: *, a scheme (https:) or an origin with an optional * subdomain
# and port; nothing that could end the directive (";", ",", quotes)
SOURCE = re.compile(r"\*|https?:|https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?")


def frame_ancestors() -> str:
    """The CSP ``frame-ancestors`` sources of the embeddable pages, from
    ``ZICHT_EMBED_ANCESTORS`` (default ``*``); a value that is not a list of sources is refused
    with an error that names it, so that no other directive can be slipped into the policy."""
    sources = os.environ.get("ZICHT_EMBED_ANCESTORS", "*").split()
    bad = [s for s in sources if not SOURCE.fullmatch(s)]
    if bad:
        raise ValueError(f"ZICHT_EMBED_ANCESTORS: not an origin: {bad[0]!r} (give origins such "
                         "as https://www.example.nl, separated by spaces)")
    return " ".join(sources) or "'none'"


def install(app: FastAPI) -> None:
    """Add the embeddable charts to ``app``."""

    def _doc(request: Request):
        doc = read_publication(request)
        if doc is None:
            raise NotFound("no publication")
        return doc

    @app.get("/embed/overview", response_class=HTMLResponse, include_in_schema=False)
    def overview(request: Request):
        page = any_page(request)
        doc, _ = _doc(request), page._
        latest = next((e for e in doc["public"].get("estimates") or []
                       if e["year"] == doc["latest_year"]), {})
        label = interval_name(latest, page.lang)
        return page.render(
            "embed.html", doc=doc, source=("/dashboard", None),
            title=_("Registered and estimated victims per year"),
            caption=f'{_("Registered and estimated victims per year")}: {_("registered")} '
                    f'({_("bars")}), {_("estimated")} {_("with")} {label}',
            chart=_chart(charts.overview(doc, page.lang), page.lang),
            table=("overview", [_("year"), _("registered"), _("estimated"), label,
                                _("change from the year before")],
                   overview_rows(doc, page.lang), (1, 2, 3)))

    @app.get("/embed/breakdowns/{by}", response_class=HTMLResponse, include_in_schema=False)
    def breakdown(request: Request, by: str):
        page = any_page(request)
        doc, _ = _doc(request), page._
        table = doc["public"]["breakdowns"].get(by)
        if table is None or len(table["years"]) < 2:
            raise NotFound("no such breakdown")
        shown = _breakdown_table(by, table, page.lang)
        rows = [[level, *counts, total] for level, counts, total in shown["rows"]]
        caption = _("Trend per year by {name}").format(name=shown["name"])
        return page.render(
            "embed.html", doc=doc, source=("/dashboard/breakdowns", by), title=caption,
            caption=f'{caption}. {shown["suppressed"]}'.strip(), chart=shown["chart"],
            table=(f"breakdown-{by}", [shown["name"], *map(str, shown["years"]), _("total")],
                   rows, tuple(range(1, len(shown["years"]) + 2))))

    @app.get("/embed/overlap", response_class=HTMLResponse, include_in_schema=False)
    def overlap(request: Request):
        page = any_page(request)
        doc, _ = _doc(request), page._
        public = doc["public"]["overlap"]
        if not public or public.get("withheld"):
            raise NotFound("the overlap is not published")
        combos = public["combinations"]
        shown = [c for c in combos if c["persons"] is not None
                 and not pooling.is_pool(c["reporters"])][:15]
        if not shown:
            raise NotFound("the overlap is not published")
        title = f'{_("Overlap between reporters")} {public["year"]}'
        what = _("per combination (bars) and the reporter categories in each combination "
                 "(dots)")
        return page.render(
            "embed.html", doc=doc, source=("/dashboard/overlap", None), title=title,
            caption=f'{title}: {_("persons")} {what}',
            chart=_chart(charts.upset(shown, page.lang), page.lang),
            table=("overlap", [_("combination"), _("persons")],
                   [_combination_row(c["reporters"], c["persons"], page.lang) for c in combos],
                   (1,)))
