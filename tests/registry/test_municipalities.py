"""The CBS municipality list: names to codes, codes checked by year; the reference-year rule."""

import csv
import datetime as dt
import itertools
import re

import pytest

from zicht.registry import municipalities as mun
from zicht.registry.validation import validate_report

TODAY = dt.date(2026, 12, 6)
BASE = {"organisation": "POL-01", "reporter_category": "POL", "received_date": "2026-03-02"}


# CBS's published number of municipalities on 1 January of each year ("Gemeentelijke indeling
# op 1 januari"), an outside fact the shipped lists must agree with
CBS_COUNTS = {2015: 393, 2016: 390, 2017: 388, 2018: 380, 2019: 355, 2020: 355, 2021: 352,
              2022: 345, 2023: 342, 2024: 342, 2025: 342, 2026: 342}


def _rows() -> list[dict]:
    with mun.DATA.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_row_has_a_code_a_name_and_years():
    rows = _rows()
    assert rows and all(re.fullmatch(r"GM[0-9]{4}", r["code"]) and r["name"].strip()
                        and int(r["first_year"]) <= int(r["last_year"]) for r in rows)
    for year in mun.years():
        assert 300 <= len(mun.of_year(year)) <= 450


def test_every_year_from_2015_is_shipped_with_cbs_count():
    assert mun.years() == tuple(range(2015, max(mun.years()) + 1))
    assert {year: len(mun.of_year(year)) for year in mun.years()} == {
        year: count for year, count in CBS_COUNTS.items() if year in mun.years()}
    assert set(CBS_COUNTS) <= set(mun.years())


def test_rows_are_sorted_contiguous_runs_of_one_name():
    rows = _rows()
    keys = [(r["code"], int(r["first_year"])) for r in rows]
    assert keys == sorted(keys)  # by code, then first year
    by_code: dict[str, list[dict]] = {}
    for r in rows:
        by_code.setdefault(r["code"], []).append(r)
    for code, runs in by_code.items():
        for before, after in itertools.pairwise(runs):
            # no gap and no overlap between a code's runs, and a new run only for a new name
            assert int(after["first_year"]) == int(before["last_year"]) + 1, code
            assert after["name"] != before["name"], code
        shipped = [y for y in mun.years() if mun.valid_in(code, y)]
        assert shipped == list(range(shipped[0], shipped[-1] + 1)), code


@pytest.mark.parametrize("code,last", [
    ("GM0081", 2017),  # Leeuwarderadeel, part of Leeuwarden from 2018
    ("GM0788", 2020),  # Haaren, divided among four neighbours in 2021
    ("GM0457", 2022),  # Weesp, part of Amsterdam from 24 March 2022: still on the 2022 list
    ("GM0381", 2015),  # Bussum, part of Gooise Meren from 2016
])
def test_a_merged_municipality_is_valid_up_to_its_last_list(code, last):
    assert mun.valid_in(code, last) is True
    assert mun.valid_in(code, last + 1) is False
    assert mun.name_of(code) is not None  # its name stays known for reports of old years


def test_a_new_municipality_is_valid_from_its_first_list():
    assert (mun.valid_in("GM1948", 2016), mun.valid_in("GM1948", 2017)) == (False, True)
    assert mun.valid_in("GM0080", 2017) and mun.valid_in("GM0080", 2018)  # Leeuwarden stays


def test_an_old_name_is_found_in_its_own_years_only():
    assert mun.code_of("Leeuwarderadeel", 2017) == "GM0081"
    assert mun.code_of("leeuwarderadeel", 2018) is None
    # CBS's suffix is in every year's name, and the name without it still resolves
    assert mun.code_of("Hengelo (O.)", 2015) == mun.code_of("Hengelo", 2015) == "GM0164"
    old = validate_report({**BASE, "received_date": "2017-05-02",
                           "place_of_exploitation": "Leeuwarderadeel"}, "nl", TODAY)
    assert old == ({**old[0], "place_of_exploitation": "GM0081"}, [])


