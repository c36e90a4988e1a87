"""Indicators on a small dataset whose values are worked out by hand in the comments, and the
versioning rule (a changed definition needs a new version)."""

import json
import math

import pandas as pd
import pytest

from zicht.monitor.indicators import INDICATORS, publish, recorded_versions
from zicht.monitor.inputs import MonitorData, MonitorInputError

# 9 reports, 5 persons, 2 years.
#   P1: 2023 POL + ZC (two categories, complaint yes), 2024 POL   adult F dutch NL labour
#   P2: 2023 NGO                                                  minor F dutch NL domestic_sexual
#   P3: 2023 KMAR, 2024 NLA                                       adult M non_eu NL labour
#   P4: 2024 ZC + ZC (one category twice)                         minor M dutch NL domestic_sexual
#   P5: 2024 NGO (place BQ-BO, nothing else filled)               unknown U unknown BES unknown
REPORTS = pd.DataFrame([
    # id, category, year, age, sex, nationality, forms, place, complaint, reflection, req, placed
    ("R1", "POL", 2023, "23-29", "F", "NLD", "LAB", "GM0363", "yes", "no", "no", "no"),
    ("R2", "ZC", 2023, "23-29", "F", "NLD", "LAB", "GM0363", "no", "granted", "yes", "yes"),
    ("R3", "NGO", 2023, "12-17", "F", "NLD", "SEX", "GM0599", "no", "no", "yes", "no"),
    ("R4", "KMAR", 2023, "30-39", "M", "NGA", "LAB", "", "unknown", "offered", "no", "no"),
    ("R5", "POL", 2024, "23-29", "F", "NLD", "LAB", "GM0363", "no", "no", "no", "no"),
    ("R6", "NLA", 2024, "30-39", "M", "NGA", "LAB;CRIM", "GM0518", "no", "no", "no", "no"),
    ("R7", "ZC", 2024, "12-17", "M", "NLD", "SEX", "GM0363", "yes", "no", "yes", "yes"),
    ("R8", "ZC", 2024, "12-17", "M", "NLD", "SEX", "GM0363", "no", "no", "no", "no"),
    ("R9", "NGO", 2024, "unknown", "U", "", "UNK", "BQ-BO", "unknown", "unknown", "no", "no"),
], columns=["report_id", "reporter_category", "reference_year", "age_band", "sex", "nationality",
            "exploitation_forms", "place_of_exploitation", "complaint_filed",
            "reflection_period", "shelter_requested", "shelter_placed"])
REPORTS["legal_basis"] = "consent"
REPORTS["residence_status"] = "unknown"
REPORT_PERSONS = pd.DataFrame({"report_id": [f"R{i}" for i in range(1, 10)],
                               "person_id": ["P1", "P1", "P2", "P3", "P1", "P3", "P4", "P4",
                                             "P5"]})
PERSONS = pd.DataFrame([
    ("P1", "F", "23-29", "labour", "dutch", "NL"),
    ("P2", "F", "12-17", "domestic_sexual", "dutch", "NL"),
    ("P3", "M", "30-39", "labour", "non_eu", "NL"),
    ("P4", "M", "12-17", "domestic_sexual", "dutch", "NL"),
    ("P5", "U", "unknown", "unknown", "unknown", "BES"),
], columns=["person_id", "sex", "age_band", "form", "nationality_group", "region"])
ESTIMATES = pd.DataFrame({"year": [2023, 2024], "observed": [5, 6], "estimate": [15.0, 20.0],
                          "ci_low": [10.0, 12.0], "ci_high": [30.0, 40.0]})


@pytest.fixture
def data():
    return MonitorData(REPORTS, PERSONS, REPORT_PERSONS, ESTIMATES)


def values(data, key, by=()):
    frame = INDICATORS[key].compute(data, by)
    return {tuple(row[["year", *by]]): row["value"] for _, row in frame.iterrows()}


