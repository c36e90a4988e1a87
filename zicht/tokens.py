"""The token scheme: clear identifiers in, keyed linkage tokens out.

Names and birth dates are normalised, then turned into keyed HMAC-SHA256 tokens (exact-match
linkage keys) and keyed field-level Bloom filters of name bigrams (spelling similarity by Dice
coefficient, after Schnell, Bachteler & Reiher 2009).  The key comes from the environment
(``ZICHT_PSEUDONYM_KEY``, hex or base64, at least 32 bytes) or a key file
(``ZICHT_PSEUDONYM_KEY_FILE``); it is never stored with the data.  Every token type has its own
subkey, HMAC(key, "zicht/v1/" + type), so equal values of different fields never share a token.
The scheme is versioned (``SCHEME``); docs/PSEUDONYMISATION.md describes it for the linkage
layer.  Countries are normalised here too (:func:`normalise_country`: any accepted spelling to
ISO alpha-3), as intake stores them.

This is the one place where clear identifiers become tokens, shared by two stages that never
import each other: the registry calls it at intake (:mod:`zicht.registry.pseudonymise`
re-exports it under its old name), and linkage calls :func:`pseudonymise_frame` on a
``zicht simulate`` folder's reports, so that it sees exactly what the registry would export.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import os
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jellyfish

from . import codes

SCHEME = "zicht/v1"
KEY_ENV = "ZICHT_PSEUDONYM_KEY"
KEY_FILE_ENV = "ZICHT_PSEUDONYM_KEY_FILE"
MIN_KEY_BYTES = 32
BLOOM_BITS = 512
BLOOM_HASHES = 15
# size caps of the memo caches (normalised values and token groups): memory stays bounded
_NORMAL_CACHE = 1 << 16
_GROUP_CACHE = 1 << 15
_WORD_CACHE = 1 << 17  # per kind of Bloom filter

# letters that NFKD does not decompose into ASCII
_SPECIAL = str.maketrans({"ł": "l", "ø": "o", "ß": "ss", "đ": "d", "æ": "ae", "œ": "oe",
                          "ı": "i", "þ": "th", "ð": "d", "ŀ": "l", "ħ": "h"})
# Dutch surname prefixes (tussenvoegsels), longest first so "van der" wins over "van"
DUTCH_PREFIXES = tuple(sorted({
    "van", "de", "der", "den", "van der", "van den", "van de", "van het", "ter", "ten", "te",
    "het", "'t", "t", "in 't", "in het", "op de", "op den", "op ten", "uit de", "uit den",
    "van 't", "de la", "le", "la", "du", "des", "d'", "von", "vd", "v.d.",
}, key=lambda p: (-len(p.split()), -len(p))))
_PREFIX_HEADS = tuple((p, p + " ") for p in DUTCH_PREFIXES)


class PseudonymKeyError(RuntimeError):
    """No usable pseudonymisation key (the message says what to set)."""


def load_key(env: dict[str, str] | None = None) -> bytes:
    """The secret key from ``ZICHT_PSEUDONYM_KEY`` (hex or base64) or the file named by
    ``ZICHT_PSEUDONYM_KEY_FILE`` (raw bytes, or hex/base64 text)."""
    env = os.environ if env is None else env
    text = env.get(KEY_ENV)
    if text is None and env.get(KEY_FILE_ENV):
        path = Path(env[KEY_FILE_ENV])
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise PseudonymKeyError(
                f"{KEY_FILE_ENV}={path}: cannot read ({exc.strerror})") from None
        try:  # hex or base64 text, else the raw bytes themselves
            key = _decode(raw.decode("ascii"))
        except (UnicodeDecodeError, PseudonymKeyError):
            key = raw
        return _check(key, f"{KEY_FILE_ENV}={path}")
    if text is None:
        raise PseudonymKeyError(
            f"no pseudonymisation key: set {KEY_ENV} (hex or base64, at least {MIN_KEY_BYTES} "
            f"bytes) or {KEY_FILE_ENV}"
        )
    return _check(_decode(text), KEY_ENV)


def _decode(text: str) -> bytes:
    text = text.strip()
    try:
        return bytes.fromhex(text)
    except ValueError:
        pass
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise PseudonymKeyError("the pseudonymisation key is neither hex nor base64") from None


def _check(key: bytes, where: str) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymKeyError(f"{where}: the key has {len(key)} bytes; at least "
                                f"{MIN_KEY_BYTES} are needed")
    return key


# -- normalisation ------------------------------------------------------------------------------
# The normalisation functions are pure and names repeat a lot, so they are memoised (bounded;
# typed, because e.g. 1 and True are equal keys but normalise differently).
@lru_cache(maxsize=_NORMAL_CACHE, typed=True)
def normalise_text(text: str | None) -> str:
    """Lower case, diacritics and special letters to ASCII, punctuation to spaces, single spaces.

    "Wójcik-Łukasik" -> "wojcik lukasik"; "  VAN  der Berg" -> "van der berg".
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", str(text)).lower().translate(_SPECIAL)
    text = "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))
    text = re.sub(r"[^a-z' ]+", " ", text.replace("’", "'"))
    return " ".join(text.split())


