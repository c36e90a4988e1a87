"""Programme targets per development line, and their status with the reasoning shown.

The programme "Samen tegen mensenhandel" (2018) has five development lines and set no
quantified targets (docs/DOMAIN.md section 3); the field asked for them.  Targets therefore live
in a small YAML file the coordinator edits (``targets.yaml`` beside this module is an
*example*, not adopted policy)::

    lines:
      - line: 1
        name_nl: basisaanpak
        name_en: basic approach
        targets:
          - indicator: complaint_filed     # a key of zicht.monitor.indicators.INDICATORS
            target: 0.5
            direction: at_least            # or at_most
            deadline: 2026
            baseline_year: 2020            # optional: the trend is fitted from here
            where: {form: labour}          # optional: one cell of the indicator's breakdowns

Status of a target, from the indicator's yearly values:

* **on track** - the latest value meets the target, or the least-squares trend line over the
  years since the baseline meets it at the deadline (the reasoning then says whether the line
  moves towards the target or only stays within it);
* **at risk** - the trend moves towards the target but reaches it only after the deadline;
* **off track** - the target is not met and the trend is flat or moves away from it, or the
  deadline has passed without it being met;
* **no data** - fewer than one value (a trend needs two).

Every status comes with its reasoning in Dutch and English (the numbers it was decided on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

from ..i18n import N_, number_symbols, translator
from .indicators import INDICATORS, format_value

DIRECTIONS = ("at_least", "at_most")
STATUSES = ("on track", "at risk", "off track", "no data")


class TargetsError(ValueError):
    """The targets file is malformed (the message names the line and field)."""


@dataclass(frozen=True)
class Target:
    line: int
    indicator: str
    target: float
    direction: str
    deadline: int
    baseline_year: int | None = None
    where: tuple[tuple[str, str], ...] = ()  # breakdown -> value


@dataclass(frozen=True)
class Line:
    line: int
    name_nl: str
    name_en: str
    targets: tuple[Target, ...]


@dataclass
class Status:
    target: Target
    status: str
    latest_year: int | None
    latest: float | None
    projected: float | None  # the trend's value at the deadline
    reason_nl: str
    reason_en: str
    values: dict[int, float] = field(default_factory=dict)

    def reason(self, lang: str = "nl") -> str:
        return self.reason_nl if lang == "nl" else self.reason_en


def load_targets(path: str | Path | None = None) -> list[Line]:
    """Read and validate a targets file (default: the shipped example)."""
    if path is None:
        text = resources.files(__package__).joinpath("targets.yaml").read_text()
        where = "targets.yaml"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise TargetsError(f"{path}: cannot read it ({exc.strerror or exc})") from None
        where = str(path)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TargetsError(f"{where}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("lines"), list):
        raise TargetsError(f"{where}: expected a mapping with a list 'lines'")
    lines, seen = [], set()
    for i, raw in enumerate(doc["lines"], start=1):
        here = f"{where}: lines[{i}]"
        if not isinstance(raw, dict):
            raise TargetsError(f"{here}: expected a mapping")
        number = _int(raw.get("line"), f"{here}.line")
        if number in seen:
            raise TargetsError(f"{here}: development line {number} appears twice")
        seen.add(number)
        for key in ("name_nl", "name_en"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise TargetsError(f"{here}.{key}: a name is required")
        targets = []
        for j, t in enumerate(raw.get("targets") or [], start=1):
            targets.append(_target(t, number, f"{here}.targets[{j}]"))
        lines.append(Line(number, raw["name_nl"], raw["name_en"], tuple(targets)))
    return lines


def _int(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TargetsError(f"{where}: expected a whole number, got {value!r}")
    return value


def _target(raw, line: int, here: str) -> Target:
    if not isinstance(raw, dict):
        raise TargetsError(f"{here}: expected a mapping")
    key = raw.get("indicator")
    if key not in INDICATORS:
        raise TargetsError(f"{here}.indicator: unknown indicator {key!r}")
    value = raw.get("target")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TargetsError(f"{here}.target: expected a number, got {value!r}")
    direction = raw.get("direction", "at_least")
    if direction not in DIRECTIONS:
        raise TargetsError(f"{here}.direction: {direction!r} (choose {' or '.join(DIRECTIONS)})")
    deadline = _int(raw.get("deadline"), f"{here}.deadline")
    baseline = raw.get("baseline_year")
    if baseline is not None:
        baseline = _int(baseline, f"{here}.baseline_year")
        if baseline >= deadline:
            raise TargetsError(f"{here}.baseline_year: must be before the deadline {deadline}")
    where = raw.get("where") or {}
    if not isinstance(where, dict):
        raise TargetsError(f"{here}.where: expected a mapping of breakdown to value")
    allowed = INDICATORS[key].breakdowns
    for name in where:
        if name not in allowed:
            raise TargetsError(f"{here}.where: {key} has no breakdown {name!r} (allowed: "
                               f"{', '.join(allowed) or 'none'})")
    return Target(line, key, float(value), direction, deadline, baseline,
                  tuple((str(k), str(v)) for k, v in where.items()))


def evaluate(lines: list[Line], data, today: int, k: int | None = None) -> list[Status]:
    """The status of every target on :class:`~zicht.monitor.inputs.MonitorData`.  With ``k``
    (a publication's), a year whose value the publication suppresses is no value to the target
    either, so its reasoning never shows a number the tables hide."""
    out = []
    for line in lines:
        for t in line.targets:
            ind = INDICATORS[t.indicator]
            by = tuple(name for name, _ in t.where)
            frame = ind.compute(data, by)
            for name, v in t.where:
                frame = frame[frame[name].astype(str) == v]
            values = {int(row.year): ind.published(row.value)
                      for row in frame.itertuples(index=False)
                      if k is None or not ind.hides(row, k)}
            out.append(assess(t, values, today))
    return out


def _fmt(x: float, unit: str, lang: str) -> str:
    """A value in the indicator's unit as the tables show it (shares as percentages, counts
    whole, a projected count too)."""
    return format_value(x, unit, lang)


def _slope(x: float, unit: str, lang: str) -> str:
    """A trend per year: percentage points for shares, else the indicator's unit."""
    _ = translator(lang)
    if unit in ("share", "points"):
        text = f"{x * 100:+.2f}".replace(".", number_symbols(lang)["decimal"])
        return _("{value} percentage points a year").format(value=text)
    sign = "+" if x >= 0 else "-"
    text = sign + format_value(abs(x), "ratio" if unit == "count" else unit, lang)
    return _("{value} a year").format(value=text)


