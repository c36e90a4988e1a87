"""The simulator's modus operandi (issue 21): the means of control and the recruiter drawn per
person-year, so a person's reports agree; from a stream of their own, so a scenario with a trend
differs from its base in those two fields only; the realised shares follow the scenario and its
trend; bad keys are refused by name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zicht.codes import MEANS_OF_CONTROL, RECRUITER_RELATIONS
from zicht.simulate.reports import simulate_years
from zicht.simulate.scenario import ScenarioError, load_scenario

FIELDS = ["means_of_control", "recruiter_relation"]


def _years(name: str, years=(2024,), seed: int = 5) -> list[pd.DataFrame]:
    """Reports per year, with their person."""
    out = []
    for batch in simulate_years(load_scenario(name, {"victims_per_year": 4000}), list(years),
                                seed):
        out.append(batch.reports.assign(person=batch.truth["person_id"].to_numpy()))
    return out


def test_a_trend_changes_the_two_fields_and_nothing_else():
    (base,) = _years("nl-baseline")
    (trend,) = _years("nl-modus-trend")
    other = [c for c in base.columns if c not in FIELDS]
    pd.testing.assert_frame_equal(base[other], trend[other])
    # the first year is the trend's start: the same chances, so the same draws
    pd.testing.assert_frame_equal(base[FIELDS], trend[FIELDS])
    base2 = _years("nl-baseline", (2023, 2024))[1]
    trend2 = _years("nl-modus-trend", (2023, 2024))[1]
    assert (base2["means_of_control"] != trend2["means_of_control"]).any()
    pd.testing.assert_frame_equal(base2[other], trend2[other])


def test_a_persons_reports_of_a_year_agree_and_use_the_codes():
    (frame,) = _years("nl-baseline")
    recorded = frame[frame["recruiter_relation"] != ""]
    assert 0.5 < len(recorded) / len(frame) < 0.7  # recorded: 0.6
    for col in FIELDS:
        assert (recorded.groupby("person")[col].nunique() == 1).all(), col
    assert set(recorded["recruiter_relation"]) <= set(RECRUITER_RELATIONS)
    means = {m for text in recorded["means_of_control"] for m in text.split(";") if m}
    assert means <= set(MEANS_OF_CONTROL) and len(means) > 10
    assert (frame.loc[frame["recruiter_relation"] == "", "means_of_control"] == "").all()


def test_the_realised_shares_follow_the_scenario_and_its_trend():
    """Per person (one recorded report each), the share controlled by debt bondage in labour
    exploitation, and the share recruited by an intimate partner in sexual exploitation, are
    the scenario's within three standard errors - in the trend's first year and four years on."""
    scenario = load_scenario("nl-modus-trend").modus_operandi
    frames = _years("nl-modus-trend", (2020, 2024), seed=8)
    for years_on, frame in ((0, frames[0]), (4, frames[1])):
        first = frame[frame["recruiter_relation"] != ""].drop_duplicates("person")
        labour = first[first["exploitation_forms"] == "LAB"]
        share = labour["means_of_control"].str.split(";").apply(
            lambda m: "debt_bondage" in m).mean()
        p = scenario.chance("LAB", "debt_bondage", years_on)
        assert abs(share - p) < 3 * np.sqrt(p * (1 - p) / len(labour)), (years_on, share, p)
    sexual = first[first["exploitation_forms"] == "SEX"]
    p = scenario.recruiter["SEX"]["intimate_partner"]
    share = (sexual["recruiter_relation"] == "intimate_partner").mean()
    assert abs(share - p) < 3 * np.sqrt(p * (1 - p) / len(sexual))
    assert scenario.chance("LAB", "debt_bondage", 4) == pytest.approx(0.35 + 4 * 0.06)


@pytest.mark.parametrize(("raw", "where"), [
    ({"colour": 1}, "modus_operandi.colour"),
    ({"means": {"SPORT": {"threats": 0.1}}}, "modus_operandi.means.SPORT"),
    ({"means": {"SEX": {"voodoo": 0.1}}}, "modus_operandi.means.SEX.voodoo"),
    ({"means": {"SEX": {"threats": 1.5}}}, "modus_operandi.means.SEX.threats"),
    ({"recruiter": {"LAB": {"neighbour": 1.0}}}, "modus_operandi.recruiter.LAB"),
    ({"trend": {"threats": 3}}, "modus_operandi.trend.threats"),
    ({"recorded": -0.1}, "modus_operandi.recorded"),
])
def test_bad_keys_are_refused_by_name(raw, where):
    with pytest.raises(ScenarioError, match=where.replace(".", r"\.")):
        load_scenario("nl-baseline", {"modus_operandi": raw})
