"""What the template shows: the publication read once (:class:`.data.ReportData`) and handed
to one function per chapter (:mod:`zicht.report.chapters`), in the order of the report, so that
tables and figures are numbered as they appear."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any

from markupsafe import Markup

from .. import __version__
from ..i18n import N_
from .chapters import (
    appendix,
    breakdowns,
    capacity,
    estimate,
    modus,
    overlap,
    overview,
    protection,
    summary,
    targets,
    whatif,
)
from .data import CHAPTERS, ReportData
from .formatting import MISSING, Numbering
from .source import read_publication

LEGEND = N_("x = suppressed: not published because it concerns fewer than {k} persons, or to "
            "prevent such a count from being derived from the other figures.")


def _resource(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def report_context(doc: Mapping[str, Any], year: int, lang: str) -> dict:
    """Everything the template shows, as plain strings and lists."""
    pub = read_publication(doc)
    data = ReportData(pub, year, lang)
    fmt, _, n = data.fmt, data.fmt._, Numbering()
    content = {
        "summary": summary(data, n),
        "overview": overview(data, n),
        "breakdowns": breakdowns(data, n),
        "overlap": overlap(data, n),
        "estimate": estimate(data, n),
        "targets": targets(data, n),
        "capacity": capacity(data, n),
        "whatif": whatif(data, n),
        "protection": protection(data, n),
        "modus": modus(data, n),
        "appendix": appendix(data, n),
    }
    return {
        "lang": lang, "year": year, "k": data.k, "first": data.years[0],
        "latest": pub.latest_year, "built": fmt.date(pub.get("built_at")),
        "version": pub.get("zicht_version") or MISSING, "renderer": __version__,
        "chapters": CHAPTERS, **content,
        "legend": _(LEGEND).format(k=data.k), "legend_missing": _("\u2013 = not available."),
        # the software's own texts (findings, notes, indicator terms) are English: said where
        # the report is in another language
        "english_notes": lang != "en",
        "css": Markup(_resource("report.css")),
    }
