"""What the review page (:mod:`zicht.web.review`) shows of a pair, and which pairs it shows.

One pair is one table: the two reports as columns, the fields as rows, each value by its label
in the page's language (reporter category, sex, nationality, place, forms), and a last column
that says whether the two agree - in words beside a symbol, not by colour alone.  Where the
linkage model compared a field (the sex, the reference years, the birth year implied by the
age, the place and forms of exploitation), the model's comparison level is that cell; the
fields it compares by token only (name, birth date) are rows with the level alone: no token,
no name, no birth date is ever shown.

The filters are GET parameters: a band of match probability, a list (reporter category on
either side), and whether a pair has a standing decision.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import pandas as pd

from ..codes import CARIBBEAN_PLACES, FORMS, REPORTER_CATEGORIES, SEXES
from ..i18n import LANGS, N_, format_number
from .pages import countries

# the comparison levels of zicht.linkage.model (its English labels are the msgids), by what
# they say about the pair: the two agree, are close, differ, or cannot be compared
LEVEL_KIND = {
    N_("no name to compare"): "unknown",
    N_("all name parts equal (order free)"): "equal",
    N_("one part equal, the other similar"): "similar",
    N_("both parts similar (Dice >= 0.75)"): "similar",
    N_("all parts similar, order free (Dice >= 0.8)"): "similar",
    N_("surname equal, given name missing"): "similar",
    N_("given name equal, surname missing"): "similar",
    N_("one part missing, the other similar"): "similar",
    N_("surname equal"): "similar",
    N_("given name equal"): "similar",
    N_("all parts loosely similar (Dice >= 0.55)"): "similar",
    N_("different"): "different",
    N_("birth year unknown"): "unknown",
    N_("date equal"): "equal",
    N_("day and month swapped"): "similar",
    N_("year and month equal"): "similar",
    N_("day and month equal, year differs"): "similar",
    N_("year equal, date known on one side only"): "similar",
    N_("year equal, date differs"): "similar",
    N_("age unknown, or birth years compared"): "unknown",
    N_("same implied birth year"): "equal",
    N_("implied birth years 1 apart"): "similar",
    N_("implied birth years 2-3 apart"): "similar",
    N_("year unknown"): "unknown",
    N_("same year"): "equal",
    N_("1 year apart"): "similar",
    N_("2-3 years apart"): "similar",
    N_("further apart"): "different",
    N_("nothing to compare"): "unknown",
    N_("place and forms equal"): "equal",
    N_("place equal"): "similar",
    N_("sex unknown"): "unknown",
    N_("sex equal"): "equal",
}
LEVELS = tuple(LEVEL_KIND)
KINDS = {"equal": ("=", N_("equal")), "similar": ("\u2248", N_("similar")),
         "different": ("\u2260", N_("different")), "unknown": ("?", N_("unknown"))}

# the rows of a pair: (label, the reports' attribute or None, the model's comparison or None)
ROWS = (
    (N_("reporter category"), "reporter_category", None),
    (N_("reference year"), "reference_year", "year"),
    (N_("sex"), "sex", "sex"),
    (N_("nationality"), "nationality", None),
    (N_("age band"), "age_band", "age"),
    (N_("place and form of exploitation"), "place_of_exploitation", "context"),
    (N_("forms of exploitation"), "exploitation_forms", None),
    (N_("name"), None, "name"),
    (N_("birth date"), None, "birth_date"),
)
UNKNOWN_CODES = frozenset(("", "UNK", "U", "unknown", "nan"))

BANDS = {"low": (0.0, 0.4), "middle": (0.4, 0.6), "high": (0.6, 1.0)}
STATUSES = {"open": N_("still to review"), "decided": N_("decided"), "all": N_("all pairs")}


def _pick(pair: tuple[str, str], lang: str) -> str:
    """The language's name of a (Dutch, English) pair of zicht.codes."""
    return pair[LANGS.index(lang)] if lang in LANGS else pair[-1]


def _value(attribute: str, code: str, row: Mapping, lang: str, _: Callable) -> str:
    """A report's attribute by its label in ``lang`` (a code nobody lists, as it is)."""
    if code in UNKNOWN_CODES:
        return _("unknown")
    if attribute == "reporter_category":
        label = _pick(REPORTER_CATEGORIES[code], lang) if code in REPORTER_CATEGORIES else code
        return label
    if attribute == "sex":
        return _pick(SEXES[code], lang) if code in SEXES else code
    if attribute in ("nationality", "place_of_exploitation"):
        if code in CARIBBEAN_PLACES:
            return CARIBBEAN_PLACES[code]
        return dict(countries(lang)).get(code.upper(), code)  # a CBS municipality code stays
    if attribute == "exploitation_forms":
        return ", ".join(_pick(FORMS[f], lang) if f in FORMS else f
                         for f in re.split(r"[;,+| ]+", code) if f)
    return code


def level_text(label: str, _: Callable) -> str:
    if label in LEVEL_KIND:
        return _(label)
    # the levels of the tok_extra_* comparisons: "<name> unknown", "<name> equal"
    if label.endswith(" unknown"):
        return _("{name} unknown").format(name=label[: -len(" unknown")])
    if label.endswith(" equal"):
        return _("{name} equal").format(name=label[: -len(" equal")])
    return label


