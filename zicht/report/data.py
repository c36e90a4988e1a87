"""The publication as the report's chapters read it: :class:`ReportData`, made once per
report."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from .formatting import Formatter

CHAPTERS = {"summary": 1, "overview": 2, "breakdowns": 3, "overlap": 4, "estimate": 5,
            "targets": 6}


def _values(ind: dict | None) -> dict[int, float | None]:
    return {} if ind is None else {int(v["year"]): v["value"] for v in ind["values"]}


@dataclass
class ReportData:
    """The publication as the chapters read it, for the report of ``year`` in ``lang``."""

    doc: dict
    year: int
    lang: str
    fmt: Formatter = field(init=False)

    def __post_init__(self):
        self.fmt = Formatter(self.lang)

    @property
    def public(self) -> dict:
        return self.doc["public"]

    @property
    def analyst(self) -> dict:
        return self.doc.get("analyst") or {}

    @property
    def k(self):
        return self.doc.get("k")

    @cached_property
    def years(self) -> list[int]:
        """The publication's years up to the report's year."""
        return [y for y in sorted(int(y) for y in self.doc["years"]) if y <= self.year]

    @cached_property
    def indicators(self) -> dict[str, dict]:
        return {i["key"]: i for i in self.public["indicators"]}

    @cached_property
    def values(self) -> dict[str, dict[int, float | None]]:
        """Indicator key -> year -> published value."""
        return {key: _values(ind) for key, ind in self.indicators.items()}

    def value(self, key: str, year: int):
        return self.values.get(key, {}).get(year)

    @cached_property
    def estimates(self) -> dict[int, dict]:
        """The published estimates that have a number, by year."""
        return {int(e["year"]): e for e in self.public.get("estimates") or []
                if e.get("estimate") is not None}

    @property
    def estimate(self) -> dict | None:
        """The report's year's estimate."""
        return self.estimates.get(self.year)

    @property
    def latest(self) -> int:
        return int(self.doc.get("latest_year") or max(int(y) for y in self.doc["years"]))

    def upto(self) -> dict:
        """The publication as far as the charts need it, cut at the report's year."""
        public = dict(self.public)
        public["indicators"] = [{**i, "values": [v for v in i["values"]
                                                 if v["year"] <= self.year]}
                                for i in public["indicators"]]
        public["estimates"] = [e for e in public.get("estimates") or []
                               if e["year"] <= self.year]
        return {**self.doc, "public": public}
