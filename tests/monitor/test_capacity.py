"""Capacity needed (zicht.monitor.capacity): Little's law against a simulated caseload, the
three scenarios by hand, the estimate's interval carried through, suppressed counts left out,
and a malformed assumptions file refused by field."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.monitor.test_chain import GOOD, write
from tests.monitor.test_indicators import ESTIMATES, PERSONS, REPORT_PERSONS, REPORTS
from zicht.cli import app
from zicht.monitor.capacity import (
    CapacityError,
    compute,
    from_publication,
    load_capacity,
    needed_fte,
)
from zicht.monitor.chain import ChainStore
from zicht.monitor.inputs import MonitorData

FILE = """version: "2026-2"
share_of_estimate: 0.5
whatif_scenario: police
agencies:
  - {key: police, name_nl: Politie, name_en: Police, development_line: 1,
     cases_per_person: {measure: police_cases_to_om}, duration_years: 0.75, cases_per_fte: 1.5,
     source: test}
  - {key: om, name_nl: OM, name_en: Prosecution, development_line: 1,
     cases_per_person: {measure: prosecutions}, duration_years: 1.5, cases_per_fte: 8,
     source: test}
  - {key: nla, name_nl: NLA, name_en: Labour Authority, development_line: 2,
     cases_per_person: 0.1, duration_years: 1, cases_per_fte: 2, source: test}
