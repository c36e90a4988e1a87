"""``zicht monitor`` on a real simulation and linkage: estimates per year, indicators (JSON equal
to the library's values, versions stamped), targets; bad input exits 2."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from zicht.cli import app
from zicht.linkage.cluster import DEFAULT_THRESHOLD
from zicht.monitor.indicators import INDICATORS
from zicht.monitor.inputs import MonitorData

runner = CliRunner()


@pytest.fixture(scope="module")
def chain(linked_simulation, tmp_path_factory):
    """The session's linked simulation (two years of nl-baseline, 2,500 victims a year, see
    tests/conftest.py) with its estimates (in a folder of this module's own)."""
    sim, linked = linked_simulation.sim, linked_simulation.linked
    estimates = tmp_path_factory.mktemp("estimates") / "estimates.csv"
    result = runner.invoke(app, ["monitor", "estimates", str(linked), "--out", str(estimates)])
    assert result.exit_code == 0, result.output
    return sim, linked, estimates


def test_estimates_per_year(chain):
    sim, linked, estimates = chain
    frame = pd.read_csv(estimates)
    assert list(frame["year"]) == [2023, 2024]
    assert (frame["status"] == "ok").all()
    persons = pd.read_csv(linked / "capture_histories.csv").groupby("year")["count"].sum()
    assert list(frame["observed"]) == list(persons)
    assert (frame["ci_low"] <= frame["estimate"]).all()
    assert (frame["estimate"] <= frame["ci_high"]).all()
    assert (frame["combined_low"] <= frame["ci_low"]).all()


def test_indicators_json_equal_the_library(chain):
    sim, linked, estimates = chain
    result = runner.invoke(app, ["monitor", "indicators", str(sim / "reports.parquet"),
                                 str(linked), "--estimates", str(estimates), "--format",
                                 "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    data = MonitorData.from_files(sim / "reports.parquet", linked, estimates)
    assert {r["indicator"] for r in rows} == {k for k, i in INDICATORS.items()
                                              if "chain" not in i.needs}  # no chain given
    for r in rows:
        ind = INDICATORS[r["indicator"]]
        assert r["version"] == ind.version and r["fingerprint"] == ind.fingerprint
        frame = ind.compute(data)
        want = frame.loc[frame["year"] == r["year"], "value"].iloc[0]
        if pd.isna(want):
            assert r["value"] is None, r["indicator"]  # JSON has no NaN
        else:
            assert r["value"] == pytest.approx(want), r["indicator"]
    # registered persons after linkage within 3 % of the simulation's truth
    truth = pd.read_parquet(sim / "truth_person_years.parquet")
    registered = truth[truth["lists"].astype(str) != ""].groupby("year").size()
    counted = {r["year"]: r["value"] for r in rows if r["indicator"] == "registered_persons"}
    assert set(counted) == {2023, 2024}
    for year, value in counted.items():
        assert abs(value / registered[year] - 1) < 0.03, (year, value, registered[year])


def test_breakdown_and_text(chain):
    sim, linked, _ = chain
    result = runner.invoke(app, ["monitor", "indicators", str(sim / "reports.parquet"),
                                 str(linked), "--indicator", "registered_persons", "--by",
                                 "sex", "--year", "2024", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "registered persons" in result.output and "2024" in result.output
    assert "│ F " in result.output and "│ M " in result.output


def test_targets(chain):
    sim, linked, estimates = chain
    result = runner.invoke(app, ["monitor", "targets", str(sim / "reports.parquet"),
                                 str(linked), "--estimates", str(estimates), "--lang", "en"])
    assert result.exit_code == 0, result.output
    for line in ("basic approach", "labour exploitation", "municipal approach"):
        assert line in result.output
    assert any(s in result.output for s in ("on track", "at risk", "off track"))


@pytest.mark.parametrize("args, text", [
    (["indicators", "{sim}/reports.parquet", "{tmp}/nowhere"], "no such file"),
    (["indicators", "{sim}/reports.parquet", "{linked}", "--indicator", "nope"],
     "unknown indicator"),
    (["indicators", "{sim}/reports.parquet", "{linked}", "--indicator", "completeness",
      "--by", "sex"], "cannot be broken down"),
    (["estimates", "{tmp}", "--out", "{tmp}/e.csv"], "not found"),
    (["indicators", "{tmp}", "{linked}"], "without reports.parquet or reports.csv"),
    (["targets", "{sim}/reports.parquet", "{linked}", "--targets", "{tmp}/none.yaml"],
     "cannot read"),
])
def test_bad_input_exits_2(chain, tmp_path, args, text):
    sim, linked, _ = chain
    args = [a.format(sim=sim, linked=linked, tmp=tmp_path) for a in args]
    result = runner.invoke(app, ["monitor", *args])
    assert result.exit_code == 2, result.output
    assert text in result.output


@pytest.mark.slow  # the method comparison, samplers included
def test_publish(chain, tmp_path):
    sim, linked, estimates = chain
    out = tmp_path / "publication.json"
    result = runner.invoke(app, ["monitor", "publish", str(sim / "reports.parquet"), str(linked),
                                 "--estimates", str(estimates), "--out", str(out), "--k", "10",
                                 "--whatif-years", "5"])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["years"] == [2023, 2024] and doc["k"] == 10
    # the public what-if, with as many simulated years as asked (zicht.monitor.whatif)
    whatif = doc["public"].get("whatif")
    assert whatif is None or whatif["replicates"] <= 5
    comparison = doc["analyst"]["comparison"]
    assert comparison["year"] == 2024 and comparison["rows"]
    assert {r["method"] for r in comparison["rows"]} >= {"stepwise", "bic", "latent classes"}
    # sensitivity: the full table is the comparison's stepwise row; one row per list left out
    # and one with the two smallest merged; one per linkage of the band, the chosen one equal
    sens = comparison["sensitivity"]
    stepwise = next(r for r in comparison["rows"] if r["method"] == "stepwise")
    assert sens["lists"][0]["variant"] == "all lists"
    assert sens["lists"][0]["estimate"] == pytest.approx(stepwise["estimate"])
    kinds = [r["kind"] for r in sens["lists"]]
    assert kinds.count("drop") == len(comparison["lists"]) and kinds.count("merge") == 1
    dropped = [r for r in sens["lists"] if r["kind"] == "drop"]
    assert all(r["observed"] < comparison["observed"] for r in dropped)
    band = pd.read_csv(linked / "capture_histories_band.csv")
    assert [r["label"] for r in sens["linkage"]] == list(
        band[["linkage", "label"]].drop_duplicates().sort_values("linkage")["label"])
    # the estimate by stratum: each breakdown's levels hold every observed person once;
    # a sum only when every level has an estimate, and then it is their sum
    strata = doc["analyst"]["strata"]
    assert strata["year"] == 2024 and set(strata["by"]) == {
        "sex", "age_band", "form", "nationality_group", "region"}
    for by, part in strata["by"].items():
        assert sum(r["observed"] for r in part["rows"]) == comparison["observed"], by
        estimated = [r["estimate"] for r in part["rows"]]
        if part["total"] is None:
            assert None in estimated
        else:
            assert part["total"]["estimate"] == pytest.approx(sum(estimated))
            assert part["total"]["ci_low"] < part["total"]["estimate"] < part["total"]["ci_high"]
        for r in part["rows"]:
            assert (r["estimate"] is None) == (r["ci_low"] is None)
            assert r["estimate"] is None or r["estimate"] >= r["observed"]
    assert sens["chosen"] == f"threshold {DEFAULT_THRESHOLD:g}"  # zicht link's default
    chosen = next(r for r in sens["linkage"] if r["label"] == "threshold 0.5")
    assert chosen["observed"] == comparison["observed"]
    assert chosen["estimate"] == pytest.approx(stepwise["estimate"])
    region = doc["public"]["breakdowns"]["region"]
    for row in region["counts"]:
        assert all(c is None or c == 0 or c >= 10 for c in row)


def test_publish_reads_a_folder_of_reports(chain, tmp_path):
    """A `zicht export` or `zicht simulate` folder stands for the reports file in it, whose
    hash the publication records."""
    import hashlib

    sim, linked, estimates = chain
    out = tmp_path / "publication.json"
    result = runner.invoke(app, ["monitor", "publish", str(sim), str(linked), "--estimates",
                                 str(estimates), "--out", str(out), "--no-compare"])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["inputs"]["reports_sha256"] == hashlib.sha256(
        (sim / "reports.parquet").read_bytes()).hexdigest()


def test_serve_refuses_a_missing_publication(tmp_path):
    result = runner.invoke(app, ["serve", "--publication", str(tmp_path / "none.json")])
    assert result.exit_code == 2 and "no such file" in result.output


@pytest.mark.parametrize("method", ["stepwise", "series"])
def test_estimates_as_a_series_in_json(linked_simulation, method):
    """The interface of `zicht monitor estimates --format json`: every year with its change
    from the year before (none for the first), the latest year provisional, and the trend
    (none for two years)."""
    result = runner.invoke(app, ["monitor", "estimates", str(linked_simulation.linked),
                                 "--method", method, "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["method"] and payload["trend"] is None
    years = payload["years"]
    assert [y["year"] for y in years] == [2023, 2024]
    assert [y["provisional"] for y in years] == [False, True]
    assert years[0]["change"] is None
    change = years[1]["change"]
    assert change["estimate"] == pytest.approx(years[1]["estimate"] - years[0]["estimate"])
    assert change["ci_low"] <= change["estimate"] <= change["ci_high"]
    assert change["significant"] == (change["ci_low"] > 0 or change["ci_high"] < 0)
    for y in years:
        assert y["ci_low"] <= y["estimate"] <= y["ci_high"] and y["observed"] <= y["estimate"]


def test_the_text_says_whether_a_change_is_significant(linked_simulation):
    result = runner.invoke(app, ["monitor", "estimates", str(linked_simulation.linked)])
    assert result.exit_code == 0, result.output
    assert "significant change" in result.output  # "no significant change" or "significant"
    assert "2024 (provisional)" in result.output


def test_the_publication_carries_one_model_over_all_years(linked_simulation):
    from zicht.monitor.publish import _series

    series = _series(linked_simulation.linked)
    assert [y["year"] for y in series["years"]] == [2023, 2024]
    assert series["years"][1]["change"] is not None
    assert abs(sum(m["weight"] for m in series["details"]["models"]) - 1) < 1e-9
