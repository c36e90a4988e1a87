"""Reading the publication the report is made from, and choosing the report's year."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import ReportError


def load_publication(path: str | Path) -> dict:
    """Read a publication file; :class:`ReportError` when it is missing, unreadable or not a
    publication of ``zicht monitor publish``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read it ({getattr(exc, 'strerror', None) or exc})"
                          ) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not a publication (not JSON: line {exc.lineno})") from None
    check_publication(doc, str(path))
    return doc


def check_publication(doc: Any, name: str = "publication") -> None:
    public = doc.get("public") if isinstance(doc, dict) else None
    if not isinstance(public, dict) or not isinstance(doc.get("years"), list) or not doc["years"]:
        raise ReportError(f"{name}: not a publication (make one with `zicht monitor publish`)")
    for part in ("indicators", "breakdowns"):
        if part not in public:
            raise ReportError(f"{name}: not a publication (its public part has no {part})")


def report_year(doc: dict, year: int | None) -> int:
    """The year to report on: one of the publication's years (default: the latest)."""
    years = [int(y) for y in doc["years"]]
    if year is None:
        return int(doc.get("latest_year") or max(years))
    if int(year) not in years:
        span = f"{min(years)}-{max(years)}" if len(years) > 1 else str(years[0])
        raise ReportError(f"year {year} is not in the publication (its years: {span})")
    return int(year)
