"""Edges found in review: caps, infinite replicates, many lists, degenerate tables."""

import json

import numpy as np
import pandas as pd
import pytest

from zicht.mse import (
    ClosedP,
    LogLinear,
    MainEffects,
    ModelSearch,
    MSEInputError,
    Stepwise,
    load_dataset,
)
from zicht.mse.data import CaptureHistories
from zicht.mse.design import cell_patterns, design_matrix


def test_profile_upper_bound_is_capped_at_three_times_the_estimate():
    # Western, Mth Darroch: the log-normal upper limit lies beyond 3 x N-hat; Rcapture caps the
    # search at fmaxSupCL = 3 N-hat, and so must we (and say so)
    res = ClosedP("Mth-darroch").fit(load_dataset("western"), ci="profile")
    assert res.ci[1] == pytest.approx(3 * res.estimate, rel=1e-9)
    assert "capped" in res.details["warning"]
    assert res.ci[0] < res.estimate


def small_table(counts):
    return CaptureHistories(("A", "B", "C"), [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0],
                                              [0, 1, 1], [1, 0, 1]], counts)


def test_bootstrap_survives_replicates_without_any_valid_model():
    # list C rests on two people: some resamples lose it, and then no model exists
    table = small_table([40, 35, 1, 8, 1, 0])
    for est in (ModelSearch("bic"), Stepwise(), MainEffects()):
        res = est.fit(table, ci="bootstrap", nboot=60, seed=5)
        boot = res.details["bootstrap"]
        assert boot["infinite_replicates"] > 0
        payload = json.dumps(res.to_dict(), allow_nan=False)  # valid JSON: no inf/NaN
        assert json.loads(payload)["estimate"] == pytest.approx(res.estimate)


def test_bca_with_infinite_jackknife_is_reported_undefined():
    # deleting the one person on B+C leaves B and C without overlap under B:C ... the
    # jackknife then has an infinite member: acceleration and BCa limits are undefined (None)
    table = small_table([40, 35, 20, 8, 1, 0])
    res = LogLinear("B:C").fit(table, ci="bca", nboot=40, seed=1)
    out = res.to_dict()
    json.dumps(out, allow_nan=False)
    if not np.isfinite(res.details["_bootstrap"].jackknife).all():
        assert out["ci_low"] is None and out["ci_high"] is None


def simulate(rng, k, N, pair_effects):
    pairs = sorted(pair_effects)
    X = design_matrix(k, pairs)
    eta = X[:, 1:] @ np.concatenate([np.full(k, -1.8), [pair_effects[p] for p in pairs]])
    w = np.concatenate([[1.0], np.exp(eta)])
    counts = rng.multinomial(N, w / w.sum())[1:]
    keep = counts > 0
    return CaptureHistories(tuple(f"L{i}" for i in range(k)), cell_patterns(k)[keep],
                            counts[keep])


def test_stepwise_with_twelve_lists_selects_a_high_index_pair():
    # 12 lists have 66 pairs: pair (10, 11) is number 65, past 64-bit model codes
    table = simulate(np.random.default_rng(4), 12, 20000, {(10, 11): 2.0})
    res = Stepwise().fit(table, ci="none")
    assert "L10:L11" in res.model
    assert np.isfinite(res.estimate) and res.estimate > table.n_observed


def test_too_many_lists_are_refused_with_a_reason():
    with pytest.raises(MSEInputError, match="at most 12 lists"):
        Stepwise().fit(load_dataset("rbvole"))
    with pytest.raises(MSEInputError, match="exhaustive search over 8 lists"):
        ModelSearch("bic").fit(load_dataset("new_orleans"))


def test_degenerate_tables_are_refused_with_a_reason():
    with pytest.raises(MSEInputError, match="nobody was observed"):
        Stepwise().fit(small_table([0, 0, 0, 0, 0, 0]))
    with pytest.raises(MSEInputError, match="'C' saw nobody"):
        Stepwise().fit(small_table([5, 4, 0, 3, 0, 0]))


def test_huge_counts_are_refused():
    frame = pd.DataFrame({"A": [1, 0], "B": [0, 1], "count": ["1e300", "3"]})
    with pytest.raises(MSEInputError, match="row 1.*too large"):
        CaptureHistories.from_frame(frame)
