"""Validation of reports at intake: code lists, dates, countries, places, cross-field rules."""

import datetime as dt

import pandas as pd
import pytest

from zicht.registry.validation import normalise_country, validate_report
from zicht.simulate.reports import write_run
from zicht.simulate.scenario import load_scenario

TODAY = dt.date(2026, 11, 28)
GOOD = {
    "report_id": "R1", "organisation": "POL-03", "reporter_category": "pol",
    "received_date": "2024-05-06", "reference_year": "2024", "channel": "API",
    "legal_basis": "obligation", "sex": "f", "birth_date": "2001-02-03", "birth_year": "2001",
    "age_at_report": "23", "age_band": "23-29", "nationality": "PL",
    "country_of_birth": "Poland", "exploitation_forms": "sex;lab", "nr_group": "labour",
    "place_of_exploitation": "gm0363", "complaint_filed": "no", "shelter_requested": "yes",
}


def test_a_good_report_is_normalised():
    out, errors = validate_report(GOOD, today=TODAY)
    assert errors == []
    assert out["reporter_category"] == "POL" and out["sex"] == "F" and out["channel"] == "api"
    assert out["nationality"] == "POL" and out["country_of_birth"] == "POL"
    assert out["exploitation_forms"] == "SEX;LAB" and out["place_of_exploitation"] == "GM0363"


def test_every_simulated_report_validates(tmp_path):
    write_run(load_scenario("nl-baseline", {"victims_per_year": 3000}), [2024], 4, tmp_path,
              formats=("csv",))
    reports = pd.read_csv(tmp_path / "reports.csv", keep_default_na=False, dtype=str)
    failures = [errs for rec in reports.to_dict("records")
                for _, errs in [validate_report(rec, today=TODAY)] if errs]
    assert failures == []


@pytest.mark.parametrize("field,value,code", [
    ("reporter_category", "XYZ", "code"),
    ("reporter_category", "", "required"),
    ("received_date", "2024-02-30", "date"),
    ("received_date", "2027-01-01", "future"),
    ("birth_date", "1850-01-01", "too_old"),
    ("age_at_report", "abc", "integer"),
    ("age_at_report", "130", "range"),
    ("sex", "Q", "code"),
    ("nationality", "Atlantis", "country"),
    ("place_of_exploitation", "Amsterdam-Noord", "place"),
    ("exploitation_forms", "SEX;DRUGS", "code"),
    ("birth_year", "1999", "mismatch"),
    ("age_at_report", "40", "mismatch"),
    ("reference_year", "2019", "mismatch"),
])
def test_each_rule_names_the_field(field, value, code):
    _, errors = validate_report({**GOOD, field: value}, lang="en", today=TODAY)
    assert [(e.field, e.code) for e in errors] == [(field, code)]
    assert field in errors[0].message


def test_messages_in_dutch_and_english():
    bad = {**GOOD, "sex": "Q", "birth_year": "1999"}
    nl = {e.code: e.message for e in validate_report(bad, "nl", TODAY)[1]}
    en = {e.code: e.message for e in validate_report(bad, "en", TODAY)[1]}
    assert nl["code"].startswith("geslacht:") and "geen geldige code" in nl["code"]
    assert en["code"].startswith("sex:") and "not a valid code" in en["code"]
    assert "geboortedatum" in nl["mismatch"] and "birth_date" in en["mismatch"]


@pytest.mark.parametrize("spelling,alpha3", [
    ("NLD", "NLD"), ("nl", "NLD"), ("Netherlands", "NLD"), ("Nederlandse", "NLD"),
    ("Poolse", "POL"), ("Viet Nam", "VNM"), ("Oekraïense", "UKR"), ("XKX", "XKX"),
    ("Narnia", None),
])
def test_country_spellings(spelling, alpha3):
    assert normalise_country(spelling) == alpha3


def test_caribbean_places_and_foreign_countries():
    for place, want in (("bq-bo", "BQ-BO"), ("CUW", "CUW"), ("Belgium", "BEL")):
        out, errors = validate_report({**GOOD, "place_of_exploitation": place}, today=TODAY)
        assert errors == [] and out["place_of_exploitation"] == want
