"""The simulator's complaint and protection (issue 21): drawn per person-year, so a person's
reports agree; from a stream of their own, so a scenario with a gap differs from its base in
the process fields only; the realised shares follow the scenario; bad keys are refused by name;
``base:`` builds a scenario on another."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zicht.simulate.protection import OUTCOMES
from zicht.simulate.reports import simulate_years
from zicht.simulate.scenario import ScenarioError, load_scenario

PROCESS = ["complaint_filed", "reflection_period", "shelter_requested", "shelter_placed",
           "referred_to_care"]


def _year(name: str, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One year's reports and, per report, its person with the true nationality."""
    batch = next(simulate_years(load_scenario(name, {"victims_per_year": 4000}), [2024], seed))
    nationality = batch.persons.set_index("person_id")["nationality"]
    truth = batch.truth.assign(nationality=batch.truth["person_id"].map(nationality))
    return batch.reports, truth


def test_a_gap_changes_the_process_fields_and_nothing_else():
    base, _ = _year("nl-baseline")
    gapped, _ = _year("nl-protection-gap")
    other = [c for c in base.columns if c not in PROCESS]
    pd.testing.assert_frame_equal(base[other], gapped[other])
    assert (base["shelter_placed"] != gapped["shelter_placed"]).any()


def test_a_persons_reports_of_a_year_tell_one_story():
    reports, truth = _year("nl-protection-gap")
    frame = reports.assign(person=truth["person_id"].to_numpy())
    for col in ("shelter_requested", "shelter_placed", "referred_to_care"):
        assert (frame.groupby("person")[col].nunique() == 1).all(), col
    # a recorded complaint status is the person's; unrecorded reports say "unknown"
    known = frame[frame["complaint_filed"] != "unknown"]
    assert (known.groupby("person")["complaint_filed"].nunique() == 1).all()
    assert 0.15 < (frame["complaint_filed"] == "unknown").mean() < 0.25
    # the reflection period: not applicable to Dutch nationals, and only to them
    dutch = truth["nationality"].eq("NLD").to_numpy()
    assert dutch.any() and (~dutch).any()
    assert frame.loc[dutch, "reflection_period"].eq("not_applicable").all()
    assert not frame.loc[~dutch, "reflection_period"].eq("not_applicable").any()


def test_the_realised_shares_follow_the_scenario():
    """Per person (one report each picked), the share placed in shelter with and without a
    complaint is the scenario's within three standard errors."""
    reports, truth = _year("nl-protection-gap", seed=8)
    scenario = load_scenario("nl-protection-gap").protection
    first = reports.assign(person=truth["person_id"].to_numpy()).drop_duplicates("person")
    for status, group in (("yes", scenario.with_complaint),
                          ("no", scenario.without_complaint)):
        people = first[first["complaint_filed"] == status]
        share = people["shelter_placed"].eq("yes").mean()
        want = group.chance("shelter_placed")
        assert abs(share - want) < 3 * np.sqrt(want * (1 - want) / len(people)), status


@pytest.mark.parametrize("protection,key", [
    ({"with_complaint": {"shelter": 0.5}}, "protection.with_complaint.shelter"),
    ({"without_complaint": {"shelter_placed": 1.5}}, "protection.without_complaint.shelter_placed"),
    ({"complaint": {"yes": 0.5, "no": 0.2}}, "protection.complaint"),
    ({"recorded": -1}, "protection.recorded"),
    ({"gap": 0.2}, "protection.gap"),
    ("lots", "protection"),
])
def test_a_bad_protection_key_is_refused_by_name(protection, key):
    with pytest.raises(ScenarioError, match=f"'{key}'"):
        load_scenario("nl-baseline", {"protection": protection})


def test_base_builds_on_another_scenario_and_refuses_a_circle(tmp_path):
    own = tmp_path / "mine.yaml"
    own.write_text("base: nl-protection-gap\nname: mine\nvictims_per_year: 300\n")
    mine = load_scenario(own)
    gap = load_scenario("nl-protection-gap")
    assert (mine.name, mine.victims_per_year) == ("mine", 300)
    assert mine.protection == gap.protection and mine.reporters == gap.reporters
    assert all(mine.protection.gap(o) > 0 for o in OUTCOMES)
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(f"base: {b}\n")
    b.write_text(f"base: {a}\n")
    with pytest.raises(ScenarioError, match="circle"):
        load_scenario(a)
    # a relative base is the file next to this one, wherever the command runs
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.yaml").write_text("base: ../mine.yaml\nvictims_per_year: 200\n")
    assert load_scenario(tmp_path / "sub" / "d.yaml").protection == gap.protection
    (tmp_path / "c.yaml").write_text("base: no-such-scenario\n")
    with pytest.raises(ScenarioError, match="unknown scenario 'no-such-scenario'"):
        load_scenario(tmp_path / "c.yaml")
