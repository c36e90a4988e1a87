"""How the publication's codes read in Dutch and English, for the dashboard and the report:
breakdown names, the levels of each breakdown, target statuses and method verdicts.  The names
of breakdowns, statuses and verdicts are English msgids of the catalogue (:mod:`zicht.i18n`);
the levels are the (Dutch, English) names of :mod:`zicht.codes`."""

from __future__ import annotations

from ..codes import NATIONALITY_GROUPS, NR_GROUPS, REGIONS, REPORTER_CATEGORIES, SEXES
from ..i18n import N_, NC_, translator

BREAKDOWN_NAMES = {"sex": N_("sex"), "age_band": N_("age band"),
                   "form": N_("form of exploitation"), "nationality_group": N_("nationality"),
                   "region": N_("region of exploitation")}
# the levels by code: (Dutch, English) pairs, as zicht.codes names them
# sex X is not written "x", which marks a suppressed cell in the report
LEVELS = {"sex": {**SEXES, "X": ("overig (X)", "other (X)")}, "form": NR_GROUPS,
          "nationality_group": NATIONALITY_GROUPS, "region": REGIONS,
          "age_band": {"unknown": ("onbekend", "unknown")}}
STATUS = {"on track": N_("on track"), "at risk": N_("at risk"),
          "off track": N_("off track"), "no data": N_("no data")}
# method verdicts: msgids in the context "verdict" ("ok" reads "geen bezwaar" in Dutch)
VERDICT_CONTEXT = "verdict"
VERDICTS = frozenset((
    NC_("verdict", "ok"), NC_("verdict", "no estimate"), NC_("verdict", "boundary"),
    NC_("verdict", "open interval"), NC_("verdict", "prior-sensitive"),
    NC_("verdict", "poor fit"), NC_("verdict", "below observed"), NC_("verdict", "poor mixing"),
    NC_("verdict", "not applicable")))


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

