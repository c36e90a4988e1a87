"""The public site around the dashboard: the home page with the latest key figures, the annual
reports, methods and definitions, about and contact, and the accessibility statement.

Every page here is open to everyone and reads only the publication's ``public`` part (and the
annual reports built from it).  The annual reports are the files ``zicht report`` wrote
(``jaarrapport-2024.pdf``, ``annual-report-2024.html`` ...) in the folder ``ZICHT_REPORTS``
names, or else the ``reports/`` folder beside the publication (the demo's layout).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from ..i18n import LANGS, translator
from ..monitor import labels
from ..registry.service import NotFound
from .dashboard import KEY_INDICATORS, _key_figures, publication
from .pages import any_page, role_home

REPORT_FILE = re.compile(r"(jaarrapport|annual-report)-(\d{4})\.(pdf|html)")
REPORT_LANG = {"jaarrapport": "nl", "annual-report": "en"}
#: the definitions on the methods page that are not indicators (anchors ``#def-<key>``)
TERMS = ("k", "dark_number", "version", "model_interval", "linkage_interval",
         "provisional", "sdg_16_2_2", "per_100k")


@dataclass(frozen=True)
class AnnualReport:
    year: int
    lang: str
    kind: str  # pdf or html
    name: str  # the file name, as served under /annual-reports/
    size: int


def reports_folder(request: Request) -> Path | None:
    """The folder of the annual reports: ``app.state.reports_path``, ``ZICHT_REPORTS``, or the
    ``reports/`` folder beside the publication file."""
    path = getattr(request.app.state, "reports_path", None) or os.environ.get("ZICHT_REPORTS")
    if path:
        return Path(path)
    pub = getattr(request.app.state, "publication_path", None) or os.environ.get(
        "ZICHT_PUBLICATION")
    return Path(pub).parent / "reports" if pub else None


def annual_reports(folder: Path | None) -> list[AnnualReport]:
    """The annual reports in ``folder``, newest year first (Dutch before English, PDF before
    HTML); files with other names are not served."""
    if folder is None or not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = REPORT_FILE.fullmatch(path.name)
        if match and path.is_file():
            found.append(AnnualReport(int(match[2]), REPORT_LANG[match[1]], match[3], path.name,
                                      path.stat().st_size))
    return sorted(found, key=lambda r: (-r.year, LANGS.index(r.lang), r.kind != "pdf"))


def _style_hashes(html: str) -> list[str]:
    """The CSP source expressions ('sha256-...') of the report's ``<style>`` elements: the
    report is one self-contained file whose stylesheet is inline, and the site's policy allows
    no inline style but one whose hash it names."""
    hashes = []
    for match in re.finditer(r"<style[^>]*>(.*?)</style>", html, flags=re.S):
        digest = hashlib.sha256(match[1].encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode()}'")
    return hashes


def _size(n: int, lang: str) -> str:
    from ..i18n import format_number

    return f"{format_number(n / 1e6, lang, decimals=1)} MB" if n >= 1e5 else \
        f"{format_number(max(1, round(n / 1e3)), lang)} kB"


def install(app: FastAPI) -> None:
    """Add the public pages to ``app`` (before the registry's pages: ``/`` is here)."""

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request):
        page = any_page(request)
        if page.actor is not None:
            return role_home(page)
        doc = publication(request)
        reports = annual_reports(reports_folder(request))
        latest = next((r for r in reports if r.lang == page.lang and r.kind == "pdf"), None)
        return page.render("public_home.html", doc=doc,
                           figures=None if doc is None else _key_figures(doc, page.lang),
                           latest_report=latest)

    @app.get("/annual-reports", response_class=HTMLResponse, include_in_schema=False)
    def reports_list(request: Request):
        page = any_page(request)
        years: dict[int, list[AnnualReport]] = {}
        for r in annual_reports(reports_folder(request)):
            years.setdefault(r.year, []).append(r)
        _ = page._
        names = {"nl": "Nederlands", "en": "English"}
        rows = [(year, [(f"/annual-reports/{r.name}",
                         f"{r.kind.upper()}, {names[r.lang]} ({_size(r.size, page.lang)})",
                         r.lang) for r in files])
                for year, files in years.items()]
        return page.render("annual_reports.html", rows=rows, title=_("Annual reports"))

    @app.get("/annual-reports/{name}", include_in_schema=False)
    def report_file(request: Request, name: str):
        if not REPORT_FILE.fullmatch(name):
            raise NotFound("no such annual report")
        folder = reports_folder(request)
        path = None if folder is None else folder / name
        if path is None or not path.is_file():
            raise NotFound("no such annual report")
        if name.endswith(".pdf"):
            return FileResponse(path, media_type="application/pdf", filename=name,
                                content_disposition_type="inline")
        html = path.read_text(encoding="utf-8")
        policy = ("default-src 'none'; img-src 'self' data:; style-src "
                  + " ".join(_style_hashes(html) or ["'none'"])
                  + "; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
        return Response(html, media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": policy})

    @app.get("/methods", response_class=HTMLResponse, include_in_schema=False)
    def methods(request: Request):
        page = any_page(request)
        doc = publication(request)
        indicators = [] if doc is None else [
            {"key": i["key"], "name": i[f"name_{page.lang}"], "counts": i[f"counts_{page.lang}"],
             "unit": labels.unit(i["unit"], page.lang), "version": i["version"],
             "source": i["source"], "key_figure": i["key"] in KEY_INDICATORS}
            for i in doc["public"]["indicators"]]
        return page.render("public_methods.html", doc=doc, indicators=indicators,
                           k=None if doc is None else doc.k)

    @app.get("/about", response_class=HTMLResponse, include_in_schema=False)
    def about(request: Request):
        page = any_page(request)
        return page.render("about.html", contact=_contact())

    @app.get("/accessibility", response_class=HTMLResponse, include_in_schema=False)
    def accessibility(request: Request):
        page = any_page(request)
        return page.render("accessibility.html", contact=_contact(),
                           _lang=translator(page.lang))


def _contact() -> dict[str, str | None]:
    """The publisher's contact details (``ZICHT_CONTACT_NAME``, ``ZICHT_CONTACT_EMAIL``); None
    where the publisher set none (the pages say so rather than invent an address)."""
    return {"name": os.environ.get("ZICHT_CONTACT_NAME") or None,
            "email": os.environ.get("ZICHT_CONTACT_EMAIL") or None}