def test_a_merged_away_code_is_refused_for_a_later_year():
    report = {**BASE, "received_date": "2021-02-01", "place_of_exploitation": "GM0788"}
    _, errors = validate_report(report, "en", TODAY)
    assert [(e.field, e.code) for e in errors] == [("place_of_exploitation", "place")]
    assert "GM0788 is not a municipality in 2021" in errors[0].message
    _, errors = validate_report({**report, "received_date": "2020-12-01"}, "en", TODAY)
    assert errors == []


def test_an_unknown_year_uses_the_latest_list():
    assert mun.nearest_year(None) == mun.nearest_year(0) == max(mun.years())
    assert mun.nearest_year(1999) == min(mun.years())
    assert mun.valid_in("GM0457", min(mun.years()) - 1) is None  # not shipped: form only


def test_the_simulators_places_are_municipalities_in_every_year():
    from tests.linkage.independent_reports import MUNICIPALITIES as independent
    from zicht.simulate.population import MUNICIPALITIES as simulated

    for code in [*simulated, *independent]:
        assert [y for y in mun.years() if not mun.valid_in(code, y)] == [], code


@pytest.mark.parametrize("typed,code", [
    ("Westland", "GM1783"), ("westland", "GM1783"), ("  WESTLAND ", "GM1783"),
    ("Westland (GM1783)", "GM1783"), ("'s-Gravenhage", "GM0518"),
    ("Sudwest-Fryslan", "GM1900"), ("Hengelo", "GM0164"), ("Hengelo (O.)", "GM0164"),
    ("Bergen", None), ("Bergen (L.)", "GM0893"), ("Westlandia", None), ("Amsterdam-Noord", None),
])
def test_a_name_maps_to_its_code(typed, code):
    assert mun.code_of(typed, 2026) == code


def test_a_code_is_checked_against_the_year_shipped():
    assert mun.valid_in("GM1783", 2026) is True
    assert mun.valid_in("GM0457", 2026) is False  # Weesp, part of Amsterdam since 2022
    assert mun.valid_in("GM0457", 2019) is True
    assert mun.name_of("gm0518") == "'s-Gravenhage"


def test_the_form_takes_a_name_and_stores_the_code():
    out, errors = validate_report({**BASE, "place_of_exploitation": "Westland"}, "nl", TODAY)
    assert errors == [] and out["place_of_exploitation"] == "GM1783"
    out, errors = validate_report({**BASE, "place_of_exploitation": "gm0599"}, "nl", TODAY)
    assert errors == [] and out["place_of_exploitation"] == "GM0599"
    out, errors = validate_report({**BASE, "place_of_exploitation": "Poland"}, "nl", TODAY)
    assert errors == [] and out["place_of_exploitation"] == "POL"


def test_an_unknown_place_says_what_to_do():
    _, errors = validate_report({**BASE, "place_of_exploitation": "Westlandia"}, "nl", TODAY)
    assert [e.code for e in errors] == ["place"]
    assert "kies een gemeente uit de lijst" in errors[0].message
    _, errors = validate_report({**BASE, "place_of_exploitation": "GM0457"}, "en", TODAY)
    assert [e.code for e in errors] == ["place"] and "not a municipality in 2026" in \
        errors[0].message


@pytest.mark.parametrize("received,year,ok", [
    ("2026-03-02", "2026", True), ("2026-01-05", "2025", True), ("2026-12-06", "2024", False),
    ("2025-12-31", "2026", False), ("2026-03-02", "2023", False),
])
def test_the_reference_year_is_the_report_year_or_the_year_before(received, year, ok):
    _, errors = validate_report({**BASE, "received_date": received, "reference_year": year},
                                "nl", TODAY)
    assert (errors == []) is ok
    if not ok:
        received_year = int(received[:4])
        assert errors[0].field == "reference_year"
        assert f"{year} moet het jaar van ontvangstdatum ({received_year}) zijn of het jaar " \
               f"daarvoor ({received_year - 1})" in errors[0].message
