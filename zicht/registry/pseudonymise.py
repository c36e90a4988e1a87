"""Pseudonymisation at intake: clear identifiers in, keyed linkage tokens out.

Names and birth dates are normalised, then turned into keyed HMAC-SHA256 tokens (exact-match
linkage keys) and keyed field-level Bloom filters of name bigrams (spelling similarity by Dice
coefficient, after Schnell, Bachteler & Reiher 2009).  The key comes from the environment
(``ZICHT_PSEUDONYM_KEY``, hex or base64, at least 32 bytes) or a key file
(``ZICHT_PSEUDONYM_KEY_FILE``); it is never stored with the data.  Every token type has its own
subkey, HMAC(key, "zicht/v1/" + type), so equal values of different fields never share a token.
The scheme is versioned (``SCHEME``); docs/PSEUDONYMISATION.md describes it for the linkage
layer.  This is the one place where clear identifiers become tokens: the registry calls it at
intake and the simulator's reports go through the same function.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import os
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import jellyfish

SCHEME = "zicht/v1"
KEY_ENV = "ZICHT_PSEUDONYM_KEY"
KEY_FILE_ENV = "ZICHT_PSEUDONYM_KEY_FILE"
MIN_KEY_BYTES = 32
BLOOM_BITS = 512
BLOOM_HASHES = 15

# letters that NFKD does not decompose into ASCII
_SPECIAL = str.maketrans({"ł": "l", "ø": "o", "ß": "ss", "đ": "d", "æ": "ae", "œ": "oe",
                          "ı": "i", "þ": "th", "ð": "d", "ŀ": "l", "ħ": "h"})
# Dutch surname prefixes (tussenvoegsels), longest first so "van der" wins over "van"
DUTCH_PREFIXES = tuple(sorted({
    "van", "de", "der", "den", "van der", "van den", "van de", "van het", "ter", "ten", "te",
    "het", "'t", "t", "in 't", "in het", "op de", "op den", "op ten", "uit de", "uit den",
    "van 't", "de la", "le", "la", "du", "des", "d'", "von", "vd", "v.d.",
}, key=lambda p: (-len(p.split()), -len(p))))


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


def split_prefix(surname: str) -> tuple[str, str]:
    """("van der", "berg") from a normalised "van der berg"; ("", surname) without a prefix."""
    for prefix in DUTCH_PREFIXES:
        if surname.startswith(prefix + " ") and len(surname) > len(prefix) + 1:
            return prefix, surname[len(prefix) + 1:]
    return "", surname


@dataclass(frozen=True)
class Identity:
    """Clear identifiers of one possible victim, as a reporter gave them."""

    given_name: str | None = None
    surname_prefix: str | None = None
    surname: str | None = None
    birth_date: str | None = None  # YYYY-MM-DD, or empty
    birth_year: int | str | None = None  # when only the year is known

    @cached_property
    def given(self) -> str:
        return normalise_text(self.given_name)

    @cached_property
    def surname_parts(self) -> tuple[str, str]:
        """(prefix, core): an explicit prefix field wins; otherwise split it off the surname."""
        prefix = normalise_text(self.surname_prefix)
        core = normalise_text(self.surname)
        if not prefix:
            prefix, core = split_prefix(core)
        return prefix, core

    @cached_property
    def date(self) -> dt.date | None:
        try:
            return dt.date.fromisoformat(str(self.birth_date)) if self.birth_date else None
        except ValueError:
            return None

    @cached_property
    def year(self) -> int | None:
        if self.date is not None:
            return self.date.year
        if self.birth_year is None or self.birth_year == "":
            return None
        try:  # 1977, "1977", and 1977.0 (a year column read with gaps becomes float)
            value = float(str(self.birth_year))
        except ValueError:
            return None
        return int(value) if value.is_integer() else None


# -- tokens ---------------------------------------------------------------------------------------
class Pseudonymiser:
    """Keyed tokens and Bloom filters for identities (one key, many identities)."""

    def __init__(self, key: bytes | None = None):
        self._key = _check(key, "key") if key is not None else load_key()
        self._subkeys: dict[str, bytes] = {}
        self._masks: dict[tuple, int] = {}

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
        return hmac.digest(self._sub(kind), value.encode(), "sha256").hex()

    def bloom(self, kind: str, value: str, bits: int = BLOOM_BITS,
              hashes: int = BLOOM_HASHES) -> str:
        """Keyed Bloom filter of the padded bigrams of ``value`` (hex); "" for no value.

        Each bigram sets ``hashes`` positions by double hashing of two keyed HMACs.  The
        positions of a bigram are cached per instance (the same key gives the same positions;
        names share few distinct bigrams), which makes intake ~5x faster."""
        if not value:
            return ""
        padded = f"_{value.replace(' ', '_')}_"
        field = 0
        for gram in {padded[i:i + 2] for i in range(len(padded) - 1)}:
            field |= self._gram_mask(kind, gram, bits, hashes)
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
        """Every linkage token of one identity (see docs/PSEUDONYMISATION.md for the list)."""
        given = ident.given
        prefix, core = ident.surname_parts
        full_surname = f"{prefix} {core}".strip()
        parts = sorted(p for p in (given.split() + core.split()) if p)
        first_given = given.split()[0] if given else ""
        out = {
            "tok_given": self.token("given", given),
            "tok_given_first": self.token("given_first", first_given),
            "tok_surname": self.token("surname", core),
            "tok_surname_full": self.token("surname_full", full_surname),
            "tok_name_sorted": self.token("name_sorted", " ".join(parts)),
            "tok_given_metaphone": self.token("given_metaphone",
                                              _phonetic(jellyfish.metaphone, given)),
            "tok_surname_metaphone": self.token("surname_metaphone",
                                                _phonetic(jellyfish.metaphone, core)),
            "tok_given_soundex": self.token("given_soundex", _phonetic(jellyfish.soundex, given)),
            "tok_surname_soundex": self.token("surname_soundex",
                                              _phonetic(jellyfish.soundex, core)),
            "bf_given": self.bloom("given", given),
            "bf_surname": self.bloom("surname", core),
            # all name parts, sorted: the same filter whichever field a part was written in
            "bf_name": self.bloom("name", " ".join(parts)),
        }
        d = ident.date
        out["tok_birth_date"] = self.token("birth_date", d.isoformat() if d else "")
        out["tok_birth_year"] = self.token("birth_year", str(ident.year) if ident.year else "")
        out["tok_birth_ym"] = self.token("birth_ym", d.strftime("%Y-%m") if d else "")
        out["tok_birth_md"] = self.token("birth_md", d.strftime("%m-%d") if d else "")
        swapped = _swap_day_month(d)
        out["tok_birth_date_swapped"] = self.token("birth_date", swapped.isoformat()
                                                   if swapped else "")
        return out


TOKEN_FIELDS = (
    "tok_given", "tok_given_first", "tok_surname", "tok_surname_full", "tok_name_sorted",
    "tok_given_metaphone", "tok_surname_metaphone", "tok_given_soundex", "tok_surname_soundex",
    "bf_given", "bf_surname", "bf_name", "tok_birth_date", "tok_birth_year", "tok_birth_ym",
    "tok_birth_md", "tok_birth_date_swapped",
)


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
    for the simulator's reports so that linkage sees exactly what the registry would export."""
    import pandas as pd

    rows = [
        pseudonymiser.tokens(Identity(*(None if v is None or v != v else v for v in values)))
        for values in frame.reindex(columns=list(CLEAR_COLUMNS)).itertuples(index=False)
    ]
    tokens = pd.DataFrame(rows, columns=list(TOKEN_FIELDS), index=frame.index)
    rest = frame.drop(columns=[c for c in CLEAR_COLUMNS if c in frame.columns])
    return pd.concat([rest, tokens], axis=1)