def _level_kind(label: str) -> str:
    if label in LEVEL_KIND:
        return LEVEL_KIND[label]
    return "unknown" if label.endswith(" unknown") else \
        "equal" if label.endswith(" equal") else "different"


def _mark(kind: str, _: Callable, detail: str = "") -> dict:
    symbol, word = KINDS[kind]
    return {"kind": kind, "symbol": symbol, "word": _(word), "detail": detail}


def rows_of(row: pd.Series, lang: str, _: Callable) -> list[dict]:
    """The table of one pair: ``label``, ``left``, ``right`` (None: the field is compared by
    token only) and ``mark`` (kind, symbol, word, the model's level as ``detail``)."""
    def get(column: str) -> str:
        value = row.get(column, "")
        return "" if value is None or (isinstance(value, float) and pd.isna(value)) \
            else str(value).strip()

    out = []
    used_levels = set()
    for label, attribute, comparison in ROWS:
        level = get(f"level_{comparison}") if comparison else ""
        if comparison:
            used_levels.add(f"level_{comparison}")
        if attribute and f"{attribute}_l" not in row.index and f"{attribute}_r" not in row.index:
            attribute = None
        if attribute is None and not level:
            continue
        left = right = None
        if attribute:
            codes = get(f"{attribute}_l"), get(f"{attribute}_r")
            left, right = (_value(attribute, c, row, lang, _) for c in codes)
            if attribute == "reporter_category":  # with the organisation, by its code
                orgs = get("organisation_l"), get("organisation_r")
                left, right = (f"{v} ({o})" if o else v
                               for v, o in zip((left, right), orgs, strict=True))
            if level:
                kind = _level_kind(level)
            elif codes[0] in UNKNOWN_CODES or codes[1] in UNKNOWN_CODES:
                kind = "unknown"
            else:
                kind = "equal" if codes[0] == codes[1] else "different"
        else:
            kind = _level_kind(level)
        out.append({"label": _(label), "left": left, "right": right,
                    "mark": _mark(kind, _, level_text(level, _) if level else "")})
    for column in row.index:  # comparisons a run adds (tok_extra_*): their level alone
        if column.startswith("level_") and column not in used_levels and get(column):
            out.append({"label": column[6:].replace("_", " "), "left": None, "right": None,
                        "mark": _mark(_level_kind(get(column)), _,
                                      level_text(get(column), _))})
    return out


# -- filters -------------------------------------------------------------------------------------
def read_filters(params: Mapping[str, str]) -> dict[str, str]:
    """The filters of a request (GET parameters or the fields of a form); an unknown value
    is no filter."""
    band = str(params.get("band", "") or "")[:10]
    category = str(params.get("list", "") or "")[:10]
    status = str(params.get("status", "") or "")[:10]
    return {"band": band if band in BANDS else "",
            "list": category if category in REPORTER_CATEGORIES else "",
            "status": status if status in STATUSES else "open"}


def query_of(filters: Mapping[str, str], **more) -> dict[str, str]:
    """The GET parameters of ``filters`` that differ from the default, with ``more``."""
    out = {k: v for k, v in filters.items() if v and not (k == "status" and v == "open")}
    return {**out, **{k: str(v) for k, v in more.items() if v not in (None, "")}}


def select(queue: pd.DataFrame, decided: set, filters: Mapping[str, str]) -> pd.DataFrame:
    """The pairs of ``queue`` (in its order) that pass ``filters``; ``decided``: the keys of
    the pairs with a standing decision."""
    keep = pd.Series(True, index=queue.index)
    if filters.get("status") != "all":
        standing = queue["key"].map(lambda k: k in decided).astype(bool)
        keep &= standing if filters.get("status") == "decided" else ~standing
    if filters.get("band"):
        low, high = BANDS[filters["band"]]
        p = queue["match_probability"]
        keep &= (p >= low) & ((p < high) if high < 1.0 else (p <= high))
    if filters.get("list"):
        code = filters["list"]
        sides = [queue[c] == code for c in ("reporter_category_l", "reporter_category_r")
                 if c in queue.columns]
        keep &= (sides[0] | sides[1]) if len(sides) == 2 else (sides[0] if sides else False)
    return queue[keep.to_numpy()]


def filter_options(queue: pd.DataFrame, lang: str, _: Callable) -> dict[str, list]:
    """The choices of the filter form, by label: bands, the lists present in the queue,
    statuses."""
    def n(x: float) -> str:
        return format_number(x, lang, decimals=1, grouping=False)

    bands = [("", _("every probability")),
             ("low", _("below {x}").format(x=n(0.4))),
             ("middle", _("{low} to {high}").format(low=n(0.4), high=n(0.6))),
             ("high", _("{x} and above").format(x=n(0.6)))]
    present: set[str] = set()
    for column in ("reporter_category_l", "reporter_category_r"):
        if column in queue.columns:
            present |= set(queue[column].dropna().astype(str))
    lists = [("", _("every list"))] + [
        (code, _pick(label, lang)) for code, label in REPORTER_CATEGORIES.items()
        if code in present]
    return {"band": bands, "list": lists,
            "status": [(code, _(label)) for code, label in STATUSES.items()]}
