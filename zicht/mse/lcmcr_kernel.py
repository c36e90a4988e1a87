"""The numba kernel of the LCMCR Gibbs sampler (:mod:`zicht.mse.lcmcr`): one sweep in the
package's order, and the exact draws it needs (Beta and Gamma on the log scale, multinomial,
truncated negative binomial).  See :mod:`zicht.mse.lcmcr` for the model and the sweep.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

# Hand-written sampler compiled with numba: no Python library implements the LCMCR model (PyMC
# and friends have neither the count-per-cell class updates nor the truncated negative binomial
# step for N), and a sweep is a few hundred scalar draws, which only a compiled loop does at R's
# speed (110,000 sweeps in ~1.5-3.7 CPU seconds).  The kernel draws from a NumPy Generator
# (PCG64, seeded by ``seed``) passed in as an argument: reproducible, and the state carries over
# between the chunks of sweeps run under a progress bar.
from numba import njit
from numpy.random import Generator

from ._types import FloatArray, IntArray

N0_CAP = 20  # n0 is redrawn while n0 > N0_CAP * n, as in LCMCR 0.4.14
_MAX_REDRAWS = 64  # then draw the truncated negative binomial exactly by inversion
_SMALL_CELL = 8  # cells up to this count: one categorical draw per individual

F = TypeVar("F", bound=Callable[..., Any])


def jit(**options: Any) -> Callable[[F], F]:
    """``numba.njit(cache=True, **options)``, typed: the compiled function keeps the Python
    function's signature for the type checker (numba itself has no type hints)."""

    def wrap(func: F) -> F:
        return cast(F, njit(cache=True, **options)(func))

    return wrap


@jit()
def _gamma(rng: Generator, a: float) -> float:
    """Gamma(a, 1), a > 0."""
    return rng.gamma(a, 1.0)


@jit()
def _log_gamma(rng: Generator, a: float) -> float:
    """Log of a Gamma(a, 1) draw; for a < 1 via Gamma(a) = Gamma(a + 1) U^(1/a) (no underflow)."""
    if a < 1.0:
        u = 1.0 - rng.random()  # (0, 1]
        return math.log(max(_gamma(rng, a + 1.0), 1e-300)) + math.log(u) / a
    return math.log(max(_gamma(rng, a), 1e-300))


@jit()
def _log_beta(rng: Generator, a: float, b: float) -> tuple[float, float]:
    """(log V, log(1 - V)) of V ~ Beta(a, b); closed form when a or b is 1 (empty classes)."""
    if a == 1.0:  # 1 - V = U^(1/b)
        lb = math.log1p(-rng.random()) / b
        return math.log(-math.expm1(lb)) if lb < 0.0 else -np.inf, lb
    if b == 1.0:  # V = U^(1/a)
        la = math.log1p(-rng.random()) / a
        return la, math.log(-math.expm1(la)) if la < 0.0 else -np.inf
    if a >= 1.0 and b >= 1.0:  # no underflow: Gamma(>= 1) draws are not near 0
        ga = _gamma(rng, a)
        gb = _gamma(rng, b)
        if ga > 0.0 and gb > 0.0:
            s = ga + gb
            return math.log(ga / s), math.log(gb / s)
    la = _log_gamma(rng, a)
    lb = _log_gamma(rng, b)
    hi = max(la, lb)
    ls = hi + math.log1p(math.exp(-abs(la - lb)))
    return la - ls, lb - ls


