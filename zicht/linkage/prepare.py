"""The linkage table: pseudonymised reports in the form the SQL comparisons read.

Three transformations, all vectorised (a million reports take a few seconds):

- **tokens → 64-bit integers.** A token is a hex HMAC-SHA256; linkage only ever asks whether
  two tokens are equal, so the first 64 bits do (two distinct values among 10^7 collide with
  probability below 10^-5).  Integers compare faster than 64-character strings and take an
  eighth of the memory.  A missing value (empty token) becomes NULL, so that blocking rules and
  comparison levels never match two unknowns.
- **Bloom filters → eight 64-bit words + their bit count** (``bf_given_0`` … ``bf_given_7``,
  ``bf_given_n``).  Dice is then ``2 * Σ bit_count(l_i & r_i) / (n_l + n_r)`` in plain SQL,
  which DuckDB and Spark SQL both evaluate (Spark has no bit-string type, so a ``BIT`` column
  would not be portable).
- **extra tokens**: any column ``tok_extra_<name>`` (a keyed token of another identifier a
  source holds, e.g. a document number; :meth:`Pseudonymiser.token` with kind
  ``extra/<name>``) becomes a 64-bit integer too, and the model compares it exactly.
- **attributes**: sex (``U`` → NULL), nationality (alpha-3 or NULL), the birth year implied
  by the age at report (``approx_birth_year``, for reports without a birth date), the
  reference year, reporter category and organisation (kept for the persons table), and the
  reporter's own report id (``source_ref``), so that a person can be traced back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..tokens import BLOOM_BITS

__all__ = ["BLOOM_FIELDS", "BLOOM_WORDS", "EQUALITY_TOKENS", "extra_tokens", "prepare",
           "token_int64"]

EQUALITY_TOKENS = (
    "tok_given", "tok_given_first", "tok_surname", "tok_surname_full", "tok_name_sorted",
    "tok_given_metaphone", "tok_surname_metaphone", "tok_given_soundex", "tok_surname_soundex",
    "tok_birth_date", "tok_birth_year", "tok_birth_ym", "tok_birth_md", "tok_birth_date_swapped",
)  # fmt: skip
BLOOM_FIELDS = ("bf_given", "bf_surname", "bf_name")
BLOOM_WORDS = BLOOM_BITS // 64
KEEP = ("source_ref", "reference_year", "reporter_category", "organisation", "received_date",
        "sex",
        "nationality", "age_at_report", "age_band", "exploitation_forms", "nr_group",
        "place_of_exploitation")


_HEX = np.zeros(256, dtype=np.uint8)  # ASCII hex digit -> its value
_HEX[np.frombuffer(b"0123456789", dtype=np.uint8)] = np.arange(10, dtype=np.uint8)
_HEX[np.frombuffer(b"abcdef", dtype=np.uint8)] = np.arange(10, 16, dtype=np.uint8)
_HEX[np.frombuffer(b"ABCDEF", dtype=np.uint8)] = np.arange(10, 16, dtype=np.uint8)


def _hex_words(values: pd.Series, words: int, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """The first ``words`` 64-bit words of each hex string (rows x words, int64) and which
    rows have them: at least (or, with ``exact``, exactly) ``16 * words`` digits.

    Vectorised: the digits as a fixed-width byte array, each looked up, two digits packed
    into a byte and eight bytes read as one big-endian word (a Python loop over a million
    tokens took seconds)."""
    chars = 16 * words
    text = values.fillna("").astype(str)
    length = text.str.len().to_numpy()
    present = length == chars if exact else length >= chars
    head = text.to_numpy(dtype=object).astype(f"S{chars}")  # hex digits are ASCII
    nibbles = _HEX[head.view(np.uint8)].reshape(len(head), chars)
    packed = np.ascontiguousarray((nibbles[:, 0::2] << 4) | nibbles[:, 1::2])
    return packed.view(">i8").astype(np.int64), present


def token_int64(tokens: pd.Series) -> pd.Series:
    """The first 64 bits of each hex token as a signed integer; NULL for an empty token."""
    values, present = _hex_words(tokens, 1, exact=False)
    return pd.Series(pd.arrays.IntegerArray(values[:, 0].copy(), ~present), index=tokens.index)


def _bloom_words(filters: pd.Series, name: str) -> dict[str, pd.Series]:
    words, present = _hex_words(filters, BLOOM_WORDS, exact=True)
    words[~present] = 0
    counts = np.unpackbits(words.view(np.uint8), axis=1).sum(axis=1).astype(np.int64)
    out = {f"{name}_{i}": pd.Series(pd.arrays.IntegerArray(words[:, i].copy(), ~present),
                                    index=filters.index) for i in range(BLOOM_WORDS)}
    out[f"{name}_n"] = pd.Series(pd.arrays.IntegerArray(counts, ~present), index=filters.index)
    return out


def _approx_birth_year(frame: pd.DataFrame) -> pd.Series:
    """reference year (or year received) minus age at report: a birth year within one year,
    known for reports that give an age but no birth date."""
    if "age_at_report" not in frame.columns:
        return pd.Series(pd.array([None] * len(frame), dtype="Int64"), index=frame.index)
    age = pd.to_numeric(frame["age_at_report"], errors="coerce")
    year = pd.to_numeric(frame.get("reference_year"), errors="coerce") \
        if "reference_year" in frame.columns else pd.Series(np.nan, index=frame.index)
    if "received_date" in frame.columns:
        received = pd.to_numeric(frame["received_date"].astype(str).str[:4], errors="coerce")
        year = year.fillna(received)
    return (year - age).round().astype("Int64")


def extra_tokens(frame: pd.DataFrame) -> list[str]:
    """The ``tok_extra_*`` columns of a reports frame or linkage table."""
    return [c for c in frame.columns if c.startswith("tok_extra_")]


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """The linkage table of a pseudonymised reports frame (see the module's text)."""
    cols: dict[str, pd.Series] = {"unique_id": frame["report_id"].astype(str)}
    for name in (*EQUALITY_TOKENS, *extra_tokens(frame)):
        cols[name] = token_int64(frame[name])
    for name in BLOOM_FIELDS:
        cols.update(_bloom_words(frame[name], name))
    for name in KEEP:  # an attribute the reports lack is unknown (NULL) for every report
        cols[name] = frame[name] if name in frame.columns else pd.Series(
            None, index=frame.index, dtype=object)
    out = pd.DataFrame(cols)
    if "sex" in out.columns:
        sex = out["sex"].fillna("").astype(str).str.upper()
        out["sex"] = sex.where(sex.isin(["F", "M", "X"]))
    if "nationality" in out.columns:
        nat = out["nationality"].fillna("").astype(str).str.upper()
        out["nationality"] = nat.where((nat.str.len() == 3) & (nat != "UNK"))
    out["approx_birth_year"] = _approx_birth_year(frame)
    # the implied birth year in bins of two, at two offsets: a pair 1 year apart shares a bin
    # in one of them (blocking rules need equality)
    out["approx_year_bin"] = out["approx_birth_year"] // 2
    out["approx_year_bin_odd"] = (out["approx_birth_year"] + 1) // 2
    if "reference_year" in out.columns:
        out["reference_year"] = pd.to_numeric(out["reference_year"], errors="coerce") \
            .astype("Int64")
    return out
