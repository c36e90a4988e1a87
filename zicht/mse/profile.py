"""Profile-likelihood confidence interval for N, as Rcapture's ``closedpCI.t``.

For a trial population size N the unobserved cell gets count N - n and a design row with only
the intercept; the Poisson GLM is refitted on all 2^k cells.  The multinomial profile
log-likelihood is -deviance/2 + Cormack's (1992) correction
log(n0^n0 N! / (N^N n0!)), n0 = N - n.  Its maximiser is the "CI abundance"; the interval is
where it stays within chi2_1(level)/2 of the maximum (Baillargeon & Rivest 2007).  Rcapture
uses Stirling's formula for N! when N > 100; we use the exact log-gamma, which differs by less
than 1e-3 of a log-likelihood unit for such N.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import gammaln, xlogy
from scipy.stats import chi2

from .fitting import ModelFit
from .glm import fit_poisson


@dataclass
class ProfileCI:
    estimate: float  # the multinomial profile maximiser
    low: float
    high: float
    low_at_bound: bool  # the profile stays above the cut down to N = n
    high_at_bound: bool  # no upper root below the search cap


class _Profile:
    def __init__(self, fit: ModelFit):
        self.n = fit.n_obs
        keep = fit.rowmask
        zero_row = np.zeros((1, fit.X.shape[1]))
        zero_row[0, 0] = 1.0
        self.X = np.vstack([zero_row, fit.X[keep]])
        self.y_obs = fit.y[keep]
        self.beta = fit.beta.copy()
        self.cache: dict[float, float] = {}

    def loglik(self, N: float) -> float:
        if N in self.cache:
            return self.cache[N]
        n0 = max(N - self.n, 0.0)
        y = np.concatenate([[n0], self.y_obs])
        res = fit_poisson(self.X, y, beta0=self.beta, tol=1e-13)
        if res.converged[0]:
            self.beta = res.beta[0]
        ct = xlogy(n0, n0) + gammaln(N + 1) - N * np.log(N) - gammaln(n0 + 1)
        value = float(-res.deviance[0] / 2 + ct)
        self.cache[N] = value
        return value


def profile_ci(fit: ModelFit, level: float = 0.95, cap: float = 3.0) -> ProfileCI:
    """Profile-likelihood interval for the model of ``fit`` (its terms at -inf stay deleted)."""
    prof = _Profile(fit)
    n, nhat = prof.n, fit.estimate
    upper = max(1.5 * nhat, n + 1.0)
    opt = minimize_scalar(
        lambda N: -prof.loglik(N), bounds=(n, upper), method="bounded",
        options={"xatol": 1e-8 * upper},
    )
    nmax = float(opt.x)
    cut = prof.loglik(nmax) - chi2.ppf(level, 1) / 2
    f = lambda N: prof.loglik(N) - cut  # noqa: E731
    if f(n) > 0:
        low, low_at_bound = float(n), True
    else:
        low, low_at_bound = brentq(f, n, nmax, xtol=1e-9 * nmax), False
    top = cap * nhat
    if f(top) > 0:
        high, high_at_bound = float(top), True
    else:
        high, high_at_bound = brentq(f, nmax, top, xtol=1e-9 * nmax), False
    return ProfileCI(nmax, float(low), float(high), low_at_bound, high_at_bound)
