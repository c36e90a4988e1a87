"""Name pools per nationality and vectorised name sampling for synthetic victims.

Pools are built once (lazily, then cached) from the attributes of Faker's person providers
(``first_names_male``/``first_names_female``, ``last_names``, ``male_last_names`` …), never by
calling Faker per person. Where a locale is written in another script the names are
romanised as a passport would (Ukrainian national system, Bulgarian streamlined system,
Russian ICAO, pinyin for Chinese). Where a Faker pool is alphabetical, a short hand-written
head of the really common names of that naming culture is put first and the Faker names follow
in a fixed pseudo-random order; where Faker orders a pool by frequency (Polish surnames) or gives
weights (Hungarian, Chinese), that order or those weights are used.

Frequencies are Zipf–Mandelbrot over each pool's rank ``k`` (1-based)::

    p_k ∝ 1 / (k + q) ** s,   s = 1

with an offset ``q`` per pool kind (``SURNAME_Q``, ``GIVEN_Q``), so that common names are common
without the top name taking an unrealistic share (De Jong: 0.4 % of Dutch surnames). Measured
on 6,000 Dutch persons (half F, half M, 30 seeds), the share of persons whose given name +
surname (prefix included) is shared with at least one other person is 3.3 % (2.9–3.8 %), and
34 % of Dutch surnames carry a prefix (``van``, ``de``, ``van der`` …), kept in
``surname_prefix``. Naming cultures with few surnames share more (6,000 persons each: HUN 37 %,
VNM 62 %, CHN 22 %, where Nguyễn alone is 40 %; POL 7 %, ROU 5 %, BGR 1.5 %).

Pools depend on the installed Faker version; for a given Faker version sampling is
deterministic for a given ``numpy.random.Generator`` state.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

__all__ = [
    "DUTCH_PREFIXES",
    "GIVEN_Q",
    "NATIONALITIES",
    "SURNAME_Q",
    "NamePool",
    "pool_for",
    "sample_names",
    "shared_name_rate",
]

#: Nationalities with their own pool; every other code (or an empty one) uses the generic pool.
NATIONALITIES = ("NLD", "POL", "NGA", "ROU", "BGR", "HUN", "UKR", "VNM", "CHN")

#: Zipf–Mandelbrot offsets (q) for surnames and given names, see the module docstring.
SURNAME_Q = 100.0
GIVEN_Q = 15.0

#: Dutch surname prefixes (tussenvoegsels), longest first so "van der" wins over "van".
DUTCH_PREFIXES = (
    "van der", "van den", "van de", "van het", "van 't", "in 't", "in de", "in den", "op de",
    "op den", "op 't", "uit de", "uit den", "uit het", "aan de", "aan den", "bij de", "onder de",
    "van", "de", "den", "der", "ter", "ten", "te", "het", "'t", "'s", "d'", "la", "le", "du", "von",
)  # fmt: skip

_PERMUTATION_SEED = 20240603  # fixed order of the Faker tails; independent of the caller's rng


# ---------------------------------------------------------------------------------------------
# Romanisation of Cyrillic
# ---------------------------------------------------------------------------------------------

_UKR = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh",
    "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "'": "", "’": "",
}  # fmt: skip
_UKR_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}

_BGR = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sht", "ъ": "a",
    "ь": "y", "ю": "yu", "я": "ya",
}  # fmt: skip

_RUS = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip


def romanise(text: str, system: str) -> str:
    """Romanise Cyrillic ``text`` with ``system`` "ukr", "bgr" or "rus" (Latin text passes)."""
    table = {"ukr": _UKR, "bgr": _BGR, "rus": _RUS}[system]
    out: list[str] = []
    word_start = True
    for ch in text:
        low = ch.lower()
        if system == "ukr" and word_start and low in _UKR_INITIAL:
            lat = _UKR_INITIAL[low]
        else:
            lat = table.get(low, ch if low not in table else "")
        if ch != low and lat:
            lat = lat[0].upper() + lat[1:]
        out.append(lat)
        word_start = not ch.isalpha()
    result = "".join(out)
    if system == "bgr" and result.endswith("iya"):  # streamlined system: final -ия is -ia
        result = result[:-3] + "ia"
    return result


# ---------------------------------------------------------------------------------------------
# Name lists (data/names.json): hand-written heads (the common names of each culture), extra
# names Faker lacks, Vietnamese shares, romanised Arabic names, the generic pool's locales and
# the pinyin of Faker's zh_CN hanzi
# ---------------------------------------------------------------------------------------------


def _frozen(value):
    """JSON lists as tuples (the lists are constants), objects as dicts of the same."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    return value


