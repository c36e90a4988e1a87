"""Many tables with the same strata at once (a simulation study, the parametric bootstrap)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import EstimateNotAvailable, MSEInputError
from ..glm import fit_poisson_batch
from ..identifiability import IdentCache
from .data import StratifiedHistories
from .design import _Design
from .fit import CovariateFit, Intervals, fit_covariate_model, lognormal_interval
from .terms import CovTerm


@dataclass
class BatchEstimates:
    """Estimates and log-normal intervals for B tables: arrays (B, S) and (B,)."""

    strata: np.ndarray
    strata_low: np.ndarray
    strata_high: np.ndarray
    total: np.ndarray
    total_low: np.ndarray
    total_high: np.ndarray
    ok: np.ndarray  # (B,) the MLE exists and the fit converged


def _fit_many(data: StratifiedHistories, terms: list[CovTerm], Y: np.ndarray, level: float,
              cache: IdentCache, chunk: int = 256, want_ci: bool = True) -> BatchEstimates:
    """Fit the model on every table of ``Y`` (B, S, M); one batched Newton run per chunk.

    Tables where a list x list term's overlap is empty (another design), and every table of a
    design too large to form densely (design.DENSE_LIMIT), are fitted one by one.
    """
    Y = np.asarray(Y, dtype=float)
    B, S, M = Y.shape
    if (S, M) != data.cells.shape:
        raise ValueError(f"Y must have shape (B, {data.cells.shape[0]}, {data.cells.shape[1]})")
    design = _Design(data, terms)
    Yf = Y.reshape(B, S * M)
    est = np.full((B, S), np.nan)
    lo, hi = np.full((B, S), np.nan), np.full((B, S), np.nan)
    tot, tlo, thi = np.full(B, np.nan), np.full(B, np.nan), np.full(B, np.nan)
    ok = np.zeros(B, dtype=bool)
    full_cols = design.masks(terms, np.ones(S * M))[0]
    # tables fitted one at a time: on a large design, and where a list x list overlap is empty
    dense = design.dense_ok(int(full_cols.sum()))
    X = design.X[:, full_cols] if dense else np.zeros((0, 0))
    simple = np.array([dense and all(y[design.cells_of(t)].any() for t in terms if t.pure)
                       and (y.reshape(S, M).sum(axis=1) > 0).all() for y in Yf])
    n = Y.sum(axis=2)
    for start in range(0, B, chunk):
        idx = np.flatnonzero(simple[start:start + chunk]) + start
        if idx.size == 0:
            continue
        fit = fit_poisson_batch(X, Yf[idx], want_cov=want_ci)
        d = np.exp(np.minimum(fit.beta[:, :S], 700.0))
        est[idx] = n[idx] + d
        tot[idx] = est[idx].sum(axis=1)
        exists = np.array([cache.check(X, y) == 0 for y in Yf[idx]])
        ok[idx] = fit.converged & exists
        if want_ci:
            cg = fit.cov[:, :S, :S]
            v = d + d * d * np.clip(np.diagonal(cg, axis1=1, axis2=2), 0, None)
            lo[idx], hi[idx] = lognormal_interval(n[idx], d, v, level)
            vt = d.sum(axis=1) + np.clip(np.einsum("bi,bij,bj->b", d, cg, d), 0, None)
            tlo[idx], thi[idx] = lognormal_interval(n[idx].sum(axis=1), d.sum(axis=1), vt,
                                                    level)
    for b in np.flatnonzero(~simple):
        if (Y[b].sum(axis=1) == 0).any():
            continue  # a stratum with nobody: no estimate for it (ok stays False)
        try:
            table = data.with_cells(Y[b].astype(np.int64))
        except MSEInputError:
            continue
        f = fit_covariate_model(table, terms, cache)
        ok[b] = f.ierr == 0 and f.converged
        est[b], tot[b] = f.estimates, f.estimate
        if want_ci:
            lo[b], hi[b], (tlo[b], thi[b]) = f.intervals(level)
    for a in (est, lo, hi):
        a[~ok] = np.nan
    for t in (tot, tlo, thi):
        t[~ok] = np.nan
    return BatchEstimates(est, lo, hi, tot, tlo, thi, ok)


def _parametric_bootstrap(fit: CovariateFit, terms: list[CovTerm], level: float, nboot: int,
                          seed: int | None, cache: IdentCache
                          ) -> tuple[Intervals, dict[str, Any]]:
    """Interval from the bootstrap distribution of the dark figure's relative error.

    Complete tables are drawn from the fitted model: observed cells y* ~ Poisson(mu_hat) and
    each stratum's unobserved count n0* ~ Poisson(d_hat).  Refitting gives D_hat*; the pivot
    r* = log(D_hat* + 1/2) - log(n0* + 1/2) (per stratum, and summed for the total) is the
    relative error of the predicted dark figure; the interval for the unobserved count is
    (D_hat + 1/2) exp(-r*_(hi)) - 1/2 .. (D_hat + 1/2) exp(-r*_(lo)) - 1/2, and n is added.
    Replicates whose MLE does not exist (a margin that happened to be empty) are left out and
    counted in ``failed_replicates``.
    """
    rng = np.random.default_rng(seed)
    S, M = fit.S, 2**fit.data.k - 1
    mu = fit.mu.reshape(S, M)
    d = fit.dark
    Y = rng.poisson(mu[None], size=(nboot, S, M))
    n0 = rng.poisson(d[None], size=(nboot, S))
    res = _fit_many(fit.data, terms, Y, level, cache, want_ci=False)
    ok = res.ok
    if ok.sum() < 10:
        raise EstimateNotAvailable("parametric bootstrap: fewer than 10 replicates have an MLE")
    dstar = res.strata[ok] - Y[ok].sum(axis=2)
    r = np.log(dstar + 0.5) - np.log(n0[ok] + 0.5)
    rt = np.log(dstar.sum(axis=1) + 0.5) - np.log(n0[ok].sum(axis=1) + 0.5)
    a = (1 - level) / 2
    n = fit.observed
    q_lo, q_hi = np.quantile(r, a, axis=0), np.quantile(r, 1 - a, axis=0)
    lo = n + np.maximum((d + 0.5) * np.exp(-q_hi) - 0.5, 0.0)
    hi = n + np.maximum((d + 0.5) * np.exp(-q_lo) - 0.5, 0.0)
    D, N = d.sum(), float(n.sum())
    tq_lo, tq_hi = np.quantile(rt, a), np.quantile(rt, 1 - a)
    total = (float(N + max((D + 0.5) * math.exp(-tq_hi) - 0.5, 0.0)),
             float(N + max((D + 0.5) * math.exp(-tq_lo) - 0.5, 0.0)))
    info = {"nboot": int(nboot), "seed": seed, "failed_replicates": int((~res.ok).sum())}
    return (lo, hi, total), info
