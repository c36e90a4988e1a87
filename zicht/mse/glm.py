"""Poisson log-linear maximum likelihood, fitted for many models at once.

R's ``glm(family = poisson)`` fits one model at a time.  Exhaustive model search and the
bootstrap need thousands of fits of models that share the same cells, so this module fits a
*batch*: every model is a column mask over one full design matrix (and a cell mask for cells
deleted for terms at minus infinity), and Newton-Raphson (= IRLS for the canonical log link)
runs on all of them together with stacked linear algebra.  Written here rather than taken from
statsmodels because statsmodels fits one model per call, which is orders of magnitude slower for
32,768 models; results agree with statsmodels / R to the convergence tolerance (tested).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, xlogy

from ._types import Array

_BLAS = None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the enclosed fits with one BLAS thread.

    The fits are many products of small matrices: a second OpenBLAS thread does not shorten
    them (the 32,768-model search took 3.5 s wall either way here) but spins, doubling the CPU
    time.  threadpoolctl limits BLAS for the duration only.
    """
    global _BLAS
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController()
    with _BLAS.limit(limits=1, user_api="blas"):
        yield


@dataclass
class BatchFit:
    beta: np.ndarray  # (B, p); masked-out columns are 0
    mu: np.ndarray  # (B, m); deleted cells have mu = 0
    deviance: np.ndarray  # (B,)
    loglik: np.ndarray  # (B,) Poisson log-likelihood over the kept cells
    cov: np.ndarray  # (B, p, p) unscaled inverse Fisher information (masked entries 0)
    rank: np.ndarray  # (B,) number of free parameters
    # (B,) bool: the deviance stopped changing.  A model whose MLE is at infinity converges
    # in this sense too (its deviance approaches its limit); existence is the LP's job.
    converged: np.ndarray
    iterations: int


