"""The multinomial profile-likelihood interval of a ``closedp.0`` fit (Rcapture ``closedpCI.0``)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import chdtri, digamma, gammaln, xlogy

from ..glm import poisson_deviance
from ..profile import ProfileCI
from .fit import FrequencyFit


class _Profile:
    """l(N) = -deviance/2 + Cormack's correction, the unobserved cell c = 0 added with count
    N - n, an intercept-only design row and offset 0 (Rcapture ``closedpCI.0``), and
    dl/dN = log mu0 + digamma(N + 1) - log N - digamma(N - n + 1) (envelope theorem)."""

    def __init__(self, fit: FrequencyFit):
        self.n = fit.n_obs
        e0 = np.zeros((1, fit.X.shape[1]))
        e0[0, 0] = 1.0
        self.X = np.vstack([e0, fit.X])
        self.offset = np.concatenate([[0.0], fit.offset])
        self.y_obs = fit.y
        self.beta = fit.beta.copy()
        self.cache: dict[float, tuple[float, float]] = {}

    def _fit(self, y: np.ndarray) -> tuple[float, float]:
        """Newton-Raphson with step halving from the last solution: (deviance, log mu0)."""
        X, off = self.X, self.offset
        beta = self.beta.copy()

        def dev_of(b: np.ndarray) -> float:
            with np.errstate(over="ignore"):
                return float(poisson_deviance(y, np.exp(np.minimum(X @ b + off, 700.0))))

        dev = dev_of(beta)
        for _ in range(200):
            mu = np.exp(np.minimum(X @ beta + off, 700.0))
            H = (X.T * mu) @ X
            try:
                step = np.linalg.solve(H, X.T @ (y - mu))
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(H, X.T @ (y - mu), rcond=None)[0]
            for _half in range(40):
                new_dev = dev_of(beta + step)
                if np.isfinite(new_dev) and new_dev <= dev + 1e-12 * (1 + abs(dev)):
                    break
                step = step / 2
            beta, old = beta + step, dev
            dev = new_dev
            if np.abs(step).max() < 1e-10 * (1 + np.abs(beta).max()) or abs(old - dev) < 1e-13:
                break
        if np.isfinite(beta).all():
            self.beta = beta
        return dev, float(beta[0])

    def __call__(self, N: float) -> tuple[float, float]:
        N = float(N)
        if N not in self.cache:
            n0 = max(N - self.n, 0.0)
            dev, log_mu0 = self._fit(np.concatenate([[n0], self.y_obs]))
            ct = xlogy(n0, n0) + gammaln(N + 1) - N * np.log(N) - gammaln(n0 + 1)
            grad = log_mu0 + digamma(N + 1) - np.log(N) - digamma(n0 + 1)
            self.cache[N] = (float(-dev / 2 + ct), float(grad))
        return self.cache[N]


def frequency_profile_ci(fit: FrequencyFit, level: float = 0.95, cap: float = 3.0) -> ProfileCI:
    """Profile-likelihood interval for N of a ``closedp.0`` fit (Rcapture ``closedpCI.0``):
    the maximiser on (n, cap x N_hat), the bounds where the profile drops chi2_1(level)/2 below
    it, the upper one capped at ``cap`` x N_hat (Rcapture's ``fmaxSupCL``)."""
    prof = _Profile(fit)
    n, nhat = float(prof.n), fit.estimate
    top = max(cap * nhat, n + 1.0)
    xtol = 1e-9 * nhat
    def slope(N: float) -> float:
        return prof(N)[1]

    if slope(n) <= 0:
        nmax = n
    elif slope(top) >= 0:
        nmax = top
    else:
        nmax = brentq(slope, n, top, xtol=xtol)
    cut = float(prof(nmax)[0] - chdtri(1, 1 - level) / 2)
    def f(N: float) -> float:
        return prof(N)[0] - cut

    if nmax == n or f(n) > 0:
        low, low_at_bound = n, True
    else:
        low, low_at_bound = brentq(f, n, nmax, xtol=xtol), False
    if nmax == top or f(top) > 0:
        high, high_at_bound = top, True
    else:
        high, high_at_bound = brentq(f, nmax, top, xtol=xtol), False
    return ProfileCI(float(nmax), float(low), float(high), low_at_bound, high_at_bound)
