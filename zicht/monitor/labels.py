"""How the publication's codes read in Dutch and English, for the dashboard and the report:
breakdown names, the levels of each breakdown, target statuses and method verdicts.  The names
of breakdowns, statuses and verdicts are English msgids of the catalogue (:mod:`zicht.i18n`);
the levels are the (Dutch, English) names of :mod:`zicht.codes`."""

from __future__ import annotations

import math

from ..codes import NATIONALITY_GROUPS, NR_GROUPS, REGIONS, REPORTER_CATEGORIES, SEXES
from ..i18n import N_, NC_, format_number, format_percent, translator

BREAKDOWN_NAMES = {"sex": N_("sex"), "age_band": N_("age band"),
                   "form": N_("form of exploitation"), "nationality_group": N_("nationality"),
                   "region": N_("region of exploitation"), "minor": N_("minor or adult")}
# the levels by code: (Dutch, English) pairs, as zicht.codes names them
# sex X is not written "x", which marks a suppressed cell in the report
LEVELS = {"sex": {**SEXES, "X": ("overig (X)", "other (X)")}, "form": NR_GROUPS,
          "nationality_group": NATIONALITY_GROUPS, "region": REGIONS,
          "age_band": {"unknown": ("onbekend", "unknown")},
          "minor": {"minor": ("minderjarig", "minor"), "adult": ("meerderjarig", "adult"),
                    "unknown": ("leeftijd onbekend", "age unknown")}}
STATUS = {"on track": N_("on track"), "at risk": N_("at risk"),
          "off track": N_("off track"), "no data": N_("no data")}
# method verdicts: msgids in the context "verdict" ("ok" reads "geen bezwaar" in Dutch)
VERDICT_CONTEXT = "verdict"
VERDICTS = frozenset((
    NC_("verdict", "ok"), NC_("verdict", "no estimate"), NC_("verdict", "boundary"),
    NC_("verdict", "open interval"), NC_("verdict", "prior-sensitive"),
    NC_("verdict", "poor fit"), NC_("verdict", "below observed"), NC_("verdict", "poor mixing"),
    NC_("verdict", "not applicable")))


# an indicator's unit, in the context "unit" ("share" reads "aandeel" in Dutch)
UNITS = (NC_("unit", "count"), NC_("unit", "share"), NC_("unit", "ratio"))
UNIT_NAMES = {"rate": NC_("unit", "per 100,000"), "points": NC_("unit", "percentage points")}
# the words of an indicator's declaration that the report and the methods page show: its
# numerator, denominator and source (zicht.monitor.indicators declares them in English)
TERMS = frozenset((
    N_("cases"), N_("chain figures"), N_("chain figures + linkage"), N_("convictions"),
    N_("estimate"), N_("estimate minus registered"), N_("estimated victims"),
    N_("estimates (MSE)"), N_("estimates + CBS population"), N_("key fields"),
    N_("key fields filled in"), N_("linkage (persons)"), N_("linkage + CBS population"),
    N_("linkage + estimates"), N_("persons"), N_("persons last year"),
    N_("persons offered or granted"), N_("persons placed"),
    N_("persons this year minus last year"), N_("persons under 18"),
    N_("persons with a complaint"), N_("persons with two or more reporter categories"),
    N_("population / 100,000"), N_("prosecutions"), N_("registered persons"),
    N_("registered persons (NL)"), N_("registry (reports)"), N_("reports"),
    N_("reports from obliged reporters"), N_("share with a complaint minus share without")))


def unit(value: str, lang: str) -> str:
    """An indicator's unit as readers say it (``share`` -> ``aandeel``); an unknown one as it
    is."""
    name = UNIT_NAMES.get(value, value)
    if name not in UNITS and value not in UNIT_NAMES:
        return value
    return translator(lang).pgettext("unit", name)


def term(text: str, lang: str) -> str:
    """A numerator, denominator or source of an indicator in ``lang`` (one not in
    :data:`TERMS` as it is)."""
    return translator(lang)(text) if text in TERMS else text


