"""Identifier noise for synthetic reports: what real intake forms do to names, dates, nationality.

``apply_noise(rng, frame, config)`` takes one row per report with the clear identifiers
(``given_name``, ``surname_prefix``, ``surname``, ``birth_date`` as ``YYYY-MM-DD``,
``nationality`` as ISO alpha-3) and returns a copy with the noisy versions in the same columns,
plus ``birth_year`` (nullable ``Int64``: the year whenever it is known, ``<NA>`` otherwise)
and ``noise`` (the kinds applied to the row, ``;``-separated in the order of ``NOISE_KINDS``,
e.g. ``"typo_given;dob_year_only"``). Missing values are empty strings. Other columns pass
through unchanged.

Every rate of ``NoiseConfig`` is a probability *given that the noise can apply* to the row or
name part (its "eligible" set, stated per field), so that the rate can be audited exactly:
``count(kind) / count(eligible)`` is binomial with the configured rate. The steps run in this
order, each on the output of the previous one:

1. surname prefix dropped or changed (``prefix_dropped`` / ``prefix_changed``),
2. name parts merged (``merge_surname``: prefix glued to the surname, ``merge_given``: two
   given names written as one),
3. given name and surname swapped (``swap_names``),
4. transliteration variant (``translit_given`` / ``translit_surname``),
5. diacritics dropped (``diacritics_given`` / ``diacritics_surname``),
6. one typo (``typo_given`` / ``typo_surname``): an insertion, deletion, substitution by a
   QWERTY neighbour or transposition; it always changes the string,
7. name part missing (``missing_given`` / ``missing_surname``; a missing surname takes its
   prefix with it),
8. birth date unknown or year only (``dob_unknown`` / ``dob_year_only``, exclusive), then on
   full dates the day and month swapped where that gives a different valid date
   (``dob_day_month_swap``), then on known years the year shifted by ±1 (``dob_year_off``;
   29 February becomes the 28th in a non-leap year),
9. nationality missing (``nationality_missing``), then recoded as alpha-2, English country name
   or Dutch nationality adjective (``nationality_recoded``).

Everything is vectorised with numpy masks (string transforms are computed once per distinct
value); only the rows selected for a typo go through a Python loop. Deterministic for a given
``rng`` state. One million rows take about 6–7 s on the project's 2-core machine.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from ..codes import NATIONALITY_CODES

__all__ = [
    "NATIONALITY_CODES",
    "NOISE_KINDS",
    "NoiseConfig",
    "apply_noise",
    "noise_counts",
    "prefix_variants",
    "strip_diacritics",
    "transliteration_variants",
]

NOISE_KINDS = (
    "prefix_dropped", "prefix_changed", "merge_surname", "merge_given", "swap_names",
    "translit_given", "translit_surname", "diacritics_given", "diacritics_surname",
    "typo_given", "typo_surname", "missing_given", "missing_surname", "dob_unknown",
    "dob_year_only", "dob_day_month_swap", "dob_year_off", "nationality_missing",
    "nationality_recoded",
)  # fmt: skip
_BIT = {k: i for i, k in enumerate(NOISE_KINDS)}


@dataclass(frozen=True)
class NoiseConfig:
    """Noise rates; the defaults are the minimum difficulty of issue 3.

    Each rate is a probability in [0, 1] given the field's eligible set:

    - ``typo``, ``missing_name``: per name part (given name, surname) that is non-empty.
    - ``prefix_change``: per report whose surname has a prefix (in practice Dutch); half of the
      selected lose the prefix, half get a different one (``van der`` → ``van de`` …).
    - ``merge_parts``: per report with a prefix or a given name of several words.
    - ``swap_names``: per report.
    - ``transliteration``: per name part with another common romanisation (Cyrillic-script and
      Chinese nationalities, see ``transliteration_variants``).
    - ``diacritics_dropped``: per name part with letters outside ASCII (Wójcik → Wojcik).
    - ``dob_unknown``, ``dob_year_only``: per report with a clear birth date (exclusive, so
      their sum must be at most 1).
    - ``dob_day_month_swap``: per report whose date is still full and whose day and month can be
      swapped into a different valid date (day ≤ 12, day ≠ month; about a third of dates).
    - ``dob_year_off``: per report whose birth year is still known.
    - ``nationality_missing``: per report with a nationality.
    - ``nationality_recoded``: per report whose nationality is still there and has a known
      alternative coding (``NATIONALITY_CODES``).
    """

    typo: float = 0.10
    missing_name: float = 0.05
    prefix_change: float = 0.15
    merge_parts: float = 0.02
    swap_names: float = 0.03
    transliteration: float = 0.10
    diacritics_dropped: float = 0.10
    dob_unknown: float = 0.08
    dob_year_only: float = 0.05
    dob_day_month_swap: float = 0.03
    dob_year_off: float = 0.05
    nationality_missing: float = 0.20
    nationality_recoded: float = 0.10

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"NoiseConfig.{f.name} must be a number, got {value!r}")
            if not 0.0 <= float(value) <= 1.0:  # also rejects NaN
                raise ValueError(f"NoiseConfig.{f.name} must lie in [0, 1], got {value!r}")
        if self.dob_unknown + self.dob_year_only > 1.0:
            raise ValueError(
                "NoiseConfig.dob_unknown + NoiseConfig.dob_year_only must be at most 1, got "
                f"{self.dob_unknown} + {self.dob_year_only}"
            )

    @classmethod
    def none(cls) -> NoiseConfig:
        """A configuration without any noise."""
        return cls(**{f.name: 0.0 for f in fields(cls)})


# ---------------------------------------------------------------------------------------------
# String helpers
# ---------------------------------------------------------------------------------------------

_SPECIAL = str.maketrans({
    "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d", "Đ": "D", "æ": "ae", "Æ": "AE",
    "œ": "oe", "Œ": "OE", "ı": "i", "ħ": "h", "Ħ": "H", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D",
})  # fmt: skip


def strip_diacritics(text: str) -> str:
    """Drop diacritics (NFKD without combining marks, plus ł, ø, ß, đ … by a small map)."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _rule_scheme(pairs: dict[str, str]):
    alternatives = "|".join(sorted(map(re.escape, pairs), key=len, reverse=True))
    pattern = re.compile(alternatives, re.IGNORECASE | re.ASCII)

    def apply(text: str) -> str:
        def repl(m: re.Match) -> str:
            new = pairs.get(m.group(0).lower(), m.group(0))
            return new[:1].upper() + new[1:] if m.group(0)[0].isupper() else new

        return pattern.sub(repl, text)

    return apply