"""


def assumptions(tmp_path, text=FILE, **kw):
    path = tmp_path / "capacity.yaml"
    path.write_text(text)
    return load_capacity(path, **kw)


def chain_rows(*rows):
    return [{"year": y, "area": a, "measure": m, "value": v} for y, a, m, v in rows]


def test_littles_law_holds_on_a_simulated_caseload():
    """Cases arriving at random through the year, each open for a skewed (gamma) time: the
    mean number open at once, divided by the cases one FTE carries, is what needed_fte
    gives from the yearly rate and the mean duration alone (a units slip - months for years,
    per FTE for per person - would miss by far more than the 3 % allowed)."""
    rng = np.random.default_rng(7)
    persons, per_person, mean_years, per_fte = 800, 0.3, 0.6, 4.0
    horizon = 40.0
    arrivals = np.sort(rng.uniform(0, horizon, rng.poisson(persons * per_person * horizon)))
    ends = arrivals + rng.gamma(0.5, mean_years / 0.5, arrivals.size)
    looks = rng.uniform(5, horizon, 4000)  # after the start-up years
    open_cases = (np.searchsorted(arrivals, looks) - np.searchsorted(np.sort(ends), looks))
    simulated = open_cases.mean() / per_fte
    assert needed_fte(persons, per_person, mean_years, per_fte) == pytest.approx(simulated,
                                                                                rel=0.03)


def test_three_scenarios_by_hand(tmp_path):
    a = assumptions(tmp_path)
    chain = chain_rows((2024, "NL", "police_cases_to_om", 250), (2023, "NL", "prosecutions", 180),
                       (2024, "CN", "prosecutions", 5))
    whatif = {"categories": [
        {"category": "ZC", "now": {"registered": 1100.0},
         "scenarios": [{"key": "police", "obligation": {"registered": 1400.0}},
                       {"key": "twice", "obligation": {"registered": 1900.0}}]},
        {"category": "JZ", "now": {"registered": 1100.0},  # not higher than today
         "scenarios": [{"key": "police", "rate": None, "reason": "not_higher"}]}]}
    estimates = [{"year": 2023, "estimate": 9000.0, "ci_low": 1.0, "ci_high": 2.0},
                 {"year": 2024, "estimate": 4000.0, "ci_low": 3500.0, "ci_high": 4600.0,
                  "combined_low": 3000.0, "combined_high": 6000.0}]
    out = compute(a, {2023: 900, 2024: 1000}, chain, estimates, whatif,
                  {1: {"2023": 20.0, "2024": 21.5}})
    police, om, nla = out["agencies"]
    assert police["cases_per_person"] == 0.25 and police["rate_year"] == 2024
    # prosecutions only in 2023 (the Caribbean row is not the European Netherlands')
    assert om["cases_per_person"] == pytest.approx(0.2) and om["rate_year"] == 2023
    assert nla["cases_per_person"] == 0.1 and nla["rate_year"] is None
    by = {(s["key"], s.get("category")): s for s in out["scenarios"]}
    assert set(by) == {("registered", None), ("whatif", "ZC"), ("estimate", None)}
    today = by["registered", None]
    assert today["persons"] == 1000 and today["year"] == 2024
    assert today["fte"]["police"] == [125.0, None, None]  # 1000 x .25 x .75 / 1.5
    assert today["fte"]["om"] == [37.5, None, None]  # 1000 x .2 x 1.5 / 8
    assert today["lines"] == {"1": [162.5, None, None], "2": [50.0, None, None]}
    zc = by["whatif", "ZC"]
    assert zc["extra"] == 300 and zc["persons"] == 1300
    assert zc["fte"]["police"][0] == pytest.approx(162.5)
    est = by["estimate", None]
    # half the latest estimate, the interval incl. linkage carried through
    assert (est["persons"], est["low"], est["high"], est["year"]) == (2000, 1500, 3000, 2024)
    assert est["fte"]["police"] == [250.0, 187.5, 375.0]
    assert est["lines"]["1"] == [325.0, 243.8, 487.5]
    line1 = next(li for li in out["lines"] if li["line"] == 1)
    assert (line1["existing_fte"], line1["existing_year"]) == (21.5, 2024)
    assert line1["needed"][0] == [162.5, None, None]


def test_an_agency_without_its_chain_figure_leaves_its_line_without_a_total(tmp_path):
    out = compute(assumptions(tmp_path), {2024: 1000}, chain=None)
    police = out["agencies"][0]
    assert police["cases_per_person"] is None and police["reason"] == "no_chain"
    (today,) = out["scenarios"]
    assert today["fte"]["police"] is None and today["lines"].get("1") is None
    assert today["lines"]["2"] == [50.0, None, None]  # the labour authority's fixed rate
    with pytest.raises(CapacityError, match="no registered persons"):
        compute(assumptions(tmp_path), {})


def test_the_other_whatif_rate_and_share_are_chosen(tmp_path):
    a = assumptions(tmp_path, share=1.0, whatif_scenario="twice")
    whatif = {"categories": [{"category": "ZC", "now": {"registered": 1100.0}, "scenarios": [
        {"key": "police", "obligation": {"registered": 1400.0}},
        {"key": "twice", "obligation": {"registered": 1900.0}}]}]}
    out = compute(a, {2024: 1000}, None, [{"year": 2024, "estimate": 4000.0, "ci_low": None,
                                           "ci_high": None}], whatif)
    by = {s["key"]: s for s in out["scenarios"]}
    assert by["whatif"]["extra"] == 800 and by["estimate"]["persons"] == 4000
    assert by["estimate"]["low"] is None and by["estimate"]["fte"]["nla"] == [200.0, None, None]
    assert out["share_of_estimate"] == 1.0 and out["whatif_scenario"] == "twice"


@pytest.mark.parametrize(("change", "message"), [
    (("version: \"2026-2\"\n", ""), "version"),
    (("development_line: 2", "development_line: 7"), r"agencies\[3\]\.development_line"),
    (("{measure: prosecutions}", "{measure: fte}"), r"agencies\[2\]\.cases_per_person"),
    (("cases_per_person: 0.1", "cases_per_person: -1"), r"agencies\[3\]\.cases_per_person"),
    (("cases_per_fte: 8", "cases_per_fte: 0"), r"agencies\[2\].*cases_per_fte must be > 0"),
    (("duration_years: 1,", "duration_years: one,"), r"agencies\[3\]\.duration_years"),
    (("key: om", "key: police"), "'police' appears twice"),
    (("share_of_estimate: 0.5", "share_of_estimate: 1.5"), r"share_of_estimate must lie"),
    (("whatif_scenario: police", "whatif_scenario: always"), "whatif_scenario 'always'"),
    (("name_en: Labour Authority, ", ""), r"agencies\[3\]\.name_en"),
    (("agencies:", "agencies: []\nrest:"), "non-empty list 'agencies'"),
])
def test_a_malformed_file_is_refused_by_field(tmp_path, change, message):
    with pytest.raises(CapacityError, match=message):
        assumptions(tmp_path, FILE.replace(*change))


def test_the_shipped_example_loads_and_is_recorded_by_hash(tmp_path):
    shipped = load_capacity()
    assert shipped.version and shipped.agencies and shipped.file == "capacity.yaml"
    a = assumptions(tmp_path)
    b = assumptions(tmp_path, FILE.replace("cases_per_fte: 2", "cases_per_fte: 3"))
    assert a.sha256 != b.sha256 and a.version == b.version == "2026-2"
    with pytest.raises(CapacityError, match="cannot read"):
        load_capacity(tmp_path / "missing.yaml")


def _publication(tmp_path, k, capacity=None):
    from zicht.monitor.publish import build_publication

    tmp_path.mkdir(exist_ok=True)
    ChainStore(tmp_path / "s").import_csv(write(tmp_path, GOOD))
    _, chain = ChainStore(tmp_path / "s").load()
    data = MonitorData(REPORTS, PERSONS, REPORT_PERSONS, ESTIMATES, chain=chain)
    return build_publication(data, tmp_path / "pub.json", k=k, compare_methods=False,
                             today=2025, capacity=capacity), chain


def test_the_publication_uses_only_published_counts(tmp_path):
    """The capacity part reads the published registered persons: where the total is
    published it is the scenario's persons; where it is suppressed no scenario rests on it
    (the European Netherlands' count is never used, which would give the Caribbean part's
    by subtraction)."""
    a = assumptions(tmp_path)
    doc, chain = _publication(tmp_path, k=2, capacity=a)
    cap = doc["public"]["capacity"]
    registered = {v["year"]: v["value"] for i in doc["public"]["indicators"]
                  if i["key"] == "registered_persons" for v in i["values"]}
    today = cap["scenarios"][0]
    assert today["key"] == "registered" and today["persons"] == registered[today["year"]]
    assert doc["inputs"]["capacity_version"] == "2026-2"
    assert doc["inputs"]["capacity_sha256"] == a.sha256
    # the same from the written file and the chain, as `zicht monitor capacity` computes it
    again = from_publication(a, json.loads((tmp_path / "pub.json").read_text())["public"],
                             chain)
    assert again == cap
    hidden, _ = _publication(tmp_path / "k", k=50, capacity=a)
    assert hidden["public"]["capacity"] is None


def test_command_line(tmp_path):
    doc, _ = _publication(tmp_path, k=2, capacity=assumptions(tmp_path))
    runner = CliRunner()
    args = ["monitor", "capacity", str(tmp_path / "pub.json"), "--chain", str(tmp_path / "s"),
            "--capacity", str(tmp_path / "capacity.yaml")]
    ok = runner.invoke(app, [*args, "--share", "1", "--lang", "en"])
    assert ok.exit_code == 0, ok.output
    assert "Police" in ok.output and "2026-2" in ok.output and "100.0%" in ok.output
    nl = runner.invoke(app, args)
    assert nl.exit_code == 0 and "Politie" in nl.output and "Benodigde fte" in nl.output
    bad = runner.invoke(app, [*args, "--share", "2"])
    assert bad.exit_code == 2 and "share_of_estimate must lie" in bad.output
    frame = pd.DataFrame({"a": [1]})  # the command refuses a file that is no publication
    frame.to_csv(tmp_path / "x.json")
    worse = runner.invoke(app, ["monitor", "capacity", str(tmp_path / "x.json")])
    assert worse.exit_code == 2 and "x.json" in worse.output
