"""The batched Poisson fit against an independent optimiser, and batch against single fits."""

import numpy as np
import pytest
from scipy.optimize import minimize

from zicht.mse.design import all_pairs, design_matrix
from zicht.mse.glm import fit_poisson, fit_poisson_batch


def negloglik(beta, X, y):
    eta = X @ beta
    return np.exp(eta).sum() - y @ eta


def test_single_fit_matches_direct_likelihood_maximisation():
    rng = np.random.default_rng(1)
    k = 4
    X = design_matrix(k, [(0, 1), (2, 3)])
    true = np.array([3.0, -1.0, -0.5, -1.2, -0.8, 0.7, 0.4])
    y = rng.poisson(np.exp(X @ true)).astype(float)
    fit = fit_poisson(X, y)
    opt = minimize(negloglik, np.zeros(X.shape[1]), args=(X, y),
                   jac=lambda b, X, y: X.T @ (np.exp(X @ b) - y), method="BFGS",
                   options={"gtol": 1e-10, "maxiter": 10_000})
    assert fit.converged[0]
    np.testing.assert_allclose(fit.beta[0], opt.x, rtol=1e-5, atol=1e-6)
    # the covariance is the inverse Fisher information X' diag(mu) X
    H = X.T @ (fit.mu[0][:, None] * X)
    np.testing.assert_allclose(fit.cov[0], np.linalg.inv(H), rtol=1e-8)
    # score equations: observed margins equal fitted margins
    np.testing.assert_allclose(X.T @ fit.mu[0], X.T @ y, rtol=1e-9)


def test_batch_equals_one_by_one_with_column_and_cell_masks():
    rng = np.random.default_rng(2)
    k = 5
    pairs = all_pairs(k)
    X = design_matrix(k, pairs)
    m, p = X.shape
    B = 12
    Y = rng.poisson(20 * rng.random((B, m))).astype(float) + 1
    colmask = np.ones((B, p), dtype=bool)
    colmask[:, 1 + k:] = rng.random((B, len(pairs))) < 0.4
    rowmask = np.ones((B, m), dtype=bool)
    rowmask[3, X[:, 1 + k] == 1] = False  # delete the cells of pair (0, 1) in table 3
    colmask[3, 1 + k] = False
    batch = fit_poisson_batch(X, Y, colmask, rowmask)
    for b in range(B):
        cols = colmask[b]
        single = fit_poisson(X[rowmask[b]][:, cols], Y[b, rowmask[b]])
        np.testing.assert_allclose(batch.beta[b, cols], single.beta[0], rtol=1e-7, atol=1e-9)
        assert (batch.beta[b, ~cols] == 0).all()
        assert batch.deviance[b] == pytest.approx(single.deviance[0], rel=1e-9, abs=1e-9)
        assert (batch.mu[b, ~rowmask[b]] == 0).all()


def test_warm_start_gives_the_same_answer():
    rng = np.random.default_rng(3)
    X = design_matrix(3, [(0, 1)])
    y = rng.poisson(30, size=X.shape[0]).astype(float)
    cold = fit_poisson(X, y)
    warm = fit_poisson(X, y, beta0=cold.beta[0] + 0.3)
    np.testing.assert_allclose(warm.beta, cold.beta, rtol=1e-8)


def test_a_batch_member_whose_information_is_not_finite_gets_no_step() -> None:
    """An overflowing fit in a batch (its information matrix not finite) must not stop the
    batch: its step is NaN, so its criterion is NaN and it is never chosen."""
    from zicht.mse.glm import _solve

    H = np.stack([np.eye(2), np.full((2, 2), np.nan)])
    H[1, 0, 0] = np.inf
    out = _solve(H, np.ones((2, 2)))
    np.testing.assert_allclose(out[0], [1.0, 1.0])
    assert np.isnan(out[1]).all()
