"""Fitting log-linear Poisson models on the 2^k - 1 observable cells, with SparseMSE's extended MLE.

log mu_w = a0 + sum_{i in w} a_i + sum_{terms t inside w} a_t.  The dark figure (the unobserved
cell) is exp(a0) and the population estimate is n_obs + exp(a0).

A term whose lists share no observed individual (an empty overlap) has its MLE at minus
infinity.  As SparseMSE does, such a term is fitted by deleting every cell that contains all its
lists and dropping its column; it still counts as a parameter in AIC, BIC and df.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtri

from .design import Term, cells_containing, design_matrix
from .glm import fit_poisson
from .identifiability import MESSAGES, IdentCache


@dataclass
class ModelFit:
    """One fitted log-linear model (all numbers, no presentation)."""

    k: int
    y: np.ndarray  # observed cell counts, (2^k - 1,)
    terms: list[Term]  # finite interaction terms, in the order given
    minus_inf: list[Term]  # terms at minus infinity (empty overlap)
    X: np.ndarray  # design over all cells: intercept, mains, finite terms, extra
    rowmask: np.ndarray  # cells kept in the fit
    beta: np.ndarray
    cov: np.ndarray  # unscaled inverse Fisher information
    mu: np.ndarray  # fitted means over all cells (0 where deleted)
    deviance: float
    loglik: float
    ierr: int
    converged: bool
    extra_names: list[str] = field(default_factory=list)

    @property
    def n_obs(self) -> int:
        return int(self.y.sum())

    @property
    def n_params(self) -> int:
        """Parameters, counting each term at minus infinity as one (SparseMSE, Rcapture)."""
        return int(self.X.shape[1]) + len(self.minus_inf)

    @property
    def dark_figure(self) -> float:
        return float(np.exp(self.beta[0]))

    @property
    def estimate(self) -> float:
        return self.n_obs + self.dark_figure

    @property
    def intercept_se(self) -> float:
        return float(np.sqrt(max(self.cov[0, 0], 0.0)))

    @property
    def stderr(self) -> float:
        """Rcapture's standard error of N: sqrt(exp(b0) + exp(2 b0) Var(b0))."""
        d = self.dark_figure
        return float(np.sqrt(d + d * d * self.cov[0, 0]))

    @property
    def aic(self) -> float:
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        """Rcapture's BIC: AIC + (log n - 2) * parameters, n = observed individuals."""
        return -2.0 * self.loglik + float(np.log(self.n_obs)) * self.n_params

    @property
    def df(self) -> int:
        return int(self.y.size - self.n_params)

    @property
    def ok(self) -> bool:
        return self.ierr == 0

    @property
    def problem(self) -> str:
        return MESSAGES[self.ierr]

    def model_ci(self, level: float = 0.95) -> tuple[float, float]:
        """SparseMSE's model-conditional interval: n + exp(quantiles of N(a0, se0^2))."""
        z = ndtri(0.5 + level / 2)
        b0, se = self.beta[0], self.intercept_se
        return (self.n_obs + float(np.exp(b0 - z * se)), self.n_obs + float(np.exp(b0 + z * se)))


def overlaps(k: int, y: np.ndarray, terms: Sequence[Term]) -> dict[Term, int]:
    """Observed number of individuals on all lists of each term."""
    return {t: int(y[cells_containing(k, t)].sum()) for t in terms}


def fit_loglinear(
    k: int,
    y: np.ndarray,
    terms: Sequence[Term] = (),
    extra: np.ndarray | None = None,
    extra_names: Sequence[str] = (),
    cache: IdentCache | None = None,
    beta0: np.ndarray | None = None,
    check: bool = True,
) -> ModelFit:
    """Fit the model with main effects plus ``terms`` (and optional extra cell covariates).

    Terms with an empty overlap go to minus infinity.  ``ierr`` reports the existence and
    identifiability verdict; the fit is still returned so that callers can show what it gives,
    but estimators refuse to report an estimate when ``ierr != 0``.
    """
    y = np.asarray(y, dtype=float)
    terms = list(terms)
    ov = overlaps(k, y, terms)
    finite = [t for t in terms if ov[t] > 0]
    minus_inf = [t for t in terms if ov[t] == 0]
    rowmask = np.ones(y.size, dtype=bool)
    for t in minus_inf:
        rowmask &= ~cells_containing(k, t)
    X = design_matrix(k, finite, extra)
    ierr = (cache or IdentCache()).check(X[rowmask], y[rowmask]) if check else 0
    fit = fit_poisson(X, y, rowmask=rowmask, beta0=beta0)
    return ModelFit(
        k=k, y=y, terms=finite, minus_inf=minus_inf, X=X, rowmask=rowmask,
        beta=fit.beta[0], cov=fit.cov[0], mu=fit.mu[0], deviance=float(fit.deviance[0]),
        loglik=float(fit.loglik[0]), ierr=ierr, converged=bool(fit.converged[0]),
        extra_names=list(extra_names),
    )