def poisson_deviance(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Poisson deviance summed over the last axis (cells with y = mu = 0 contribute 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = 2.0 * (xlogy(y, y) - xlogy(y, np.where(mu > 0, mu, 1.0)) - (y - mu))
        return np.asarray(np.sum(dev, axis=-1))


def poisson_loglik(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.sum(xlogy(y, np.where(mu > 0, mu, 1.0)) - mu - gammaln(y + 1.0),
                                 axis=-1))


def fit_poisson_batch(
    X: np.ndarray,
    y: np.ndarray,
    colmask: np.ndarray | None = None,
    rowmask: np.ndarray | None = None,
    beta0: np.ndarray | None = None,
    tol: float = 1e-11,
    maxit: int = 100,
    want_cov: bool = True,
) -> BatchFit:
    """Fit B Poisson log-linear models on the same m cells.

    X: (m, p) full design.  y: (m,) or (B, m) counts.  colmask: (B, p) bool, columns in each
    model.  rowmask: (B, m) bool, cells kept (False = deleted, as for a term at minus infinity).
    beta0: optional (B, p) warm start.  Convergence: relative change of the deviance below
    ``tol`` (R uses 1e-8 on the same quantity) and a Newton step below 1e-8.  ``want_cov=False``
    skips the covariance (model search needs only deviances and intercepts).
    """
    X = np.asarray(X, dtype=float)
    m, p = X.shape
    if colmask is None:
        colmask = np.ones((1 if y.ndim == 1 else y.shape[0], p), dtype=bool)
    colmask = np.asarray(colmask, dtype=bool)
    B = colmask.shape[0]
    y = np.broadcast_to(np.asarray(y, dtype=float), (B, m))
    if rowmask is None:
        rowmask = np.ones((B, m), dtype=bool)
    rowmask = np.broadcast_to(np.asarray(rowmask, dtype=bool), (B, m))
    w_row = rowmask.astype(float)
    y = y * w_row
    # the parts of the deviance that do not depend on mu
    y_const = (xlogy(y, y) - y).sum(axis=1)

    def deviance(rows: Array | slice, mu_rows: Array) -> Array:
        with np.errstate(divide="ignore", invalid="ignore"):
            fit_part = (xlogy(y[rows], np.where(mu_rows > 0, mu_rows, 1.0)) - mu_rows).sum(axis=1)
        return np.asarray(2.0 * (y_const[rows] - fit_part))
    # pairwise products of design columns, for H = X' diag(mu) X as one matrix product
    XX = (X[:, :, None] * X[:, None, :]).reshape(m, p * p)
    free = colmask.astype(float)
    # H restricted to the free columns, identity on the fixed ones: H * keep + pin
    keep = free[:, :, None] * free[:, None, :]
    pin = np.eye(p) * (~colmask)[:, None, :]

    if beta0 is None:
        # R's start: mu = y + 0.1, then one weighted least-squares step on the working response
        mu_s = y + 0.1
        eta_s = np.log(mu_s)
        z = eta_s + (y - mu_s) / mu_s
        wts = mu_s * w_row
        H = (wts @ XX).reshape(B, p, p)
        g = (wts * z) @ X
        beta = _solve(H * keep + pin, g * free)
    else:
        beta = np.where(colmask, beta0, 0.0)

    eta = beta @ X.T
    mu = np.exp(np.minimum(eta, 700.0)) * w_row
    dev = deviance(slice(None), mu)
    converged = np.zeros(B, dtype=bool)
    active = np.ones(B, dtype=bool)
    it = 0
    while it < maxit:
        it += 1
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        mu_a, y_a = mu[idx], y[idx]
        H = (mu_a @ XX).reshape(idx.size, p, p)
        if idx.size == B:
            H = H * keep + pin
        else:
            H = H * keep[idx] + pin[idx]
        step = _solve(H, ((y_a - mu_a) @ X) * free[idx])
        new_beta = beta[idx] + step
        new_mu = np.exp(np.minimum(new_beta @ X.T, 700.0)) * w_row[idx]
        new_dev = deviance(idx, new_mu)
        # step halving where the deviance went up or is not finite (rare from R's start)
        bad = ~np.isfinite(new_dev) | (new_dev > dev[idx] * (1 + 1e-12) + 1e-9)
        h = 0
        while bad.any() and h < 30:
            h += 1
            step[bad] *= 0.5
            nb = beta[idx][bad] + step[bad]
            new_beta[bad] = nb
            new_mu[bad] = np.exp(np.minimum(nb @ X.T, 700.0)) * w_row[idx][bad]
            new_dev[bad] = deviance(idx[bad], new_mu[bad])
            bad = ~np.isfinite(new_dev) | (new_dev > dev[idx] * (1 + 1e-12) + 1e-9)
        change = np.abs(new_dev - dev[idx]) / (np.abs(new_dev) + 0.1)
        beta[idx], mu[idx], dev[idx] = new_beta, new_mu, new_dev
        small_step = np.abs(step).max(axis=1) < 1e-8 * (1 + np.abs(new_beta).max(axis=1))
        done = (change < tol) & small_step
        done |= change < 1e-15
        converged[idx[done]] = True
        active[idx[done]] = False

    if want_cov:
        cov = _inv((mu @ XX).reshape(B, p, p) * keep + pin) * keep
    else:
        cov = np.full((B, 0, 0), np.nan)
    return BatchFit(
        beta=beta,
        mu=mu,
        deviance=dev,
        loglik=poisson_loglik(y, mu),
        cov=cov,
        rank=colmask.sum(axis=1),
        converged=converged,
        iterations=it,
    )


def _solve(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(H, g[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.empty_like(g)
        for b in range(H.shape[0]):
            try:
                out[b] = np.linalg.lstsq(H[b], g[b], rcond=None)[0]
            except np.linalg.LinAlgError:  # H not finite (an overflowing fit): no step, and
                out[b] = np.nan  # the model's criterion becomes NaN, so it is never chosen
        return out


def _inv(H: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(H)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(H)


def fit_poisson(X: np.ndarray, y: np.ndarray, rowmask: np.ndarray | None = None,
                beta0: np.ndarray | None = None, tol: float = 1e-11,
                maxit: int = 100) -> BatchFit:
    """Fit one model (all columns of X free); returns a batch of size 1.

    The same iterations as :func:`fit_poisson_batch` (R's start, Newton with step halving, the
    same stopping rule) without the batch bookkeeping, which dominates for a single model.
    """
    X = np.asarray(X, dtype=float)
    y_all = np.asarray(y, dtype=float)
    keep = np.ones(y_all.size, dtype=bool) if rowmask is None else np.asarray(rowmask, bool)
    Xk, yk = X[keep], y_all[keep]
    const = float((xlogy(yk, yk) - yk).sum())

    def dev_of(mu: Array) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):
            return 2.0 * (const - float((xlogy(yk, np.where(mu > 0, mu, 1.0)) - mu).sum()))

    if beta0 is None:
        mu = yk + 0.1
        z = np.log(mu) + (yk - mu) / mu
        beta = _solve1((Xk.T * mu) @ Xk, Xk.T @ (mu * z))
    else:
        beta = np.asarray(beta0, dtype=float).copy()
    beta, mu, dev, converged, _ = newton(
        beta, lambda mu: _solve1((Xk.T * mu) @ Xk, Xk.T @ (yk - mu)),
        lambda b: np.exp(np.minimum(Xk @ b, 700.0)), dev_of, tol, maxit)
    mu_all = np.zeros(y_all.size)
    mu_all[keep] = mu
    cov = _inv(((Xk.T * mu) @ Xk)[None])[0]
    return BatchFit(
        beta=beta[None], mu=mu_all[None], deviance=np.array([dev]),
        loglik=poisson_loglik(y_all[None] * keep, mu_all[None]), cov=cov[None],
        rank=np.array([X.shape[1]]), converged=np.array([converged]), iterations=0,
    )


def newton(beta: Array, step_of: Callable[[Array], Array], mu_of: Callable[[Array], Array],
           dev_of: Callable[[Array], float], tol: float, maxit: int
           ) -> tuple[Array, Array, float, bool, int]:
    """Newton-Raphson for one Poisson model from ``beta``: ``step_of(mu)`` solves the step,
    halved while the deviance goes up; stops when the deviance's relative change is below
    ``tol`` and the step below 1e-8 (or the change below 1e-15).  Returns (beta, mu, deviance,
    converged, iterations).  Shared by :func:`fit_poisson` and the blocked covariate fit."""
    mu = mu_of(beta)
    dev = dev_of(mu)
    for it in range(1, maxit + 1):
        step = step_of(mu)
        for _half in range(31):  # step halving where the deviance went up (rare)
            new_beta = beta + step
            new_mu = mu_of(new_beta)
            new_dev = dev_of(new_mu)
            if np.isfinite(new_dev) and new_dev <= dev * (1 + 1e-12) + 1e-9:
                break
            step = step * 0.5
        change = abs(new_dev - dev) / (abs(new_dev) + 0.1)
        beta, mu, dev = new_beta, new_mu, new_dev
        small_step = np.abs(step).max() < 1e-8 * (1 + np.abs(beta).max())
        if (change < tol and small_step) or change < 1e-15:
            return beta, mu, dev, True, it
    return beta, mu, dev, False, maxit


def _solve1(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    try:
        return np.asarray(np.linalg.solve(H, g))
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.lstsq(H, g, rcond=None)[0])


def newton_warm(X: np.ndarray, y: np.ndarray, beta: np.ndarray, maxit: int = 30
                ) -> tuple[Array, float, Array] | None:
    """Plain Newton from a good start (the profile likelihood's neighbouring N): a few numpy
    calls per iteration instead of the batch machinery.  Returns (beta, deviance, last
    information matrix), or None when
    it does not settle quickly, so the caller can fall back to :func:`fit_poisson`."""
    for _ in range(maxit):
        with np.errstate(over="ignore", invalid="ignore"):
            mu = np.exp(X @ beta)
            if not np.isfinite(mu).all():
                return None
            H = (X.T * mu) @ X
            try:
                step = np.linalg.solve(H, X.T @ (y - mu))
            except np.linalg.LinAlgError:
                return None
        beta = beta + step
        if not np.isfinite(step).all():
            return None
        # Newton converges quadratically: after a step below 1e-6 the error is ~1e-12
        if np.abs(step).max() < 1e-6 * (1.0 + np.abs(beta).max()):
            mu = np.exp(X @ beta)
            return beta, float(poisson_deviance(y, mu)), H
    return None