def test_reports_and_persons(data):
    assert values(data, "reports") == {(2023,): 4, (2024,): 5}
    assert values(data, "registered_persons") == {(2023,): 3, (2024,): 4}  # P1-3; P1,3,4,5
    # P1 counts for POL and ZC in 2023; P4's two ZC reports are one person
    by_cat = values(data, "persons_by_reporter", ("reporter_category",))
    assert by_cat[(2023, "POL")] == 1 and by_cat[(2023, "ZC")] == 1
    assert by_cat[(2024, "ZC")] == 1 and by_cat[(2024, "NGO")] == 1
    assert values(data, "reports_per_person") == {(2023,): 4 / 3, (2024,): 5 / 4}


def test_breakdowns(data):
    by_sex = values(data, "registered_persons", ("sex",))
    assert by_sex == {(2023, "F"): 2, (2023, "M"): 1, (2024, "F"): 1, (2024, "M"): 2,
                      (2024, "U"): 1}
    by_region = values(data, "registered_persons", ("region",))
    assert by_region[(2024, "BES")] == 1 and by_region[(2024, "NL")] == 3
    # report level: the first form of "LAB;CRIM" is LAB; R9's place BQ-BO is BES
    forms = values(data, "reports", ("form",))
    assert forms[(2024, "LAB")] == 2 and forms[(2024, "UNK")] == 1
    assert values(data, "reports", ("region",))[(2024, "BES")] == 1


def test_shares(data):
    # obliged reporters (POL, KMAR, NLA): 2023 R1, R4 of 4; 2024 R5, R6 of 5
    assert values(data, "share_obliged") == {(2023,): 0.5, (2024,): 0.4}
    # overlap: 2023 P1 (POL+ZC) of 3; 2024 nobody (P4 twice by ZC only)
    assert values(data, "overlap") == {(2023,): 1 / 3, (2024,): 0.0}
    # minors: 2023 P2 of 3; 2024 P4 of 4
    assert values(data, "minors") == {(2023,): 1 / 3, (2024,): 0.25}
    assert values(data, "dutch_minors_domestic_sexual") == {(2023,): 1, (2024,): 1}
    # complaint yes: 2023 P1 (R1); 2024 P4 (R7)
    assert values(data, "complaint_filed") == {(2023,): 1 / 3, (2024,): 0.25}
    # reflection offered/granted: 2023 P1 (R2 granted), P3 (R4 offered); 2024 nobody
    assert values(data, "reflection_period") == {(2023,): 2 / 3, (2024,): 0.0}
    assert values(data, "shelter_requested") == {(2023,): 2 / 3, (2024,): 0.25}
    assert values(data, "shelter_placed") == {(2023,): 1 / 3, (2024,): 0.25}


def test_change_on_year(data):
    change = values(data, "change_on_year")
    assert math.isnan(change[(2023,)])  # no 2022
    assert change[(2024,)] == pytest.approx(4 / 3 - 1)


def test_completeness(data):
    # 5 key fields per report. 2023: R4 lacks place -> 19 of 20. 2024: R9 has only place ->
    # 21 of 25
    assert values(data, "completeness") == {(2023,): 19 / 20, (2024,): 21 / 25}
    by_cat = values(data, "completeness", ("reporter_category",))
    assert by_cat[(2024, "NGO")] == 1 / 5 and by_cat[(2023, "KMAR")] == 4 / 5


def test_estimate_detection_rate_and_dark_number(data):
    assert values(data, "estimated_victims") == {(2023,): 15.0, (2024,): 20.0}
    assert values(data, "detection_rate") == {(2023,): 3 / 15, (2024,): 4 / 20}
    assert values(data, "dark_number") == {(2023,): 12.0, (2024,): 16.0}


def test_without_estimates_the_estimate_indicators_say_so():
    data = MonitorData(REPORTS, PERSONS, REPORT_PERSONS)
    with pytest.raises(MonitorInputError, match="estimates"):
        INDICATORS["detection_rate"].compute(data)


