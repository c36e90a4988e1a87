"""The public simulate API (zicht.simulate): one simulated year, reproducible by seed, detected
again under another scenario with the same random numbers; a scenario calibrated to data."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import zicht.simulate as sim
from zicht.simulate import ScenarioError, calibrate, load_scenario, simulate_year

INDEPENDENT = load_scenario("independent")


def test_the_public_names():
    assert set(sim.__all__) == {"Scenario", "ScenarioError", "SimulatedYear", "calibrate",
                                "load_scenario", "shipped_scenarios", "simulate_year",
                                "write_run"}
    assert "nl-baseline" in sim.shipped_scenarios()


def test_the_same_seed_gives_the_same_year():
    a, b = simulate_year(INDEPENDENT, 3), simulate_year(INDEPENDENT, 3)
    pd.testing.assert_frame_equal(a.persons, b.persons)
    assert np.array_equal(a.seen, b.seen) and a.truth == INDEPENDENT.victims_per_year
    assert a.year == 2024 and not np.array_equal(a.seen, simulate_year(INDEPENDENT, 4).seen)
    assert a.registered == int(a.seen.any(axis=1).sum())
    assert a.detected_by("ZC") == int(a.seen[:, list(INDEPENDENT.reporters).index("ZC")].sum())
    table = a.histories()
    assert table.n_observed == a.registered
    assert set(table.lists) == set(INDEPENDENT.mse_lists)
    assert a.capture_table(merged=False)["count"].sum() == a.registered


def test_redetect_uses_the_same_random_numbers():
    year = simulate_year(INDEPENDENT, 5)
    assert np.array_equal(year.redetect(INDEPENDENT).seen, year.seen)
    reporters = dict(INDEPENDENT.reporters)
    reporters["ZC"] = replace(reporters["ZC"], rate=0.3)
    more = year.redetect(replace(INDEPENDENT, reporters=reporters))
    j = list(reporters).index("ZC")
    assert (more.seen[:, j] >= year.seen[:, j]).all() and more.detected_by("ZC") > \
        year.detected_by("ZC")
    assert more.persons is year.persons
    with pytest.raises(ValueError, match="same reporter categories"):
        year.redetect(replace(INDEPENDENT, reporters={"POL": reporters["POL"]}))


def test_without_two_lists_there_are_no_histories():
    one = replace(INDEPENDENT, mse_lists={"ALL": tuple(INDEPENDENT.reporters)})
    assert simulate_year(one, 1).histories() is None


def test_calibrate():
    fitted = calibrate(INDEPENDENT, 4000, {"POL": 600}, 2024)
    assert fitted.victims_per_year == 4000 and fitted.reporters["POL"].rate == 0.15
    assert fitted.name == "independent, calibrated to 2024"
    with pytest.raises(ScenarioError, match="not reporters"):
        calibrate(INDEPENDENT, 4000, {"XYZ": 3})
