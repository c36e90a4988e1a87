"""The report rendered: HTML from the Jinja template, PDF by WeasyPrint, and
:func:`build_report` writing either to a file."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..i18n import install_jinja
from .context import report_context
from .errors import ReportError
from .source import load_publication, read_publication, report_year

FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf"}


@dataclass
class Report:
    path: Path
    format: str
    pages: int | None
    seconds: float


def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("zicht.report", "templates"),
                      autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    install_jinja(env)  # _() and pgettext() in the template translate for its lang
    return env


def render_html(doc: Mapping[str, Any], year: int | None = None, lang: str = "nl") -> str:
    """The report as one HTML document (CSS and SVG charts inline)."""
    pub = read_publication(doc)
    year = report_year(pub, year)
    context = report_context(pub, year, lang)
    return _environment().get_template("annual.html").render(**context)


def render_pdf(html: str) -> tuple[bytes, int]:
    """The HTML rendered by WeasyPrint as an A4 PDF, tagged (headings, tables and reading order
    for screen readers); the bytes and the number of pages."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=str(Path.cwd())).render(pdf_tags=True)
    return document.write_pdf(pdf_tags=True), len(document.pages)


def _write_atomically(out: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: a failure leaves nothing
    half-written."""
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_report(publication: str | Path | Mapping[str, Any], out: str | Path, *,
                 year: int | None = None, lang: str = "nl") -> Report:
    """Render the report of ``year`` from a publication (file or dict) to ``out``; the format
    follows the suffix (``.pdf``, ``.html``)."""
    start = time.perf_counter()
    out = Path(out)
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ReportError(f"{out}: the report is written as .pdf or .html, not "
                          f"{out.suffix or 'a file without a suffix'}")
    if not out.parent.is_dir():
        raise ReportError(f"{out.parent}: no such folder")
    doc = publication if isinstance(publication, Mapping) else load_publication(publication)
    html = render_html(doc, year, lang)
    pages = None
    if fmt == "pdf":
        data, pages = render_pdf(html)
    else:
        data = html.encode("utf-8")
    try:
        _write_atomically(out, data)
    except OSError as exc:
        raise ReportError(f"{out}: cannot write it ({exc.strerror or exc})") from None
    return Report(out, fmt, pages, time.perf_counter() - start)
