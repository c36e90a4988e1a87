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

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.special import chdtri, digamma, gammaln, xlogy

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
    """The profile log-likelihood l(N) and its derivative, one refit per new N.

    By the envelope theorem dl/dN needs no derivative of the refitted coefficients:
    dl/dN = log mu0 + digamma(N + 1) - log N - digamma(n0 + 1), with mu0 = exp(b0) the fitted
    unobserved cell.  With it the maximiser and both bounds are found by safeguarded Newton
    steps (a dozen or two refits in all) instead of derivative-free searches.
    """

    def __init__(self, fit: ModelFit):
        self.n = fit.n_obs
        keep = fit.rowmask
        zero_row = np.zeros((1, fit.X.shape[1]))
        zero_row[0, 0] = 1.0
        self.X = np.vstack([zero_row, fit.X[keep]])
        self.y_obs = fit.y[keep]
        self.beta = fit.beta.copy()
        self.at = float(fit.estimate)  # the N that self.beta belongs to (about)
        self.slope: np.ndarray | None = None  # d beta / dN there
        self.cache: dict[float, tuple[float, float]] = {}

    def __call__(self, N: float) -> tuple[float, float]:
        """(l(N), dl/dN)."""
        N = float(N)
        if N in self.cache:
            return self.cache[N]
        n0 = max(N - self.n, 0.0)
        y = np.concatenate([[n0], self.y_obs])
        # start from the linear prediction beta(N) ~ beta(N') + (N - N') d beta/dN, where
        # d beta/dN = H^-1 e_0 (only the unobserved cell's count moves, and its row is e_0)
        start = self.beta if self.slope is None else self.beta + (N - self.at) * self.slope
        quick = newton_warm(self.X, y, start)
        if quick is not None:
            self.beta, deviance, H = quick
            self.at = N
            e0 = np.zeros(H.shape[0])
            e0[0] = 1.0
            try:
                self.slope = np.linalg.solve(H, e0)
            except np.linalg.LinAlgError:
                self.slope = None
        else:
            res = fit_poisson(self.X, y, beta0=self.beta, tol=1e-13)
            deviance = float(res.deviance[0])
            if res.converged[0]:
                self.beta, self.at, self.slope = res.beta[0], N, None
        ct = xlogy(n0, n0) + gammaln(N + 1) - N * np.log(N) - gammaln(n0 + 1)
        grad = self.beta[0] + digamma(N + 1) - np.log(N) - digamma(n0 + 1)
        self.cache[N] = out = (float(-deviance / 2 + ct), float(grad))
        return out

    def loglik(self, N: float) -> float:
        return self(N)[0]


def profile_ci(fit: ModelFit, level: float = 0.95, cap: float = 3.0) -> ProfileCI:
    """Profile-likelihood interval for the model of ``fit`` (its terms at -inf stay deleted).

    The maximiser is searched on (n, 1.5 N_hat) as Rcapture does, the bounds where the profile
    drops chi2_1(level)/2 below it, the upper one capped at ``cap`` x N_hat (Rcapture's
    ``fmaxSupCL``).  Searches start from the Poisson estimate and the model-conditional
    (log-normal) limits, which are close.
    """
    prof = _Profile(fit)
    n, nhat = float(prof.n), fit.estimate
    upper = max(1.5 * nhat, n + 1.0)
    # the profile is concave in N: its maximiser is where the derivative crosses zero, close to
    # the Poisson estimate; look upwards or downwards from there (N = n itself is a hard fit)
    start = min(max(nhat, n), upper)
    if prof(start)[1] > 0:
        nmax, _ = _crossing(lambda N: prof(N)[1], start, start + 0.01 * (upper - start), upper,
                            slope=None)
    else:
        nmax, _ = _crossing(lambda N: -prof(N)[1], start, start - 0.01 * (start - n), n,
                            slope=None)
    cut = prof.loglik(nmax) - chdtri(1, 1 - level) / 2
    f = lambda N: prof(N)[0] - cut  # noqa: E731
    wald_lo, wald_hi = fit.model_ci(level)
    low, low_at_bound = _crossing(f, nmax, min(max(wald_lo, n), nmax), n, slope=prof)
    top = cap * nhat
    high, high_at_bound = _crossing(f, nmax, min(max(wald_hi, nmax), top), top, slope=prof)
    return ProfileCI(nmax, low, high, low_at_bound, high_at_bound)


def _crossing(f: Callable[[float], float], inside: float, guess: float, edge: float,
              slope: Callable[[float], tuple[float, float]] | None) -> tuple[float, bool]:
    """Where f falls from > 0 at ``inside`` to <= 0 towards ``edge``, searched from ``guess``.

    With the profile's derivative (``slope``): Newton steps from the guess.  The profile is
    concave, so a step from where f > 0 lands just past the root and later steps come back
    monotonically; a step leaving the bracket is replaced by bisection.  Without a derivative,
    or if Newton stalls: widen from the guess until the sign changes, then Brent's method.
    Returns (root, False), or (edge, True) when f stays positive up to the edge.
    """
    tol = 1e-7 * max(abs(inside), 1.0)
    lo, hi, hi_known = inside, edge, False
    guess = min(max(guess, min(inside, edge)), max(inside, edge))  # never search past the edge
    if slope is not None and guess != inside:
        x = guess
        for _ in range(40):
            fx = f(x)
            if fx > 0:
                lo = x
            else:
                hi, hi_known = x, True
            d = slope(x)[1]
            nxt = x - fx / d if d != 0 else np.nan
            if not (min(lo, hi) < nxt < max(lo, hi)):
                if not hi_known:
                    break
                nxt = 0.5 * (lo + hi)
            if abs(nxt - x) < tol:
                return float(nxt), False
            x = nxt
    if hi_known:
        return float(brentq(f, lo, hi, xtol=tol)), False
    a, b = lo, guess if lo == inside else lo + 2.0 * (lo - inside)
    if b == a:
        b = edge
    while True:  # widen until the sign changes or the edge is reached
        b = min(b, edge) if edge > inside else max(b, edge)
        if f(b) <= 0:
            return float(brentq(f, a, b, xtol=tol)), False
        if b == edge:
            return float(edge), True
        a, b = b, b + 2.0 * (b - inside)