# Romanisations of Cyrillic names next to the passport form (which the clear names use).
_CYRILLIC_SCHEMES = (
    _rule_scheme({  # Dutch
        "shch": "sjtsj", "sht": "sjt", "zh": "zj", "kh": "ch", "ch": "tsj", "sh": "sj",
        "yu": "joe", "iu": "joe", "ya": "ja", "ye": "je", "u": "oe",
    }),
    _rule_scheme({  # German
        "shch": "schtsch", "sht": "scht", "zh": "sh", "kh": "ch", "ch": "tsch", "sh": "sch",
        "ts": "z", "yu": "ju", "iu": "ju", "ya": "ja", "ia": "ja", "ye": "je", "v": "w", "z": "s",
    }),
    _rule_scheme({  # scholarly / Czech-like
        "shch": "šč", "sht": "št", "zh": "ž", "kh": "ch", "ch": "č", "sh": "š", "ts": "c",
        "yu": "ju", "iu": "ju", "ya": "ja", "ia": "ja",
    }),
)  # fmt: skip
_WADE_GILES = _rule_scheme(
    {"zh": "ch", "q": "ch", "x": "hs", "z": "ts", "c": "ts", "ong": "ung", "ian": "ien"}
)
_CANTONESE = {
    "Chen": "Chan", "Wang": "Wong", "Huang": "Wong", "Li": "Lee", "Zhang": "Cheung", "Lin": "Lam",
    "Wu": "Ng", "Liu": "Lau", "Zhou": "Chow", "Xu": "Hui", "Zhao": "Chiu", "Guo": "Kwok",
    "He": "Ho", "Hu": "Woo", "Zheng": "Cheng", "Liang": "Leung", "Xie": "Tse", "Luo": "Law",
    "Yang": "Yeung", "Zhu": "Chu", "Deng": "Tang", "Cai": "Choi", "Ye": "Yip", "Lu": "Lo",
    "Su": "So", "Jiang": "Chiang", "Feng": "Fung", "Tang": "Tong", "Cao": "Tso", "Mai": "Mak",
}  # fmt: skip
_CYRILLIC_NATIONALITIES = ("UKR", "BGR", "RUS", "BLR", "MKD", "KAZ", "KGZ", "TJK", "MNG")
_CHINESE_NATIONALITIES = ("CHN", "TWN", "HKG", "MAC", "SGP")