@lru_cache(maxsize=_NORMAL_CACHE, typed=True)
def split_prefix(surname: str) -> tuple[str, str]:
    """("van der", "berg") from a normalised "van der berg"; ("", surname) without a prefix."""
    if " " in surname:  # every prefix is followed by a space
        for prefix, head in _PREFIX_HEADS:
            if surname.startswith(head) and len(surname) > len(head):
                return prefix, surname[len(head):]
    return "", surname


@lru_cache(maxsize=_NORMAL_CACHE, typed=True)
def _surname_parts(surname_prefix, surname) -> tuple[str, str]:
    prefix = normalise_text(surname_prefix)
    core = normalise_text(surname)
    if not prefix:
        prefix, core = split_prefix(core)
    return prefix, core


@lru_cache(maxsize=_NORMAL_CACHE, typed=True)
def _birth_date(birth_date) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(birth_date)) if birth_date else None
    except ValueError:
        return None


@lru_cache(maxsize=_NORMAL_CACHE, typed=True)
def _birth_year(birth_date, birth_year) -> int | None:
    date = _birth_date(birth_date)
    if date is not None:
        return date.year
    if birth_year is None or birth_year == "":
        return None
    try:  # 1977, "1977", and 1977.0 (a year column read with gaps becomes float)
        value = float(str(birth_year))
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


@dataclass(frozen=True)
class Identity:
    """Clear identifiers of one possible victim, as a reporter gave them."""

    given_name: str | None = None
    surname_prefix: str | None = None
    surname: str | None = None
    birth_date: str | None = None  # YYYY-MM-DD, or empty
    birth_year: int | str | None = None  # when only the year is known

    # normalised values (memoised by the functions, so properties cost a cache look-up)
    @property
    def given(self) -> str:
        return normalise_text(self.given_name)

    @property
    def surname_parts(self) -> tuple[str, str]:
        """(prefix, core): an explicit prefix field wins; otherwise split it off the surname."""
        return _surname_parts(self.surname_prefix, self.surname)

    @property
    def date(self) -> dt.date | None:
        return _birth_date(self.birth_date)

    @property
    def year(self) -> int | None:
        return _birth_year(self.birth_date, self.birth_year)


# the clear fields each normalised value of an Identity is computed from (for a table, so that
# pseudonymise_frame normalises each distinct combination once)
NORMALISED_FROM = {
    "given": ("given_name",),
    "surname_parts": ("surname_prefix", "surname"),
    "date": ("birth_date",),
    "year": ("birth_date", "birth_year"),
}


