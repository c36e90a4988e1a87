"""The annual report (``zicht report``): one publication rendered as HTML or PDF, in Dutch or
English.  See :mod:`zicht.report.annual`."""

from .annual import (
    FORMATS,
    Report,
    ReportError,
    build_report,
    load_publication,
    render_html,
    render_pdf,
    report_year,
)

__all__ = ["FORMATS", "Report", "ReportError", "build_report", "load_publication",
           "render_html", "render_pdf", "report_year"]
