"""The publication as the report's chapters read it: :class:`ReportData`, made once per
report, with the views of :class:`zicht.monitor.publication.Publication` (which the dashboard
shares) at the report's year and in its language."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ..monitor.publication import Publication
from .formatting import Formatter

CHAPTERS = {"summary": 1, "overview": 2, "breakdowns": 3, "overlap": 4, "estimate": 5,
            "targets": 6, "whatif": 7, "protection": 8, "modus": 9}


@dataclass
class ReportData:
    """The publication, the report's year and its language (with the :class:`Formatter`)."""

    pub: Publication
    year: int
    lang: str
    fmt: Formatter = field(init=False)

    def __post_init__(self):
        self.fmt = Formatter(self.lang)

    @property
    def public(self) -> dict:
        return self.pub.public

    @property
    def k(self) -> int:
        return self.pub.k

    @cached_property
    def years(self) -> list[int]:
        """The publication's years up to the report's year."""
        return [y for y in self.pub.years if y <= self.year]

    @property
    def indicators(self) -> dict[str, dict]:
        return self.pub.indicators

    def value(self, key: str, year: int):
        """An indicator's published value in ``year`` (None: suppressed or absent)."""
        return self.pub.value(key, year)

    @cached_property
    def estimates(self) -> dict[int, dict]:
        """The published estimates that have a number, by year (all the publication's years)."""
        return {y: e for y in self.pub.estimates if (e := self.pub.estimate(y)) is not None}

    @property
    def estimate(self) -> dict | None:
        """The report's year's estimate, when it has a number."""
        return self.pub.estimate(self.year)
