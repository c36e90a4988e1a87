"""What the template shows: the publication read once (:class:`.data.ReportData`) and handed
to one function per chapter (:mod:`zicht.report.chapters`), in the order of the report, so that
tables and figures are numbered as they appear."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any

from markupsafe import Markup

from .. import __version__
from .chapters import appendix, breakdowns, estimate, overlap, overview, summary, targets
from .data import CHAPTERS, ReportData
from .formatting import MISSING, Numbering
from .source import read_publication


def _resource(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def report_context(doc: Mapping[str, Any], year: int, lang: str) -> dict:
    """Everything the template shows, as plain strings and lists."""
    pub = read_publication(doc)
    data = ReportData(pub, year, lang)
    fmt, n = data.fmt, Numbering()
    content = {
        "summary": summary(data, n),
        "overview": overview(data, n),
        "breakdowns": breakdowns(data, n),
        "overlap": overlap(data, n),
        "estimate": estimate(data, n),
        "targets": targets(data, n),
        "appendix": appendix(data, n),
    }
    return {
        "lang": lang, "t": fmt.t, "year": year, "k": data.k, "first": data.years[0],
        "latest": pub.latest_year, "built": fmt.date(pub.get("built_at")),
        "version": pub.get("zicht_version") or MISSING, "renderer": __version__,
        "chapters": CHAPTERS, **content,
        "legend": fmt.t("legend", k=data.k), "legend_missing": fmt.t("legend_missing"),
        "css": Markup(_resource("report.css")),
    }
