"""The reporting-obligation what-if on scenarios with known truth."""

import json
import math

import pytest
from typer.testing import CliRunner

from zicht.cli import app
from zicht.monitor.whatif import WhatIfError, obligation_scenario, whatif
from zicht.simulate.scenario import load_scenario

INDEPENDENT = load_scenario("independent")  # 5,000 victims, POL .10, ZC .08, NGO .07, NLA .05


@pytest.fixture(scope="module")
def doubled():
    return whatif(INDEPENDENT, "ZC", rate=0.16, replicates=40, seed=2)


def test_the_obligation_only_adds_detections(doubled):
    r = doubled.replicates
    now = r[r.arm == "now"].set_index("seed")
    after = r[r.arm == "obligation"].set_index("seed")
    assert (now["truth"] == after["truth"]).all()  # the same victims in both arms
    assert (after["category_detected"] >= now["category_detected"]).all()
    assert (after["registered"] >= now["registered"]).all()
    assert (after["registered"] - now["registered"]
            <= after["category_detected"] - now["category_detected"]).all()


def test_detections_follow_the_rates(doubled):
    s = doubled.summary()
    n = s.loc["now", "victims"]
    for arm, rate in (("now", 0.08), ("obligation", 0.16)):
        mean = s.loc[arm, "detected by category"]
        se = math.sqrt(n * rate * (1 - rate) / 40)  # 40 replicates of a binomial count
        assert abs(mean - n * rate) < 4 * se, (arm, mean)
    # reports: detections x 1 / (1 - duplicate rate)
    assert s.loc["obligation", "reports by category"] == pytest.approx(
        s.loc["obligation", "detected by category"] / (1 - INDEPENDENT.duplicate_rate))
    # independent lists: P(registered) = 1 - prod(1 - rates)
    for arm, zc in (("now", 0.08), ("obligation", 0.16)):
        p = 1 - (1 - 0.10) * (1 - zc) * (1 - 0.07) * (1 - 0.05)
        assert s.loc[arm, "detection rate"] == pytest.approx(p, abs=0.01)


def test_on_independent_lists_the_interval_narrows_without_bias(doubled):
    s = doubled.summary()
    assert doubled.narrowing < 0.85
    assert abs(s.loc["obligation", "relative bias"]) < 0.03
    assert s.loc["obligation", "coverage"] >= 0.85


def test_like_takes_another_categorys_rate():
    result = whatif(INDEPENDENT, "NLA", like="POL", replicates=2)
    assert result.rate_now == 0.05 and result.rate_obliged == 0.10


def test_a_merged_category_gets_its_own_list():
    base = load_scenario("nl-baseline")
    assert "JZ" in base.mse_lists["OTHER"]
    now, after = obligation_scenario(base, "JZ", rate=0.05)
    for sc in (now, after):
        assert sc.mse_lists["JZ"] == ("JZ",) and "JZ" not in sc.mse_lists["OTHER"]
    assert after.reporters["JZ"].rate == 0.05 and now.reporters["JZ"].rate == 0.0012
    kept, _ = obligation_scenario(base, "JZ", rate=0.05, own_list=False)
    assert kept.mse_lists == base.mse_lists


@pytest.mark.parametrize("kwargs, text", [
    ({"category": "XX", "rate": 0.1}, "not a reporter"),
    ({"category": "ZC"}, "either the new rate"),
    ({"category": "ZC", "rate": 0.1, "like": "POL"}, "either the new rate"),
    ({"category": "ZC", "rate": 1.5}, "between 0 and 1"),
    ({"category": "ZC", "like": "XX"}, "not a reporter"),
])
def test_questions_that_cannot_be_asked(kwargs, text):
    with pytest.raises(WhatIfError, match=text):
        whatif(INDEPENDENT, replicates=1, **kwargs)


def test_command_line():
    runner = CliRunner()
    result = runner.invoke(app, ["whatif", "--scenario", "independent", "--category", "ZC",
                                 "--rate", "0.16", "--replicates", "5", "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["rate_now"] == 0.08 and payload["rate_obliged"] == 0.16
    assert payload["arms"]["obligation"]["registered"] > payload["arms"]["now"]["registered"]
    text = runner.invoke(app, ["whatif", "--scenario", "independent", "--category", "ZC",
                               "--like", "POL", "--replicates", "3"])
    assert text.exit_code == 0 and "met meldplicht" in text.output
    bad = runner.invoke(app, ["whatif", "--category", "ZC"])
    assert bad.exit_code == 2 and "either the new rate" in bad.output
