"""Estimators on simulated populations whose size is known.

Tables are drawn from a log-linear model over all 2^k cells, unobserved cell included: N
individuals, multinomial with cell probabilities proportional to exp(design . beta).
"""

import numpy as np
import pandas as pd

from zicht.mse import LogLinear, MainEffects, ModelSearch, Stepwise
from zicht.mse.data import CaptureHistories
from zicht.mse.design import cell_patterns, design_matrix

LISTS = ["A", "B", "C", "D"]


def simulate(rng, N, mains, pair_effects):
    k = len(mains)
    pairs = sorted(pair_effects)
    X = design_matrix(k, pairs)  # observable cells
    eta = X[:, 1:] @ np.concatenate([mains, [pair_effects[p] for p in pairs]])
    w = np.concatenate([[1.0], np.exp(eta)])  # unobserved cell first
    counts = rng.multinomial(N, w / w.sum())[1:]
    frame = pd.DataFrame(cell_patterns(k), columns=LISTS[:k])
    frame["count"] = counts
    return CaptureHistories.from_frame(frame[frame["count"] > 0].reset_index(drop=True))


MAINS = np.array([-1.2, -1.6, -1.0, -2.0])


def test_independent_lists_unbiased_with_nominal_profile_coverage():
    rng = np.random.default_rng(11)
    N, sims = 4000, 120
    est, cover = [], 0
    for _ in range(sims):
        res = MainEffects().fit(simulate(rng, N, MAINS, {}), ci="profile")
        est.append(res.estimate)
        cover += res.ci[0] <= N <= res.ci[1]
    assert abs(np.mean(est) / N - 1) < 0.01
    assert 0.89 <= cover / sims <= 0.995  # nominal 0.95; binomial sd 0.02 for 120 runs


def test_referral_between_lists_biases_main_effects_and_the_right_model_recovers_n():
    # a person on list A is far more likely on B (referral): positive A:B dependence
    rng = np.random.default_rng(12)
    N, sims = 4000, 40
    naive, right, step, bic = [], [], [], []
    selected_ab = 0
    for _ in range(sims):
        table = simulate(rng, N, MAINS, {(0, 1): 1.5})
        naive.append(MainEffects().fit(table, ci="none").estimate)
        right.append(LogLinear("A:B").fit(table, ci="none").estimate)
        s = Stepwise().fit(table, ci="none")
        step.append(s.estimate)
        selected_ab += "A:B" in s.model
        bic.append(ModelSearch("bic").fit(table, ci="none").estimate)
    assert np.mean(naive) < 0.9 * N  # dependence hides people from independence (-15 % here)
    assert abs(np.mean(right) / N - 1) < 0.03
    assert selected_ab >= 0.9 * sims
    assert abs(np.median(step) / N - 1) < 0.05
    assert abs(np.median(bic) / N - 1) < 0.05


def test_bca_interval_covers_the_truth_on_a_referral_population():
    rng = np.random.default_rng(13)
    N, hits, sims = 3000, 0, 12
    for _ in range(sims):
        res = Stepwise().fit(simulate(rng, N, MAINS, {(0, 1): 1.0, (2, 3): -0.7}), ci="bca",
                             nboot=200, seed=int(rng.integers(1 << 31)))
        hits += res.ci[0] <= N <= res.ci[1]
    assert hits >= 9  # nominal 95 %: 9 or fewer of 12 has probability < 0.2 %
