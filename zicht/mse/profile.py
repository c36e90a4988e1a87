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
from scipy.special import chdtri, gammaln, xlogy

from .fitting import ModelFit
from .glm import fit_poisson, newton_warm


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
        quick = newton_warm(self.X, y, self.beta)
        if quick is not None:
            self.beta, deviance = quick
        else:
            res = fit_poisson(self.X, y, beta0=self.beta, tol=1e-13)
            deviance = float(res.deviance[0])
            if res.converged[0]:
                self.beta = res.beta[0]
        ct = xlogy(n0, n0) + gammaln(N + 1) - N * np.log(N) - gammaln(n0 + 1)
        value = float(-deviance / 2 + ct)
        self.cache[N] = value
        return value


def profile_ci(fit: ModelFit, level: float = 0.95, cap: float = 3.0) -> ProfileCI:
    """Profile-likelihood interval for the model of ``fit`` (its terms at -inf stay deleted).

    The maximiser is searched on (n, 1.5 N_hat) as Rcapture does, the bounds where the profile
    drops chi2_1(level)/2 below it, the upper one capped at ``cap`` x N_hat (Rcapture's
    ``fmaxSupCL``).  Root brackets start from the model-conditional (log-normal) limits, which
    are close, so each bound costs a handful of refits.
    """
    prof = _Profile(fit)
    n, nhat = float(prof.n), fit.estimate
    upper = max(1.5 * nhat, n + 1.0)
    neg = lambda N: -prof.loglik(min(max(N, n), upper))  # noqa: E731
    # Brent from a bracket at the Poisson estimate: the profile maximiser is close to it, so
    # parabolic steps converge in a few refits; bounded golden-section search as the fallback
    try:
        opt = minimize_scalar(neg, bracket=(max(n, 0.999 * nhat), nhat), method="brent",
                              options={"xtol": 1e-6})
        nmax = float(opt.x)
        ok = opt.success and n <= nmax <= upper
    except ValueError:
        ok = False
    if not ok:
        opt = minimize_scalar(neg, bounds=(n, upper), method="bounded",
                              options={"xatol": 1e-6 * upper})
        nmax = float(opt.x)
    cut = prof.loglik(nmax) - chdtri(1, 1 - level) / 2
    f = lambda N: prof.loglik(N) - cut  # noqa: E731
    wald_lo, wald_hi = fit.model_ci(level)
    low, low_at_bound = _root(f, nmax, min(max(wald_lo, n), nmax), n)
    high, high_at_bound = _root(f, nmax, max(wald_hi, nmax), cap * nhat)
    return ProfileCI(nmax, low, high, low_at_bound, high_at_bound)


def _root(f, inside: float, guess: float, edge: float) -> tuple[float, bool]:
    """The crossing of f between ``inside`` (f > 0) and ``edge``, searched from ``guess``.

    Returns (root, False), or (edge, True) when f stays positive up to the edge."""
    tol = 1e-7 * max(abs(inside), 1.0)
    a, b = inside, guess
    for _ in range(60):
        if abs(b - a) > 0 and f(b) <= 0:
            return float(brentq(f, a, b, xtol=tol)), False
        if b == edge:
            return float(edge), True
        a, b = b, b + 2.0 * (b - inside) if b != inside else edge
        b = min(b, edge) if edge > inside else max(b, edge)
    return float(edge), True