_LISTS = {k: _frozen(v) for k, v in json.loads(
    resources.files(__package__).joinpath("data", "names.json").read_text(encoding="utf-8")
).items() if not k.startswith("_")}

_NLD_SURNAME_HEAD = _LISTS["NLD_SURNAME_HEAD"]
_NLD_GIVEN_HEAD = _LISTS["NLD_GIVEN_HEAD"]
_POL_GIVEN_HEAD = _LISTS["POL_GIVEN_HEAD"]
_ROU_SURNAME_HEAD = _LISTS["ROU_SURNAME_HEAD"]
_ROU_GIVEN_HEAD = _LISTS["ROU_GIVEN_HEAD"]
_BGR_SURNAME_HEAD = _LISTS["BGR_SURNAME_HEAD"]
_BGR_GIVEN_HEAD = _LISTS["BGR_GIVEN_HEAD"]
_UKR_GIVEN_HEAD = _LISTS["UKR_GIVEN_HEAD"]
_UKR_SURNAME_HEAD = _LISTS["UKR_SURNAME_HEAD"]
_NGA_SURNAME_HEAD = _LISTS["NGA_SURNAME_HEAD"]  # Edo (Benin City) names are over-represented
_NGA_GIVEN_HEAD = _LISTS["NGA_GIVEN_HEAD"]
# Hungarian surnames beyond Faker's top 100 (Faker's weights are relative to its top 100,
# which cover only about half of the population).
_HUN_SURNAME_TAIL = _LISTS["HUN_SURNAME_TAIL"]
# Toponymic surnames (place + -i: Szegedi, Debreceni ...) lengthen the Hungarian tail.
_HUN_PLACES = _LISTS["HUN_PLACES"]
# Vietnamese surname shares (per cent, approximate national frequencies).
_VNM_SURNAMES = _LISTS["VNM_SURNAMES"]
_VNM_MIDDLE = _LISTS["VNM_MIDDLE"]
_VNM_GIVEN_EXTRA = _LISTS["VNM_GIVEN_EXTRA"]
# Pinyin of the hanzi in Faker's zh_CN pools (surnames and given-name characters).
_PINYIN = dict(zip(_LISTS["PINYIN"]["hanzi"], _LISTS["PINYIN"]["pinyin"].split(), strict=True))
# Romanised Arabic names (Faker's ar_AA is in Arabic script) for the generic pool.
_ARABIC = _LISTS["ARABIC"]
# Generic pool: Faker locales (Latin script, or romanised) and their mixing weights.
_GENERIC_LOCALES = _LISTS["GENERIC_LOCALES"]



# ---------------------------------------------------------------------------------------------
# Pool construction
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NamePool:
    """Names of one naming culture with sampling probabilities.

    ``surname_female`` holds the female form of each surname (same index as ``surname``), which
    differs from the male form in cultures with gendered surnames (Polish -ski/-ska, Bulgarian
    -ov/-ova, Ukrainian -skyi/-ska, Russian -ov/-ova).
    """

    given_female: np.ndarray
    p_given_female: np.ndarray
    given_male: np.ndarray
    p_given_male: np.ndarray
    surname_prefix: np.ndarray
    surname: np.ndarray
    surname_female: np.ndarray
    p_surname: np.ndarray


def _provider(locale: str):
    return importlib.import_module(f"faker.providers.person.{locale}").Provider


def _names(value) -> list[str]:
    """Faker pools are tuples, lists or dicts name -> weight; return the names in order."""
    return [str(v) for v in (value.keys() if isinstance(value, dict) else value)]


def _dedupe(names) -> list[str]:
    seen: dict[str, None] = {}
    for n in names:
        n = n.strip()
        if n and n not in seen:
            seen[n] = None
    return list(seen)


