"""How the report writes its values: numbers, dates, codes and charts in the report's language
(numbers and dates by locale through :mod:`zicht.i18n`), and the numbering of its tables and
figures."""

from __future__ import annotations

import math
from datetime import datetime

from markupsafe import Markup

from ..i18n import LANGS, format_date, format_number, format_percent, translator
from ..monitor import charts, labels
from ..monitor.indicators import format_value
from .errors import ReportError

SUPPRESSED, MISSING, INFINITY = "x", "\u2013", "\u221e"
CHART_FONT = "Open Sans"  # report.css's font; `make install` installs it (fonts-open-sans)
DECIMALS = {"count": 0, "ratio": 2, "rate": 2}  # shares are percentages with one decimal


class Formatter:
    """Texts and values in one language (``nl`` or ``en``): ``_`` translates an English
    msgid of the message catalogue."""

    def __init__(self, lang: str):
        if lang not in LANGS:
            raise ReportError(f"language {lang!r}: choose nl or en")
        self.lang = lang
        self._ = translator(lang)

    def field(self, entry: dict, name: str) -> str:
        """A field the publication holds in both languages: ``name_nl`` or ``name_en``."""
        return entry[f"{name}_{self.lang}"]

    def num(self, value, unit: str = "count", missing: str = SUPPRESSED) -> str:
        """A value as people read it: shares as percentages (one decimal), ratios and rates
        with two decimals, counts whole; ``missing`` for None or a value that is not finite."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return missing
        if unit == "share":
            return format_percent(value, self.lang, decimals=1)
        if unit == "points":  # a difference of shares: "+5,0 %-punt"
            return format_value(value, unit, self.lang)
        return format_number(value, self.lang, decimals=DECIMALS.get(unit, 0))

    def interval(self, low, high, missing: str = MISSING) -> str:
        """``low–high``, or ``missing`` when there is no lower bound."""
        return missing if low is None else f"{self.num(low)}\u2013{self.num(high)}"

    def signed(self, value: float, unit: str) -> str:
        """A change with its sign; a change of shares in percentage points."""
        return labels.signed(value, unit, self.lang)

    def date(self, iso: str | None) -> str:
        """An ISO date (or timestamp) as "6 December 2026"; as it is when it is no date."""
        if not iso:
            return MISSING
        try:
            d = datetime.fromisoformat(iso)
        except ValueError:
            return iso
        return format_date(d, self.lang, "d MMMM y")

    def level(self, by: str, code: str) -> str:
        return labels.level(by, code, self.lang)

    def reporters(self, combo: str) -> str:
        return labels.reporters(combo, self.lang)

    def span(self, years: list[int]) -> str:
        years = sorted(years)
        return f"{years[0]}\u2013{years[-1]}" if len(years) > 1 else str(years[0])

    def svg(self, chart) -> Markup:
        """A chart as inline SVG in the report's font, year labels upright (hidden from screen
        readers: the table beside it carries the numbers).  vl-convert lays the text out with
        the font it is given, so WeasyPrint must draw it with the same one."""
        spec = charts.spec(chart)
        config = spec.get("config") or {}
        config = {**config, "font": CHART_FONT,
                  "axisX": {**config.get("axisX", {}), "labelAngle": 0}}
        svg = charts.to_svg(charts.localized({**spec, "config": config}, self.lang))
        return Markup(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))


class Numbering:
    """Tables and figures numbered in the order the chapters ask for them."""

    def __init__(self):
        self.table = self.figure = 0

    def next_table(self) -> int:
        self.table += 1
        return self.table

    def next_figure(self) -> int:
        self.figure += 1
        return self.figure
