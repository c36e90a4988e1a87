"""The publication: public parts pass disclosure control, analyst parts are complete, every
value names its definition, and the file is valid JSON written in one step."""

import json

import pytest

from tests.monitor.test_indicators import ESTIMATES, PERSONS, REPORT_PERSONS, REPORTS
from zicht.monitor.indicators import INDICATORS
from zicht.monitor.inputs import MonitorData
from zicht.monitor.publish import build_publication

K = 2  # the hand-made dataset is tiny: with k = 2 every count of one person is suppressed


@pytest.fixture
def doc(tmp_path):
    data = MonitorData(REPORTS, PERSONS, REPORT_PERSONS, ESTIMATES)
    path = tmp_path / "pub" / "publication.json"
    built = build_publication(data, path, k=K, compare_methods=False, today=2025)
    assert not list(path.parent.glob("*.tmp"))
    assert json.loads(path.read_text()) == built  # NaN-free JSON, the same as returned
    return built


def _public_counts(doc):
    for table in doc["public"]["breakdowns"].values():
        for row in table["counts"]:
            yield from row
        yield from table["level_totals"]
        yield from table["year_totals"]
    for combo in doc["public"]["overlap"]["combinations"]:
        yield combo["persons"]


def test_no_public_count_is_below_k(doc):
    counts = [c for c in _public_counts(doc) if c is not None]
    assert counts and all(c == 0 or c >= K for c in counts)
    assert any(c is None for c in _public_counts(doc))  # something was suppressed


def test_analyst_breakdowns_are_complete_and_public_agree_where_shown(doc):
    for by, table in doc["analyst"]["breakdowns"].items():
        public = doc["public"]["breakdowns"][by]
        assert public["levels"] == table["levels"] and public["years"] == table["years"]
        for pub_row, row in zip(public["counts"], table["counts"], strict=True):
            for p, v in zip(pub_row, row, strict=True):
                assert p is None or p == v
    sex = doc["analyst"]["breakdowns"]["sex"]
    assert sex["levels"] == ["F", "M", "U"] and sex["years"] == [2023, 2024]
    assert sex["counts"] == [[2, 1], [1, 2], [0, 1]]


def test_indicator_values_name_their_definition_and_hide_small_counts(doc):
    by_key = {i["key"]: i for i in doc["public"]["indicators"]}
    for key, ind in by_key.items():
        assert ind["version"] == INDICATORS[key].version
        assert ind["fingerprint"] == INDICATORS[key].fingerprint
    # Dutch minors in domestic sexual exploitation: one person each year -> suppressed
    dm = by_key["dutch_minors_domestic_sexual"]["values"]
    assert all(v["suppressed"] and v["value"] is None for v in dm)
    # registered persons: 3 and 4 -> published
    rp = by_key["registered_persons"]["values"]
    assert [v["value"] for v in rp] == [3, 4]
    # estimates are not counts of identifiable persons: shown
    assert [v["value"] for v in by_key["estimated_victims"]["values"]] == [15.0, 20.0]


def test_targets_and_estimates_are_published(doc):
    assert {t["line"] for t in doc["public"]["targets"]} == {1, 2, 3, 4, 5}
    assert all(t["status"] in ("on track", "at risk", "off track", "no data")
               for t in doc["public"]["targets"])
    assert [e["year"] for e in doc["public"]["estimates"]] == [2023, 2024]
    assert doc["years"] == [2023, 2024] and doc["latest_year"] == 2024 and doc["k"] == K


def test_every_estimate_says_how_it_changed_and_whether_it_is_provisional(doc):
    first, last = doc["public"]["estimates"]
    assert first["change"] is None and not first["provisional"]
    assert last["provisional"]
    change = last["change"]
    assert change["estimate"] == pytest.approx(5.0)
    assert change["ci_low"] < 0 < change["ci_high"] and not change["significant"]
    assert doc["public"]["trend"] is None  # two years: no trend


def test_a_change_is_significant_only_when_its_interval_excludes_zero():
    from zicht.monitor.estimates import annotate_changes

    rows = [{"year": 2020 + t, "method": "stepwise", "observed": 900, "estimate": e,
             "ci_low": e * 0.9, "ci_high": e * 1.1}
            for t, e in zip([0, 1, 3], [5000.0, 5100.0, 7000.0], strict=True)]
    rows.insert(2, {"year": 2022, "method": "stepwise", "status": "no estimate"})
    rows.append({"year": 2024, "method": "stepwise", "observed": 950, "estimate": 7100.0,
                 "ci_low": 6500.0, "ci_high": 7800.0})
    trend = annotate_changes(rows)
    by_year = {r["year"]: r for r in rows}
    assert by_year[2020]["change"] is None
    assert not by_year[2021]["change"]["significant"]  # +100 within +-~700
    assert by_year[2022]["change"] is None  # no estimate
    assert by_year[2023]["change"] is None  # no year before it with an estimate
    assert not by_year[2024]["change"]["significant"]
    assert [r["provisional"] for r in rows] == [False, False, False, False, True]
    assert trend["per_year"] > 0 and trend["significant"]  # 5,000 to 7,100 in four years


