"""The annual report: one publication (``zicht monitor publish``) as a document for the public.

``build_report(publication, "jaarrapport.pdf", year=2024, lang="nl")`` renders the report of
``year`` (default: the publication's latest year) and the trend up to it, as HTML (one file, CSS
and charts inline) or as an A4 PDF (WeasyPrint: title page, table of contents, page numbers,
bookmarks).

What it shows and where the numbers come from:

* every count of persons comes from the publication's ``public`` part, which passed disclosure
  control; a suppressed cell is printed as ``x`` with the legend beside the table;
* from the ``analyst`` part only the method comparison (estimates, intervals, verdicts, notes,
  findings, chart) and the estimates by group are taken: estimates of a hidden population are
  not small counts.  A group's estimate is shown only where the public breakdown shows the
  group's count (its interval's lower bound can sit on that count), and the sum of the groups
  only when every group is shown; observed counts by group are never printed.  The rest of
  that part (unprotected breakdowns, overlap, capture histories) is never read;
* charts are the monitor's own builders (:mod:`zicht.monitor.charts`) rendered to inline SVG,
  each with a table or sentence carrying the same numbers;
* indicator definitions come from the publication; what it does not hold (numerator and
  denominator) is read from :data:`zicht.monitor.indicators.INDICATORS` when the installed
  definition has the published version.

The texts are English msgids of the message catalogue (:mod:`zicht.i18n`; Dutch in
``zicht/locale/nl/LC_MESSAGES/zicht.po``), numbers and dates are formatted by locale.

The parts: :mod:`.source` reads the publication through :mod:`zicht.monitor.publication`
(which checks it, as for the dashboard), :mod:`.data` holds it with the report's year and
language, :mod:`.context` assembles what the template shows from one function per chapter
(:mod:`.chapters`), :mod:`.formatting` writes values in the report's language, :mod:`.render`
renders and writes the file.  This module keeps the names the report has always offered.
"""

from .chapters.breakdowns import BREAKDOWNS
from .chapters.summary import KEY_INDICATORS
from .context import report_context
from .errors import ReportError
from .formatting import INFINITY, MISSING, SUPPRESSED
from .render import FORMATS, Report, build_report, render_html, render_pdf
from .source import check_publication, load_publication, report_year

__all__ = ["BREAKDOWNS", "FORMATS", "INFINITY", "KEY_INDICATORS", "MISSING", "SUPPRESSED",
           "Report", "ReportError", "build_report", "check_publication", "load_publication",
           "render_html", "render_pdf", "report_context", "report_year"]
