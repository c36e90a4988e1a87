"""Linkage end to end on simulations with known truth: the accuracy targets on ten years of
nl-baseline, exact capture histories without noise, review decisions on a later run, the
estimate with its linkage band, and the command line (bad input: exit 2, nothing written).

The ten years are linked once per session (``baseline``); the review, command-line and export
tests start from the session's two linked years (``linked_simulation``, tests/conftest.py)."""

import json
import shutil
from dataclasses import fields
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from tests.support import build_once
from zicht.cli import app
from zicht.linkage.evaluate import Evaluation
from zicht.linkage.run import BAND_THRESHOLDS, link
from zicht.linked_estimate import estimate_with_linkage
from zicht.mse import CaptureHistories, make_estimator
from zicht.registry.pseudonymise import Pseudonymiser
from zicht.simulate.noise import NoiseConfig

KEY = bytes(range(32))
runner = CliRunner()


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("ZICHT_PSEUDONYM_KEY", KEY.hex())


def simulate(out, *args, formats="parquet"):
    result = runner.invoke(app, ["simulate", "--formats", formats, "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    return out


def _ten_years(folder):
    sim = simulate(folder / "sim", "--years", "2015-2024", "--seed", "1")
    result = link(sim, folder / "linked", pseudonymiser=Pseudonymiser(KEY))
    return result.evaluation.as_dict()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """Ten years of nl-baseline with default noise, linked once per session (read only);
    (simulation, linkage folder, evaluation against the simulation's truth)."""
    folder, evaluation = build_once(tmp_path_factory, "linked-ten-years", _ten_years)
    evaluation = Evaluation(**{f.name: evaluation[f.name] for f in fields(Evaluation)})
    return folder / "sim", folder / "linked", evaluation


def _first_run(out):
    """What a LinkResult holds, read back from its folder: persons of reports, pairs, summary."""
    person = pd.read_parquet(out / "report_persons.parquet").set_index("report_id")["person_id"]
    summary = json.loads((out / "summary.json").read_text())
    return person, pd.read_parquet(out / "pairs.parquet"), summary


@pytest.mark.slow
def test_accuracy_targets_on_ten_years_of_nl_baseline(baseline):
    _, _, e = baseline
    assert e.reports > 11_000 and e.true_persons > 8_500
    assert e.pairwise_f1 >= 0.97, e
    assert e.cluster_f1 >= 0.97, e
    assert abs(e.persons_error) <= 0.02, e


@pytest.mark.slow
def test_estimates_on_linked_persons_stay_close_to_the_true_links(baseline):
    sim, out, _ = baseline
    linked = pd.read_csv(out / "capture_histories.csv")
    lists = [c for c in linked.columns if c not in ("year", "count")]
    ratios = []
    for year, part in linked.groupby("year"):
        table = CaptureHistories.from_frame(part[[*lists, "count"]].reset_index(drop=True))
        true = CaptureHistories.from_csv(str(sim / f"capture_histories_{year}.csv"))
        assert table.lists == true.lists
        ratios.append(make_estimator("Mt").fit(table, ci="none").estimate
                      / make_estimator("Mt").fit(true, ci="none").estimate)
    ratios = pd.Series(ratios)
    # the independence model's estimate is n1 n2 / m: a missed link between two lists moves
    # it most, so it is the sharpest check of linkage for estimation
    assert abs(ratios.mean() - 1) <= 0.02, ratios
    assert (ratios - 1).abs().max() <= 0.05, ratios


@pytest.mark.slow
def test_linkage_band_beside_the_statistical_interval(baseline):
    _, out, _ = baseline
    result = estimate_with_linkage(out, 2020, "Mt")
    assert result.band_method == "threshold" and result.linkages == len(BAND_THRESHOLDS)
    low, high = result.linkage_band
    assert low < high  # the thresholds do not all give the same persons
    assert result.combined[0] <= min(result.interval[0], low)
    assert result.combined[1] >= max(result.interval[1], high)


@pytest.mark.slow
def test_outputs_of_a_run(baseline):
    _, out, evaluation = baseline
    summary = json.loads((out / "summary.json").read_text())
    assert summary["reports"] == evaluation.reports
    persons = pd.read_parquet(out / "persons.parquet")
    assert len(persons) == summary["persons"] and persons["n_reports"].sum() == summary["reports"]
    assert set(pd.read_parquet(out / "report_persons.parquet")["person_id"]) == \
        set(persons["person_id"])
    by_stratum = pd.read_csv(out / "capture_histories_by_stratum.csv")
    per_year = pd.read_csv(out / "capture_histories.csv")
    assert by_stratum.groupby("year")["count"].sum().equals(per_year.groupby("year")["count"]
                                                            .sum())
    model = json.loads((out / "model.json").read_text())
    assert 0 < model["probability_two_random_records_match"] < 0.01
    pairs = pd.read_parquet(out / "pairs.parquet")
    assert (pairs["id_l"] < pairs["id_r"]).all() and pairs["match_probability"].min() >= 0.01
    # a year's table is `zicht estimate` input as it is
    est = runner.invoke(app, ["estimate", str(out / "capture_histories_2020.csv")])
    assert est.exit_code == 0, est.output


def test_noise_free_simulation_gives_the_true_capture_histories(tmp_path):
    scenario = tmp_path / "clean.yaml"
    data = yaml.safe_load(_scenario_file("nl-baseline").read_text(encoding="utf-8"))
    data["noise"] = {name: 0.0 for name in NoiseConfig.__dataclass_fields__}
    scenario.write_text(yaml.safe_dump(data))
    sim = simulate(tmp_path / "sim", "--scenario", str(scenario), "--years", "2023-2024",
                   "--victims", "3000", "--seed", "7")
    out = tmp_path / "linked"
    result = link(sim, out, pseudonymiser=Pseudonymiser(KEY), band_method="none")
    assert result.evaluation.pairwise_f1 >= 0.999, result.evaluation
    for year in (2023, 2024):
        want = pd.read_csv(sim / f"capture_histories_{year}.csv")
        got = pd.read_csv(out / f"capture_histories_{year}.csv")[list(want.columns)]
        lists = [c for c in want.columns if c != "count"]
        got, want = (f.sort_values(lists, ignore_index=True) for f in (got, want))
        assert len(got) > 10 and got.equals(want), (year, got, want)


def _scenario_file(name: str):
    from importlib import resources

    return resources.files("zicht.simulate").joinpath("scenarios", f"{name}.yaml")


@pytest.mark.slow  # two Splink linkage runs
def test_review_decisions_override_the_model_on_the_next_run(linked_simulation, tmp_path):
    sim = linked_simulation.sim
    out = Path(shutil.copytree(linked_simulation.linked, tmp_path / "linked"))  # the first run
    person, first_pairs, first_summary = _first_run(out)
    sizes = person.value_counts()
    pairs = first_pairs.assign(p_l=lambda d: person.reindex(d.id_l).to_numpy(),
                               p_r=lambda d: person.reindex(d.id_r).to_numpy())
    # a linked pair that is a whole person of two reports (no chain can rejoin it) ...
    linked = pairs[(pairs.p_l == pairs.p_r) & pairs.p_l.map(sizes).eq(2)].iloc[0]
    # ... and a pair the model left apart, both of them persons on their own
    apart = pairs[(pairs.p_l != pairs.p_r) & pairs.p_l.map(sizes).eq(1)
                  & pairs.p_r.map(sizes).eq(1)].iloc[0]
    for pair, decision in ((linked, "no-match"), (apart, "match")):
        result = runner.invoke(app, ["link", "review", str(out), "--pair", pair.id_l, pair.id_r,
                                     "--decide", decision, "--by", "analyst:test"])
        assert result.exit_code == 0, result.output
    second = link(sim, out, pseudonymiser=Pseudonymiser(KEY), band_method="none")
    again = pd.Series(second.labels, index=second.reports["unique_id"])
    assert again[linked.id_l] != again[linked.id_r]
    assert again[apart.id_l] == again[apart.id_r]
    assert second.summary["decisions"] == 2
    assert second.summary["persons"] == first_summary["persons"]  # one split, one join
    # withdrawn: the model decides again
    runner.invoke(app, ["link", "review", str(out), "--pair", linked.id_l, linked.id_r,
                        "--decide", "undecided"])
    third = link(sim, out, pseudonymiser=Pseudonymiser(KEY), band_method="none")
    final = pd.Series(third.labels, index=third.reports["unique_id"])
    assert final[linked.id_l] == final[linked.id_r] and third.summary["decisions"] == 1
    shown = runner.invoke(app, ["link", "review", str(out), "--history"])
    assert shown.exit_code == 0 and "analyst:test" in shown.output


def test_cli_link_evaluate_and_estimate(linked_simulation):
    """On the session's `zicht link` run (made by the command line, its output kept)."""
    sim, out = linked_simulation.sim, linked_simulation.linked
    assert "pairwise P / R / F1" in linked_simulation.output
    ev = runner.invoke(app, ["link", "evaluate", str(out), "--truth", str(sim), "--estimates",
                             "--method", "Mt", "--format", "json"])
    assert ev.exit_code == 0, ev.output
    payload = json.loads(ev.output)
    assert payload["evaluation"]["pairwise_f1"] > 0.9
    assert [r["year"] for r in payload["estimates"]] == [2023, 2024]
    assert all(abs(r["difference"]) < 0.1 for r in payload["estimates"])
    est = runner.invoke(app, ["link", "estimate", str(out), "--year", "2024", "--method", "Mt"])
    assert est.exit_code == 0, est.output
    assert "linkage band" in est.output
    queue = runner.invoke(app, ["link", "review", str(out)])
    assert queue.exit_code == 0 and ("Review queue" in queue.output or "empty" in queue.output)


def _export(path, frame, fingerprint="0123456789abcdef", scheme="zicht/v1"):
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({b"zicht.scheme": scheme.encode(),
                                           b"zicht.key_fingerprint": fingerprint.encode()})
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize("case", ["missing_tokens", "other_key", "empty", "not_parquet",
                                  "no_such_path", "one_report"])
def test_bad_input_exits_2_and_writes_nothing(tmp_path, case):
    from zicht.registry.pseudonymise import TOKEN_FIELDS

    good = pd.DataFrame({"report_id": ["R1"], **{t: ["ab" * 32] for t in TOKEN_FIELDS}})
    fingerprint = Pseudonymiser(KEY).fingerprint
    file = tmp_path / "reports.parquet"
    if case == "missing_tokens":
        _export(file, good.drop(columns=["tok_surname", "bf_name"]), fingerprint)
    elif case == "other_key":
        _export(file, good, Pseudonymiser(b"\x01" * 32).fingerprint)
    elif case == "empty":
        _export(file, good.iloc[0:0], fingerprint)
    elif case == "one_report":
        _export(file, good, fingerprint)
    elif case == "not_parquet":
        file.write_text("report_id,tok_given\nR1,x\n")
    else:
        file = tmp_path / "nothing-here"
    out = tmp_path / "out"
    result = runner.invoke(app, ["link", str(file), "--out", str(out)])
    assert result.exit_code == 2, result.output
    message = {"missing_tokens": "missing column(s) tok_surname, bf_name",
               "other_key": "another pseudonymisation key", "empty": "no reports",
               "not_parquet": "not a readable Parquet file",
               "no_such_path": "no such file", "one_report": "nothing to link"}[case]
    assert message in result.output
    assert not out.exists()


def test_a_registry_export_links_like_the_simulation_it_holds(linked_simulation, tmp_path,
                                                              monkeypatch):
    """Simulated reports imported into the registry, exported, linked: the same persons as
    linking the simulation folder itself (one pseudonymisation function, one key; the
    session's linkage of it, made with the same threshold)."""
    sim = linked_simulation.sim
    monkeypatch.setenv("ZICHT_DATABASE_URL", f"sqlite:///{tmp_path / 'z.db'}")
    imported = runner.invoke(app, ["import", str(sim / "reports.csv"), "--create-orgs"])
    assert imported.exit_code == 0, imported.output
    exported = runner.invoke(app, ["export", "--out", str(tmp_path / "export")])
    assert exported.exit_code == 0, exported.output
    from_export = tmp_path / "from_export"
    result = runner.invoke(app, ["link", str(tmp_path / "export"), "--out", str(from_export),
                                 "--band", "none"])
    assert result.exit_code == 0, result.output
    direct = json.loads((linked_simulation.linked / "summary.json").read_text())
    persons = pd.read_parquet(from_export / "report_persons.parquet")
    # the registry numbers reports itself; its source_ref is the simulation's report id
    truth = pd.read_parquet(linked_simulation.linked / "report_persons.parquet")["report_id"]
    assert len(persons) == len(truth)
    summary = json.loads((from_export / "summary.json").read_text())
    assert summary["source"] == "export"
    assert summary["key_fingerprint"] == Pseudonymiser(KEY).fingerprint
    assert abs(summary["persons"] - direct["persons"]) <= 2
    # the reporter's own ids come through, so one's own truth can be keyed on them
    assert persons["source_ref"].notna().all()
    assert set(persons["source_ref"]) == set(truth)
    own = pd.read_csv(sim / "truth_reports.csv", dtype=str).rename(
        columns={"report_id": "source_ref"})[["source_ref", "person_id"]]
    own.to_csv(tmp_path / "own_truth.csv", index=False)
    ev = runner.invoke(app, ["link", "evaluate", str(from_export), "--truth",
                             str(tmp_path / "own_truth.csv"), "--estimates", "--method", "Mt",
                             "--format", "json"])
    assert ev.exit_code == 0, ev.output
    payload = json.loads(ev.output)
    assert payload["evaluation"]["reports"] == len(persons)
    assert payload["evaluation"]["pairwise_f1"] == pytest.approx(
        direct["evaluation"]["pairwise_f1"], abs=0.01)
    assert all(r["true_links_estimate"] for r in payload["estimates"])
    short = own.iloc[1:]  # a report the truth lacks is named, not guessed
    short.to_csv(tmp_path / "short.csv", index=False)
    missing = runner.invoke(app, ["link", "evaluate", str(from_export), "--truth",
                                  str(tmp_path / "short.csv")])
    assert missing.exit_code != 0 and "not in the truth" in missing.output


def test_truth_with_blank_labels_or_missing_organisations(tmp_path):
    from zicht.linkage.evaluate import TruthError, read_truth, true_persons

    blank = tmp_path / "blank.csv"
    blank.write_text("source_ref,person_id\nA,p1\nB,\n")
    with pytest.raises(TruthError, match="1 rows have no person_id"):
        read_truth(blank)
    linked = pd.DataFrame({"report_id": ["R1", "R2"], "source_ref": ["A", "B"],
                           "organisation": [None, "ORG"]})
    truth = pd.DataFrame({"source_ref": ["A", "B"], "organisation": ["", "ORG"],
                          "person_id": ["p1", "p1"]})
    assert list(true_persons(linked, truth)) == ["p1", "p1"]


def test_a_simulations_truth_matches_a_registry_export_of_its_reports():
    """docs/LINKAGE.md: `zicht import sim/reports.csv`, export, link, then `zicht link evaluate
    linked/ --truth sim/`: the import kept each simulated report_id as the source reference,
    and the registry gave the reports ids of its own (issue 20: "the truth shares no
    report_id with the linkage")."""
    from zicht.linkage.evaluate import TruthError, true_persons

    linked = pd.DataFrame({"report_id": ["6f1c-uuid", "a2b9-uuid", "c3d4-uuid"],
                           "source_ref": ["R00000002", "R00000001", "R00000003"]})
    truth = pd.DataFrame({"report_id": ["R00000001", "R00000002", "R00000003"],
                          "person_id": ["p1", "p2", "p2"]})
    assert list(true_persons(linked, truth)) == ["p2", "p1", "p2"]
    with pytest.raises(TruthError, match="shares no report_id"):
        true_persons(linked.assign(source_ref=["X1", "X2", "X3"]), truth)
