"""Downloads: every table of every public page as CSV and XLSX, and all of a publication's
tables in one file (an XLSX with a sheet per table, or a ZIP of CSV files).

A download is made from the page itself, as Datasette makes HTML, JSON and CSV from one view:
the public page is rendered for an anonymous visitor in the asked language, and its tables
(``<table id=...>`` with caption, header and rows, as ``macros.html``'s ``table`` writes them)
are read back.  So a download holds exactly the numbers the page shows, after disclosure
control, in the page's words ("geheim" where the page says so).  The CSV keeps the text as shown;
the XLSX stores a cell that is one number in the page's notation ("5.817", "23,3%") as a number
with a matching format, and everything else (intervals, "geheim") as text.  Every download has
an "about" part: the publication's date, years, k, versions, the page it came from, and the
definitions of its indicators.

The tables are read once per publication file, its mtime and the language, and every XLSX and
ZIP is built once (at most 64 kept, a few hundred kB each), so a download costs a render per
publication, not per request.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.requests import Request as StarletteRequest

from .. import __version__
from ..i18n import N_, number_symbols, translator
from ..registry.service import NotFound
from .dashboard import _publication_path, publication
from .pages import TEMPLATES, any_page

#: the public pages with tables: name in the download's URL -> path
PAGES = {"dashboard": "/dashboard", "breakdowns": "/dashboard/breakdowns",
         "overlap": "/dashboard/overlap",
         "whatif": "/dashboard/reporting-obligation", "protection": "/dashboard/protection",
         "modus": "/dashboard/modus-operandi"}
PAGE_TITLES = {"dashboard": N_("Sight of human trafficking"), "breakdowns": N_("Breakdowns"),
               "overlap": N_("Overlap between reporters"),
               "whatif": N_("What if: reporting obligation"),
               "protection": N_("Protection regardless of a complaint"),
               "modus": N_("How traffickers work")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Table:
    id: str
    caption: str
    header: list[str]
    rows: list[list[str]]


class _Tables(HTMLParser):
    """The ``<table>`` elements of a page: id, caption, the header row's cells, the body's rows
    (every cell's text, whitespace collapsed; text hidden from view is skipped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self._table: Table | None = None
        self._where: str | None = None  # caption, head, body
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._hidden = 0  # depth inside a visually hidden element

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self._hidden or "zicht-visually-hidden" in (a.get("class") or ""):
            self._hidden += tag not in ("br", "img", "input", "wbr")
            return
        if tag == "table":
            self._table = Table(a.get("id") or f"table-{len(self.tables) + 1}", "", [], [])
        elif self._table is None:
            return
        elif tag == "caption":
            self._where, self._cell = "caption", []
        elif tag in ("thead", "tbody"):
            self._where = "head" if tag == "thead" else "body"
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if self._hidden:
            self._hidden -= tag not in ("br", "img", "input", "wbr")
            return
        t = self._table
        if t is None:
            return
        if tag == "caption" and self._cell is not None:
            t.caption, self._cell = _text(self._cell), None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(_text(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            (t.rows if self._where == "body" else t.header).extend(
                [self._row] if self._where == "body" else self._row)
            self._row = None
        elif tag == "table":
            self.tables.append(t)
            self._table = None

    def handle_data(self, data):
        if self._cell is not None and not self._hidden:
            self._cell.append(data)


def _text(parts: list[str]) -> str:
    return " ".join("".join(parts).split())


def page_tables(html: str) -> list[Table]:
    """The tables of a rendered page."""
    parser = _Tables()
    parser.feed(html)
    parser.close()
    return parser.tables


def _render(request: Request, path: str, lang: str) -> str | None:
    """The public page at ``path`` as an anonymous visitor in ``lang`` sees it; None when the
    app has no such page.  The page's function is called with the request alone, as the public
    pages take it (no other parameter, no dependency): a page that came to need one would fail
    here loudly, and tests/registry/test_downloads.py with it."""
    for route in request.app.router.routes:
        if getattr(route, "path", None) == path and "GET" in getattr(route, "methods", ()):
            scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
                     "query_string": f"lang={lang}".encode(), "headers": [],
                     "app": request.app, "root_path": "", "scheme": "http",
                     "server": ("zicht", 80), "client": ("127.0.0.1", 0)}
            response = route.endpoint(StarletteRequest(scope))
            return bytes(response.body).decode("utf-8") if response.status_code == 200 else None
    return None


def _number(text: str, symbols: dict[str, str]) -> tuple[float, str] | None:
    """A cell that is one number in the page's notation, as (value, Excel number format):
    "5.817" -> (5817, "#,##0"), "2024" -> (2024, "0"), "23,3%" -> (0.233, "0.0%"),
    "−0,4" -> (-0.4, "0.0"); None for anything else ("3.110 - 7.785", "geheim")."""
    t = text.replace("\u2212", "-").replace("\xa0", "").replace(" ", "")
    percent = t.endswith("%")
    t = t[:-1] if percent else t
    group, decimal = re.escape(symbols["group"]), re.escape(symbols["decimal"])
    match = re.fullmatch(rf"([+-]?)(\d{{1,3}}(?:{group}\d{{3}})*|\d+)(?:{decimal}(\d+))?", t)
    if not match:
        return None
    digits = match[2].replace(symbols["group"], "")
    value = float(f"{match[1]}{digits}.{match[3] or '0'}")
    decimals = len(match[3] or "")
    # grouped as the page groups it ("5.817"); a year (2024) or a small number is not
    fmt = ("#,##0" if symbols["group"] in t else "0") + ("." + "0" * decimals if decimals else "")
    return (value / 100, fmt + "%") if percent else (value, fmt)


def _about_rows(doc, lang: str, sources: list[str]) -> list[list[str]]:
    """The "about" sheet: what the numbers are and where they come from, then the definition of
    every indicator in the publication."""
    _ = translator(lang)
    rows = [[_("publication date"), doc["built_at"][:10]],
            [_("years"), f"{doc['years'][0]}-{doc['years'][-1]}"],
            [_("k (the smallest number shown)"), str(doc.k)],
            [_("software version"), str(doc.get("zicht_version") or __version__)],
            [_("suppressed"), _("fewer than k persons, or a figure from which such a number "
                                "could be worked out")],
            [_("source"), ", ".join(sources)], [], [_("indicator"), _("definition"),
                                                     _("version")]]
    for i in doc["public"]["indicators"]:
        rows.append([i[f"name_{lang}"], i[f"counts_{lang}"], str(i["version"])])
    return rows


@dataclass
class Download:
    tables: dict[str, list[Table]]  # page name -> its tables
    about: list[list[str]]


_LOCK = threading.Lock()
_CACHE: dict[tuple, Download] = {}  # (publication, mtime, language, app) -> its tables
_FILES: dict[tuple, bytes] = {}  # the same key + (name, table, format) -> the file


def _keep(store: dict, key: tuple, value, size: int):
    """Keep ``value`` under ``key`` in ``store`` (at most ``size`` entries, oldest out)."""
    with _LOCK:
        while len(store) >= size:
            store.pop(next(iter(store)))
        store[key] = value
    return value


def _key(request: Request, lang: str) -> tuple | None:
    path = _publication_path(request)
    if path is None or not path.exists():
        return None
    return (str(path), path.stat().st_mtime, lang, id(request.app))


def collect(request: Request, lang: str) -> Download | None:
    """Every public page's tables in ``lang`` with the about rows; None without a publication.
    Read once per publication file, its mtime and the language."""
    doc = publication(request)
    key = _key(request, lang)
    if doc is None or key is None:
        return None
    if key in _CACHE:
        return _CACHE[key]
    tables: dict[str, list[Table]] = {}
    for name, page_path in PAGES.items():
        # the page's own function, as an anonymous visitor (no cookie, no session): a public
        # page takes the request alone; one that redirects or refuses gives no tables
        html = _render(request, page_path, lang)
        if html is not None:
            tables[name] = page_tables(html)
    sources = [PAGES[n] for n in tables]
    return _keep(_CACHE, key, Download(tables, _about_rows(doc, lang, sources)), 8)


def _built(request: Request, lang: str, what: tuple, build) -> bytes:
    """The file ``build()`` makes, kept per publication, language and ``what``: a workbook
    costs openpyxl a second, and every visitor asks for the same few."""
    key = (*(_key(request, lang) or ()), *what)
    if key in _FILES:
        return _FILES[key]
    return _keep(_FILES, key, build(), 64)


def to_csv(table: Table) -> bytes:
    """A table as CSV (UTF-8 with a byte order mark, so that Excel reads the accents): the
    caption is the first line, then the header and the rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([table.caption])
    writer.writerow(table.header)
    writer.writerows(table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(tables: list[tuple[str, Table]], about: list[list[str]], lang: str) -> bytes:
    """Tables as an XLSX workbook: the about sheet first, then a sheet per table (its caption
    in the first row, numbers as numbers)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    _ = translator(lang)
    symbols = number_symbols(lang)
    book = Workbook()
    sheet = book.active
    sheet.title = _("about")
    for row in about:
        sheet.append(row)
    sheet.column_dimensions["A"].width = 36
    sheet.column_dimensions["B"].width = 80
    used = {sheet.title}
    for name, table in tables:
        title = _sheet_title(f"{name} {table.id}", used)
        ws = book.create_sheet(title)
        ws.append([table.caption])
        ws["A1"].font = Font(bold=True)
        ws.append(table.header)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            ws.append([_cell(v, symbols) for v in row])
            for cell, value in zip(ws[ws.max_row], row, strict=False):
                parsed = _number(value, symbols)
                if parsed is not None:
                    cell.number_format = parsed[1]
        for i in range(len(table.header)):
            ws.column_dimensions[chr(ord("A") + i) if i < 26 else "Z"].width = 18
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(text: str, symbols: dict[str, str]):
    parsed = _number(text, symbols)
    if parsed is None:
        return text
    value = parsed[0]
    return int(value) if value.is_integer() and "%" not in parsed[1] else value


def _sheet_title(text: str, used: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\, unique in the book."""
    base = re.sub(r"[\[\]:*?/\\]", " ", text)[:31].strip() or "table"
    title, n = base, 2
    while title in used:
        suffix = f" {n}"
        title, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(title)
    return title


def _file(content: bytes, media_type: str, name: str) -> Response:
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def install(app: FastAPI) -> None:
    """Add the download routes and page to ``app`` (after the public pages they read)."""
    TEMPLATES.env.globals["downloadable"] = {path: name for name, path in PAGES.items()}

    @app.get("/downloads", response_class=HTMLResponse, include_in_schema=False)
    def downloads_page(request: Request):
        page = any_page(request)
        made = collect(request, page.lang)
        doc = publication(request)
        pages = [] if made is None else [
            (name, page._(PAGE_TITLES[name]), PAGES[name], tables)
            for name, tables in made.tables.items() if tables]
        return page.render("downloads.html", doc=doc, pages=pages)

    @app.get("/downloads/{name}.{fmt}", include_in_schema=False)
    def download(request: Request, name: str, fmt: str, table: str | None = None):
        page = any_page(request)
        lang = page.lang
        made = collect(request, lang)
        doc = publication(request)
        if made is None or doc is None or fmt not in ("csv", "xlsx", "zip"):
            raise NotFound("no such download")
        stem = f"zicht-{doc['latest_year']}"
        if name == "all":
            everything = [(n, t) for n, tables in made.tables.items() for t in tables]
            if fmt == "xlsx":
                return _file(_built(request, lang, ("all", "xlsx"), lambda: to_xlsx(
                    everything, made.about, lang)), XLSX, f"{stem}-{lang}.xlsx")
            if fmt == "zip":
                about = Table("about", page._("about"), [], made.about)
                return _file(_built(request, lang, ("all", "zip"),
                                    lambda: _zip(everything, about)),
                             "application/zip", f"{stem}-{lang}.zip")
            raise NotFound("no such download")
        found = next((t for t in made.tables.get(name, []) if t.id == table), None)
        if found is None or fmt == "zip":
            raise NotFound("no such table")
        filename = f"{stem}-{name}-{found.id}-{lang}.{fmt}"
        if fmt == "csv":
            return _file(to_csv(found), "text/csv; charset=utf-8", filename)
        return _file(_built(request, lang, (name, found.id, "xlsx"), lambda: to_xlsx(
            [(name, found)], made.about, lang)), XLSX, filename)


def _zip(tables: list[tuple[str, Table]], about: Table) -> bytes:
    """Every table as a CSV file in one ZIP, with ``about.csv``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("about.csv", to_csv(about))
        for n, t in tables:
            z.writestr(f"{n}-{t.id}.csv", to_csv(t))
    return out.getvalue()
