"""How the publication's codes read in Dutch and English, for the dashboard and the report:
breakdown names, the levels of each breakdown, target statuses and method verdicts."""

from __future__ import annotations

from ..codes import NATIONALITY_GROUPS, NR_GROUPS, REGIONS, REPORTER_CATEGORIES, SEXES

BREAKDOWN_NAMES = {"sex": ("geslacht", "sex"), "age_band": ("leeftijdsgroep", "age band"),
                   "form": ("vorm van uitbuiting", "form of exploitation"),
                   "nationality_group": ("nationaliteit", "nationality"),
                   "region": ("regio van uitbuiting", "region of exploitation")}
# sex X is not written "x", which marks a suppressed cell in the report
LEVELS = {"sex": {**SEXES, "X": ("overig (X)", "other (X)")}, "form": NR_GROUPS,
          "nationality_group": NATIONALITY_GROUPS, "region": REGIONS,
          "age_band": {"unknown": ("onbekend", "unknown")}}
STATUS = {"on track": ("op koers", "on track"), "at risk": ("risico", "at risk"),
          "off track": ("uit koers", "off track"), "no data": ("geen gegevens", "no data")}
VERDICTS = {"ok": ("geen bezwaar", "ok"), "no estimate": ("geen schatting", "no estimate"),
            "boundary": ("op de rand", "boundary"),
            "open interval": ("open interval", "open interval"),
            "prior-sensitive": ("gevoelig voor de prior", "prior-sensitive"),
            "poor fit": ("slechte fit", "poor fit"),
            "below observed": ("onder het waargenomen aantal", "below observed"),
            "poor mixing": ("slechte menging", "poor mixing"),
            "not applicable": ("niet van toepassing", "not applicable")}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "nl" else pair[1]


def breakdown_name(by: str, lang: str) -> str:
    return _pick(BREAKDOWN_NAMES.get(by, (by, by)), lang)


def level(by: str, code: str, lang: str) -> str:
    """A breakdown level by name (``F`` -> ``vrouw``); an unknown code as it is."""
    pair = LEVELS.get(by, {}).get(code)
    return _pick(pair, lang) if pair else code


def reporters(combo: str, lang: str) -> str:
    """A combination of reporter categories (``POL+ZC``) by name, joined with " + "."""
    return " + ".join(_pick(REPORTER_CATEGORIES.get(c, (c, c)), lang) for c in combo.split("+"))


def status(value: str, lang: str) -> str:
    return _pick(STATUS.get(value, (value, value)), lang)


def verdict(value: str, lang: str) -> str:
    return _pick(VERDICTS.get(value, (value, value)), lang)


def target_indicator(target: dict, indicators: dict, lang: str) -> str:
    """The indicator a published target is on, by name, with its breakdown cell ("registered
    persons (form of exploitation: labour exploitation)"); ``indicators``: the publication's
    indicators by key."""
    ind = indicators.get(target["indicator"])
    name = target["indicator"] if ind is None else ind["name_nl" if lang == "nl" else "name_en"]
    cell = ", ".join(f"{breakdown_name(k, lang)}: {level(k, v, lang)}"
                     for k, v in (target.get("where") or {}).items())
    return f"{name} ({cell})" if cell else name