@jit()
def _multinomial(rng: Generator, total: int, w: FloatArray, norm: float, out: IntArray,
                 order: IntArray) -> None:
    """``out`` ~ Multinomial(total, w / norm), w >= 0 unnormalised; ``order`` is work space."""
    kk = w.shape[0]
    for k in range(kk):
        out[k] = 0
    if total <= _SMALL_CELL:  # one categorical draw per individual
        for _ in range(total):
            u = rng.random() * norm
            k = 0
            c = w[0]
            while c <= u and k < kk - 1:
                k += 1
                c += w[k]
            out[k] += 1
        return
    # conditional binomials (as gsl_ran_multinomial), heaviest classes first so that the
    # remainder is usually used up after a few draws
    for k in range(kk):
        order[k] = k
    for k in range(1, kk):
        i = order[k]
        h = k - 1
        while h >= 0 and w[order[h]] < w[i]:
            order[h + 1] = order[h]
            h -= 1
        order[h + 1] = i
    rem = total
    left = norm
    for h in range(kk - 1):
        k = order[h]
        wk = w[k]
        if rem == 0 or wk <= 0.0:
            break
        p = wk / left
        x = rem if p >= 1.0 else rng.binomial(rem, p)
        out[k] = x
        rem -= x
        left -= wk
    out[order[kk - 1]] += rem


@jit()
def _truncated_negbin(rng: Generator, n: float, p0: float, cap: int) -> int:
    """n0 ~ NegBin(n, 1 - p0) conditioned on n0 <= cap, exactly, by inversion.

    The pmf is log-concave, so its weights relative to the (truncated) mode fall off
    geometrically on both sides; terms below 1e-18 of the mode are dropped.  Cost O(spread),
    not O(cap).  f(k + 1) / f(k) = (n + k) p0 / (k + 1).
    """
    m = (n - 1.0) * p0 / (1.0 - p0) if p0 < 1.0 else np.inf
    mode = cap if m >= cap else int(m)
    lo = mode  # weights relative to f(mode) = 1; f(lo) = w_lo
    w_lo = 1.0
    total = 1.0
    while lo > 0:
        w = w_lo * lo / ((n + lo - 1.0) * p0)
        if w < 1e-18:
            break
        lo -= 1
        w_lo = w
        total += w
    hi = mode
    w = 1.0
    while hi < cap:
        w *= (n + hi) * p0 / (hi + 1.0)
        if w < 1e-18:
            break
        hi += 1
        total += w
    u = rng.random() * total
    c = 0.0
    w = w_lo
    k = lo
    while k < hi:
        c += w
        if c > u:
            return k
        w *= (n + k) * p0 / (k + 1.0)
        k += 1
    return hi


@jit()
def _draw_n0(rng: Generator, n: int, p0: float, cap: int, istate: IntArray) -> int:
    """NegBin(n, 1 - p0) redrawn while above ``cap`` (istate[1] counts redraws)."""
    if p0 <= 0.0:
        return 0
    if p0 < 1.0:
        odds = p0 / (1.0 - p0)
        for _ in range(_MAX_REDRAWS):
            lam = _gamma(rng, float(n)) * odds  # Gamma-Poisson mixture, as GSL
            if lam < 1e15:
                k = rng.poisson(lam)
                if k <= cap:
                    return k
            istate[1] += 1
    istate[4] += 1  # nearly all mass above the cap: exact draw of the truncated law
    return _truncated_negbin(rng, n, p0, cap)


