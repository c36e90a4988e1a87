"""zicht.simulate: truth is known, so test that the output says what the scenario says."""

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zicht.simulate.detection import detect
from zicht.simulate.population import new_persons, person_years
from zicht.simulate.reports import write_run
from zicht.simulate.scenario import ScenarioError, load_scenario, parse_scenario, shipped_scenarios
from zicht.study import StudySpec, run_study, summarise

ZICHT = Path(sys.executable).with_name("zicht")


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    sc = load_scenario("nl-baseline", {"victims_per_year": 3000})
    out = tmp_path_factory.mktemp("run")
    write_run(sc, [2023, 2024], 11, out)
    return sc, out


def test_same_seed_gives_byte_identical_files(small_run, tmp_path):
    sc, out = small_run
    write_run(sc, [2023, 2024], 11, tmp_path / "again")
    assert digest(out) == digest(tmp_path / "again")
    # into a folder that already holds a run: the same files, byte for byte
    write_run(sc, [2023, 2024], 11, tmp_path / "again")
    assert digest(out) == digest(tmp_path / "again")
    write_run(sc, [2023, 2024], 12, tmp_path / "other")
    other = digest(tmp_path / "other")
    assert other["reports.csv"] != digest(out)["reports.csv"]


def test_every_shipped_scenario_loads():
    assert {"nl-baseline", "nl-meldplicht", "independent", "heterogeneous", "dependent",
            "caribbean"} <= set(shipped_scenarios())
    for name in shipped_scenarios():
        assert load_scenario(name).victims_per_year > 0


def test_population_marginals_follow_the_scenario():
    sc = load_scenario("nl-baseline")
    rng = np.random.default_rng(3)
    n = 40_000
    persons = new_persons(sc, 2024, n, 1, rng)
    for col, dist in (("sex", sc.sex), ("form", sc.form), ("nationality", sc.nationality),
                      ("region", sc.region)):
        share = persons[col].value_counts(normalize=True)
        for key, p in dist.items():
            sd = np.sqrt(p * (1 - p) / n)
            assert abs(share.get(key, 0.0) - p) < 4.5 * sd + 1e-9, (col, key)
    (_, year), = person_years(load_scenario("nl-baseline", {"victims_per_year": 40_000}), [2024],
                              np.random.SeedSequence(5))
    sd = np.sqrt(sc.minor * (1 - sc.minor) / len(year))
    assert abs(year["minor"].mean() - sc.minor) < 4.5 * sd  # minors on 1 July
    assert len(year) == 40_000


def test_carry_over_keeps_the_same_people_one_year_older():
    sc = load_scenario("nl-baseline")
    (y1, a), (y2, b) = person_years(sc, [2023, 2024], np.random.SeedSequence(8))
    kept = b[b["person_id"].isin(a["person_id"])]
    assert abs(len(kept) / len(a) - sc.carry_over) < 0.03
    merged = kept.merge(a[["person_id", "age", "surname"]], on="person_id",
                        suffixes=("", "_before"))
    assert ((merged["age"] - merged["age_before"]).between(0, 1)).all()
    assert (merged["surname"] == merged["surname_before"]).all()


def test_detection_rates_heterogeneity_and_referral_are_as_configured():
    rng = np.random.default_rng(9)
    ind = load_scenario("independent", {"victims_per_year": 200_000})
    (_, people), = person_years(ind, [2024], np.random.SeedSequence(1))
    seen = detect(ind, people, rng)
    for j, rep in enumerate(ind.reporters.values()):
        assert abs(seen[:, j].mean() - rep.rate) < 0.003
    # independence: P(POL and ZC) = P(POL) P(ZC)
    both = (seen[:, 0] & seen[:, 1]).mean()
    assert abs(both - seen[:, 0].mean() * seen[:, 1].mean()) < 0.001
    one_way = {"victims_per_year": 200_000,
               "dependence": [{"from": "ZC", "to": "POL", "odds_ratio": 4.0}]}
    seen = detect(load_scenario("dependent", one_way), people, rng)
    pol, zc = seen[:, 0], seen[:, 1]
    odds = lambda x: x.mean() / (1 - x.mean())  # noqa: E731
    assert 3.4 < odds(pol[zc]) / odds(pol[~zc]) < 4.7  # configured odds ratio 4
    het = load_scenario("heterogeneous", {"victims_per_year": 200_000})
    (_, people_h), = person_years(het, [2024], np.random.SeedSequence(2))
    seen = detect(het, people_h, rng)
    hidden = people_h["latent_group"].to_numpy() == 1
    assert seen[hidden].mean() < 0.5 * seen[~hidden].mean()


