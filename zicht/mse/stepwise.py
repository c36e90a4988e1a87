"""SparseMSE's forward stepwise model selection (Chan, Silverman & Vincent 2021).

Start from main effects.  In each cycle, for every pair of lists not yet in the model, compare
the observed overlap n* with its expectation lambda* under the current fit (summed over the
cells still in the fit): p = min(P(X <= n*), P(X >= n*)), X ~ Poisson(lambda*), the smaller tail,
not doubled.  A candidate whose model fails the existence/identifiability check gets p = 1.  The
smallest p wins (ties to the lowest pair in lexicographic order); stop when it is >= pthresh.
A pair with an empty overlap can enter, at minus infinity (its cells deleted).

The selection runs on a *batch* of tables in lockstep: the bootstrap's 1,000 resampled tables
and the jackknife's delete-one tables are selected together, one batched GLM fit per step for
all tables still going (SparseMSE runs them one by one, with one GLM fit and one LP per
candidate per step).  Candidates are tried in order of p, so the LP runs only for a candidate
that would otherwise be chosen; the answers are the same as checking every candidate first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import pdtr, pdtrc

from ._types import Array, FloatArray
from .base import MSEEstimator
from .design import all_pairs, design_matrix, pair_cells, pair_model_masks
from .errors import InvalidSetting
from .fitting import ModelFit, fit_loglinear
from .glm import fit_poisson_batch
from .identifiability import IdentCache


@dataclass
class StepwiseBatch:
    estimate: np.ndarray  # (B,) n_obs + exp(intercept)
    models: list[list[int]]  # per table: indices into all_pairs(k), in the order added
    # per table, per cycle: candidates, p-values, refused, added
    paths: list[list[dict[str, Any]]] | None


def tail_p(nstar: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """min(P(X <= n*), P(X >= n*)) for X ~ Poisson(lam); 1 where lam == 0."""
    lam_safe = np.where(lam > 0, lam, 1.0)
    lower = pdtr(nstar, lam_safe)
    upper = np.where(nstar > 0, pdtrc(np.maximum(nstar - 1, 0), lam_safe), 1.0)
    return np.where(lam > 0, np.minimum(lower, upper), 1.0)


def stepwise_batch(
    k: int, Y: np.ndarray, pthresh: float = 0.02, cache: IdentCache | None = None,
    record_path: bool = False,
) -> StepwiseBatch:
    """Stepwise selection on each row of Y (B tables of 2^k - 1 cell counts)."""
    cache = cache or IdentCache()
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    B, m = Y.shape
    pairs = all_pairs(k)
    P = len(pairs)
    X = design_matrix(k, pairs)
    p = X.shape[1]
    cells_of = pair_cells(k)  # (P, m)
    nstar = Y @ cells_of.T  # (B, P)
    incl = np.zeros((B, P), dtype=bool)
    colmask = np.zeros((B, p), dtype=bool)
    colmask[:, : 1 + k] = True
    rowmask = np.ones((B, m), dtype=bool)
    fit = fit_poisson_batch(X, Y, colmask, rowmask, want_cov=False)
    beta, mu, converged = fit.beta, fit.mu, fit.converged
    models: list[list[int]] = [[] for _ in range(B)]
    paths: list[list[dict[str, Any]]] | None = [[] for _ in range(B)] if record_path else None
    support = Y > 0
    active = np.ones(B, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        lam = mu[idx] @ cells_of.T.astype(float)
        pv = tail_p(nstar[idx], lam)
        pv[incl[idx]] = np.inf  # already in the model: not a candidate
        grow = []
        for r, b in enumerate(idx):
            order = np.lexsort((np.arange(P), pv[r]))
            chosen, refused = None, []
            for j in order:
                if not pv[r, j] < pthresh:
                    break
                code = sum(1 << int(i) for i in models[b]) | (1 << int(j))  # Python int: any P
                if _ierr(cache, k, X, Y[b], support[b], code, nstar[b]) == 0:
                    chosen = int(j)
                    break
                refused.append(int(j))
            if paths is not None:
                cand = np.flatnonzero(~incl[b])
                paths[b].append({
                    "model": [pairs[j] for j in models[b]],
                    "candidates": [pairs[j] for j in cand], "p": pv[r, cand].tolist(),
                    "refused": [pairs[j] for j in refused],
                    "added": None if chosen is None else pairs[chosen],
                })
            if chosen is None:
                active[b] = False
                continue
            incl[b, chosen] = True
            models[b].append(chosen)
            if nstar[b, chosen] > 0:
                colmask[b, 1 + k + chosen] = True
            else:
                rowmask[b] &= ~cells_of[chosen]
            grow.append(b)
        if grow:
            g = np.array(grow)
            refit = fit_poisson_batch(X, Y[g], colmask[g], rowmask[g], beta0=beta[g],
                                      want_cov=False)
            beta[g], mu[g], converged[g] = refit.beta, refit.mu, refit.converged
    # Models that entered passed the existence check; a table that stopped at main effects
    # has not been checked yet.  Where the MLE does not exist (e.g. a resample in which no two
    # lists overlap) the estimate is infinite, not whatever size the iterations reached.
    exists = converged.copy()
    for b in np.flatnonzero(~incl.any(axis=1)):
        exists[b] &= _ierr(cache, k, X, Y[b], support[b], 0, nstar[b]) == 0
    estimate = np.where(exists, Y.sum(axis=1) + np.exp(np.minimum(beta[:, 0], 700.0)), np.inf)
    return StepwiseBatch(estimate=estimate, models=models, paths=paths)


def _ierr(cache: IdentCache, k: int, X: np.ndarray, y: np.ndarray, support: np.ndarray,
          code: int, nstar: np.ndarray) -> int:
    """Existence/identifiability of the pair set ``code``; keyed by (pair set, support), which
    fixes the design (terms at -inf follow from the support) and hence the verdict."""
    key = (k, code, np.packbits(support).tobytes())
    hit = cache.keyed.get(key)
    if hit is None:
        include = np.array([(code >> j) & 1 for j in range(nstar.size)], dtype=bool)
        cols, keep = pair_model_masks(k, include, nstar > 0)
        hit = cache.keyed[key] = cache.check(X[keep][:, cols], y[keep])
    return hit


def stepwise_select(
    k: int, y: np.ndarray, pthresh: float = 0.02, cache: IdentCache | None = None
) -> tuple[ModelFit, list[dict[str, Any]]]:
    """Select on one table; return the final model refitted in full, and the selection path."""
    cache = cache or IdentCache()
    res = stepwise_batch(k, y, pthresh, cache, record_path=True)
    pairs = all_pairs(k)
    fit = fit_loglinear(k, y, [pairs[j] for j in res.models[0]], cache=cache)
    assert res.paths is not None  # record_path=True
    return fit, res.paths[0]


class Stepwise(MSEEstimator):
    """SparseMSE's stepwise selection (``estimatepopulation``, default ``pthresh = 0.02``)."""

    method = "stepwise"

    def __init__(self, pthresh: float = 0.02, ci: str = "profile", level: float = 0.95,
                 nboot: int = 1000, seed: int | None = 1234):
        super().__init__(ci=ci, level=level, nboot=nboot, seed=seed)
        if not 0 <= pthresh <= 1:
            raise InvalidSetting("pthresh must be between 0 and 1")
        self.pthresh = pthresh

    def _select(self, k: int, y: Array) -> tuple[ModelFit, dict[str, Any]]:
        fit, path = stepwise_select(k, y, self.pthresh, self.cache)
        return fit, {"pthresh": self.pthresh, "steps": len(path) - 1}

    def _estimate_batch(self, k: int, Y: Array) -> FloatArray:
        return stepwise_batch(k, Y, self.pthresh, self.cache).estimate