def transliteration_variants(name: str, nationality: str) -> list[str]:
    """Other common romanisations of ``name`` for a person of ``nationality`` (may be empty)."""
    if not name:
        return []
    if nationality in _CYRILLIC_NATIONALITIES:
        candidates = [scheme(name) for scheme in _CYRILLIC_SCHEMES]
    elif nationality in _CHINESE_NATIONALITIES:
        candidates = [_WADE_GILES(name)]
        if name in _CANTONESE:
            candidates.append(_CANTONESE[name])
    else:
        return []
    return list(dict.fromkeys(c for c in candidates if c != name))


_PREFIX_CHANGES = {
    "van der": ("van de", "van den", "v.d."), "van den": ("van der", "van de", "v.d."),
    "van de": ("van der", "van den"), "van": ("v.", "van de", "van der"), "de": ("den", "van de"),
    "den": ("de", "van den"), "der": ("de", "van der"), "ter": ("ten", "te"), "ten": ("ter", "te"),
    "te": ("ter", "ten"), "van 't": ("van het", "van"), "van het": ("van 't", "van"),
    "in 't": ("in het", "in de"), "'t": ("het", "de"), "het": ("'t", "de"), "'s": ("s", "des"),
    "in de": ("in den", "de"), "op de": ("op den", "de"), "uit de": ("uit den", "de"),
    "d'": ("de", "d"),
}  # fmt: skip


def prefix_variants(prefix: str) -> tuple[str, ...]:
    """Prefixes that a form may write instead of ``prefix`` (never ``prefix`` itself)."""
    low = prefix.lower()
    variants = _PREFIX_CHANGES.get(low, ("van", "de"))
    return tuple(v for v in variants if v != low) or ("van",)


_KEYBOARD = {
    "q": "wa", "w": "qeas", "e": "wrds", "r": "etdf", "t": "ryfg", "y": "tugh", "u": "yihj",
    "i": "uojk", "o": "ipkl", "p": "ol", "a": "qwsz", "s": "awedxz", "d": "serfcx",
    "f": "drtgvc", "g": "ftyhbv", "h": "gyujnb", "j": "huikmn", "k": "jiolm", "l": "kop",
    "z": "asx", "x": "zsdc", "c": "xdfv", "v": "cfgb", "b": "vghn", "n": "bhjm", "m": "njk",
}  # fmt: skip
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _neighbour(ch: str, u: float) -> str:
    base = strip_diacritics(ch).lower()[:1]
    options = _KEYBOARD.get(base) or _LETTERS.replace(base, "") if base else _LETTERS
    new = _pick(options, u)
    return new.upper() if ch.isupper() else new