def test_capture_histories_equal_what_the_truth_implies(small_run):
    sc, out = small_run
    py = pd.read_csv(out / "truth_person_years.csv")
    for year in (2023, 2024):
        cats = list(sc.reporters)
        rows = py[py["year"] == year]
        merged = pd.DataFrame({name: rows[list(members)].any(axis=1).astype(int)
                               for name, members in sc.mse_lists.items()})
        merged = merged[merged.any(axis=1)]
        expect = merged.value_counts().sort_index()
        got = pd.read_csv(out / f"capture_histories_{year}.csv")
        got = got.set_index(list(sc.mse_lists))["count"].sort_index()
        assert expect.to_dict() == got.to_dict()
        by_cat = pd.read_csv(out / "capture_histories_by_category.csv")
        by_cat = by_cat[by_cat["year"] == year]
        assert by_cat["count"].sum() == (rows[cats].sum(axis=1) > 0).sum()


def test_reports_point_to_people_seen_by_that_reporter(small_run):
    sc, out = small_run
    truth = pd.read_csv(out / "truth_reports.csv", keep_default_na=False)
    py = pd.read_csv(out / "truth_person_years.csv", keep_default_na=False)
    joined = truth.merge(py, on=["person_id", "year"], how="left")
    assert joined["lists"].notna().all()
    assert all(cat in lists.split(";") for cat, lists in
               zip(joined["reporter_category"], joined["lists"], strict=True))
    # duplicates: reports per detection ~ geometric with the scenario's duplicate rate
    per = truth.groupby(["person_id", "year", "reporter_category"]).size()
    assert abs((per > 1).mean() - sc.duplicate_rate) < 0.02
    reports = pd.read_csv(out / "reports.csv", keep_default_na=False, dtype=str)
    assert list(reports["report_id"]) == list(truth["report_id"])
    parquet = pd.read_parquet(out / "reports.parquet")
    assert len(parquet) == len(reports) and list(parquet.columns) == list(reports.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    assert sum(y["reports"] for y in manifest["per_year"]) == len(reports)


def test_noise_rates_appear_in_the_reports(small_run):
    sc, out = small_run
    truth = pd.read_csv(out / "truth_reports.csv", keep_default_na=False)
    reports = pd.read_csv(out / "reports.csv", keep_default_na=False, dtype=str)
    n = len(reports)
    tol = lambda p: 4 * np.sqrt(p * (1 - p) / n) + 0.005  # noqa: E731
    assert abs((reports["nationality"] == "").mean() - sc.noise.nationality_missing) \
        < tol(sc.noise.nationality_missing)
    assert abs((reports["birth_date"] == "").mean()
               - sc.noise.dob_unknown - sc.noise.dob_year_only) < 0.03
    swapped = truth["noise"].str.contains("swap_names").mean()
    assert abs(swapped - sc.noise.swap_names) < tol(sc.noise.swap_names)


def test_meldplicht_registers_more_of_the_same_population():
    base = load_scenario("nl-baseline")
    meld = load_scenario("nl-meldplicht")
    assert base.victims_per_year == meld.victims_per_year
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)
    (_, people), = person_years(base, [2024], np.random.SeedSequence(4))
    a = detect(base, people, rng_a).any(axis=1).sum()
    b = detect(meld, people, rng_b).any(axis=1).sum()
    assert b > 1.3 * a


@pytest.mark.parametrize("patch,key", [
    ({"duplicate_rate": 1.0}, "duplicate_rate"),
    ({"heterogeneity": [{"share": 1.0, "effect": float("inf")}]}, "heterogeneity[0].effect"),
    ({"reporters": {"POL": {"rate": 0.1, "effects": {"minor": 800}}}}, "effects.minor"),
    ({"dependence": [{"from": "POL", "to": "POL", "odds_ratio": 2}]}, "dependence[0]"),
    ({"mse_lists": {"A": ["POL"], "B": []}}, "mse_lists.B"),
    ({"victims_per_year": -5}, "victims_per_year"),
    ({"carry_over": 1.5}, "carry_over"),
    ({"colour": "blue"}, "colour"),
    ({"reporters": {"POL": {"rate": 1.2}}}, "reporters.POL.rate"),
    ({"reporters": {"XYZ": {"rate": 0.1}}}, "reporters.XYZ"),
    ({"reporters": {"POL": {"rate": 0.1, "effects": {"form.FOO": 1}}}}, "form.FOO"),
    ({"duplicate_rate": -0.1}, "duplicate_rate"),
])
def test_bad_scenarios_name_the_key(patch, key):
    data = {**load_scenario_dict("independent"), **patch}
    with pytest.raises(ScenarioError, match=re.escape(key)):
        parse_scenario(data)


