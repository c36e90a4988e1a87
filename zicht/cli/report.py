"""``zicht report``: the annual report from a publication (``zicht monitor publish``).

``zicht report --out jaarrapport.pdf`` reads ``$ZICHT_PUBLICATION`` (or ``--publication``) and
writes the report of the latest year (``--year``) in Dutch (``--lang en`` for English), as PDF
or HTML after the suffix.  Bad input (no or no readable publication, a year it does not hold,
another suffix) exits with code 2 and one line; nothing is written then.
"""

from __future__ import annotations

from pathlib import Path

import typer

from .common import Lang
from .common import fail as _fail
from .common import wide_out as out


def report(
    out_file: Path = typer.Option(..., "--out", help="The report to write: FILE.pdf or "
                                                     "FILE.html (the suffix picks the format)."),
    publication: Path = typer.Option(None, "--publication", envvar="ZICHT_PUBLICATION",
                                     show_envvar=True,
                                     help="A publication of `zicht monitor publish`."),
    year: int = typer.Option(None, help="The year to report on (default: the publication's "
                                        "latest)."),
    lang: Lang = typer.Option(Lang.nl, help="Language of the report."),
):
    """The annual report: figures, tables, the estimate with its caveats, the targets and a
    methods appendix, as an A4 PDF (WeasyPrint) or one HTML file."""
    from ..report import FORMATS, ReportError, build_report

    if out_file.suffix.lower() not in FORMATS:
        _fail(f"{out_file}: the report is written as .pdf or .html, not "
              f"{out_file.suffix or 'a file without a suffix'}")
    if publication is None:
        _fail("no publication: give --publication FILE or set ZICHT_PUBLICATION "
              "(make one with `zicht monitor publish`)")
    try:
        result = build_report(publication, out_file, year=year, lang=lang.value)
    except ReportError as exc:
        _fail(str(exc))
    except OSError as exc:  # WeasyPrint without its system libraries (Pango)
        _fail(f"cannot render the report ({exc}); `make install` installs what WeasyPrint "
              "needs", code=1)
    what = result.format.upper()
    pages = f", {result.pages} pages" if result.pages is not None else ""
    out.print(f"written: {result.path.resolve()} ({what}{pages}, {result.seconds:.1f} s)",
              soft_wrap=True)
