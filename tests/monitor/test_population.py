"""The shipped population table (zicht/monitor/data/population.csv) and its lookups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zicht.codes import AGE_BANDS
from zicht.monitor.population import (
    AREAS,
    KEY,
    KINGDOM_PARTS,
    SOURCES,
    STATUSES,
    PopulationNotAvailable,
    available_years,
    load_population,
    per_100k,
    population,
    validate_population_table,
)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return load_population()


def test_file_parses_with_the_documented_columns(table):
    assert list(table.columns) == ["area", "year", "sex", "age_band", "population", "status",
                                   "source", "note"]
    assert len(table) > 0
    assert table["population"].dtype.kind == "i"
    assert table["year"].dtype.kind == "i"
    validate_population_table(table)


def test_no_duplicate_keys(table):
    assert not table.duplicated(list(KEY)).any()


def test_every_row_has_a_source_and_a_known_status(table):
    assert (table["source"].str.strip() != "").all()
    assert table["status"].isin(STATUSES).all()
    # a derived figure says how it was derived
    derived = table[table["status"] == "derived"]
    assert (derived["note"].str.strip() != "").all()


def test_codes_are_the_documented_ones(table):
    assert set(table["area"]) <= set(AREAS) - {"KINGDOM"}
    assert set(table["sex"]) <= {"total", "F", "M"}
    assert set(table["age_band"]) <= {"total", *AGE_BANDS} - {"unknown"}
    assert set(SOURCES) >= set(table["area"]) | {"KINGDOM"}
    assert table["year"].between(2010, 2025).all()


def test_total_equals_sum_over_sexes_where_both_exist(table):
    rows = table[table["age_band"] == "total"]
    wide = rows.pivot_table(index=["area", "year"], columns="sex", values="population")
    both = wide.dropna(subset=["F", "M"])
    assert len(both) >= 5
    assert both["total"].notna().all()
    assert (both["F"] + both["M"] == both["total"]).all()


def test_total_equals_sum_over_age_bands_where_present(table):
    bands = [b for b in AGE_BANDS if b != "unknown"]
    for (area, year, sex), group in table.groupby(["area", "year", "sex"]):
        banded = group[group["age_band"] != "total"]
        if banded.empty:
            continue
        assert set(banded["age_band"]) == set(bands), (area, year, sex)
        total = group.loc[group["age_band"] == "total", "population"]
        assert len(total) == 1 and banded["population"].sum() == total.iloc[0]


def test_caribbean_netherlands_equals_its_islands(table):
    totals = table[(table["sex"] == "total") & (table["age_band"] == "total")]
    wide = totals.pivot_table(index="year", columns="area", values="population")
    rows = wide[["CN", "BQ-BO", "BQ-SE", "BQ-SA"]].dropna()
    assert len(rows) >= 5
    assert (rows["BQ-BO"] + rows["BQ-SE"] + rows["BQ-SA"] == rows["CN"]).all()


def test_spot_values_against_the_published_figures():
    """Guard against accidental edits; each figure as published on 1 January.

    * NL 2010: 16,574,989 (CBS 37230ned, 'Bevolking aan het begin van de periode', januari 2010).
    * NL 2023: 17,811,291, men 8,850,309, women 8,960,982 (CBS 85496NED 'Bevolking;
      kerncijfers').
    * NL 2024: 17,942,942 (CBS 85644NED).
    * Bonaire 2024: 25,133; Sint Eustatius 2024: 3,204; Saba 2024: 2,060; Caribbean Netherlands
      2024: 30,397 (CBS news 2024/22, 'Population of the Caribbean Netherlands up by nearly a
      thousand in 2023').
    * Curaçao 2025: 156,115, men 70,310, women 85,805 (CBS Curaçao, figures recalculated on
      Census 2023).
    * Sint Maarten 2017: 40,535, men 19,769, women 20,766 (STAT Statistical Yearbook 2017).
    """
    assert population("NL", 2010) == 16_574_989
    assert population("NL", 2023) == 17_811_291
    assert population("NL", 2023, sex="M") == 8_850_309
    assert population("NL", 2023, sex="F") == 8_960_982
    assert population("NL", 2024) == 17_942_942
    assert population("BQ-BO", 2024) == 25_133
    assert population("BQ-SE", 2024) == 3_204
    assert population("BQ-SA", 2024) == 2_060
    assert population("CN", 2024) == 30_397
    assert population("CW", 2025) == 156_115
    assert population("CUW", 2025, sex="male") == 70_310
    assert population("CW", 2025, sex="F") == 85_805
    assert population("SX", 2017) == 40_535
    assert population("SXM", 2017, sex="M") == 19_769


def test_per_100k_hand_example():
    # 958 victims in NL 2023: 958 / 17,811,291 * 100,000 = 5.37861...
    assert per_100k(958, "NL", 2023) == pytest.approx(958 / 17_811_291 * 1e5)
    assert per_100k(958, "NL", 2023) == pytest.approx(5.378613, rel=1e-6)
    # Saba 2024: 1 victim in 2,060 people is 48.54 per 100,000
    assert per_100k(1, "BQ-SA", 2024) == pytest.approx(48.543689, rel=1e-7)
    assert per_100k(np.int64(0), "NL", 2023) == 0.0
    assert per_100k(100, "NL", 2023, sex="F") == pytest.approx(100 / 8_960_982 * 1e5)


def test_per_100k_rejects_bad_counts():
    for bad in (-1, float("nan"), float("inf"), "12", True):
        with pytest.raises(ValueError):
            per_100k(bad, "NL", 2023)


def test_missing_year_is_an_error_naming_it():
    with pytest.raises(PopulationNotAvailable, match=r"NL .*2009.*available years"):
        population("NL", 2009)
    with pytest.raises(PopulationNotAvailable, match="2030"):
        per_100k(10, "NL", 2030)


def test_missing_breakdown_is_an_error_naming_it():
    with pytest.raises(PopulationNotAvailable, match="sex M"):
        population("NL", 2010, sex="M")
    with pytest.raises(PopulationNotAvailable, match="age band 12-17.*totals exist"):
        population("NL", 2023, age_band="12-17")


def test_unknown_inputs_are_value_errors():
    with pytest.raises(ValueError, match="unknown area 'XX'"):
        population("XX", 2020)
    with pytest.raises(ValueError, match="unknown sex"):
        population("NL", 2020, sex="X")
    with pytest.raises(ValueError, match="unknown age band"):
        population("NL", 2020, age_band="18-25")
    with pytest.raises(TypeError, match="year is required"):
        population("NL")


def test_kingdom_needs_every_part():
    # No year in the shipped table has all five parts; the error names what is missing
    assert available_years("KINGDOM") == []
    with pytest.raises(PopulationNotAvailable, match=r"KINGDOM.*2017: missing NL, CN, AW;"):
        population("KINGDOM", 2017)


def test_kingdom_sums_its_parts_and_cn_its_islands_on_a_given_table():
    rows = [
        ("NL", 2030, "total", "total", 1000, "published", "test", ""),
        ("BQ-BO", 2030, "total", "total", 30, "published", "test", ""),
        ("BQ-SE", 2030, "total", "total", 4, "published", "test", ""),
        ("BQ-SA", 2030, "total", "total", 2, "published", "test", ""),
        ("AW", 2030, "total", "total", 100, "published", "test", ""),
        ("CW", 2030, "total", "total", 150, "published", "test", ""),
        ("SX", 2030, "total", "total", 40, "published", "test", ""),
    ]
    t = pd.DataFrame(rows, columns=list(load_population().columns))
    validate_population_table(t)
    assert population("CN", 2030, table=t) == 36
    assert population("KINGDOM", 2030, table=t) == 1000 + 36 + 100 + 150 + 40
    assert available_years("KINGDOM", table=t) == [2030]
    assert per_100k(1326, "KINGDOM", 2030, table=t) == pytest.approx(1e5)
    partial = t[t["area"] != "AW"]
    with pytest.raises(PopulationNotAvailable, match="missing AW"):
        population("KINGDOM", 2030, table=partial)
    assert set(KINGDOM_PARTS) == {"NL", "CN", "AW", "CW", "SX"}


def test_validation_rejects_duplicates_and_sourceless_rows(table):
    with pytest.raises(ValueError, match="duplicate"):
        validate_population_table(pd.concat([table, table.iloc[:1]]))
    broken = table.copy()
    broken.loc[broken.index[0], "source"] = " "
    with pytest.raises(ValueError, match="source"):
        validate_population_table(broken)


def test_load_returns_a_copy():
    mine = load_population()
    mine.loc[mine.index[0], "population"] = 1
    assert population("NL", 2010) == 16_574_989
