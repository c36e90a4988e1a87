"""zicht simulate study --series: the series designs over ten simulated years (zicht.series_study)
and the scenario key victims_trend."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from zicht.cli import app
from zicht.series_study import YEARS, run_series_study, series_persons, summarise_series
from zicht.simulate import load_scenario
from zicht.simulate.scenario import ScenarioError, parse_scenario

runner = CliRunner()


def test_a_trend_scenario_grows_by_its_rate() -> None:
    sc = load_scenario("nl-trend")
    assert sc.victims_trend == 0.05
    assert sc.victims_in(2024, 2015) == round(6000 * 1.05 ** 9)
    _, truth = series_persons(replace(sc, victims_per_year=400), seed=1, years=4)
    assert list(truth) == [round(400 * 1.05 ** t) for t in range(4)]


@pytest.mark.parametrize("bad", [-0.9, 2, "fast"])
def test_an_impossible_trend_is_refused(bad) -> None:
    from importlib import resources

    import yaml

    text = resources.files("zicht.simulate").joinpath("scenarios", "independent.yaml")
    data = yaml.safe_load(text.read_text())
    data["victims_trend"] = bad
    with pytest.raises(ScenarioError, match="victims_trend"):
        parse_scenario(data)


def test_the_study_measures_every_design_on_a_trend() -> None:
    sc = replace(load_scenario("independent"), victims_trend=0.10)
    frame = run_series_study(sc, 3, seed=5, workers=1,
                             designs=["single-year", "series", "series+covariates"])
    ok = frame[frame["status"] == "ok"]
    assert set(ok["design"]) == {"single-year", "series", "series+covariates"}
    assert (ok.groupby(["design", "seed"]).size() == YEARS).all()
    truth = ok[(ok["design"] == "series")].groupby("year")["truth"].first()
    assert np.allclose(np.diff(np.log(truth.to_numpy())), np.log(1.10), atol=0.002)
    table = summarise_series(frame).set_index("design")
    assert table["false_alarms"].isna().all()  # no constant truth to raise alarms on
    assert table["power"].between(0, 1).all()
    # four independent homogeneous lists and 10 % a year: the pooled model sees the trend
    assert table.loc["series", "power"] == 1.0
    assert abs(table.loc["series", "bias"]) < 0.05


def test_the_series_study_command_prints_json() -> None:
    chosen = ["single-year", "single-year-bootstrap", "series"]
    result = runner.invoke(app, ["simulate", "study", "--series", "--scenario", "independent",
                                 "--replicates", "2", "--workers", "1", "--format", "json",
                                 "--designs", ",".join(chosen)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["victims_trend"] == 0 and payload["years"] == YEARS
    rows = {r["design"]: r for r in payload["summary"]}
    assert set(rows) == set(chosen)
    for r in rows.values():
        assert 0 <= r["coverage"] <= 1 and 0 <= r["false_alarms"] <= 1
        assert r["power"] is None


@pytest.mark.slow
def test_end_to_end_a_replicate_is_linked_before_it_is_estimated() -> None:
    """--linked: the designs read zicht link's capture histories of the replicate's reports;
    the registered persons are those of the simulation within linkage error."""
    from zicht.series_study import linked_persons

    sc = replace(load_scenario("independent"), victims_per_year=800)
    frame, truth = linked_persons(sc, seed=2, years=3)
    assert set(frame["year"]) == {"2015", "2016", "2017"}
    assert list(truth) == [800, 800, 800]
    true_frame, _ = series_persons(sc, seed=2, years=3)
    assert abs(frame["count"].sum() / true_frame["count"].sum() - 1) < 0.1
    rows = run_series_study(sc, 1, designs=["single-year", "series"], workers=1, linked=True)
    assert (rows["status"] == "ok").all() and len(rows) == 2 * YEARS


def test_linked_and_designs_need_series() -> None:
    result = runner.invoke(app, ["simulate", "study", "--linked", "--replicates", "1"])
    assert result.exit_code == 2 and "--series" in result.output
    result = runner.invoke(app, ["simulate", "study", "--series", "--designs", "nonsense"])
    assert result.exit_code == 2 and "single-year-bootstrap" in result.output


def test_a_year_without_an_estimate_is_a_gap_not_a_lost_replicate() -> None:
    """The Caribbean scenario's 40 victims a year: a year where fewer than two lists saw
    anyone has no estimate; the other years keep theirs and no change spans the gap."""
    frame = run_series_study(load_scenario("caribbean"), 12, designs=["single-year"], seed=1,
                             workers=1)
    gaps = frame[frame["status"] == "no estimate"]
    ok = frame[frame["status"] == "ok"]
    assert len(gaps) > 0 and len(ok) > len(gaps)
    for seed, rows in ok.groupby("seed"):
        missing = set(gaps.loc[gaps["seed"] == seed, "year"])
        after_gap = rows[rows["year"].sub(1).isin(missing)]
        assert after_gap["change"].isna().all() if "change" in after_gap else True
    table = summarise_series(frame)
    assert table["years_without_estimate"].iloc[0] == len(gaps)


def test_the_published_design_is_the_single_years_with_the_joint_trend() -> None:
    """'published': each replicate's single-year-bootstrap rows (estimates, intervals,
    changes) with the series' trend of the same replicate."""
    sc = replace(load_scenario("independent"), victims_trend=0.10)
    both = run_series_study(sc, 2, seed=3, workers=1,
                            designs=["single-year-bootstrap", "series", "published"])
    pub = both[both["design"] == "published"].reset_index(drop=True)
    levels = both[both["design"] == "single-year-bootstrap"].reset_index(drop=True)
    joint = both[both["design"] == "series"].groupby("seed")["trend"].first()
    assert len(pub) == len(levels) == 2 * YEARS
    for col in ("seed", "year", "estimate", "ci_low", "ci_high", "change", "significant"):
        assert pub[col].equals(levels[col]), col
    assert np.allclose(pub["trend"], pub["seed"].map(joint))
    # the two trends differ: the derived design did take the joint one
    assert not np.allclose(levels["trend"], pub["trend"])


