"""Small categories pooled before disclosure control (zicht/monitor/pooling.py), the attacker's
check on a table as published (disclosure.recoverable), the public estimates by group and the
marked suppressed points of the trend chart."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.monitor.sample import OVERLAP, sample_publication
from zicht.monitor import charts
from zicht.monitor.disclosure import protect_series, published_intervals, recoverable
from zicht.monitor.pooling import (
    OTHER_UNKNOWN,
    combination_label,
    is_pool,
    level_label,
    pool_combinations,
    pool_degrees,
    pool_levels,
)
from zicht.monitor.publish import _hidden_cells, _protect_breakdown, protect_overlap, public_groups

K = 10
REPORTERS = ("POL", "ZC", "NGO", "NLA", "KMAR", "OTHER")
combos_strategy = st.dictionaries(
    st.sets(st.sampled_from(REPORTERS), min_size=1, max_size=4).map(
        lambda s: "+".join(sorted(s))),
    st.integers(0, 40), min_size=1, max_size=20)


def published_breakdown(wide: pd.DataFrame, k: int = K) -> dict:
    """A breakdown as publish() makes it: pooled, then protected with the year totals known."""
    table, pooled = pool_levels(wide, k, lambda t: _hidden_cells(_protect_breakdown(t, k)))
    return {**_protect_breakdown(table, k), "pooled": pooled}


def assert_breakdown_safe(table: dict) -> None:
    totals = table["year_totals"]
    grand = sum(totals) if all(t is not None for t in totals) else None
    assert recoverable(table["counts"], table["level_totals"], totals, grand) == []


# -- the check itself: it finds what subtraction gives away


def test_recoverable_finds_a_cell_given_away_by_subtraction():
    assert recoverable([[5, None, 20]], grand_total=40) == [(0, 1, 15.0)]
    assert recoverable([[5, None, None]], grand_total=40) == []
    # two suppressed cells in a row, the column totals pin both
    assert recoverable([[5, None], [None, 7]], [12, None], [12, None]) == [(0, 1, 7.0),
                                                                            (1, 0, 7.0)]
    # without the row total the upper cell is unbounded, the lower pinned by its column
    assert published_intervals([[5, None], [None, 7]], [None, None], [12, None]) == [
        (0, 1, 1.0, np.inf), (1, 0, 7.0, 7.0)]


def test_recoverable_uses_that_a_suppressed_count_is_at_least_one():
    # total 12 = 10 + a + b with a, b >= 1: both are 1
    assert recoverable([[10, None, None]], grand_total=12) == [(0, 1, 1.0), (0, 2, 1.0)]


# -- combinations of reporters


def test_the_sample_overlap_is_pooled_by_number_of_reporters():
    pooled = pool_combinations(pd.Series(OVERLAP), K)
    assert pooled.sum() == sum(OVERLAP.values())
    assert pooled["other:1"] == 4 + 7  # KMAR, OTHER
    # the combinations of 2 (12) and of 3 (4, below k: merged with its neighbour)
    assert pooled["other:2-3"] == 1 + 6 + 5 + 1 + 3 and "other:2" not in pooled
    assert list(pooled.index[:6]) == ["POL", "ZC", "POL+ZC", "NGO", "NLA", "NGO+ZC"]
    before = protect_series(pd.Series(OVERLAP), k=K, total=False, known_total=True)
    after = protect_series(pooled, k=K, total=False, known_total=True)
    assert before.suppressed.sum() >= 7 and after.suppressed.sum() == 0


def test_pool_labels():
    assert combination_label("other:1", "nl") == "overige afzonderlijke meldercategorieën"
    assert combination_label("other:2", "en") == "other combinations of 2 reporter categories"
    assert combination_label("other:2-4", "nl") == (
        "overige combinaties van 2 tot 4 meldercategorieën")
    assert combination_label("POL+ZC", "en") != "POL+ZC" and not is_pool("POL+ZC")
    assert pool_degrees("other:2-4") == (2, 4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(combos_strategy)
def test_pooling_keeps_the_sum_and_leaves_at_most_one_pool_below_k_on_each_side(combos):
    series = pd.Series(combos, dtype="int64")
    pooled = pool_combinations(series, K)
    assert pooled.sum() == series.sum()
    kept = [c for c in pooled.index if not is_pool(c)]
    assert all(pooled[c] >= K and pooled[c] == combos[c] for c in kept)
    pools = [c for c in pooled.index if is_pool(c)]
    # at most one pool below k on each side of one category | more (never mixed)
    for side in ([c for c in pools if pool_degrees(c)[1] == 1],
                 [c for c in pools if pool_degrees(c)[0] > 1]):
        assert len(side) <= 1 or all(pooled[c] >= K for c in side)
    assert all(pool_degrees(c)[0] > 1 or pool_degrees(c)[1] == 1 for c in pools)
    ranges = sorted(pool_degrees(c) for c in pools)  # disjoint ranges of degrees
    assert all(a[1] < b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    # every small combination is in the pool of its degree
    for c, n in combos.items():
        if 0 < n < K:
            d = len(c.split("+"))
            assert sum(lo <= d <= hi for lo, hi in ranges) == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(combos_strategy)
def test_no_suppressed_combination_is_recoverable_from_the_published_list(combos):
    series = pd.Series(combos, dtype="int64")
    pooled = pool_combinations(series, K)
    total = int(series.sum())
    if pooled.empty or 0 < total < K:
        return
    protected = protect_overlap(pooled, K)
    if protected is None:
        return  # withheld whole by publish()
    shown = [None if pd.isna(v) else int(v) for v in protected[0]]
    assert recoverable([shown], grand_total=total) == []
    assert all(v is None or v == 0 or v >= K for v in shown)
    # the attacker also knows how many were seen by one category (the published overlap
    # share): as two rows, ones and more, each with its known sum
    one = [(pool_degrees(c)[0] if is_pool(c) else len(c.split("+"))) == 1
           for c in pooled.index]
    singles = int(sum(n for n, o in zip(pooled, one, strict=True) if o))
    rows = [[v if o else 0 for v, o in zip(shown, one, strict=True)],
            [0 if o else v for v, o in zip(shown, one, strict=True)]]
    assert recoverable(rows, [singles, total - singles], None, total) == []


# -- breakdowns over years


def test_a_level_suppression_takes_over_is_pooled_with_unknown():
    """The demo's form of exploitation: organ removal small every year, "unknown" hidden with
    it in 8 of 10 years; pooled into "other/unknown", nothing is suppressed any more."""
    wide = pd.DataFrame(
        [[129, 136, 132, 119, 120, 121, 116, 119, 107, 125],
         [392, 382, 379, 380, 371, 390, 367, 406, 402, 367],
         [1, 1, 1, 5, 2, 0, 0, 1, 3, 1],
         [39, 37, 28, 32, 35, 28, 43, 35, 33, 33]],
        index=["criminal", "labour", "organ", "unknown"], columns=range(2015, 2025))
    before = _protect_breakdown(wide, K)
    assert sum(c is None for c in before["counts"][3]) >= 6  # unknown mostly hidden
    table = published_breakdown(wide)
    assert table["pooled"] == ["organ", "unknown"]
    assert table["levels"] == ["criminal", "labour", OTHER_UNKNOWN]
    assert table["counts"][2] == list(wide.loc[["organ", "unknown"]].sum())
    assert all(c is not None for row in table["counts"] for c in row)
    assert_breakdown_safe(table)
    assert level_label("form", OTHER_UNKNOWN, "en", table["pooled"]).startswith(
        "other/unknown (")


def test_pooling_that_would_cost_another_level_a_year_is_not_done():
    """Tiny regions whose pool stays below k would be protected by the large level next to
    them, which then loses years: they stay as they are."""
    wide = pd.DataFrame([[850, 830, 814, 846], [59, 50, 46, 60], [3, 1, 1, 2], [5, 2, 2, 3]],
                        index=["NL", "ABROAD", "BES", "CUW"], columns=range(2021, 2025))
    table = published_breakdown(wide)
    hidden = _hidden_cells(_protect_breakdown(wide, K)).sum(axis=1)
    shown = dict(zip(table["levels"], table["counts"], strict=True))
    assert sum(c is None for c in shown["ABROAD"]) <= hidden["ABROAD"]
    assert_breakdown_safe(table)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 5), st.integers(2, 5), st.data())
def test_no_suppressed_cell_is_recoverable_from_a_published_breakdown(levels, years, data):
    values = data.draw(st.lists(st.sampled_from([0, 1, 2, 3, 5, 8, 9, 10, 12, 30, 80, 200]),
                                min_size=levels * years, max_size=levels * years))
    wide = pd.DataFrame(np.array(values).reshape(levels, years),
                        index=[f"L{i}" for i in range(levels)],
                        columns=list(range(2020, 2020 + years)))
    if ((wide.sum() > 0) & (wide.sum() < K)).any():
        return  # a year below k gets no breakdown (its total cannot be published)
    table = published_breakdown(wide)
    assert sum(sum(v for v in row if v is not None) for row in table["counts"]) <= wide.sum(
        ).sum()
    assert all(c is None or c == 0 or c >= K for row in table["counts"] for c in row)
    if not table["withheld_years"]:
        assert_breakdown_safe(table)


# -- the publication's public part


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = sample_publication(tmp_path_factory.mktemp("pub") / "pub.json")
    return json.loads(path.read_text())


def test_the_public_part_of_the_publication_gives_nothing_away(sample):
    for table in sample["public"]["breakdowns"].values():
        if not table["withheld_years"]:
            assert_breakdown_safe(table)
    overlap = sample["public"]["overlap"]
    assert recoverable([[c["persons"] for c in overlap["combinations"]]],
                       grand_total=overlap["total"]) == []
    assert any(c["pooled"] for c in overlap["combinations"])


def test_a_built_publication_pools_and_protects(tmp_path):
    from tests.monitor.test_indicators import ESTIMATES, PERSONS, REPORT_PERSONS, REPORTS
    from zicht.monitor.inputs import MonitorData
    from zicht.monitor.publication import FORMAT_VERSION, load
    from zicht.monitor.publish import build_publication

    data = MonitorData(REPORTS, PERSONS, REPORT_PERSONS, ESTIMATES)
    doc = build_publication(data, tmp_path / "p.json", k=2, compare_methods=False, today=2025)
    assert doc["format_version"] == FORMAT_VERSION == 4
    for table in doc["public"]["breakdowns"].values():
        assert "pooled" in table
        if not table["withheld_years"]:
            assert_breakdown_safe(table)
    assert load(tmp_path / "p.json").groups is None  # no linkage folder: no estimates by group


# -- estimates by group


STRATA = {"year": 2024, "by": {
    "sex": {"rows": [
        {"level": "F", "observed": 300, "estimate": 1200.0, "ci_low": 900.0, "ci_high": 1700.0},
        {"level": "M", "observed": 200, "estimate": 900.0, "ci_low": 600.0, "ci_high": 1500.0}],
        "total": {"observed": 500, "estimate": 2100.0, "ci_low": 1650.0, "ci_high": 2800.0}},
    "minor": {"rows": [
        {"level": "minor", "observed": 40, "estimate": 90.0, "ci_low": 50.0, "ci_high": 200.0},
        {"level": "adult", "observed": 460, "estimate": 2000.0, "ci_low": 1500.0,
         "ci_high": 2900.0}],
        "total": {"observed": 500, "estimate": 2090.0, "ci_low": 1600.0, "ci_high": 2950.0}},
    "form": {"rows": [
        {"level": "labour", "observed": 480, "estimate": None, "ci_low": None,
         "ci_high": None},
        {"level": "organ", "observed": 3, "estimate": 7.0, "ci_low": 3.0, "ci_high": 20.0}],
        "total": None}}}


def test_a_group_is_published_only_when_its_count_is():
    breakdowns = {
        "sex": {"levels": ["F", "M"], "years": [2024], "counts": [[300], [200]]},
        # 0-11 suppressed (to protect a neighbour): the minors' estimate would give it away
        "age_band": {"levels": ["0-11", "12-17", "18-22"], "years": [2024],
                     "counts": [[None], [30], [460]]},
        "form": {"levels": ["labour", "organ"], "years": [2024], "counts": [[480], [None]]}}
    groups = public_groups({2024: STRATA}, breakdowns, K)
    assert list(groups["by"]) == ["sex", "minor", "form"] and groups["k"] == K
    sex = groups["by"]["sex"]["2024"]
    assert [r["reason"] for r in sex["rows"]] == [None, None]
    assert sex["rows"][0]["ci_low"] == 900.0 and sex["total"]["estimate"] == 2100.0
    minor = {r["level"]: r for r in groups["by"]["minor"]["2024"]["rows"]}
    assert minor["minor"]["reason"] == "not published" and minor["minor"]["estimate"] is None
    assert minor["adult"]["reason"] is None and minor["adult"]["ci_high"] == 2900.0
    assert groups["by"]["minor"]["2024"]["total"] is None  # it would give the minors away
    form = {r["level"]: r for r in groups["by"]["form"]["2024"]["rows"]}
    assert form["labour"]["reason"] == "no estimate"
    assert form["organ"]["reason"] == "fewer than k" and form["organ"]["ci_high"] is None
    assert "observed" not in json.dumps(groups)  # observed counts are not published
    breakdowns["age_band"]["counts"][0] = [10]
    minor = public_groups({2024: STRATA}, breakdowns, K)["by"]["minor"]["2024"]
    assert minor["rows"][0]["reason"] is None and minor["total"]["estimate"] == 2090.0


# -- the chart


def test_the_trend_chart_marks_suppressed_points_instead_of_ending_the_line():
    table = {"levels": ["A", "B"], "years": [2020, 2021, 2022, 2023],
             "counts": [[100, None, 120, None], [20, 22, 25, 24]]}
    spec = charts.spec(charts.trend(table, "level", lang="en"))
    layers = spec["layers"] if "layers" in spec else spec["layer"]
    data = spec["datasets"]
    marks = [layer for layer in layers if layer["mark"].get("filled") is False]
    assert len(marks) == 1 and marks[0]["encoding"]["shape"]["scale"]["domain"] == [
        "suppressed"]
    points = data[marks[0]["data"]["name"]]
    assert [(p["level"], p["year"]) for p in points] == [("A", "2021"), ("A", "2023")]
    assert points[0]["persons"] == 110  # between its neighbours; the last level with 120
    assert points[1]["persons"] == 120
    dashed = [layer for layer in layers if layer["mark"].get("strokeDash")]
    assert dashed and {p["year"] for p in data[dashed[0]["data"]["name"]]} == {"2020", "2022"}
    assert charts.suppressed_points(table) == [("A", [2021, 2023])]
    nl = charts.spec(charts.trend(table, "niveau", lang="nl"))
    assert "geheim" in json.dumps(nl)
