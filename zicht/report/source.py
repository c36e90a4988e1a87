"""The publication the report is made from, read and checked by
:mod:`zicht.monitor.publication` (the dashboard's reader too), and the report's year."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..monitor.publication import Publication, PublicationError, check, load
from .errors import ReportError


def load_publication(path: str | Path) -> dict:
    """Read a publication file, as a dict; :class:`ReportError` when it is missing, unreadable
    or not a publication of ``zicht monitor publish`` that this zicht reads."""
    try:
        return load(path).doc
    except PublicationError as exc:
        raise ReportError(str(exc)) from None


def check_publication(doc: Any, name: str = "publication") -> None:
    """:class:`ReportError` unless ``doc`` is a publication this zicht reads."""
    try:
        check(doc.doc if isinstance(doc, Publication) else doc, name)
    except PublicationError as exc:
        raise ReportError(str(exc)) from None


def read_publication(doc: Mapping[str, Any]) -> Publication:
    """A publication (a dict as :func:`load_publication` gives it, or a
    :class:`~zicht.monitor.publication.Publication`) checked afresh, so that a document changed
    since it was read is checked as it is now."""
    raw = doc.doc if isinstance(doc, Publication) else doc
    try:
        return Publication(raw)  # type: ignore[arg-type]
    except PublicationError as exc:
        raise ReportError(str(exc)) from None


def report_year(doc: Mapping[str, Any], year: int | None) -> int:
    """The year to report on: one of the publication's years (default: the latest)."""
    years = [int(y) for y in doc["years"]]
    if year is None:
        return int(doc.get("latest_year") or max(years))
    if int(year) not in years:
        span = f"{min(years)}-{max(years)}" if len(years) > 1 else str(years[0])
        raise ReportError(f"year {year} is not in the publication (its years: {span})")
    return int(year)