def _typo(s: str, op: int, u_pos: float, u_char: float) -> str:
    """One typo in ``s`` (non-empty); the result always differs from ``s``."""
    n = len(s)
    if op == 1 and n >= 2:  # deletion
        i = min(int(u_pos * n), n - 1)
        return s[:i] + s[i + 1 :]
    if op == 3:  # transposition of two different adjacent characters
        spots = [i for i in range(n - 1) if s[i] != s[i + 1]]
        if spots:
            i = spots[min(int(u_pos * len(spots)), len(spots) - 1)]
            a, b = s[i], s[i + 1]
            if i == 0 and a.isupper():
                a, b = a.lower(), b.upper()
            return s[:i] + b + a + s[i + 2 :]
    if op == 0:  # insertion of a neighbour of the character before
        i = min(int(u_pos * (n + 1)), n)
        new = _neighbour(s[max(i - 1, 0)], u_char)
        if i > 0:
            new = new.lower()
        return s[:i] + new + s[i:]
    i = min(int(u_pos * n), n - 1)  # substitution by a keyboard neighbour
    return s[:i] + _neighbour(s[i], u_char) + s[i + 1 :]


def _isin(values: np.ndarray, options) -> np.ndarray:
    """Hash-based membership test (numpy's isin sorts object arrays, which is slow)."""
    return pd.Series(values, dtype=object).isin(list(options)).to_numpy()