def _pick(pair: tuple[str, str], lang: str) -> str:
    """The language's name of a (Dutch, English) pair of zicht.codes."""
    return pair[0] if lang == "nl" else pair[1]


def breakdown_name(by: str, lang: str) -> str:
    return translator(lang)(BREAKDOWN_NAMES[by]) if by in BREAKDOWN_NAMES else by


def level(by: str, code: str, lang: str) -> str:
    """A breakdown level by name (``F`` -> ``vrouw``); an unknown code as it is."""
    pair = LEVELS.get(by, {}).get(code)
    return _pick(pair, lang) if pair else code


def reporters(combo: str, lang: str) -> str:
    """A combination of reporter categories (``POL+ZC``) by name, joined with " + "."""
    return " + ".join(_pick(REPORTER_CATEGORIES.get(c, (c, c)), lang) for c in combo.split("+"))


def status(value: str, lang: str) -> str:
    return translator(lang)(STATUS[value]) if value in STATUS else value


def verdict(value: str, lang: str) -> str:
    return translator(lang).pgettext(VERDICT_CONTEXT, value) if value in VERDICTS else value


def target_indicator(target: dict, indicators: dict, lang: str) -> str:
    """The indicator a published target is on, by name, with its breakdown cell ("registered
    persons (form of exploitation: labour exploitation)"); ``indicators``: the publication's
    indicators by key."""
    ind = indicators.get(target["indicator"])
    name = target["indicator"] if ind is None else ind["name_nl" if lang == "nl" else "name_en"]
    cell = ", ".join(f"{breakdown_name(k, lang)}: {level(k, v, lang)}"
                     for k, v in (target.get("where") or {}).items())
    return f"{name} ({cell})" if cell else name


def signed(value: float, unit: str, lang: str) -> str:
    """A change with its sign ("+1.234", "\u22122,5%"): counts whole, ``percent`` a relative
    change with one decimal, a change of shares in percentage points."""
    from .indicators import format_value  # pandas: only where a value is formatted

    if not math.isfinite(value):
        return "-"
    sign = "+" if value > 0 else "\u2212" if value < 0 else "\u00b1"
    if unit == "share":
        points = format_number(abs(value) * 100, lang, decimals=1)
        _ = translator(lang)
        unit_name = _("percentage points")
        return f"{sign}{points} {unit_name}"
    if unit == "percent":
        return sign + format_percent(abs(value), lang, decimals=1)
    return sign + format_value(abs(value), unit, lang)


def change(value: dict | None, lang: str, interval_word: bool = False) -> str:
    """A published change of the estimate (``{estimate, ci_low, ci_high, significant}``) worded
    by whether its interval excludes 0: "\u22122.429 (\u22124.939 tot +81): geen significante
    verandering"; "-" without one.  ``interval_word``: "(95%-interval ... tot ...)"."""
    if not value:
        return "-"
    _ = translator(lang)
    verdict = _("significant change") if value["significant"] else _("no significant change")
    text = (_("{change} (95% interval {low} to {high}): {verdict}") if interval_word
            else _("{change} ({low} to {high}): {verdict}"))
    return text.format(change=signed(value["estimate"], "count", lang),
                       low=signed(value["ci_low"], "count", lang),
                       high=signed(value["ci_high"], "count", lang), verdict=verdict)


def trend(value: dict | None, lang: str) -> str | None:
    """The published trend (``{per_year, ci_low, ci_high, significant}``, and ``from``) as a
    sentence: "+4,8% per jaar (95%-interval +3,1% tot +6,5%): een significante trend"; None
    without one."""
    if not value:
        return None
    _ = translator(lang)
    verdict = _("a significant trend") if value["significant"] else _("no significant trend")
    text = _("{change} a year (95% interval {low} to {high}): {verdict}").format(
        change=signed(value["per_year"], "percent", lang),
        low=signed(value["ci_low"], "percent", lang),
        high=signed(value["ci_high"], "percent", lang), verdict=verdict)
    if value.get("from") == "series":
        text += " " + _("(from one model over all years)")
    return text