def load_scenario_dict(name):
    from importlib import resources

    import yaml

    return yaml.safe_load(resources.files("zicht.simulate").joinpath(
        "scenarios", f"{name}.yaml").read_text())


def test_cli_errors_exit_2_naming_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    data = load_scenario_dict("independent")
    data["population"]["minor"] = 2
    import yaml

    bad.write_text(yaml.safe_dump(data))
    for args, needle in (
        (["--scenario", str(bad)], "population.minor"),
        (["--scenario", "no-such-scenario"], "unknown scenario"),
        (["--victims", "-3"], "victims_per_year"),
    ):
        p = subprocess.run([str(ZICHT), "simulate", *args, "--out", str(tmp_path / "o")],
                           capture_output=True, text=True)
        assert p.returncode == 2, p.stderr
        assert needle in p.stderr and "Traceback" not in p.stderr


@pytest.mark.slow  # a simulation study of coverage
def test_study_coverage_under_independence():
    """Independent, homogeneous lists: the Mt model's 95 % profile intervals should cover the
    truth in about 95 % of replicates; 120 replicates give a Monte Carlo sd of 2 %."""
    spec = StudySpec(load_scenario("independent", {"victims_per_year": 2000}), ("Mt",))
    frame = run_study(spec, 120, seed=3, workers=1)
    row = summarise(frame).iloc[0]
    assert row["failed"] == 0
    assert 0.89 <= row["coverage"] <= 0.99  # too wide intervals would fail too
    assert abs(row["relative_bias"]) < 0.02


def test_study_shows_heterogeneity_hides_people():
    spec = StudySpec(load_scenario("heterogeneous", {"victims_per_year": 2000}), ("Mt",))
    row = summarise(run_study(spec, 30, seed=4, workers=1)).iloc[0]
    assert row["relative_bias"] < -0.1  # every list misses the same hidden group


def test_numeric_strings_are_numbers():
    # YAML 1.1 reads 1e-3 as a string
    sc = parse_scenario({**load_scenario_dict("independent"), "duplicate_rate": "1e-3"})
    assert sc.duplicate_rate == 0.001


def test_years_without_any_detection_write_empty_tables(tmp_path):
    sc = load_scenario("caribbean", {"victims_per_year": 2})
    summary = write_run(sc, [2020, 2021, 2022], 3, tmp_path)
    assert sum(y["victims"] for y in summary.per_year) == 6
    reports = pd.read_csv(tmp_path / "reports.csv", keep_default_na=False)
    assert len(reports) == sum(y["reports"] for y in summary.per_year)
    assert json.loads((tmp_path / "manifest.json").read_text())["files"] == summary.files


def test_study_is_the_same_with_one_or_two_workers():
    spec = StudySpec(load_scenario("dependent", {"victims_per_year": 1500}), ("Mt", "stepwise"))
    a = run_study(spec, 6, seed=9, workers=1)
    b = run_study(spec, 6, seed=9, workers=2)
    pd.testing.assert_frame_equal(a, b)


def test_tiny_caribbean_study_reports_failures_instead_of_hiding_them():
    spec = StudySpec(load_scenario("caribbean"), ("Mt",))
    frame = run_study(spec, 20, seed=5, workers=1)
    row = summarise(frame).iloc[0]
    assert row["replicates"] == 20 and row["failed"] == (frame["status"] != "ok").sum()
    assert row["coverage_low"] <= row["coverage"] <= row["coverage_high"]


def test_the_run_writes_chain_figures_monitor_chain_takes(small_run, tmp_path):
    """docs/MONITOR.md's `zicht monitor chain sim/chain.csv`: the file is the simulation's own
    (issue 20: the docs named a chain.csv no command made)."""
    from zicht.monitor.chain import ChainStore

    _, out = small_run
    assert "chain.csv" in json.loads((out / "manifest.json").read_text())["files"]
    version = ChainStore(tmp_path / "chain").import_csv(out / "chain.csv")
    assert list(version.years) == [2023, 2024] and version.rows > 0
    frame = pd.read_csv(out / "chain.csv")
    assert frame["source"].str.contains("synthetic").all()
