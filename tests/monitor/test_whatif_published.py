"""The publication's what-if of a reporting obligation (issue 18, point 4): computed at publish
time for every category not obliged today, deterministic for a seed, and worded so that a
narrower interval never reads as progress on its own."""

from __future__ import annotations

import json

import pytest

from tests.monitor.whatif_sample import CALIBRATION, K, whatif_section
from zicht.codes import OBLIGED
from zicht.monitor.publication import PublicationError, check
from zicht.monitor.whatif import (
    LEVEL_2014_2017,
    RATE_CAP,
    fitted_scenario,
    published_categories,
    published_view,
    scenario_rates,
    summary_text,
    whatif,
)


@pytest.fixture(scope="module")
def section():
    return whatif_section()


def test_every_category_not_obliged_with_k_persons_gets_three_scenarios(section):
    scenario, _ = fitted_scenario(CALIBRATION)
    police = CALIBRATION["persons"]["POL"] / CALIBRATION["victims"]
    assert [c["category"] for c in section["categories"]] == ["ZC", "NGO"]
    # below k persons, or obliged today: not simulated
    assert set(section["left_out"]) == {c for c, n in CALIBRATION["persons"].items()
                                        if c not in OBLIGED and n < K} | {"ZORG", "SELF",
                                                                           "OTH", "CAR"}
    assert not set(OBLIGED) & {c["category"] for c in section["categories"]}
    for c in section["categories"]:
        rate = CALIBRATION["persons"][c["category"]] / CALIBRATION["victims"]
        assert c["rate_now"] == pytest.approx(rate)
        rates = {s["key"]: s["rate"] for s in c["scenarios"]}
        assert rates == pytest.approx({"police": police, "twice": 2 * rate,
                                       "level_2014_2017": LEVEL_2014_2017 * rate})
        for s in c["scenarios"]:
            after, now = s["obligation"], c["now"]
            assert after["victims"] == now["victims"] == scenario.victims_per_year
            assert after["detected"] > now["detected"]  # an obligation only adds detections
            assert after["registered"] >= now["registered"]
            for key in ("estimate", "width", "bias", "coverage"):
                assert after[key] is not None
    assert section["replicates"] == 4 and section["seed"] == 7
    json.dumps(section, allow_nan=False)  # JSON as the publication writes it


def test_the_scenarios_are_deterministic_for_a_seed(section):
    again = whatif_section()
    other = whatif_section(seed=8)
    assert {**again, "seconds": 0} == {**section, "seconds": 0}
    assert other["categories"][0]["now"] != section["categories"][0]["now"]


def test_the_published_numbers_are_the_what_ifs_own(section):
    """The publication's arm for ZC twice as often is the what-if of the analysts' form with
    that rate, the same seed and replicates."""
    scenario, _ = fitted_scenario(CALIBRATION)
    zc = section["categories"][0]
    twice = next(s for s in zc["scenarios"] if s["key"] == "twice")
    result = whatif(scenario, "ZC", rate=twice["rate"], replicates=section["replicates"],
                    seed=section["seed"])
    s = result.summary()
    assert twice["obligation"]["registered"] == pytest.approx(s.loc["obligation",
                                                                    "registered"])
    assert twice["obligation"]["width"] == pytest.approx(s.loc["obligation",
                                                               "interval width / truth"])
    assert zc["now"]["coverage"] == pytest.approx(s.loc["now", "coverage"])


def test_rates_are_capped_and_a_scenario_that_does_not_raise_the_rate_is_left_out():
    scenario, _ = fitted_scenario({"year": 2024, "victims": 1000.0,
                                   "persons": {"POL": 50, "ZC": 500, "NGO": 30}})
    rates = scenario_rates(scenario, "ZC")  # ZC (50 %) already above the police (5 %)
    assert rates == {"police": None, "twice": RATE_CAP, "level_2014_2017": RATE_CAP}
    assert scenario_rates(scenario, "NGO")["level_2014_2017"] == pytest.approx(
        0.03 * LEVEL_2014_2017)
    shown, left = published_categories(scenario, k=31)
    assert "ZC" in shown and "NGO" in left and "POL" not in shown + left


def _arm(width, bias, coverage):
    return {"width": width, "bias": bias, "coverage": coverage}


@pytest.mark.parametrize("lang, words", [("en", ("narrows by 50%", "from -5% to -19%",
                                                 "90%", "10%", "not a better estimate")),
                                         ("nl", ("50%", "-5%", "-19%", "90%", "10%"))])
def test_the_summary_says_the_width_and_the_coverage_when_it_drops(lang, words):
    text = summary_text(_arm(0.4, -0.05, 0.9), _arm(0.2, -0.19, 0.1), lang)
    for word in words:
        assert word in text, text
    # the coverage holds: no warning, but the coverage is still said
    steady = summary_text(_arm(0.4, -0.05, 0.9), _arm(0.3, -0.05, 0.9), "en")
    assert "90%" in steady and "not a better estimate" not in steady
    # without any estimate nothing is said about the interval at all
    assert "narrows" not in summary_text(_arm(None, None, None), _arm(None, None, None))


def test_every_published_summary_mentions_the_coverage_whenever_it_drops(section):
    for lang in ("nl", "en"):
        view = published_view(section, lang)
        for c, shown in zip(section["categories"], view, strict=True):
            assert len(shown["sentences"]) == 3
            for s, (_, _, sentence) in zip(c["scenarios"], shown["sentences"], strict=True):
                now, after = c["now"]["coverage"], s["obligation"]["coverage"]
                if after < now:
                    pct = f"{round(after * 100)}%"
                    assert pct in sentence, sentence
                    assert f"{round(now * 100)}%" in sentence


def test_build_publication_stores_the_what_if(tmp_path):
    """build_publication writes ``public.whatif`` when asked (the quick publication without
    the method comparison leaves it out by default) and load() accepts it; a broken one is
    refused."""
    from tests.monitor.test_indicators import ESTIMATES, PERSONS, REPORT_PERSONS, REPORTS
    from zicht.monitor.inputs import MonitorData
    from zicht.monitor.publication import load
    from zicht.monitor.publish import build_publication

    data = MonitorData(REPORTS, PERSONS, REPORT_PERSONS, ESTIMATES)
    quick = build_publication(data, tmp_path / "quick.json", k=1, compare_methods=False,
                              today=2025)
    assert quick["public"]["whatif"] is None
    doc = build_publication(data, tmp_path / "pub.json", k=1, compare_methods=False,
                            today=2025, whatif_replicates=2)
    w = doc["public"]["whatif"]
    assert w["replicates"] == 2 and w["fitted_year"] == doc["analyst"]["calibration"]["year"]
    assert w["victims"] == round(doc["analyst"]["calibration"]["victims"])
    assert load(tmp_path / "pub.json")["public"]["whatif"] == w
    broken = json.loads((tmp_path / "pub.json").read_text())
    broken["public"]["whatif"]["categories"] = [{"category": "ZC"}]
    with pytest.raises(PublicationError, match="public.whatif.categories\\[0\\].rate_now"):
        check(broken)
    broken["public"]["whatif"] = {"categories": []}
    with pytest.raises(PublicationError, match="public.whatif.replicates"):
        check(broken)