def test_a_year_too_small_to_protect_is_withheld_not_pinned(doc):
    # 2023: three persons in three age bands, each one: with the year total published, no
    # suppression pattern hides them, so the year is withheld from the age-band table
    ages = doc["public"]["breakdowns"]["age_band"]
    assert 2023 in ages["withheld_years"]
    col = ages["years"].index(2023)
    assert all(row[col] is None for row in ages["counts"])
    assert doc["public"]["overlap"]["withheld"] and not doc["public"]["overlap"]["combinations"]
    assert doc["analyst"]["overlap"]["combinations"]


def test_the_published_trend_is_the_joint_fits_where_there_is_one():
    from zicht.monitor.estimates import annotate_changes

    def rows():
        return [{"year": 2020 + t, "method": "stepwise", "observed": 900, "estimate": e,
                 "ci_low": e * 0.8, "ci_high": e * 1.25}
                for t, e in enumerate([5000.0, 5200.0, 4900.0, 5300.0])]

    own = annotate_changes(rows())
    joint = {"per_year": 0.04, "ci_low": 0.01, "ci_high": 0.07, "significant": True,
             "first": 2018, "last": 2023}
    published = rows()
    trend = annotate_changes(published, joint=joint)
    assert own["from"] == "years" and not own["significant"]
    assert (own["first"], own["last"]) == (2020, 2023)
    # the joint fit's own span: it may hold years the single years could not estimate
    assert trend == {**joint, "from": "series"}
    assert [r["change"] for r in published] == [r["change"] for r in _annotated(rows())]
    assert annotate_changes(rows()[:2]) is None  # two years of their own: no trend
    assert annotate_changes(rows()[:2], joint=joint)["first"] == 2018


def _annotated(rows):
    from zicht.monitor.estimates import annotate_changes

    annotate_changes(rows)
    return rows


def test_monitor_estimates_takes_the_trend_of_one_model_over_all_years(tmp_path):
    """series_estimates on a linkage folder of four years: the yearly estimates and changes as
    given, the trend from SeriesLogLinear on capture_histories.csv: it covers the true 15 % a
    year with an interval a fifth as wide as the yearly intervals give."""
    import numpy as np
    import pandas as pd

    from zicht.monitor.estimates import joint_series, series_estimates

    rng = np.random.default_rng(4)
    p = np.array([0.3, 0.25, 0.2])
    rows, yearly = [], []
    for t, year in enumerate(range(2020, 2024)):
        N = int(4000 * 1.15 ** t)
        seen = rng.random((N, 3)) < p
        seen = seen[seen.any(axis=1)]
        hist = pd.DataFrame(seen.astype(int), columns=["A", "B", "C"]).value_counts()
        for key, n in hist.items():
            rows.append({"year": year, "A": key[0], "B": key[1], "C": key[2], "count": int(n)})
        yearly.append({"year": year, "method": "stepwise", "status": "ok",
                       "observed": len(seen), "estimate": float(N),
                       "ci_low": len(seen) + 0.5 * (N - len(seen)),
                       "ci_high": len(seen) + 2.0 * (N - len(seen))})
    pd.DataFrame(rows).to_csv(tmp_path / "capture_histories.csv", index=False)
    frame = pd.DataFrame(yearly)
    published = series_estimates(tmp_path, "stepwise", frame=frame)
    apart = series_estimates(tmp_path, "stepwise", frame=frame, joint_trend=False)
    joint = joint_series(tmp_path)
    assert published.trend() == joint.trend() != apart.trend()
    tp, ta = published.trend(), apart.trend()
    assert tp.ci_low <= 0.15 <= tp.ci_high and tp.ci_low > 0
    assert tp.ci_high - tp.ci_low < (ta.ci_high - ta.ci_low) / 5
    np.testing.assert_array_equal(published.estimates, frame["estimate"])
    assert published.to_dict()["details"]["trend"] == joint.method


def test_the_hidden_range_scales_the_published_interval():
    from zicht.monitor.estimates import hidden_range

    row = {"year": 2024, "estimate": 6000.0, "ci_low": 5000.0, "ci_high": 8000.0,
           "combined_low": 4800.0, "combined_high": 8400.0}
    out = hidden_range(row, (0.0, 0.25, 0.5))
    assert [r["estimate"] for r in out] == [6000.0, 8000.0, 12000.0]
    assert (out[2]["ci_low"], out[2]["ci_high"]) == (9600.0, 16800.0)  # the combined band
    assert hidden_range({"year": 2024, "estimate": None}) == []
    with pytest.raises(ValueError, match="hidden share"):
        hidden_range(row, (1.0,))


def test_the_publication_holds_the_hidden_range_of_its_latest_estimate(doc):
    hidden = doc["public"]["hidden"]
    latest = max(e["year"] for e in doc["public"]["estimates"] if e.get("estimate"))
    assert hidden["year"] == latest
    assert [r["share"] for r in hidden["rows"]] == [0.1, 0.25, 0.5]