def _permuted(names: list[str], salt: int) -> list[str]:
    order = np.random.default_rng([_PERMUTATION_SEED, salt]).permutation(len(names))
    return [names[i] for i in order]


def _zipf(n: int, q: float, s: float = 1.0) -> np.ndarray:
    p = 1.0 / (np.arange(1, n + 1, dtype=float) + q) ** s
    return p / p.sum()


def _ranked(head, tail, salt: int) -> list[str]:
    """Hand-written head in its order, then the Faker tail in a fixed pseudo-random order."""
    head = _dedupe(head)
    known = set(head)
    rest = [n for n in _dedupe(tail) if n not in known]
    return head + _permuted(rest, salt)


def _arr(values) -> np.ndarray:
    return np.asarray(list(values), dtype=object)


def _weighted(weights: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    merged: dict[str, float] = {}
    for k, w in weights.items():
        merged[k] = merged.get(k, 0.0) + float(w)
    p = np.asarray(list(merged.values()), dtype=float)
    return _arr(merged), p / p.sum()


def _simple_pool(given_f, given_m, surnames, female_surnames=None, prefixes=None) -> NamePool:
    """Pool from ranked lists (Zipf–Mandelbrot weights by rank)."""
    n = len(surnames)
    return NamePool(
        given_female=_arr(given_f),
        p_given_female=_zipf(len(given_f), GIVEN_Q),
        given_male=_arr(given_m),
        p_given_male=_zipf(len(given_m), GIVEN_Q),
        surname_prefix=_arr(prefixes if prefixes is not None else [""] * n),
        surname=_arr(surnames),
        surname_female=_arr(female_surnames if female_surnames is not None else surnames),
        p_surname=_zipf(n, SURNAME_Q),
    )


def split_dutch_prefix(full: str) -> tuple[str, str] | None:
    """Split a Dutch surname into (prefix, surname); None for names that are not one surname."""
    full = " ".join(full.replace("' ", "'").split())
    if "," in full:
        return None
    low = full.lower()
    prefix = ""
    for p in DUTCH_PREFIXES:
        if low.startswith(p + " ") or (p.endswith("'") and low.startswith(p)):
            prefix = p
            full = full[len(p) :].strip()
            break
    if not full or " " in full or not full[0].isalpha():
        return None
    return prefix, full[0].upper() + full[1:]


def _nld() -> NamePool:
    p = _provider("nl_NL")
    ranked = _ranked(_NLD_SURNAME_HEAD, _names(p.last_names), 1)
    parts = [s for s in (split_dutch_prefix(n) for n in ranked) if s is not None]
    parts = list(dict.fromkeys(parts))  # keep first (highest) rank of duplicates
    return _simple_pool(
        _ranked(_NLD_GIVEN_HEAD["F"], _names(p.first_names_female), 2),
        _ranked(_NLD_GIVEN_HEAD["M"], _names(p.first_names_male), 3),
        [s for _, s in parts],
        prefixes=[pre for pre, _ in parts],
    )


def _polish_female(surname: str) -> str:
    for male, female in (("dzki", "dzka"), ("cki", "cka"), ("ski", "ska")):
        if surname.endswith(male):
            return surname[: -len(male)] + female
    return surname


def _pol() -> NamePool:
    p = _provider("pl_PL")
    head = ["Nowak"] + _names(getattr(p, "male_last_names", ()))  # Faker orders by frequency
    tail = _names(getattr(p, "unisex_last_names", ())) or _names(p.last_names)
    surnames = _ranked(head, tail, 11)
    pool = _simple_pool(
        _ranked(_POL_GIVEN_HEAD["F"], _names(p.first_names_female), 12),
        _ranked(_POL_GIVEN_HEAD["M"], _names(p.first_names_male), 13),
        surnames,
        female_surnames=[_polish_female(s) for s in surnames],
    )
    # Faker's tail holds only the ungendered surnames, while about a third of Poles carry a
    # -ski/-cki name: give the frequency-ordered head (mostly -ski) half of the mass.
    k = len(_dedupe(head))
    p_sur = np.concatenate([0.5 * _zipf(k, SURNAME_Q), 0.5 * _zipf(len(surnames) - k, SURNAME_Q)])
    return replace(pool, p_surname=p_sur)


def _nga() -> NamePool:
    yo, en = _provider("yo_NG"), _provider("en_NG")
    return _simple_pool(
        _ranked(_NGA_GIVEN_HEAD["F"], _names(en.first_names_female) + _names(yo.first_names_female),
                21),
        _ranked(_NGA_GIVEN_HEAD["M"], _names(en.first_names_male) + _names(yo.first_names_male),
                22),
        # Yoruba and Edo surnames are often given names (Adebayo, Osagie): extend the pool
        _ranked(
            _NGA_SURNAME_HEAD,
            _names(en.last_names) + _names(yo.last_names) + _names(yo.first_names_male),
            23,
        ),
    )  # fmt: skip


def _rou() -> NamePool:
    p = _provider("ro_RO")
    return _simple_pool(
        _ranked(_ROU_GIVEN_HEAD["F"], _names(p.first_names_female), 31),
        _ranked(_ROU_GIVEN_HEAD["M"], _names(p.first_names_male), 32),
        # many Romanian surnames are male given names (Ion, Vasile, Constantin, Marin …)
        _ranked(_ROU_SURNAME_HEAD, _names(p.last_names) + _names(p.first_names_male), 33),
    )


def _slavic_female(surname: str) -> str:
    for male, female in (("ov", "ova"), ("ev", "eva"), ("ski", "ska"), ("in", "ina")):
        if surname.endswith(male):
            return surname[: -len(male)] + female
    return surname


def _patronymic(given: str) -> str:
    if given.endswith(("y", "i")):
        return given[:-1] + ("ev" if given.endswith("y") else "iev")
    if given.endswith(("a", "o", "e")):
        return given[:-1] + "ov"
    return given + "ov"


def _bgr() -> NamePool:
    p = _provider("bg_BG")

    def lat(names):
        return [romanise(n, "bgr") for n in names]

    male = lat(_names(getattr(p, "last_names_male", p.last_names)))
    given_m = _ranked(_BGR_GIVEN_HEAD["M"], lat(_names(p.first_names_male)), 43)
    # Bulgarian surnames are mostly patronymic (-ov/-ev of a male given name): extend the pool
    surnames = _ranked(_BGR_SURNAME_HEAD, male + [_patronymic(g) for g in given_m], 41)
    return _simple_pool(
        _ranked(_BGR_GIVEN_HEAD["F"], lat(_names(p.first_names_female)), 42),
        given_m,
        surnames,
        female_surnames=[_slavic_female(s) for s in surnames],
    )


def _ukr_female(surname: str) -> str:
    for male, female in (("skyi", "ska"), ("yi", "a"), ("ov", "ova"), ("ev", "eva"),
                         ("in", "ina")):  # fmt: skip
        if surname.endswith(male):
            return surname[: -len(male)] + female
    return surname


def _ukr() -> NamePool:
    p = _provider("uk_UA")

    def lat(names):
        return [romanise(n, "ukr") for n in names]

    common = lat(_names(getattr(p, "last_names_common", p.last_names)))
    male_only = lat(_names(getattr(p, "last_names_male_only", ())))
    surnames = _ranked(_UKR_SURNAME_HEAD, common + male_only, 51)
    return _simple_pool(
        _ranked(_UKR_GIVEN_HEAD["F"], lat(_names(p.first_names_female)), 52),
        _ranked(_UKR_GIVEN_HEAD["M"], lat(_names(p.first_names_male)), 53),
        surnames,
        female_surnames=[_ukr_female(s) if s in male_only else s for s in surnames],
    )


def _hun() -> NamePool:
    p = _provider("hu_HU")
    gf, pgf = _weighted(dict(p.first_names_female))
    gm, pgm = _weighted(dict(p.first_names_male))
    top = dict(p.last_names)
    total = sum(top.values())
    weights = {k: 0.5 * w / total for k, w in top.items()}  # top 100: about half of people
    places = tuple(pl + ("" if pl[-1] in "aeiouáéíóöőúüű" else "i") for pl in _HUN_PLACES)
    tail = [n for n in _dedupe(_HUN_SURNAME_TAIL + places) if n not in weights]
    for name, w in zip(tail, _zipf(len(tail), SURNAME_Q), strict=True):
        weights[name] = 0.5 * w
    sn, psn = _weighted(weights)
    return NamePool(gf, pgf, gm, pgm, _arr([""] * len(sn)), sn, sn, psn)


def _vnm() -> NamePool:
    p = _provider("vi_VN")
    unisex = _names(getattr(p, "first_names_unisex", ()))
    given = {}
    for sex, attr in (("F", "first_names_female"), ("M", "first_names_male")):
        names = _ranked(_names(getattr(p, attr)) + unisex, _VNM_GIVEN_EXTRA[sex], 61 + len(sex))
        p_given = _zipf(len(names), GIVEN_Q)
        weights = {
            f"{mid} {name}": wm * pg
            for mid, wm in _VNM_MIDDLE[sex].items()
            for name, pg in zip(names, p_given, strict=True)
            if mid != name
        }
        given[sex] = _weighted(weights)
    surnames = dict(_VNM_SURNAMES)
    for s in _names(p.last_names):
        surnames.setdefault(s, 0.2)
    sn, psn = _weighted(surnames)
    return NamePool(*given["F"], *given["M"], _arr([""] * len(sn)), sn, sn, psn)


def _pinyin(hanzi: str) -> str | None:
    syllables = [_PINYIN.get(ch) for ch in hanzi]
    if not syllables or any(s is None for s in syllables):
        return None
    return (syllables[0] + "".join(s.lower() for s in syllables[1:])) if syllables else None


def _chn() -> NamePool:
    p = _provider("zh_CN")
    sur = {}
    for hanzi, w in dict(p.last_names).items():
        py = _pinyin(hanzi)
        if py is not None:
            sur[py] = sur.get(py, 0.0) + float(w)
    for py in _names(getattr(p, "last_romanized_names", ())):
        sur.setdefault(py, 0.01)
    sn, psn = _weighted(sur)

    def given(attr):
        """Faker's names (40 %) plus two-character names built from its characters (60 %)."""
        hanzi = _names(getattr(p, attr))
        names = _dedupe(py for py in (_pinyin(h) for h in hanzi) if py)
        chars = _dedupe(py for py in (_pinyin(h) for h in hanzi if len(h) == 1) if py)
        weights = dict(zip(names, 0.4 * _zipf(len(names), GIVEN_Q), strict=True))
        pc = _zipf(len(chars), GIVEN_Q)
        for i, a in enumerate(chars):
            for j, b in enumerate(chars):
                if i != j:
                    key = a + b.lower()
                    weights[key] = weights.get(key, 0.0) + 0.6 * pc[i] * pc[j] / (1 - pc @ pc)
        return _weighted(weights)

    return NamePool(*given("first_names_female"), *given("first_names_male"),
                    _arr([""] * len(sn)), sn, sn, psn)  # fmt: skip


def _locale_pool(locale: str, salt: int) -> NamePool:
    """A generic-pool component: one Faker locale (or the romanised Arabic list)."""
    if locale == "ar_Latn":
        return _simple_pool(
            _ranked(_ARABIC["F"], [], salt), _ranked(_ARABIC["M"], [], salt), list(_ARABIC["S"])
        )
    p = _provider(locale)
    system = "rus" if locale == "ru_RU" else None

    def lat(names):
        return [romanise(n, system) for n in names] if system else names

    gf = _ranked([], lat(_names(p.first_names_female)), salt)
    gm = _ranked([], lat(_names(p.first_names_male)), salt + 1)
    if isinstance(p.last_names, dict):
        sn, psn = _weighted(dict(p.last_names))
        return NamePool(
            _arr(gf), _zipf(len(gf), GIVEN_Q), _arr(gm), _zipf(len(gm), GIVEN_Q),
            _arr([""] * len(sn)), sn, sn, psn,
        )  # fmt: skip
    male = getattr(p, "last_names_male", None)
    if system == "rus" and male is not None:
        surnames = _ranked([], lat(_names(male)), salt + 2)
        return _simple_pool(gf, gm, surnames, female_surnames=[_slavic_female(s) for s in surnames])
    surnames = _ranked([], [n for n in _names(p.last_names) if " " not in n], salt + 2)
    return _simple_pool(gf, gm, surnames)


_BUILDERS = {
    "NLD": _nld, "POL": _pol, "NGA": _nga, "ROU": _rou, "BGR": _bgr, "HUN": _hun,
    "UKR": _ukr, "VNM": _vnm, "CHN": _chn,
}  # fmt: skip


@cache
def pool_for(key: str) -> NamePool:
    """The pool of one nationality in ``NATIONALITIES`` (built once, then cached)."""
    return _BUILDERS[key]()


@cache
def _generic() -> tuple[tuple[NamePool, ...], np.ndarray]:
    pools = tuple(_locale_pool(loc, 100 + 10 * i) for i, (loc, _) in enumerate(_GENERIC_LOCALES))
    w = np.asarray([w for _, w in _GENERIC_LOCALES], dtype=float)
    return pools, w / w.sum()


# ---------------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------------


def _fill(rng, pool: NamePool, rows: np.ndarray, female: np.ndarray, out: dict) -> None:
    """Sample names from ``pool`` into ``out`` at ``rows`` (``female`` aligned with rows)."""
    n = rows.size
    if n == 0:
        return
    given = np.empty(n, dtype=object)
    f_idx = np.flatnonzero(female)
    m_idx = np.flatnonzero(~female)
    given[f_idx] = pool.given_female[
        rng.choice(pool.given_female.size, size=f_idx.size, p=pool.p_given_female)
    ]
    given[m_idx] = pool.given_male[
        rng.choice(pool.given_male.size, size=m_idx.size, p=pool.p_given_male)
    ]
    k = rng.choice(pool.surname.size, size=n, p=pool.p_surname)
    out["given_name"][rows] = given
    out["surname_prefix"][rows] = pool.surname_prefix[k]
    out["surname"][rows] = np.where(female, pool.surname_female[k], pool.surname[k])


def sample_names(rng: np.random.Generator, nationality, sex) -> pd.DataFrame:
    """Sample one clear name per person.

    ``nationality`` holds ISO 3166-1 alpha-3 codes (any code outside ``NATIONALITIES``, or an
    empty one, uses the generic mixed pool); ``sex`` holds F/M/X/U (X and U take a female or
    male given name with probability 1/2). Returns a DataFrame with columns ``given_name``,
    ``surname_prefix`` (empty string if none) and ``surname``, one row per person in input order.
    Deterministic for a given ``rng`` state (and Faker version).
    """
    nat = np.asarray(nationality, dtype=object).astype(str)
    sx = np.asarray(sex, dtype=object).astype(str)
    if nat.shape != sx.shape or nat.ndim != 1:
        raise ValueError("nationality and sex must be 1-d arrays of equal length")
    n = nat.size
    female = sx == "F"
    unsure = (sx != "F") & (sx != "M")
    coin = rng.random(n) < 0.5
    female = np.where(unsure, coin, female)
    out = {c: np.full(n, "", dtype=object) for c in ("given_name", "surname_prefix", "surname")}

    known = np.isin(nat, NATIONALITIES)
    for key in NATIONALITIES:  # fixed order: deterministic rng consumption
        rows = np.flatnonzero(nat == key)
        if rows.size:
            _fill(rng, pool_for(key), rows, female[rows], out)
    rows = np.flatnonzero(~known)
    if rows.size:
        pools, weights = _generic()
        which = rng.choice(len(pools), size=rows.size, p=weights)
        for i, pool in enumerate(pools):
            sub = rows[which == i]
            _fill(rng, pool, sub, female[sub], out)
    # object columns: pandas' default Arrow strings cost a conversion each way per batch
    return pd.DataFrame({k: pd.Series(v, dtype=object, copy=False) for k, v in out.items()})


def shared_name_rate(names: pd.DataFrame) -> float:
    """Share of persons whose given name + full surname is shared with at least one other."""
    if len(names) == 0:
        return 0.0
    full = (
        names["given_name"].astype(str)
        + "|"
        + names["surname_prefix"].astype(str)
        + "|"
        + names["surname"].astype(str)
    )
    return float(full.duplicated(keep=False).mean())
