"""CBS municipalities by year (``data/cbs_municipalities.csv``, source and licence in
``data/README.md``): a place typed by name becomes its CBS code, a code is checked against the
list of the report's year.

The lists of 1 January 2015 to 2026 are shipped (:func:`years`); for a report of another year a
code is checked for its form only, and a name is looked up in the nearest shipped year.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "cbs_municipalities.csv"
CODE = re.compile(r"GM[0-9]{4}")


@lru_cache(maxsize=1)
def _rows() -> tuple[tuple[str, str, int, int], ...]:
    with DATA.open(encoding="utf-8", newline="") as f:
        return tuple((r["code"], r["name"], int(r["first_year"]), int(r["last_year"]))
                     for r in csv.DictReader(f))


@lru_cache(maxsize=1)
def years() -> tuple[int, ...]:
    """The years whose list is shipped."""
    return tuple(sorted({y for _, _, first, last in _rows() for y in range(first, last + 1)}))


def nearest_year(year: int | None) -> int:
    """The shipped year closest to ``year`` (the latest when ``year`` is None or 0, a year
    not known)."""
    shipped = years()
    if not year:
        return shipped[-1]
    return min(shipped, key=lambda y: (abs(y - year), -y))


@lru_cache(maxsize=32)
def of_year(year: int) -> dict[str, str]:
    """code -> name of the municipalities on 1 January of the shipped year nearest ``year``,
    in CBS's alphabetical order of names."""
    y = nearest_year(year)
    pairs = [(code, name) for code, name, first, last in _rows() if first <= y <= last]
    return dict(sorted(pairs, key=lambda p: re.sub(r"^'s-", "", _fold(p[1]))))


def _fold(text: str) -> str:
    """Lower case without accents and surplus spaces: 'Súdwest-Fryslân' ~ 'sudwest-fryslan'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().replace("\u2019", "'").split())


@lru_cache(maxsize=32)
def _by_name(year: int) -> dict[str, str]:
    out: dict[str, str] = {}
    short: dict[str, list[str]] = {}
    for code, name in of_year(year).items():
        out[_fold(name)] = code
        out[_fold(f"{name} ({code})")] = code  # the form's suggestion, "Westland (GM1783)"
        base = re.sub(r"\s*\([^)]*\)$", "", name)  # 'Bergen (NH.)' -> 'Bergen'
        if base != name:
            short.setdefault(_fold(base), []).append(code)
    for base, found in short.items():  # 'Hengelo' is one; 'Bergen' is two and stays unknown
        if len(found) == 1 and base not in out:
            out[base] = found[0]
    return out


def code_of(text: str, year: int | None = None) -> str | None:
    """The CBS code of a municipality typed by name (exact, case- and accent-insensitive, with
    or without CBS's suffix when that is unambiguous) in the list of ``year``; None if unknown."""
    return _by_name(nearest_year(year)).get(_fold(text))


def name_of(code: str, year: int | None = None) -> str | None:
    """The CBS name of ``code`` in the list of ``year`` (else in any shipped year)."""
    code = code.upper()
    found = of_year(nearest_year(year)).get(code)
    if found is None:
        found = next((name for c, name, _, _ in _rows() if c == code), None)
    return found


def valid_in(code: str, year: int) -> bool | None:
    """Whether ``code`` is a municipality on 1 January ``year``; None when that year's list is
    not shipped (then only the form can be checked)."""
    if year not in years():
        return None
    return code.upper() in of_year(year)
