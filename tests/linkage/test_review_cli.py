"""`zicht link review` on a registry export (issue 20, bug 3): the report ids (UUIDs) are shown
whole, so they can be copied into ``--pair``; ``--pair`` with ids the linkage does not hold is
refused; and a pair's levels are the ones Splink computed, so two reports of one year read
"same year", not "year unknown"."""

from __future__ import annotations

import json
import uuid

import pandas as pd
import pytest
from typer.testing import CliRunner

from zicht.cli import app

runner = CliRunner()


@pytest.fixture
def folder(tmp_path):
    """A linkage folder as `zicht link` writes it for a registry export (UUID report ids)."""
    ids = sorted(str(uuid.UUID(int=i * 7919 + 10**30)) for i in range(6))
    pd.DataFrame({"report_id": ids, "person_id": [f"P{i:07d}" for i in range(6)]}) \
        .to_parquet(tmp_path / "report_persons.parquet", index=False)
    queue = pd.DataFrame({"id_l": ids[0:6:2], "id_r": ids[1:6:2],
                          "match_probability": [0.6, 0.5, 0.4],
                          "level_name": ["names similar"] * 3,
                          "level_birth_date": ["birth date different"] * 3,
                          "level_year": ["same year"] * 3,
                          "reporter_category_l": ["POL"] * 3, "reporter_category_r": ["ZC"] * 3,
                          "organisation_l": ["politie-oost-nederland"] * 3,
                          "organisation_r": ["zorgcoordinatie-amsterdam"] * 3,
                          "reference_year_l": [2024] * 3, "reference_year_r": [2024] * 3})
    queue.to_csv(tmp_path / "review_queue.csv", index=False)
    (tmp_path / "summary.json").write_text(json.dumps({"reports": 6}))
    return tmp_path, ids


def test_the_ids_are_shown_whole_on_a_narrow_terminal(folder):
    path, ids = folder
    result = runner.invoke(app, ["link", "review", str(path)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    for report_id in ids:
        assert report_id in result.output


def test_a_pair_the_linkage_does_not_hold_is_refused(folder):
    path, ids = folder
    unknown = str(uuid.uuid4())
    for pair in ((ids[0], unknown), (ids[0][:20], ids[1]), (ids[0], ids[0])):
        result = runner.invoke(app, ["link", "review", str(path), "--pair", *pair,
                                     "--decide", "match"])
        assert result.exit_code == 2, result.output
        assert "no report" in result.output or "two different" in result.output
    log = path / "decisions.jsonl"
    assert not log.exists() or log.read_text().strip() == ""
    result = runner.invoke(app, ["link", "review", str(path), "--pair", ids[0], ids[1],
                                 "--decide", "match", "--by", "analyst:test"])
    assert result.exit_code == 0, result.output
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["id_l"], e["id_r"], e["decision"]) for e in entries] == [(ids[0], ids[1], "match")]


@pytest.mark.slow  # one Splink run
def test_two_reports_of_one_year_are_the_same_year(tmp_path):
    """On one year of reports EM finds "same year" neutral (weight 0), as the NULL level is:
    read back from the weights, every pair was "year unknown"."""
    from tests.linkage.independent_reports import generate
    from zicht.linkage.run import link
    from zicht.tokens import Pseudonymiser

    folder = generate(1500, seed=4, years=(2024,)).write_simulation_folder(tmp_path / "sim")
    result = link(folder, None, pseudonymiser=Pseudonymiser(bytes(range(32))),
                  band_method="none")
    levels = result.pairs["level_year"].astype(str)
    assert len(levels) > 100
    assert set(levels) == {"same year"}