def test_refused_breakdown(data):
    with pytest.raises(MonitorInputError, match="cannot be broken down by 'sex'"):
        INDICATORS["completeness"].compute(data, ("sex",))


def test_reports_of_another_linkage_are_refused():
    other = REPORT_PERSONS[REPORT_PERSONS.report_id != "R9"]
    with pytest.raises(MonitorInputError, match="another export"):
        MonitorData(REPORTS, PERSONS, other)


def test_missing_fields_are_named():
    with pytest.raises(MonitorInputError, match="shelter_placed"):
        MonitorData(REPORTS.drop(columns="shelter_placed"), PERSONS, REPORT_PERSONS)


def test_no_identifying_field_survives_reading():
    extra = REPORTS.assign(surname="Jansen", birth_date="2001-02-03", tok_name="ab12")
    data = MonitorData(extra, PERSONS, REPORT_PERSONS)
    assert not {"surname", "birth_date", "tok_name"} & set(data.reports.columns)


def test_every_definition_is_complete():
    for key, ind in INDICATORS.items():
        assert ind.key == key
        assert ind.name_nl and ind.name_en and ind.counts_nl and ind.counts_en, key
        assert ind.unit in ("count", "share", "ratio", "rate", "points"), key
        # a count and a difference of shares (percentage points) have no denominator
        assert (ind.denominator is None) == (ind.unit in ("count", "points")), key


def test_a_changed_definition_needs_a_new_version():
    recorded = recorded_versions()
    for key, ind in INDICATORS.items():
        seen = recorded.get(key, {})
        assert str(ind.version) in seen, (
            f"{key} version {ind.version} is not recorded in indicator_versions.json")
        assert seen[str(ind.version)] == ind.fingerprint, (
            f"the definition of {key} changed (fingerprint {ind.fingerprint}) but its version "
            f"is still {ind.version}: raise the version and record the new fingerprint, so "
            "published numbers keep the definition they were made with")


def test_published_values_carry_their_definition(data):
    ind = INDICATORS["overlap"]
    rows = publish(ind.compute(data), ind)
    assert len(rows) == 2
    assert all(r["indicator"] == "overlap" and r["version"] == 1 and
               r["fingerprint"] == ind.fingerprint for r in rows)
    json.dumps(rows)


def test_rates_per_100k_use_the_population_table(data):
    from zicht.monitor.population import population

    # without a breakdown: European Netherlands persons (2024: P1, P3, P4) over NL's population
    nl = values(data, "registered_per_100k")
    assert nl[(2024,)] == pytest.approx(3 / population("NL", 2024) * 100_000)
    by_region = values(data, "registered_per_100k", ("region",))
    assert by_region[(2024, "BES")] == pytest.approx(1 / population("CN", 2024) * 100_000)
    sdg = values(data, "sdg_16_2_2")
    assert sdg[(2023,)] == pytest.approx(15 / population("NL", 2023) * 100_000)


def test_a_year_without_population_gives_no_rate():
    reports = REPORTS.assign(reference_year=REPORTS["reference_year"] - 30)  # 1993, 1994
    data = MonitorData(reports, PERSONS, REPORT_PERSONS)
    assert all(math.isnan(v) for v in values(data, "registered_per_100k").values())


def test_estimates_read_from_csv_are_numbers(tmp_path):
    path = tmp_path / "estimates.csv"
    ESTIMATES.assign(method="stepwise").to_csv(path, index=False)
    data = MonitorData(REPORTS, PERSONS, REPORT_PERSONS, pd.read_csv(path, dtype=str))
    assert values(data, "detection_rate") == {(2023,): 3 / 15, (2024,): 4 / 20}
    bad = ESTIMATES.astype(str).assign(estimate=["15", "many"])
    with pytest.raises(MonitorInputError, match="row 2, column 'estimate'"):
        MonitorData(REPORTS, PERSONS, REPORT_PERSONS, bad)
