"""The analysts' decisions recalibrate the model, and the review queue asks first where an
answer matters most to the estimate."""

import numpy as np
import pandas as pd
import pytest
from scipy import special

from zicht.linkage.calibrate import MIN_DECISIONS, fit_calibration
from zicht.linkage.review import (
    VALUE_BETWEEN_LISTS,
    VALUE_ONE_LIST,
    VALUE_OTHER_YEARS,
    queue,
    with_value,
)


def _decided(weights, truth_intercept, seed=0):
    rng = np.random.default_rng(seed)
    ids = [f"R{i:05d}" for i in range(2 * len(weights))]
    pairs = pd.DataFrame({"id_l": ids[0::2], "id_r": ids[1::2], "match_weight": weights})
    p = special.expit(truth_intercept + np.log(2) * np.asarray(weights))
    answer = np.where(rng.random(len(p)) < p, "match", "no_match")
    decisions = pd.DataFrame({"id_l": pairs.id_l, "id_r": pairs.id_r, "decision": answer})
    return pairs, decisions


def test_an_underconfident_model_is_corrected_by_the_decisions():
    weights = np.random.default_rng(1).uniform(-3, 3, 400)  # the review band, in log2 odds
    pairs, decisions = _decided(weights, truth_intercept=1.5)
    calibration = fit_calibration(pairs, decisions)
    assert calibration is not None and calibration.decisions == 400
    assert 1.0 < calibration.intercept < 2.0  # the truth is 1.5; the prior pulls towards 0
    assert 0.6 < calibration.slope < 1.4
    assert calibration.apply(np.array([0.0]))[0] > 0.7  # was 0.5


def test_a_calibrated_model_is_left_nearly_as_it_is():
    weights = np.random.default_rng(2).uniform(-3, 3, 400)
    pairs, decisions = _decided(weights, truth_intercept=0.0, seed=3)
    calibration = fit_calibration(pairs, decisions)
    assert abs(calibration.intercept) < 0.35 and abs(calibration.slope - 1) < 0.35


def test_too_few_decisions_or_one_kind_only_change_nothing():
    weights = np.linspace(-2, 2, MIN_DECISIONS - 1)
    pairs, decisions = _decided(weights, 0.0)
    assert fit_calibration(pairs, decisions) is None
    pairs, decisions = _decided(np.linspace(-2, 2, 100), 0.0)
    assert fit_calibration(pairs, decisions.assign(decision="match")) is None
    assert fit_calibration(pairs, None) is None
    # undecided lines and decisions on pairs the model never scored do not count
    other = decisions.assign(id_l=decisions.id_l + "x")
    assert fit_calibration(pairs, other) is None
    assert fit_calibration(pairs, decisions.assign(decision="undecided")) is None


def test_the_queue_asks_first_where_a_wrong_link_moves_the_estimate():
    table = pd.DataFrame({
        "unique_id": ["a", "b", "c", "d", "e", "f", "g", "h"],
        "reporter_category": ["POL", "ZC", "POL", "POL", "POL", "ZC", "NGO", "NGO"],
        "reference_year": [2024, 2024, 2024, 2024, 2023, 2024, 2024, 2024]})
    pairs = pd.DataFrame({"id_l": ["a", "c", "e", "g"], "id_r": ["b", "d", "f", "h"],
                          "match_probability": [0.7, 0.5, 0.5, 0.45]})
    labels = np.array([0, 0, 1, 2, 3, 4, 5, 5])
    valued = with_value(pairs, table, labels)
    assert list(valued.together) == [True, False, False, True]
    expected = [0.3 * VALUE_BETWEEN_LISTS, 0.5 * VALUE_ONE_LIST, 0.5 * VALUE_OTHER_YEARS,
                0.45 * VALUE_ONE_LIST]
    assert np.allclose(valued.value, expected)
    ordered = queue(pairs, pd.DataFrame(), (0.2, 0.9), labels, table)
    assert list(zip(ordered.id_l, ordered.id_r, strict=True)) == \
        [("a", "b"), ("c", "d"), ("g", "h"), ("e", "f")]
    # a decided pair leaves the queue
    decided = pd.DataFrame({"id_l": ["a"], "id_r": ["b"], "decision": ["match"]})
    assert ("a", "b") not in set(zip(*queue(pairs, decided, (0.2, 0.9), labels, table)
                                     [["id_l", "id_r"]].T.values, strict=True))


def test_a_report_on_no_list_is_asked_about_last():
    table = pd.DataFrame({"unique_id": ["a", "b", "c", "d"],
                          "reporter_category": ["XYZ", "XYZ", "POL", "POL"],
                          "reference_year": [2024] * 4})
    pairs = pd.DataFrame({"id_l": ["a", "c"], "id_r": ["b", "d"],
                          "match_probability": [0.5, 0.5]})
    valued = with_value(pairs, table, np.array([0, 1, 2, 3]))
    assert list(valued.value) == [0.5 * VALUE_OTHER_YEARS, 0.5 * VALUE_ONE_LIST]


def test_the_slope_keeps_its_direction_whatever_the_decisions_say():
    weights = np.linspace(-3, 3, 200)
    pairs, decisions = _decided(weights, 0.0)
    flipped = decisions.assign(decision=np.where(decisions.decision == "match", "no_match",
                                                 "match"))
    calibration = fit_calibration(pairs, flipped)
    assert calibration.slope >= 0.2 - 1e-9
    assert calibration.model_probability(0.01) == pytest.approx(
        float(special.expit((special.logit(0.01) - calibration.intercept)
                            / calibration.slope)))
    assert calibration.apply(np.array([np.log2(calibration.model_probability(0.3) /
                                               (1 - calibration.model_probability(0.3)))]))[0] \
        == pytest.approx(0.3)
