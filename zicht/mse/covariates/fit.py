"""One fitted covariate log-linear model, its variances and log-normal intervals."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import ndtri

from ..design import cell_patterns
from ..errors import EstimateNotAvailable
from ..glm import fit_poisson
from ..identifiability import MESSAGES, IdentCache
from .blocked import Blocks, blocked_ierr, fit_blocked
from .data import StratifiedHistories
from .design import _Design
from .terms import CovTerm, hierarchical_closure

# per stratum low and high, and the total's interval
Intervals = tuple[np.ndarray, np.ndarray, tuple[float, float]]


@dataclass
class CovariateFit:
    """One fitted covariate log-linear model (numbers only)."""

    data: StratifiedHistories
    terms: list[CovTerm]  # finite terms
    minus_inf: list[CovTerm]
    names: list[str]  # column names of X
    X: np.ndarray | Blocks  # (S * M, q) the model's columns (blocked on large designs)
    rowmask: np.ndarray
    y: np.ndarray  # (S * M,)
    beta: np.ndarray
    cov: np.ndarray
    mu: np.ndarray
    deviance: float
    loglik: float
    n_params: int
    ierr: int
    converged: bool
    hint: str = ""

    @property
    def S(self) -> int:
        return self.data.n_strata

    @property
    def observed(self) -> np.ndarray:
        return self.data.observed.astype(float)

    @property
    def n_obs(self) -> int:
        return self.data.n_observed

    @property
    def dark(self) -> np.ndarray:
        """Fitted unobserved count per stratum, exp(gamma_s)."""
        return np.asarray(np.exp(np.minimum(self.beta[: self.S], 700.0)))

    @property
    def estimates(self) -> np.ndarray:
        return np.asarray(self.observed + self.dark)

    @property
    def estimate(self) -> float:
        return float(self.estimates.sum())

    @property
    def var_strata(self) -> np.ndarray:
        """Var(N_hat_s - N_s) = d_s + d_s^2 Var(gamma_s)."""
        d = self.dark
        return np.asarray(d + d * d * np.clip(np.diag(self.cov)[: self.S], 0, None))

    @property
    def var_total(self) -> float:
        d = self.dark
        return float(d.sum() + max(d @ self.cov[: self.S, : self.S] @ d, 0.0))

    @property
    def aic(self) -> float:
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        """As Rcapture and :class:`~zicht.mse.fitting.ModelFit`: log(observed) per parameter."""
        return -2.0 * self.loglik + math.log(self.n_obs) * self.n_params

    @property
    def df(self) -> int:
        return int(self.y.size - self.n_params)

    @property
    def problem(self) -> str:
        return MESSAGES[self.ierr] + (f" ({self.hint})" if self.hint else "")

    def term_names(self, terms: Iterable[CovTerm] | None = None) -> list[str]:
        d = self.data
        return [t.name(d.lists, d.covariates) for t in (self.terms if terms is None else terms)]

    def intervals(self, level: float) -> Intervals:
        """Log-normal intervals per stratum and for the total."""
        lo, hi = lognormal_interval(self.observed, self.dark, self.var_strata, level)
        tot = lognormal_interval(np.array([float(self.n_obs)]), np.array([self.dark.sum()]),
                                 np.array([self.var_total]), level)
        return lo, hi, (float(tot[0][0]), float(tot[1][0]))


def lognormal_interval(n: ArrayLike, d: ArrayLike, var: ArrayLike, level: float = 0.95
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Chao's log-normal interval n + d / C .. n + d C, C = exp(z sqrt(log(1 + var / d^2)))."""
    na, da, va = (np.asarray(a, dtype=float) for a in (n, d, var))
    z = ndtri(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.exp(z * np.sqrt(np.log1p(np.where(da > 0, va / (da * da), 0.0))))
    return na + da / c, na + da * c


def _empty_margins(data: StratifiedHistories, terms: Iterable[CovTerm], limit: int = 3) -> str:
    """Why an MLE does not exist, in words: a list (or set of lists) that saw nobody in some
    level combination of a term's covariates."""
    pats = cell_patterns(data.k).astype(bool)
    out = []
    for t in terms:
        if not t.covs:
            continue
        on = pats[:, list(t.lists)].all(axis=1)
        per_stratum = data.cells[:, on].sum(axis=1)
        keys = data.strata[[data.covariates[j] for j in t.covs]]
        sums = pd.Series(per_stratum).groupby([keys[c] for c in keys.columns]).sum()
        for lv, n in sums.items():
            if n == 0:
                lv = lv if isinstance(lv, tuple) else (lv,)
                where = ", ".join(f"{c}={v!r}" for c, v in zip(keys.columns, lv, strict=True))
                who = " and ".join(data.lists[i] for i in t.lists)
                out.append(f"nobody on {who} with {where}, so "
                           f"{t.name(data.lists, data.covariates)} has no finite MLE")
    return "; ".join(out[:limit])


def fit_covariate_model(data: StratifiedHistories, terms: Iterable[CovTerm],
                        cache: IdentCache | None = None, design: _Design | None = None,
                        beta0: np.ndarray | None = None) -> CovariateFit:
    """Fit the covariate model with ``terms`` (closed under hierarchy first)."""
    terms = hierarchical_closure(terms)
    design = design if design is not None and set(terms) <= set(design.terms) \
        else _Design(data, terms)
    y = data.cells.ravel().astype(float)
    cols, rows, finite, minus_inf, n_params = design.masks(terms, y)
    start = None if beta0 is None else beta0[cols]
    X: np.ndarray | Blocks
    if design.dense_ok(int(cols.sum())):
        X = design.X[:, cols]
        ierr = (cache or IdentCache()).check(X[rows], y[rows])
        fit = fit_poisson(X, y, rowmask=rows, beta0=start)
    else:
        X = design.blocks_of(cols)
        ierr = blocked_ierr(X, y, rows)
        fit = fit_blocked(X, y, rowmask=rows, beta0=start)
    return CovariateFit(
        data=data, terms=finite, minus_inf=minus_inf,
        names=[n for n, c in zip(design.names, cols, strict=True) if c], X=X, rowmask=rows,
        y=y, beta=fit.beta[0], cov=fit.cov[0], mu=fit.mu[0], deviance=float(fit.deviance[0]),
        loglik=float(fit.loglik[0]), n_params=n_params, ierr=ierr,
        converged=bool(fit.converged[0]), hint=_empty_margins(data, finite) if ierr else "")


def _refuse(method: str, fit: CovariateFit) -> None:
    if fit.ierr:
        raise EstimateNotAvailable(f"{method}: {fit.problem}", fit.ierr)
    if not fit.converged:
        raise EstimateNotAvailable(f"{method}: the fit did not converge")
