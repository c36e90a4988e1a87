"""The independent report generator (tests/linkage/independent_reports.py) itself: reproducible,
its truth consistent with its reports, its noise near the configured rates, and every row one
the registry accepts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.linkage.independent_reports import NO_NOISE, Config, generate
from zicht.linkage.inputs import load_reports
from zicht.registry.tables import TableReader
from zicht.registry.validation import validate_report
from zicht.tokens import Pseudonymiser

KEY = bytes(range(32))


@pytest.fixture(scope="module")
def big():
    return generate(20_000, seed=3)


def _with_truth(generated) -> pd.DataFrame:
    persons = generated.persons.add_prefix("true_").rename(columns={"true_person_id":
                                                                     "person_id"})
    return (generated.reports.merge(generated.truth, on=["report_id", "source_ref"])
            .merge(persons, on="person_id"))


def test_same_seed_same_reports_and_exactly_n():
    a, b, c = generate(1_500, seed=7), generate(1_500, seed=7), generate(1_500, seed=8)
    pd.testing.assert_frame_equal(a.reports, b.reports)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert not a.reports.equals(c.reports)
    assert len(a.reports) == 1_500 and len(generate(1, seed=2).reports) == 1


def test_no_age_and_import_format_columns(big):
    reports = big.reports
    assert "age_at_report" not in reports and "age_band" not in reports
    assert reports["report_id"].is_unique and reports["source_ref"].is_unique
    assert all(isinstance(v, str) for v in reports.to_numpy().ravel())
    assert set(reports["reporter_category"]) >= {"POL", "KMAR", "NLA", "ZC", "NGO"}
    assert (reports["received_date"].str[:4] == reports["reference_year"]).all()
    assert reports["received_date"].is_monotonic_increasing


def test_truth_is_consistent_with_the_reports(big):
    truth = big.truth
    assert list(truth["report_id"]) == list(big.reports["report_id"])
    assert list(truth["source_ref"]) == list(big.reports["source_ref"])
    per_person = truth["person_id"].value_counts()
    assert per_person.min() >= 1 and per_person.max() <= 8
    assert 0.6 < (per_person == 1).mean() < 0.85  # most persons have one report
    assert set(truth["person_id"]) == set(big.persons["person_id"])
    assert (per_person.sort_index() == big.persons.set_index("person_id")["n_reports"]
            .sort_index()).all()
    # sex and nationality are the person's, or unknown (or another spelling of the country)
    rows = _with_truth(big)
    assert (rows["sex"].eq(rows["true_sex"]) | rows["sex"].eq("U")).all()
    assert (rows["nationality"].eq(rows["true_nationality"])
            | rows["nationality"].isin(["", "UNK"])
            | rows["nationality"].str.len().eq(2) | rows["nationality"].str.len().gt(3)).all()
    # namesakes: different persons with the same full name
    full = big.persons[["given_name", "surname_prefix", "surname"]].agg("|".join, axis=1)
    assert full.duplicated().sum() > 100


def test_without_noise_every_report_carries_its_person():
    generated = generate(3_000, seed=11, **NO_NOISE)
    rows = _with_truth(generated)
    for field in ("given_name", "surname_prefix", "surname", "birth_date", "sex", "nationality",
                  "exploitation_forms", "place_of_exploitation"):
        assert rows[field].eq(rows[f"true_{field}"]).all(), field
    # ages 14-60 at the first report
    first = rows.groupby("person_id")["received_date"].min()
    birth = generated.persons.set_index("person_id")["birth_date"]
    age = (pd.to_datetime(first) - pd.to_datetime(birth[first.index])).dt.days / 365.2425
    assert age.min() > 13.9 and age.max() < 61.1 and age.median() < 30


def test_noise_rates_are_near_the_configured_ones(big):
    cfg, rows = Config(), _with_truth(big)
    no_date = rows["birth_date"] == ""
    year_only = no_date & (rows["birth_year"] != "")
    assert abs((no_date & ~year_only).mean() - cfg.birth_missing) < 0.015
    assert abs(year_only.mean() - cfg.birth_year_only) < 0.01
    assert abs(rows["sex"].eq("U").mean() - cfg.sex_unknown) < 0.01
    assert abs(rows["nationality"].isin(["", "UNK"]).mean() - cfg.nationality_missing) < 0.012
    assert abs(rows["place_of_exploitation"].eq("").mean() - cfg.place_missing) < 0.015
    # birth dates given but not the true one: swaps, year off, another day
    dated = rows[~no_date]
    wrong = dated["birth_date"].ne(dated["true_birth_date"]).mean()
    assert 0.05 < wrong < cfg.day_month_swap + cfg.year_off + cfg.other_day + 0.015
    # Dutch prefixes: dropped or merged in about a fifth of the reports (swaps add a little)
    prefixed = rows[rows["true_surname_prefix"] != ""]
    changed = prefixed["surname_prefix"].str.lower().ne(prefixed["true_surname_prefix"]).mean()
    assert 0.17 < changed < 0.28
    # given names written otherwise: typos and swaps (simple ASCII names of one given name)
    simple = rows[(rows["true_given2"] == "") & rows["true_given_name"].map(str.isascii)
                  & ~rows["true_culture"].isin(["vietnamese", "hungarian"])]
    differs = simple["given_name"].str.lower().ne(simple["true_given_name"].str.lower()).mean()
    expected = 1 - (1 - cfg.given_typo) * (1 - cfg.swap_names)
    assert abs(differs - expected) < 0.02
    # two given names: the first only in about 30 % (less those with a typo or swapped)
    two = rows[(rows["true_given2"] != "") & (rows["true_culture"] != "vietnamese")
               & rows["true_given_name"].map(str.isascii)]
    first_only = two["given_name"].str.lower().eq(two["true_given1"].str.lower()).mean()
    expected = cfg.first_given_only * (1 - cfg.given_typo) * (1 - cfg.swap_names)
    assert abs(first_only - expected) < 0.03
    # overrides work
    quiet = generate(4_000, seed=3, birth_missing=0.5, birth_year_only=0.0)
    assert abs(quiet.reports["birth_date"].eq("").mean() - 0.5) < 0.03


def test_every_row_passes_the_registry_validation():
    reports = generate(3_000, seed=5).reports
    bad = []
    for record in reports.to_dict("records"):
        _normal, errors = validate_report(record, lang="en")
        bad += [(record["report_id"], e.field, e.message) for e in errors]
    assert not bad, bad[:5]


def test_files_for_linkage_and_for_import(tmp_path):
    generated = generate(800, seed=2)
    folder = generated.write_simulation_folder(tmp_path / "sim")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["generator"] == "independent" and manifest["n_reports"] == 800
    assert set(manifest["mse_lists"]) == {"POL", "KMAR", "NLA", "ZC", "NGO", "OTHER"}
    loaded = load_reports(folder, pseudonymiser=Pseudonymiser(KEY))
    assert len(loaded.frame) == 800 and len(loaded.truth) == 800
    assert loaded.lists["OTHER"] and "POL" not in loaded.lists["OTHER"]
    back = pd.read_csv(folder / "reports.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(back, generated.reports)

    path = generated.write_import_csv(tmp_path / "import.csv")
    reader = TableReader(path.read_bytes(), path.name, lang="en")
    records = [record for chunk in reader.chunks() for _row, record in chunk]
    assert len(records) == 800
    assert "person_id" not in reader.columns and "report_id" not in reader.columns
    assert [r["source_ref"] for r in records] == list(generated.reports["source_ref"])
    assert all(not validate_report(r, lang="en")[1] for r in records)
    assert np.all([r["organisation"].startswith(r["reporter_category"]) for r in records])