# how the trend reads when the latest value misses the target (the status's reason ends so),
# by status and by whether the trend line moves towards the target: the words never say
# "towards" of a line that moves away (issue 18: "+0.02 percentage points a year ... on
# track" read as moving the right way for an at-most target)
TRENDS = {("on track", True): N_("on track"),
          ("on track", False): N_("on track: the trend line stays within the target, but is "
                                  "flat or moving away from it"),
          ("at risk", True): N_("moving towards it, too slowly"),
          ("off track", False): N_("flat or moving away")}


def _reasons(reason) -> tuple[str, str]:
    """A reason in Dutch and in English: ``reason(_, lang)`` builds it with a translator."""
    return reason(translator("nl"), "nl"), reason(translator("en"), "en")


def assess(target: Target, values: dict[int, float], today: int) -> Status:
    """The status of ``target`` given the indicator's value per year; ``today`` is the current
    year (a deadline before it has passed)."""
    series = {int(y): float(v) for y, v in values.items() if v is not None and np.isfinite(v)}
    if target.baseline_year is not None:
        series = {y: v for y, v in series.items() if y >= target.baseline_year}
    if not series:
        return Status(target, "no data", None, None, None,
                      *_reasons(lambda _, lang: _("no values for this indicator")))
    year = max(series)
    latest = series[year]
    sign = 1.0 if target.direction == "at_least" else -1.0
    goal = N_("at least") if sign > 0 else N_("at most")
    unit = INDICATORS[target.indicator].unit

    def head(_, lang: str) -> str:
        return _("{year}: {latest}, target {goal} {target} by {deadline}").format(
            year=year, latest=_fmt(latest, unit, lang), goal=_(goal),
            target=_fmt(target.target, unit, lang), deadline=target.deadline)

    def ending(message: str):
        return lambda _, lang: _(message).format(head=head(_, lang))

    if sign * (latest - target.target) >= 0:
        return Status(target, "on track", year, latest, None, *_reasons(ending(N_("{head}: met"))),
                      series)
    if today > target.deadline:
        return Status(target, "off track", year, latest, None,
                      *_reasons(ending(N_("{head}: not met and the deadline has passed"))), series)
    if len(series) < 2:
        return Status(target, "off track", year, latest, None,
                      *_reasons(ending(N_("{head}: not met; one year is too few for a trend"))),
                      series)
    # one least-squares line gives the trend, its level now, the projection and the status,
    # and the words say all of them: the projection lies on the line, not on the latest value
    # (a noisy last year above a flat line once read "+0.02 a year, 17.4% expected" beside 23.4%)
    years = np.array(sorted(series), dtype=float)
    slope, intercept = np.polyfit(years, [series[int(y)] for y in years], 1)
    now = float(slope * year + intercept)
    projected = float(slope * target.deadline + intercept)
    towards = bool(sign * slope > 0)
    if sign * (projected - target.target) >= 0:
        status = "on track"
    elif towards:
        status = "at risk"
    else:
        status = "off track"

    def reason(_, lang: str) -> str:
        trend = _("trend line {now} in {year}, {slope}, {projected} expected by {deadline}") \
            .format(now=_fmt(now, unit, lang), year=year, slope=_slope(slope, unit, lang),
                    projected=_fmt(projected, unit, lang), deadline=target.deadline)
        return f"{head(_, lang)}; {trend}: {_(TRENDS[status, towards])}"

    return Status(target, status, year, latest, projected, *_reasons(reason), series)
