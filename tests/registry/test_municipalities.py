"""The CBS municipality list: names to codes, codes checked by year; the reference-year rule."""

import csv
import datetime as dt
import re

import pytest

from zicht.registry import municipalities as mun
from zicht.registry.validation import validate_report

TODAY = dt.date(2026, 12, 6)
BASE = {"organisation": "POL-01", "reporter_category": "POL", "received_date": "2026-03-02"}


def test_every_row_has_a_code_a_name_and_years():
    with mun.DATA.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(re.fullmatch(r"GM[0-9]{4}", r["code"]) and r["name"].strip()
                        and int(r["first_year"]) <= int(r["last_year"]) for r in rows)
    for year in mun.years():
        assert 300 <= len(mun.of_year(year)) <= 450


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
    assert mun.valid_in("GM0457", 2019) is None  # that year's list is not shipped
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