def _map_pairs(a: np.ndarray, b: np.ndarray, func) -> np.ndarray:
    """``func(a_i, b_i)`` computed once per distinct pair, broadcast back."""
    ca, ua = pd.factorize(a, sort=False)
    cb, ub = pd.factorize(b, sort=False)
    pair_codes, pairs = pd.factorize(ca.astype(np.int64) * max(len(ub), 1) + cb, sort=False)
    k = max(len(ub), 1)
    mapped = np.asarray([func(ua[p // k], ub[p % k]) for p in pairs], dtype=object)
    return mapped[pair_codes]


def _map_unique(values: np.ndarray, func) -> np.ndarray:
    """``func`` applied to each distinct value once, broadcast back."""
    codes, uniques = pd.factorize(values, sort=False)
    mapped = np.asarray([func(u) for u in uniques], dtype=object)
    return mapped[codes]


# ---------------------------------------------------------------------------------------------
# Nationality codings
# ---------------------------------------------------------------------------------------------

#: alpha-3 -> (alpha-2, English short name, Dutch nationality adjective)
# the alternative codings live with the other code lists



# ---------------------------------------------------------------------------------------------
# apply_noise
# ---------------------------------------------------------------------------------------------

_REQUIRED = ("given_name", "surname_prefix", "surname", "birth_date", "nationality")


def _strings(series: pd.Series) -> np.ndarray:
    return series.fillna("").astype(str).to_numpy(dtype=object)


def _select(rng: np.random.Generator, eligible: np.ndarray, rate: float) -> np.ndarray:
    """Draw for every row (fixed rng consumption), keep the eligible ones below ``rate``."""
    return (rng.random(eligible.size) < rate) & eligible


def _pick(options, u: float):
    """Option number floor(u * k) of k options."""
    return options[min(int(u * len(options)), len(options) - 1)]


def _variant_pick(values, nats, selected, u, variants_of) -> np.ndarray:
    """For the selected rows, a variant of (value, nationality) picked by ``u``."""
    out = values.copy()
    idx = np.flatnonzero(selected)
    out[idx] = [_pick(variants_of(values[i], nats[i]), u[i]) for i in idx]
    return out


def _name_noise(rng, given, prefix, surname, nat, cfg, flags) -> tuple:
    n = given.size
    # 1. prefix dropped or changed
    has_prefix = prefix != ""
    sel = _select(rng, has_prefix, cfg.prefix_change)
    u = rng.random(n)
    drop = sel & (u < 0.5)
    change = sel & ~drop
    pick = rng.random(n)
    flags["prefix_dropped"] = drop
    flags["prefix_changed"] = change
    idx = np.flatnonzero(change)
    if idx.size:
        prefix = prefix.copy()
        prefix[idx] = [
            _pick(prefix_variants(p), w) for p, w in zip(prefix[idx], pick[idx], strict=True)
        ]
    prefix = np.where(drop, "", prefix)

    # 2. merged name parts
    multi_given = _map_unique(given, lambda g: " " in g).astype(bool)
    has_prefix = prefix != ""
    sel = _select(rng, has_prefix | multi_given, cfg.merge_parts)
    m_sur = sel & has_prefix
    m_giv = sel & ~has_prefix
    flags["merge_surname"] = m_sur
    flags["merge_given"] = m_giv
    if m_sur.any():
        idx = np.flatnonzero(m_sur)
        surname = surname.copy()
        surname[idx] = [
            p.replace(" ", "").replace("'", "").capitalize() + s[:1].lower() + s[1:]
            for p, s in zip(prefix[idx], surname[idx], strict=True)
        ]
        prefix = np.where(m_sur, "", prefix)
    if m_giv.any():
        given = np.where(m_giv, _map_unique(given, lambda g: g.replace(" ", "")), given)

    # 3. given name and surname swapped
    sel = _select(rng, np.ones(n, dtype=bool), cfg.swap_names)
    flags["swap_names"] = sel
    given, surname = np.where(sel, surname, given), np.where(sel, given, surname)

    # 4. transliteration variants, 5. diacritics dropped
    cache: dict[tuple[str, str], list[str]] = {}

    def variants_of(name: str, nationality: str) -> list[str]:
        key = (name, nationality)
        if key not in cache:
            cache[key] = transliteration_variants(name, nationality)
        return cache[key]

    translit_nat = _isin(nat, _CYRILLIC_NATIONALITIES + _CHINESE_NATIONALITIES)
    idx = np.flatnonzero(translit_nat)
    parts = {"given": given, "surname": surname}
    for part, values in parts.items():
        eligible = translit_nat.copy()
        eligible[idx] = _map_pairs(values[idx], nat[idx], lambda v, c: bool(variants_of(v, c)))
        sel = _select(rng, eligible, cfg.transliteration)
        u = rng.random(n)
        flags[f"translit_{part}"] = sel
        parts[part] = _variant_pick(values, nat, sel, u, variants_of)
    for part, values in parts.items():
        stripped = _map_unique(values, strip_diacritics)
        sel = _select(rng, stripped != values, cfg.diacritics_dropped)
        flags[f"diacritics_{part}"] = sel
        parts[part] = np.where(sel, stripped, values)

    # 6. typos (the only Python loop over rows), 7. missing parts
    for part, values in parts.items():
        sel = _select(rng, values != "", cfg.typo)
        op = rng.integers(0, 4, n)
        u_pos = rng.random(n)
        u_char = rng.random(n)
        flags[f"typo_{part}"] = sel
        idx = np.flatnonzero(sel)
        if idx.size:
            values = values.copy()
            values[idx] = [
                _typo(values[i], int(op[i]), float(u_pos[i]), float(u_char[i])) for i in idx
            ]
        parts[part] = values
    for part, values in parts.items():
        sel = _select(rng, values != "", cfg.missing_name)
        flags[f"missing_{part}"] = sel
        parts[part] = np.where(sel, "", values)
    prefix = np.where(flags["missing_surname"], "", prefix)
    return parts["given"], prefix, parts["surname"]


def _is_leap(year: np.ndarray) -> np.ndarray:
    return (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))


def _date_noise(rng, birth_date: np.ndarray, cfg, flags) -> tuple[np.ndarray, pd.array]:
    n = birth_date.size
    parsed = pd.to_datetime(pd.Series(birth_date), format="%Y-%m-%d", errors="coerce")
    known = parsed.notna().to_numpy()
    year = parsed.dt.year.fillna(0).to_numpy(dtype=np.int64)
    month = parsed.dt.month.fillna(1).to_numpy(dtype=np.int64)
    day = parsed.dt.day.fillna(1).to_numpy(dtype=np.int64)

    u = rng.random(n)
    unknown = known & (u < cfg.dob_unknown)
    year_only = known & ~unknown & (u < cfg.dob_unknown + cfg.dob_year_only)
    full = known & ~unknown & ~year_only
    flags["dob_unknown"] = unknown
    flags["dob_year_only"] = year_only

    swappable = full & (day <= 12) & (day != month)
    swap = _select(rng, swappable, cfg.dob_day_month_swap)
    flags["dob_day_month_swap"] = swap
    day, month = np.where(swap, month, day), np.where(swap, day, month)

    has_year = full | year_only
    off = _select(rng, has_year, cfg.dob_year_off)
    sign = np.where(rng.random(n) < 0.5, -1, 1)
    flags["dob_year_off"] = off
    year = np.where(off, year + sign, year)
    day = np.where((month == 2) & (day == 29) & ~_is_leap(year), 28, day)

    out_date = np.full(n, "", dtype=object)
    idx = np.flatnonzero(full)
    if idx.size:
        months = ((year[idx] - 1970) * 12 + (month[idx] - 1)).astype("datetime64[M]")
        dates = months.astype("datetime64[D]") + (day[idx] - 1).astype("timedelta64[D]")
        out_date[idx] = dates.astype(str).astype(object)
    birth_year = pd.array(np.where(has_year, year, 0), dtype="Int64")
    birth_year[~has_year] = pd.NA
    return out_date, birth_year


def _nationality_noise(rng, nat: np.ndarray, cfg, flags) -> np.ndarray:
    n = nat.size
    missing = _select(rng, nat != "", cfg.nationality_missing)
    flags["nationality_missing"] = missing
    out = np.where(missing, "", nat)
    codable = _isin(out, NATIONALITY_CODES)
    recode = _select(rng, codable, cfg.nationality_recoded)
    which = rng.random(n)
    flags["nationality_recoded"] = recode
    idx = np.flatnonzero(recode)
    out[idx] = [_pick(NATIONALITY_CODES[c], w) for c, w in zip(out[idx], which[idx], strict=True)]
    return out


def _noise_labels(flags: dict[str, np.ndarray], n: int) -> np.ndarray:
    code = np.zeros(n, dtype=np.int64)
    for kind, mask in flags.items():
        code |= mask.astype(np.int64) << _BIT[kind]
    uniques, inverse = np.unique(code, return_inverse=True)
    labels = [";".join(k for k in NOISE_KINDS if (int(c) >> _BIT[k]) & 1) for c in uniques]
    return np.asarray(labels, dtype=object)[inverse.reshape(-1)]


def apply_noise(
    rng: np.random.Generator, frame: pd.DataFrame, config: NoiseConfig | None = None
) -> pd.DataFrame:
    """Noisy copy of ``frame`` (one row per report); see the module docstring."""
    cfg = NoiseConfig() if config is None else config
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"apply_noise: frame lacks column(s) {', '.join(missing)}")
    n = len(frame)
    flags: dict[str, np.ndarray] = {}
    given = _strings(frame["given_name"])
    prefix = _strings(frame["surname_prefix"])
    surname = _strings(frame["surname"])
    nat = _strings(frame["nationality"])

    given, prefix, surname = _name_noise(rng, given, prefix, surname, nat, cfg, flags)
    birth_date, birth_year = _date_noise(rng, _strings(frame["birth_date"]), cfg, flags)
    nationality = _nationality_noise(rng, nat, cfg, flags)

    out = frame.copy()
    for name, values in (("given_name", given), ("surname_prefix", prefix), ("surname", surname),
                         ("birth_date", birth_date), ("nationality", nationality),
                         ("noise", _noise_labels(flags, n))):
        # object columns: pandas' default Arrow strings cost a conversion each way
        out[name] = pd.Series(np.asarray(values, dtype=object), index=out.index, dtype=object)
    out["birth_year"] = birth_year
    return out


def noise_counts(noisy: pd.DataFrame) -> dict[str, int]:
    """How many rows carry each noise kind (all of ``NOISE_KINDS``, zeros included)."""
    counts = dict.fromkeys(NOISE_KINDS, 0)
    kinds = noisy["noise"].astype(str)
    exploded = kinds[kinds != ""].str.split(";").explode()
    for kind, c in exploded.value_counts().items():
        counts[str(kind)] = int(c)
    return counts
