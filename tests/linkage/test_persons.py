"""Persons and capture histories from linked reports, on a small hand-made example."""

import numpy as np
import pandas as pd
import pytest

from zicht.linkage.persons import capture_histories, parse_lists, persons_table

LISTS = {"POL": ("POL",), "ZC": ("ZC",), "OTHER": ("NGO", "GEM")}
# person 0: police and care coordinator in 2023, NGO in 2024; person 1: police twice in 2023;
# person 2: municipality in 2024; person 3: a category in no list (ignored)
REPORTS = pd.DataFrame({
    "unique_id": ["r1", "r2", "r3", "r4", "r5", "r6", "r7"],
    "reference_year": [2023, 2023, 2024, 2023, 2023, 2024, 2024],
    "reporter_category": ["POL", "ZC", "NGO", "POL", "POL", "GEM", "KMAR"],
    "organisation": ["POL-01", "ZC-02", "NGO-X", "POL-01", "POL-03", "GEM-1", "KMAR-1"],
    "sex": ["F", "F", "U", "M", None, "F", "M"],
    "age_band": ["18-22", "18-22", "23-29", "30-39", "30-39", "0-11", "40-49"],
    "nr_group": ["labour", "labour", "labour", "criminal", "criminal", "unknown", "labour"],
    "nationality": ["POL", "POL", "", "NLD", "NLD", "CUW", "ROU"],
    "place_of_exploitation": ["GM0363", "GM0363", "GM0363", "", "GM0599", "CUW", "DEU"],
})
LABELS = np.array([0, 0, 0, 1, 1, 2, 3])


def test_capture_histories_per_year():
    table = capture_histories(REPORTS, LABELS, LISTS)
    rows = {(r.year, r.POL, r.ZC, r.OTHER): r.count for r in table.itertuples()}
    assert rows == {(2023, 1, 1, 0): 1, (2023, 1, 0, 0): 1, (2024, 0, 0, 1): 2}
    assert list(table.columns) == ["year", "POL", "ZC", "OTHER", "count"]


def test_capture_histories_over_a_window_join_the_years():
    table = capture_histories(REPORTS, LABELS, LISTS, window=2)
    rows = {(r.year, r.POL, r.ZC, r.OTHER): r.count for r in table.itertuples()}
    assert rows == {(2023, 1, 1, 1): 1, (2023, 1, 0, 0): 1, (2023, 0, 0, 1): 1}


def test_capture_histories_by_stratum_sum_to_the_total():
    by = capture_histories(REPORTS, LABELS, LISTS, by=["sex", "nationality_group", "region"])
    total = capture_histories(REPORTS, LABELS, LISTS)
    assert by["count"].sum() == total["count"].sum()
    person0_2023 = by[(by.year == 2023) & (by.POL == 1) & (by.ZC == 1)]
    assert person0_2023[["sex", "nationality_group", "region"]].values.tolist() == \
        [["F", "eu", "NL"]]
    caribbean = by[by.year == 2024].set_index("region")["count"]
    assert caribbean.get("CUW") == 1
    with pytest.raises(ValueError, match="unknown stratum"):
        capture_histories(REPORTS, LABELS, LISTS, by=["shoe_size"])


def test_persons_table():
    persons = persons_table(REPORTS, LABELS, LISTS).set_index("person_id")
    first = persons.loc["P0000000"]
    assert (first.n_reports, first.first_year, first.last_year) == (3, 2023, 2024)
    assert first.categories == "NGO;POL;ZC" and first.lists == "OTHER;POL;ZC"
    assert first.sex == "F"  # the known value, not "U"
    second = persons.loc["P0000001"]
    assert second.organisations == 2 and second.sex == "M" and second.region == "NL"
    assert persons.loc["P0000003"].lists == ""  # seen only by a category in no list
    assert len(persons) == 4


def test_parse_lists():
    assert parse_lists("POL=POL;OTHER=ngo, gem") == {"POL": ("POL",), "OTHER": ("NGO", "GEM")}
    with pytest.raises(ValueError, match="NAME=CAT"):
        parse_lists("POL=;ZC=ZC")
    with pytest.raises(ValueError, match="at least two"):
        parse_lists("POL=POL")