def test_asking_for_the_published_design_alone_reports_only_it(monkeypatch) -> None:
    """Its two parts run (the fits stubbed here: the rows' plumbing is under test)."""
    import zicht.series_study as study
    from zicht.mse.series import independent_series

    asked = []

    def fake_fit(design, frame, lists, level=0.95):
        asked.append(design)
        return independent_series(design, [2015, 2016, 2017], [10, 10, 10],
                                  [50.0, 55.0, 60.0], [(30.0, 90.0)] * 3)

    monkeypatch.setattr(study, "fit_design", fake_fit)
    frame = run_series_study(load_scenario("independent"), 1, seed=3, workers=1,
                             designs=["published"])
    assert set(frame["design"]) == {"published"}
    assert sorted(set(asked)) == ["series", "single-year-bootstrap"]


def test_a_replicate_without_a_joint_trend_keeps_its_own() -> None:
    from zicht.series_study import derive_published

    rows = pd.DataFrame([
        {"design": "single-year-bootstrap", "seed": 1, "year": 2015, "status": "ok",
         "trend": 0.01, "trend_low": -0.1, "trend_high": 0.1},
        {"design": "series", "seed": 1, "year": 2015, "status": "no estimate"},
        {"design": "single-year-bootstrap", "seed": 2, "year": 2015, "status": "ok",
         "trend": 0.02, "trend_low": -0.2, "trend_high": 0.2},
        {"design": "series", "seed": 2, "year": 2015, "status": "ok",
         "trend": 0.05, "trend_low": 0.03, "trend_high": 0.07}])
    out = derive_published(rows).set_index(["design", "seed"])
    assert out.loc[("published", 1), "trend_high"] == 0.1
    assert out.loc[("published", 2), "trend_low"] == 0.03
