"""Population on 1 January for per-100,000 rates (SDG indicator 16.2.2).

The figures are published ones, shipped as ``data/population.csv`` beside this module with the
source of every row; ``data/README.md`` lists the tables, pages and retrieval date.  Areas:

* ``NL`` European Netherlands (CBS StatLine),
* ``CN`` Caribbean Netherlands and its islands ``BQ-BO`` Bonaire, ``BQ-SE`` Sint Eustatius,
  ``BQ-SA`` Saba (CBS; the island codes are those of :data:`zicht.codes.CARIBBEAN_PLACES`),
* ``AW`` Aruba (CBS Aruba), ``CW`` Curaçao (CBS Curaçao), ``SX`` Sint Maarten (STAT),
* ``KINGDOM``: the sum of NL, CN, AW, CW and SX, only for a year where all five are present.

The table holds what could be sourced, no more: some area-years are missing, sex is there for
some, and age bands for none yet (see the README).  Asking for what is not there raises
:class:`PopulationNotAvailable` naming it; nothing is interpolated or estimated here.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import pandas as pd

from ..codes import AGE_BANDS

__all__ = [
    "AREAS",
    "KINGDOM_PARTS",
    "SOURCES",
    "PopulationNotAvailable",
    "available_years",
    "load_population",
    "per_100k",
    "population",
    "validate_population_table",
]

AREAS = {
    "NL": "European Netherlands",
    "CN": "Caribbean Netherlands (Bonaire, Sint Eustatius, Saba)",
    "BQ-BO": "Bonaire",
    "BQ-SE": "Sint Eustatius",
    "BQ-SA": "Saba",
    "AW": "Aruba",
    "CW": "Curaçao",
    "SX": "Sint Maarten",
    "KINGDOM": "Kingdom of the Netherlands (NL + CN + AW + CW + SX)",
}
KINGDOM_PARTS = ("NL", "CN", "AW", "CW", "SX")
CN_ISLANDS = ("BQ-BO", "BQ-SE", "BQ-SA")
# Other spellings accepted for an area: the alpha-3 codes zicht.codes uses for the countries
_ALIASES = {"ABW": "AW", "CUW": "CW", "SXM": "SX", "BES": "CN", "BQ": "CN"}

SOURCES = {
    "NL": "CBS (Statistics Netherlands), StatLine tables 37296ned 'Bevolking; kerncijfers', "
          "85496NED, 85644NED, 37230ned and 03759ned; https://opendata.cbs.nl/statline/ "
          "(CC BY 4.0)",
    "CN": "CBS, StatLine 83774NED 'Caribisch Nederland; bevolkingsontwikkeling, geboorte, "
          "sterfte en migratie' (and the discontinued 80539NED), with CBS news releases on the "
          "Caribbean Netherlands population (CC BY 4.0)",
    "BQ-BO": "CBS, StatLine 83774NED and CBS news releases (CC BY 4.0)",
    "BQ-SE": "CBS, StatLine 83774NED and CBS news releases (CC BY 4.0)",
    "BQ-SA": "CBS, StatLine 80539NED/83774NED and CBS news releases (CC BY 4.0)",
    "AW": "Central Bureau of Statistics Aruba (CBS Aruba), https://cbs.aw/ : Statistical "
          "Orientation 2015 and population estimates",
    "CW": "Central Bureau of Statistics Curaçao (CBS Curaçao), https://www.cbs.cw/population : "
          "population on 1 January, recalculated on Census 2023 from 2021 on",
    "SX": "Department of Statistics Sint Maarten (STAT), Statistical Yearbook 2017, "
          "https://stats.sintmaartengov.org/",
    "KINGDOM": "Sum of the parts; see the sources of NL, CN, AW, CW and SX",
}

COLUMNS = ("area", "year", "sex", "age_band", "population", "status", "source", "note")
KEY = ("area", "year", "sex", "age_band")
STATUSES = ("published", "provisional", "derived")
_SEX_CODES = ("total", "F", "M")
_SEX_ALIASES = {"t": "total", "total": "total", "all": "total", "f": "F", "female": "F",
                "v": "F", "vrouw": "F", "m": "M", "male": "M", "man": "M"}
_BANDS = tuple(b for b in AGE_BANDS if b != "unknown")


class PopulationNotAvailable(LookupError):
    """The table has no published figure for what was asked (area, year, sex or age band)."""

    def __str__(self) -> str:  # LookupError would show the message in quotes, like KeyError
        return str(self.args[0]) if self.args else ""


def _data_file():
    return resources.files("zicht.monitor").joinpath("data", "population.csv")


@lru_cache(maxsize=1)
def _load() -> pd.DataFrame:
    with _data_file().open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh, dtype={"area": str, "sex": str, "age_band": str, "status": str,
                                       "source": str, "note": str}, keep_default_na=False)
    validate_population_table(table)
    return table


def load_population() -> pd.DataFrame:
    """The shipped table, one row per (area, year, sex, age_band); a copy, safe to modify.

    Columns: area, year, sex ("total", "F", "M"), age_band ("total" or a band of
    :data:`zicht.codes.AGE_BANDS`), population (persons on 1 January), status ("published",
    "provisional" or "derived": arithmetic on published figures, explained in ``note``),
    source (table id or publication; ``data/README.md`` gives the addresses) and note.
    """
    return _load().copy()


def validate_population_table(table: pd.DataFrame) -> None:
    """Raise ``ValueError`` if a population table is malformed (used on load and by tests)."""
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"population table lacks columns {missing}")
    problems: list[str] = []
    unknown_areas = sorted(set(table["area"]) - set(AREAS) - {"KINGDOM"})
    if unknown_areas or (table["area"] == "KINGDOM").any():
        problems.append(f"areas not allowed in the table: {unknown_areas or ['KINGDOM']}")
    if not table["sex"].isin(_SEX_CODES).all():
        problems.append(f"sex must be one of {_SEX_CODES}")
    if not table["age_band"].isin(("total", *_BANDS)).all():
        problems.append(f"age_band must be 'total' or one of {_BANDS}")
    if not table["status"].isin(STATUSES).all():
        problems.append(f"status must be one of {STATUSES}")
    if (table["source"].astype(str).str.strip() == "").any():
        problems.append("every row needs a source")
    pop = pd.to_numeric(table["population"], errors="coerce")
    if pop.isna().any() or (pop <= 0).any() or (pop != pop.round()).any():
        problems.append("population must be a positive whole number")
    years = pd.to_numeric(table["year"], errors="coerce")
    if years.isna().any() or (years != years.round()).any():
        problems.append("year must be a whole number")
    duplicated = table.duplicated(list(KEY), keep=False)
    if duplicated.any():
        keys = table.loc[duplicated, list(KEY)].drop_duplicates().to_dict("records")
        problems.append(f"duplicate keys {keys[:5]}")
    if problems:
        raise ValueError("population table: " + "; ".join(problems))


def _area(area: str) -> str:
    if not isinstance(area, str):
        raise ValueError(f"area must be a string, got {area!r}")
    code = area.strip().upper()
    code = _ALIASES.get(code, code)
    if code not in AREAS:
        raise ValueError(f"unknown area {area!r}; known: {', '.join(AREAS)} "
                         f"(or {', '.join(_ALIASES)})")
    return code


def _sex(sex: str | None) -> str:
    if sex is None:
        return "total"
    code = _SEX_ALIASES.get(str(sex).strip().lower())
    if code is None:
        raise ValueError(f"unknown sex {sex!r}; population is published for total, F and M "
                         "only (None means total)")
    return code


def _band(age_band: str | None) -> str:
    if age_band is None or age_band == "total":
        return "total"
    if age_band not in _BANDS:
        raise ValueError(f"unknown age band {age_band!r}; use None/'total' or one of {_BANDS}")
    return age_band


def _year(year) -> int:
    if year is None:
        raise TypeError("year is required (population on 1 January of that year)")
    if isinstance(year, bool) or not float(year).is_integer():
        raise ValueError(f"year must be a whole number, got {year!r}")
    return int(year)


def _describe(area: str, year: int, sex: str, band: str) -> str:
    parts = [f"{area} ({AREAS[area]})", str(year)]
    if sex != "total":
        parts.append(f"sex {sex}")
    if band != "total":
        parts.append(f"age band {band}")
    return ", ".join(parts)


def available_years(area: str, sex: str | None = None, age_band: str | None = None, *,
                    table: pd.DataFrame | None = None) -> list[int]:
    """Years for which :func:`population` answers for this area, sex and age band."""
    code, s, b = _area(area), _sex(sex), _band(age_band)
    t = _load() if table is None else table
    if code == "KINGDOM":
        sets = [set(available_years(p, s, b, table=t)) for p in KINGDOM_PARTS]
        return sorted(set.intersection(*sets))
    years = set(_rows(t, code, s, b)["year"].astype(int))
    if code == "CN":
        sets = [set(_rows(t, i, s, b)["year"].astype(int)) for i in CN_ISLANDS]
        years |= set.intersection(*sets)
    return sorted(years)


def _rows(table: pd.DataFrame, area: str, sex: str, band: str) -> pd.DataFrame:
    return table[(table["area"] == area) & (table["sex"] == sex) & (table["age_band"] == band)]


def _lookup(table: pd.DataFrame, area: str, year: int, sex: str, band: str) -> int | None:
    rows = _rows(table, area, sex, band)
    rows = rows[rows["year"].astype(int) == year]
    if len(rows) == 1:
        return int(rows["population"].iloc[0])
    if area == "CN":  # no Caribbean Netherlands row: the three islands, if all are there
        parts = [_lookup(table, i, year, sex, band) for i in CN_ISLANDS]
        if all(p is not None for p in parts):
            return sum(parts)
    return None


def _not_available(table: pd.DataFrame, area: str, year: int, sex: str, band: str,
                   parts_missing: Iterable[str] = ()) -> PopulationNotAvailable:
    message = f"no published population for {_describe(area, year, sex, band)}"
    parts_missing = list(parts_missing)
    if parts_missing:
        message += f": missing {', '.join(parts_missing)}"
    years = available_years(area, sex, band, table=table)
    if years:
        message += f"; available years for this area and breakdown: {_ranges(years)}"
    else:
        message += "; the table has no year for this area and breakdown"
    if sex != "total" or band != "total":
        total_years = available_years(area, table=table)
        if total_years:
            message += f" (totals exist for {_ranges(total_years)})"
    return PopulationNotAvailable(message + ". See zicht/monitor/data/README.md.")


def _ranges(years: list[int]) -> str:
    """[2010, 2011, 2012, 2015] -> '2010-2012, 2015'."""
    out: list[str] = []
    start = prev = years[0]
    for y in [*years[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(out)


def population(area: str = "NL", year: int | None = None, sex: str | None = None,
               age_band: str | None = None, *, table: pd.DataFrame | None = None) -> int:
    """Persons living in ``area`` on 1 January of ``year``.

    ``sex`` is None (total), "F" or "M"; ``age_band`` None (all ages) or a band of
    :data:`zicht.codes.AGE_BANDS`.  ``table`` replaces the shipped table (same columns as
    :func:`load_population`).  Raises :class:`PopulationNotAvailable` when the figure is not
    in the table, ``ValueError`` for an unknown area, sex or band.
    """
    code, y, s, b = _area(area), _year(year), _sex(sex), _band(age_band)
    t = _load() if table is None else table
    if code == "KINGDOM":
        values = {p: _lookup(t, p, y, s, b) for p in KINGDOM_PARTS}
        missing = [p for p, v in values.items() if v is None]
        if missing:
            raise _not_available(t, code, y, s, b, missing)
        return sum(values.values())
    value = _lookup(t, code, y, s, b)
    if value is None:
        raise _not_available(t, code, y, s, b)
    return value


def per_100k(count: float, area: str = "NL", year: int | None = None, sex: str | None = None,
             age_band: str | None = None, *, table: pd.DataFrame | None = None) -> float:
    """``count`` per 100,000 of the population of ``area`` on 1 January of ``year``.

    SDG 16.2.2 is "victims of human trafficking per 100,000 population, by sex, age and form";
    pass the same sex and age band as the count was taken over.
    """
    if isinstance(count, bool) or not isinstance(count, numbers.Real) or not math.isfinite(count):
        raise ValueError(f"count must be a finite number, got {count!r}")
    if count < 0:
        raise ValueError(f"count must not be negative, got {count!r}")
    return count / population(area, year, sex, age_band, table=table) * 100_000
