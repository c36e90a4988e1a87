"""How the report writes its values: numbers, dates, codes and charts in the report's language,
and the numbering of its tables and figures."""

from __future__ import annotations

import math
from datetime import datetime

from markupsafe import Markup

from ..monitor import charts, labels
from ..monitor.indicators import format_value
from .errors import ReportError
from .texts import TEXT

SUPPRESSED, MISSING, INFINITY = "x", "\u2013", "\u221e"
NL_NUMBERS = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["\u20ac\u00a0", ""]}
CHART_FONT = "Open Sans"  # report.css's font; `make install` installs it (fonts-open-sans)
MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
             "september", "oktober", "november", "december")
LANGS = ("nl", "en")


class Formatter:
    """Texts and values in one language (``nl`` or ``en``)."""

    def __init__(self, lang: str):
        if lang not in LANGS:
            raise ReportError(f"language {lang!r}: choose nl or en")
        self.lang = lang
        self.i = 0 if lang == "nl" else 1

    def t(self, key: str, **kw) -> str:
        return TEXT[key][self.i].format(**kw)

    def pick(self, pair) -> str:
        return pair[self.i]

    def num(self, value, unit: str = "count", missing: str = SUPPRESSED) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return missing
        return format_value(value, unit, self.lang)

    def interval(self, low, high, missing: str = MISSING) -> str:
        """``low–high``, or ``missing`` when there is no lower bound."""
        return missing if low is None else f"{self.num(low)}\u2013{self.num(high)}"

    def signed(self, value: float, unit: str) -> str:
        sign = "+" if value > 0 else "\u2212" if value < 0 else "\u00b1"
        if unit == "share":  # a difference of shares in percentage points
            text = f"{abs(value) * 100:.1f}"
            text = text.replace(".", ",") if self.lang == "nl" else text
            return f"{sign}{text} {self.t('pp')}"
        return sign + format_value(abs(value), unit, self.lang)

    def date(self, iso: str | None) -> str:
        if not iso:
            return MISSING
        try:
            d = datetime.fromisoformat(iso)
        except ValueError:
            return iso
        if self.lang == "nl":
            return f"{d.day} {MONTHS_NL[d.month - 1]} {d.year}"
        return f"{d.day} {d.strftime('%B')} {d.year}"

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
        if self.lang == "nl":  # 1.234,5 on the axes
            config["locale"] = {"number": NL_NUMBERS}
        svg = charts.to_svg({**spec, "config": config})
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
