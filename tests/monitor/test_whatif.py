"""The reporting-obligation what-if on scenarios with known truth."""

import json
import math
import re

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


def test_calibration_fits_the_scenario_to_a_year_of_data():
    """Known truth: a scenario calibrated to 4,000 victims and given persons per category
    detects, as now, that many persons per category (independent lists: no referrals)."""
    from zicht.monitor.whatif import calibrate

    persons = {"POL": 600, "ZC": 200, "NGO": 320, "NLA": 120}
    fitted = calibrate(INDEPENDENT, 4000, persons, 2024)
    assert fitted.victims_per_year == 4000 and fitted.name == "independent, calibrated to 2024"
    assert {c: r.rate for c, r in fitted.reporters.items()} == {
        c: n / 4000 for c, n in persons.items()}
    result = whatif(fitted, "ZC", rate=0.1, replicates=30, seed=4)
    now = result.replicates[result.replicates.arm == "now"]
    assert (now["truth"] == 4000).all()
    mean = now["category_detected"].mean()
    se = math.sqrt(4000 * 0.05 * 0.95 / 30)
    assert abs(mean - 200) < 4 * se
    with pytest.raises(WhatIfError, match="not reporters"):
        calibrate(INDEPENDENT, 4000, {"XYZ": 3})
    with pytest.raises(WhatIfError, match="no rate between 0 and 1"):
        calibrate(INDEPENDENT, 100, {"POL": 150})
    with pytest.raises(WhatIfError, match="cannot calibrate"):
        calibrate(INDEPENDENT, 0, persons)


def test_calibration_from_data_and_from_a_publication(tmp_path):
    """The publication stores the latest estimated year's victims and persons per category;
    `zicht whatif --publication` simulates with it."""
    from tests.monitor.test_indicators import ESTIMATES, PERSONS, REPORT_PERSONS, REPORTS
    from zicht.monitor.indicators import INDICATORS
    from zicht.monitor.inputs import MonitorData
    from zicht.monitor.publish import build_publication
    from zicht.monitor.whatif import calibration

    data = MonitorData(REPORTS, PERSONS, REPORT_PERSONS, ESTIMATES)
    found = calibration(data)
    by = INDICATORS["persons_by_reporter"].compute(data, ("reporter_category",))
    latest = by[by.year == found["year"]]
    assert found["persons"] == dict(zip(latest.reporter_category, latest.value.astype(int),
                                        strict=True))
    assert found["victims"] == ESTIMATES.set_index("year").loc[found["year"], "estimate"]
    with pytest.raises(WhatIfError, match="no estimate for 1999"):
        calibration(data, 1999)
    pub = tmp_path / "pub.json"
    doc = build_publication(data, pub, k=2, compare_methods=False, today=2025)
    assert doc["analyst"]["calibration"] == found
    runner = CliRunner()
    result = runner.invoke(app, ["whatif", "--publication", str(pub), "--category", "ZC",
                                 "--rate", "0.2", "--replicates", "3", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert f"calibrated to {found['year']}" in result.output
    # in Dutch, all of it (issue 20: "calibrated to" and English decimals in the Dutch title)
    dutch = runner.invoke(app, ["whatif", "--publication", str(pub), "--category", "ZC",
                                "--rate", "0.2", "--replicates", "3", "--lang", "nl"])
    assert dutch.exit_code == 0, dutch.output
    text = " ".join(dutch.output.split())  # the title wraps
    assert f"gekalibreerd op {found['year']}" in text and "calibrated" not in text
    assert re.search(r"detectiekans \d+,\d\d% -> 20,00%", text)
    both = runner.invoke(app, ["whatif", "--publication", str(pub), "--category", "ZC",
                               "--rate", "0.2", "--victims", "100"])
    assert both.exit_code == 2 and "exclude each other" in both.output
    doc["analyst"]["calibration"] = None
    pub.write_text(json.dumps(doc))
    none = runner.invoke(app, ["whatif", "--publication", str(pub), "--category", "ZC",
                               "--rate", "0.2"])
    assert none.exit_code == 2 and "holds no calibration" in none.output


def test_the_result_table_as_people_read_it(doubled):
    """One table for the command and the page: the summary's values formatted in the
    language, differences of shares in percentage points."""
    s = doubled.summary()
    en = {row[0]: row[1:] for row in doubled.table("en")}
    nl = {row[0]: row[1:] for row in doubled.table("nl")}
    assert len(en) == len(nl) == 8
    now, after = s.loc["now", "registered"], s.loc["obligation", "registered"]
    assert en["registered persons"] == (f"{now:,.0f}", f"{after:,.0f}",
                                        f"+{after - now:,.0f}")
    rate = s.loc[:, "detection rate"]
    points = (rate["obligation"] - rate["now"]) * 100
    assert en["detection rate"][2] == f"{points:+.1f} pt"
    assert nl["detectiegraad"][2] == f"{points:+.1f}".replace(".", ",") + " %-punt"
    assert nl["detectiegraad"][0] == f"{rate['now']:.1%}".replace(".", ",")
    assert doubled.narrowing < 1
    text = doubled.narrowing_text("en")
    assert text.startswith(f"The 95% interval narrows by {1 - doubled.narrowing:.0%}. ")
    # and says what happened to the error and the coverage beside it (issue 18)
    bias, cover = s["relative bias"], s["coverage"]
    assert (f"mean error goes from {bias['now']:+.0%} to {bias['obligation']:+.0%}"
            in text), text
    assert f"true number in {cover['now']:.0%} of the years now and in " \
           f"{cover['obligation']:.0%} with the obligation" in text
    assert "smaller. De gemiddelde afwijking" in doubled.narrowing_text("nl")


def test_the_pages_scenario_is_fitted_to_the_publication():
    from zicht.monitor.whatif import fitted_scenario

    base, none = fitted_scenario(None)
    assert base == load_scenario("nl-baseline") and none is None
    found = {"year": 2024, "victims": 4000.0, "persons": {"ZC": 250}}
    fitted, used = fitted_scenario(found)
    assert used == found and fitted.victims_per_year == 4000
    assert fitted.reporters["ZC"].rate == 250 / 4000
    assert fitted.name == "nl-baseline, calibrated to 2024"
    unknown, dropped = fitted_scenario({**found, "persons": {"XYZ": 3}})
    assert unknown == base and dropped is None
