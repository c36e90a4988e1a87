"""The monitor's texts in both languages, as the catalogue gives them: breakdown names, target
statuses, method verdicts, chart titles and the what-if's rows and sentence (Dutch as the code
wrote it before the catalogue, English the msgids)."""

import pytest

from zicht.monitor import charts, labels
from zicht.monitor.indicators import format_value
from zicht.monitor.whatif import ROWS, WhatIfResult


@pytest.mark.parametrize("by, nl, en", [
    ("sex", "geslacht", "sex"), ("age_band", "leeftijdsgroep", "age band"),
    ("form", "vorm van uitbuiting", "form of exploitation"),
    ("nationality_group", "nationaliteit", "nationality"),
    ("region", "regio van uitbuiting", "region of exploitation"), ("other", "other", "other"),
])
def test_breakdown_names(by, nl, en):
    assert labels.breakdown_name(by, "nl") == nl and labels.breakdown_name(by, "en") == en


@pytest.mark.parametrize("value, nl", [
    ("on track", "op koers"), ("at risk", "risico"), ("off track", "uit koers"),
    ("no data", "geen gegevens"), ("unheard of", "unheard of")])
def test_statuses(value, nl):
    assert labels.status(value, "nl") == nl and labels.status(value, "en") == value


@pytest.mark.parametrize("value, nl", [
    ("ok", "geen bezwaar"), ("no estimate", "geen schatting"), ("boundary", "op de rand"),
    ("open interval", "open interval"), ("prior-sensitive", "gevoelig voor de prior"),
    ("poor fit", "slechte fit"), ("below observed", "onder het waargenomen aantal"),
    ("poor mixing", "slechte menging"), ("not applicable", "niet van toepassing"),
    ("new verdict", "new verdict")])
def test_verdicts(value, nl):
    assert labels.verdict(value, "nl") == nl and labels.verdict(value, "en") == value


def test_levels_and_reporters_keep_the_codes_names():
    assert labels.level("sex", "X", "nl") == "overig (X)"
    assert labels.level("age_band", "unknown", "en") == "unknown"
    assert labels.level("sex", "??", "nl") == "??"
    assert labels.reporters("POL+XX", "en").endswith(" + XX")


def test_chart_titles():
    assert charts._label("log_size", "nl") == "populatiegrootte (logaritmische schaal)"
    assert charts._label("family", "nl") == "soort model"
    assert charts._label("family", "en") == "family" and charts._label("low", "nl") == "95% -"


def test_numbers_by_language():
    assert format_value(1234567.891, "ratio", "nl") == "1.234.567,89"
    assert format_value(1234567.891, "ratio", "en") == "1,234,567.89"
    assert format_value(0.1234, "share", "nl") == "12,3%"
    assert format_value(1234.5, "count", "de") == "1,234"  # no catalogue: English


def test_whatif_texts():
    import pandas as pd

    rows = []
    for seed, (now, after) in enumerate(((100.0, 120.0), (80.0, 110.0))):
        for arm, est in (("now", now), ("obligation", after)):
            rows.append({"seed": seed, "arm": arm, "truth": 100, "category_detected": 10,
                         "category_reports": 12.0, "registered": 40, "estimate": est,
                         "ci_low": est * 0.8, "ci_high": est * (1.2 if arm == "now" else 1.1)})
    result = WhatIfResult("s", "ZC", 0.1, 0.2, "stepwise", pd.DataFrame(rows))
    nl, en = result.table("nl"), result.table("en")
    assert [r[0] for r in en] == [label for _, _, label in ROWS]
    assert [r[0] for r in nl] == [
        "gedetecteerd door de categorie", "meldingen van de categorie",
        "geregistreerde personen", "detectiegraad", "schatting",
        "relatieve afwijking van de schatting", "breedte 95%-interval / werkelijk aantal",
        "dekking van het 95%-interval"]
    assert en[5][3].endswith(" pt") and nl[5][3].endswith(" %-punt") and "," in nl[5][3]
    assert result.narrowing_text("en").startswith("The 95% interval narrows by ")
    assert result.narrowing_text("nl").startswith("Het 95%-interval wordt ")
    assert " smaller. " in result.narrowing_text("nl") or " breder. " in \
        result.narrowing_text("nl")
    assert "gemiddelde afwijking van de schatting gaat van" in result.narrowing_text("nl")