@jit(nogil=True)
def _sweeps(rng: Generator, x: IntArray, freq: IntArray, n: int, log_lam: FloatArray,
            log_nu: FloatArray, cnt: IntArray, cnt0: IntArray, fstate: FloatArray,
            istate: IntArray, n_sweeps: int, update_alpha: bool,
            record: bool, thin: int, a_alpha: float, b_alpha: float, out_n: IntArray,
            out_alpha: FloatArray) -> None:
    """Run ``n_sweeps`` Gibbs sweeps, updating the state arrays in place.

    x (M, J) 0/1 observed cells, freq (M,) their counts, n = freq.sum();
    log_lam (J, K, 2): log(1 - lambda), log(lambda); log_nu (K,) log class weights;
    cnt (M, K) class counts per cell; cnt0 (K,) classes of the unobserved;
    fstate = [alpha]; istate = [n0, n0 redraws, kept-phase sweeps, draws stored, exact draws].
    """
    m_cells, n_lists = x.shape
    kk = log_nu.shape[0]
    cap = N0_CAP * n
    lp = np.empty(kk)
    w = np.empty(kk)
    ones = np.empty((n_lists, kk), dtype=np.int64)
    zeros = np.empty((n_lists, kk), dtype=np.int64)
    count_k = np.empty(kk, dtype=np.int64)
    order = np.empty(kk, dtype=np.int64)
    for _ in range(n_sweeps):
        alpha = fstate[0]
        n0 = istate[0]
        # 1. classes of the observed individuals, cell by cell
        for m in range(m_cells):
            hi = -np.inf
            for k in range(kk):
                s = log_nu[k]
                for j in range(n_lists):
                    s += log_lam[j, k, x[m, j]]
                lp[k] = s
                if s > hi:
                    hi = s
            norm = 0.0
            for k in range(kk):
                w[k] = math.exp(lp[k] - hi)
                norm += w[k]
            _multinomial(rng, freq[m], w, norm, cnt[m], order)
        # 2. lambda from Beta(1 + #in, 1 + #out), the unobserved (previous sweep) all "out"
        for k in range(kk):
            for j in range(n_lists):
                ones[j, k] = 0
                zeros[j, k] = cnt0[k]
        for m in range(m_cells):
            for k in range(kk):
                c = cnt[m, k]
                if c:
                    for j in range(n_lists):
                        if x[m, j]:
                            ones[j, k] += c
                        else:
                            zeros[j, k] += c
        for j in range(n_lists):
            for k in range(kk):
                l1, l0 = _log_beta(rng, 1.0 + ones[j, k], 1.0 + zeros[j, k])
                log_lam[j, k, 1] = l1
                log_lam[j, k, 0] = l0
        # 3. sticks
        for k in range(kk):
            count_k[k] = cnt0[k]
        for m in range(m_cells):
            for k in range(kk):
                count_k[k] += cnt[m, k]
        acc = 0
        lacc = 0.0
        for k in range(kk - 1):
            acc += count_k[k]
            lv, l1v = _log_beta(rng, 1.0 + count_k[k], alpha + (n + n0 - acc))
            log_nu[k] = lv + lacc
            lacc += l1v
        log_nu[kk - 1] = lacc
        # 4. p0 and n0
        p0 = 0.0
        hi = -np.inf
        for k in range(kk):
            s = log_nu[k]
            for j in range(n_lists):
                s += log_lam[j, k, 0]
            lp[k] = s
            p0 += math.exp(s)
            if s > hi:
                hi = s
        n0 = _draw_n0(rng, n, p0, cap, istate)
        istate[0] = n0
        # 5. classes of the unobserved
        if n0 == 0:
            for k in range(kk):
                cnt0[k] = 0
        else:
            norm = 0.0
            for k in range(kk):
                w[k] = math.exp(lp[k] - hi)
                norm += w[k]
            _multinomial(rng, n0, w, norm, cnt0, order)
        # 6. alpha
        if update_alpha:
            alpha = _gamma(rng, a_alpha + kk - 1.0) / (b_alpha - log_nu[kk - 1])
            fstate[0] = alpha
        if record:
            istate[2] += 1
            if istate[2] % thin == 0:
                d = istate[3]
                out_n[d] = n + n0
                out_alpha[d] = alpha
                istate[3] = d + 1


@jit()
def _init_sticks(rng: Generator, kk: int) -> FloatArray:
    """Log weights from Beta(1, 1) sticks, as LCMCR's initialisation."""
    log_nu = np.empty(kk)
    lacc = 0.0
    for k in range(kk - 1):
        lv, l1v = _log_beta(rng, 1.0, 1.0)
        log_nu[k] = lv + lacc
        lacc += l1v
    log_nu[kk - 1] = lacc
    return log_nu