# -- tokens ---------------------------------------------------------------------------------------
class Pseudonymiser:
    """Keyed tokens and Bloom filters for identities (one key, many identities)."""

    def __init__(self, key: bytes | None = None):
        self._key = _check(key, "key") if key is not None else load_key()
        self._subkeys: dict[str, bytes] = {}
        self._hmacs: dict[str, hmac.HMAC] = {}
        self._masks: dict[tuple, int] = {}
        self._words: dict[tuple, dict[str, int]] = {}  # (kind, bits, hashes) -> word -> mask
        # memoised token groups, keyed by the normalised values they depend on
        self._groups: dict[str, dict] = {"given": {}, "surname": {}, "name": {}, "birth": {}}

    def __getstate__(self) -> dict:  # keyed HMAC states do not pickle; they are rebuilt on use
        return {**self.__dict__, "_hmacs": {}}

    def _sub(self, kind: str) -> bytes:
        sub = self._subkeys.get(kind)
        if sub is None:
            sub = hmac.digest(self._key, f"{SCHEME}/{kind}".encode(), "sha256")
            self._subkeys[kind] = sub
        return sub

    @property
    def fingerprint(self) -> str:
        """A public fingerprint of the key (16 hex digits of HMAC(key, "zicht/v1/fingerprint")):
        it travels with every export so that tokens made under different keys are never
        compared; it reveals nothing usable about the key."""
        return hmac.digest(self._key, f"{SCHEME}/fingerprint".encode(), "sha256").hex()[:16]

    def token(self, kind: str, value: str) -> str:
        """HMAC-SHA256 of a normalised value under the subkey of ``kind``; "" for no value."""
        if not value:
            return ""
        keyed = self._hmacs.get(kind)  # the keyed state, copied: ~2x faster than hmac.digest
        if keyed is None:
            keyed = self._hmacs[kind] = hmac.new(self._sub(kind), digestmod=hashlib.sha256)
        mac = keyed.copy()
        mac.update(value.encode())
        return mac.hexdigest()

    def bloom(self, kind: str, value: str, bits: int = BLOOM_BITS,
              hashes: int = BLOOM_HASHES) -> str:
        """Keyed Bloom filter of the padded bigrams of ``value`` (hex); "" for no value.

        Each bigram sets ``hashes`` positions by double hashing of two keyed HMACs.  The
        positions of a bigram are cached per instance (the same key gives the same positions;
        names share few distinct bigrams), which makes intake ~5x faster.  The padded value
        "_w1_w2_..._wn_" (spaces as "_") is the overlap of "_w1_", ..., "_wn_", so its bigrams
        are the union of theirs: the filter is the OR of per-word masks, cached per word."""
        if not value:
            return ""
        words = self._words.get((kind, bits, hashes))
        if words is None:
            words = self._words[(kind, bits, hashes)] = {}
        field = 0
        for word in value.split(" "):
            mask = words.get(word)
            if mask is None:
                padded = f"_{word}_"
                mask = 0
                for gram in {padded[i:i + 2] for i in range(len(padded) - 1)}:
                    mask |= self._gram_mask(kind, gram, bits, hashes)
                _remember(words, word, mask, _WORD_CACHE)
            field |= mask
        return field.to_bytes(bits // 8, "big").hex()

    def _gram_mask(self, kind: str, gram: str, bits: int, hashes: int) -> int:
        cache_key = (kind, gram, bits, hashes)
        mask = self._masks.get(cache_key)
        if mask is None:
            h1 = hmac.digest(self._sub(f"bloom1/{kind}"), gram.encode(), "sha256")
            h2 = hmac.digest(self._sub(f"bloom2/{kind}"), gram.encode(), "sha256")
            a, b = int.from_bytes(h1[:8], "big"), int.from_bytes(h2[:8], "big")
            mask = 0
            for i in range(hashes):
                mask |= 1 << ((a + i * b) % bits)
            if len(self._masks) < 200_000:  # bounded: distinct bigrams are few
                self._masks[cache_key] = mask
        return mask

    def tokens(self, ident: Identity) -> dict[str, str]:
        """Every linkage token of one identity (see docs/PSEUDONYMISATION.md for the list).

        The tokens come in groups (:data:`TOKEN_GROUPS`), each computed from one or two
        normalised values and memoised on them, so repeated names and dates cost a look-up."""
        out: dict[str, str] = {}
        for inputs, fields, group in TOKEN_GROUPS:
            values = group(self, *(getattr(ident, name) for name in inputs))
            out.update(zip(fields, values, strict=True))
        return {name: out[name] for name in TOKEN_FIELDS}

    def _given_tokens(self, given: str) -> tuple[str, ...]:
        cache = self._groups["given"]
        values = cache.get(given)
        if values is None:
            first_given = given.split()[0] if given else ""
            values = (
                self.token("given", given),
                self.token("given_first", first_given),
                self.token("given_metaphone", _phonetic(jellyfish.metaphone, given)),
                self.token("given_soundex", _phonetic(jellyfish.soundex, given)),
                self.bloom("given", given),
            )
            _remember(cache, given, values)
        return values

    def _surname_tokens(self, surname_parts: tuple[str, str]) -> tuple[str, ...]:
        cache = self._groups["surname"]
        values = cache.get(surname_parts)
        if values is None:
            prefix, core = surname_parts
            full_surname = f"{prefix} {core}".strip()
            values = (
                self.token("surname", core),
                self.token("surname_full", full_surname),
                self.token("surname_metaphone", _phonetic(jellyfish.metaphone, core)),
                self.token("surname_soundex", _phonetic(jellyfish.soundex, core)),
                self.bloom("surname", core),
            )
            _remember(cache, surname_parts, values)
        return values

    def _name_tokens(self, given: str, surname_parts: tuple[str, str]) -> tuple[str, ...]:
        # all name parts, sorted: the same tokens whichever field a part was written in
        parts = " ".join(sorted(p for p in (given.split() + surname_parts[1].split()) if p))
        cache = self._groups["name"]
        values = cache.get(parts)
        if values is None:
            values = (self.token("name_sorted", parts), self.bloom("name", parts))
            _remember(cache, parts, values)
        return values

    def _birth_tokens(self, date: dt.date | None, year: int | None) -> tuple[str, ...]:
        cache = self._groups["birth"]
        values = cache.get((date, year))
        if values is None:
            d, swapped = date, _swap_day_month(date)
            values = (
                self.token("birth_date", d.isoformat() if d else ""),
                self.token("birth_year", str(year) if year else ""),
                self.token("birth_ym", d.strftime("%Y-%m") if d else ""),
                self.token("birth_md", d.strftime("%m-%d") if d else ""),
                self.token("birth_date", swapped.isoformat() if swapped else ""),
            )
            _remember(cache, (date, year), values)
        return values


TOKEN_FIELDS = (
    "tok_given", "tok_given_first", "tok_surname", "tok_surname_full", "tok_name_sorted",
    "tok_given_metaphone", "tok_surname_metaphone", "tok_given_soundex", "tok_surname_soundex",
    "bf_given", "bf_surname", "bf_name", "tok_birth_date", "tok_birth_year", "tok_birth_ym",
    "tok_birth_md", "tok_birth_date_swapped",
)

# The groups of tokens: (the normalised values of Identity a group is computed from, its token
# fields, the memoised method that computes it).  Pseudonymiser.tokens and pseudonymise_frame
# both assemble the tokens from these, the frame once per distinct combination of the inputs.
TOKEN_GROUPS = (
    (("given",),
     ("tok_given", "tok_given_first", "tok_given_metaphone", "tok_given_soundex", "bf_given"),
     Pseudonymiser._given_tokens),
    (("surname_parts",),
     ("tok_surname", "tok_surname_full", "tok_surname_metaphone", "tok_surname_soundex",
      "bf_surname"),
     Pseudonymiser._surname_tokens),
    (("given", "surname_parts"), ("tok_name_sorted", "bf_name"), Pseudonymiser._name_tokens),
    (("date", "year"),
     ("tok_birth_date", "tok_birth_year", "tok_birth_ym", "tok_birth_md",
      "tok_birth_date_swapped"),
     Pseudonymiser._birth_tokens),
)


def _remember(cache: dict, key, value, cap: int | None = None) -> None:
    """Store in a bounded memo (``cap`` entries, by default ``_GROUP_CACHE``); a full one keeps
    what it has (names are Zipf-like: the values seen first are the frequent ones)."""
    if len(cache) < (_GROUP_CACHE if cap is None else cap):
        cache[key] = value


def _phonetic(fn, text: str) -> str:
    """Phonetic code of each word, joined (order kept)."""
    return " ".join(fn(w) for w in text.split() if w)


def _swap_day_month(d: dt.date | None) -> dt.date | None:
    """The date with day and month exchanged, when that is a different valid date."""
    if d is None or d.day > 12 or d.day == d.month:
        return None
    try:
        return dt.date(d.year, d.day, d.month)
    except ValueError:
        return None


def dice(a_hex: str, b_hex: str) -> float:
    """Dice coefficient of two Bloom filters (hex): 2|A & B| / (|A| + |B|); 0 if either empty."""
    if not a_hex or not b_hex:
        return 0.0
    a, b = int(a_hex, 16), int(b_hex, 16)
    total = a.bit_count() + b.bit_count()
    return 2 * (a & b).bit_count() / total if total else 0.0


CLEAR_COLUMNS = ("given_name", "surname_prefix", "surname", "birth_date", "birth_year")


def pseudonymise_frame(frame, pseudonymiser: Pseudonymiser):
    """A reports table (the import format) with its clear identifiers replaced by tokens.

    The clear columns are dropped; the token columns of :data:`TOKEN_FIELDS` are added.  Used
    for the simulator's reports so that linkage sees exactly what the registry would export.

    Row for row the same as ``pseudonymiser.tokens(Identity(*row))`` (a missing value, NaN or
    None, is None), but computed by distinct values: each normalised value of
    :data:`NORMALISED_FROM` once per distinct combination of its clear fields, each group of
    :data:`TOKEN_GROUPS` once per distinct combination of its normalised inputs; the rows then
    take their tokens by index."""
    import numpy as np
    import pandas as pd

    clear = frame.reindex(columns=list(CLEAR_COLUMNS))
    normal: dict[str, tuple] = {}  # name -> (code of each row, distinct values)
    for name, fields in NORMALISED_FROM.items():
        codes, firsts = _distinct_rows([clear[f] for f in fields])
        raw = [[None if _missing(v) else v for v in clear[f].take(firsts)] for f in fields]
        values = [getattr(Identity(**dict(zip(fields, r, strict=True))), name)
                  for r in zip(*raw, strict=True)]
        index: dict = {}  # raw spellings with the same normalised value share it
        merged = np.array([index.setdefault(v, len(index)) for v in values], dtype=np.int64)
        normal[name] = (merged[codes], list(index))
    columns = {}
    for inputs, fields, group in TOKEN_GROUPS:
        codes, firsts = _distinct_rows([normal[i][0] for i in inputs])
        args = [[normal[i][1][c] for c in normal[i][0][firsts].tolist()] for i in inputs]
        values = [group(pseudonymiser, *a) for a in zip(*args, strict=True)]
        by_field = list(zip(*values, strict=True)) if values else [()] * len(fields)
        for name, distinct in zip(fields, by_field, strict=True):
            # the column type pandas infers for the strings, built once per distinct token
            columns[name] = pd.Series(np.array(distinct, dtype=object)).array.take(codes)
    tokens = pd.DataFrame({name: columns[name] for name in TOKEN_FIELDS}, index=frame.index)
    rest = frame.drop(columns=[c for c in CLEAR_COLUMNS if c in frame.columns])
    return pd.concat([rest, tokens], axis=1)


def _missing(value) -> bool:
    """None, NaN or pandas' NA (a nullable Int64 year column with gaps)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pd.NA: "boolean value of NA is ambiguous"
        return True


def _distinct_rows(columns) -> tuple:
    """(code of each row, position of the first row with each code) for the distinct
    combinations of the values of ``columns`` (Series or arrays of one length).  Missing values
    share a code (per type in object columns); the caller turns them all into None."""
    import numpy as np
    import pandas as pd

    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(column)  # missing -> -1
        codes, size = codes.astype(np.int64) + 1, len(uniques) + 1
        if pd.api.types.is_object_dtype(column):  # 1 == 1.0 == True as keys, not in tokens
            types, kinds = pd.factorize(np.array([type(v) for v in column], dtype=object))
            codes, size = codes * len(kinds) + types, size * max(len(kinds), 1)
        key = pd.factorize(key * size + codes)[0].astype(np.int64)
    # factorize numbers values in order of appearance: a row is the first of its code when
    # its code exceeds every earlier one
    seen = np.maximum.accumulate(key)
    first = np.ones(len(key), dtype=bool)
    first[1:] = seen[1:] > seen[:-1]
    return key, np.flatnonzero(first)


# -- countries ------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _country_lookup() -> dict[str, str]:
    """alpha-3, alpha-2, English names and Dutch adjectives -> alpha-3 (upper case keys)."""
    import pycountry

    out: dict[str, str] = {}
    for c in pycountry.countries:
        for name in (c.alpha_3, c.alpha_2, c.name, getattr(c, "common_name", None),
                     getattr(c, "official_name", None)):
            if name:
                out[name.upper()] = c.alpha_3
    for alpha3, variants in codes.NATIONALITY_CODES.items():
        for v in variants:
            out[v.upper()] = alpha3
    out["XKX"] = "XKX"  # Kosovo, user-assigned but in common use
    return out


def normalise_country(value: str) -> str | None:
    """alpha-3 for any accepted spelling, None when unknown."""
    return _country_lookup().get(value.strip().upper())
