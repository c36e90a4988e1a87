"""Latent-class multiple systems estimation: R package LCMCR 0.4.14 (Manrique-Vallier 2016).

The population is a truncated (K classes) stick-breaking Dirichlet-process mixture of latent
classes; within class k an individual is on list j independently with probability
``lambda[j, k]``.  With the prior p(N) ~ 1/N the posterior of N is explored by the Gibbs sampler
of ``lcmCR`` / ``lcmCR_PostSampl``, one sweep in the package's order (docs/METHODS.md section 5.4):

1. class counts of every observed cell, multinomial with probabilities
   ~ pi_k prod_j lambda_jk^x_j (1 - lambda_jk)^(1 - x_j);
2. ``lambda_jk ~ Beta(1 + #in, 1 + #out)``, the counts including the unobserved individuals'
   classes of the previous sweep;
3. sticks ``V_k ~ Beta(1 + n_k, alpha + sum_{l>k} n_l)`` over observed + unobserved;
4. ``p0 = sum_k pi_k prod_j (1 - lambda_jk)``, then ``n0 ~ NegBin(n, 1 - p0)``, redrawn while
   ``n0 > 20 n`` (so N <= 21 n);
5. the classes of the n0 unobserved, multinomial ~ pi_k prod_j (1 - lambda_jk);
6. ``alpha ~ Gamma(a_alpha + K - 1, rate b_alpha - log pi_K)``.

The sweep and its draws are compiled with numba in :mod:`zicht.mse.lcmcr_kernel`; this module
holds the sampler's driver (:func:`lcmcr_posterior`), the result and its diagnostics, and the
estimator (:class:`LCMCR`).  Like the package the sampler works on the aggregated table (count
of individuals per class in each observed cell), so a sweep costs O(cells * K * J) whatever n
is, and it keeps ``lambda`` and ``pi`` on the log scale.  The draws are exact but not drawn as
GSL draws them: a Beta with a shape of 1 (an empty class) in closed form, others as Gamma
ratios, on the log scale when a shape is below 1 (the tiny ``alpha`` of the last sticks); a
multinomial as one categorical draw per individual for up to 8 individuals, else as conditional
binomials, heaviest class first.
When ``n0`` keeps landing above the cap (64 redraws in a row: nearly all the negative binomial's
mass is above it) it is drawn exactly from the truncated law by inversion instead of redrawing
on; ``details`` counts both (``n0_cap_redraws``, ``n0_cap_exact_draws``).

Initialisation follows LCMCR 0.4.14 (``CNPLCM_CR_Basic_Freq::Initializes``): class weights from
Beta(1, 1) sticks (the package overwrites ``nuK`` afterwards, but the sampler reads ``log_nuK``,
which keeps the random sticks), ``lambda_jk`` = the observed share of list j for every class,
``n0 = 0``, ``alpha = 0.3 / K``; then 500 warm-up sweeps with ``alpha`` held fixed, after which
the classes are relabelled by decreasing weight.  The burn-in and the kept sweeps follow.  The
warm-up is not counted in ``burnin`` (as in R, where ``lcmCR`` runs it before
``lcmCR_PostSampl``).

Python does not reproduce R's chain (R uses GSL's generator); the posterior quantiles agree
within Monte Carlo error (tests/mse/test_lcmcr.py).  Given ``seed`` the chain is reproducible.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .base import Estimator, FitSettings, check_level
from .data import as_capture_histories
from .errors import MSEInputError
from .lcmcr_kernel import (  # noqa: F401  (the draws are re-exported for the tests)
    N0_CAP,
    _draw_n0,
    _init_sticks,
    _multinomial,
    _sweeps,
    _truncated_negbin,
)
from .posterior import PosteriorResult
from .result import _num

METHOD = "LCMCR"
WARMUP = 500  # warm-up sweeps of lcmCR's initialisation (alpha fixed)
_CHUNK = 5_000  # sweeps per kernel call when a progress bar is shown


# -- the result ------------------------------------------------------------------------------------
@dataclass
class LCMCRResult(PosteriorResult):
    """Posterior draws of the population size N from :func:`lcmcr_posterior`; ``estimate`` is
    the posterior median, ``ci`` the equal-tailed interval at ``level`` (R's type-7
    quantiles, as ``quantile()`` on ``lcmCR_PostSampl``'s draws)."""

    lists: tuple[str, ...]
    observed: int
    K: int
    samples: np.ndarray  # kept draws of N (int64)
    alpha: np.ndarray  # kept draws of the Dirichlet-process concentration
    details: dict[str, Any] = field(default_factory=dict)
    level: float = 0.95

    method = METHOD
    ci_method = "posterior quantiles (MCMC)"

    def quantile(self, q: float) -> float:
        """Posterior quantile, R's type 7 (``quantile()``'s default; NumPy's ``linear``)."""
        q = float(q)
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile level must be in [0, 1], got {q}")
        return float(np.quantile(self.samples, q))

    @property
    def mean(self) -> float:
        return float(np.mean(self.samples))

    @property
    def sd(self) -> float:
        """Posterior standard deviation (n - 1 denominator, as R's ``sd``)."""
        return float(np.std(self.samples, ddof=1)) if self.samples.size > 1 else float("nan")

    @property
    def ess(self) -> float:
        """Effective sample size of the kept N draws (Geyer's initial monotone sequence)."""
        return effective_sample_size(self.samples)

    @property
    def share_at_cap(self) -> float:
        """Share of the kept draws at the sampler's cap N = 21 x observed (a boundary)."""
        cap = self.details.get("n0_cap", N0_CAP * self.observed) + self.observed
        return float(np.mean(self.samples >= cap))

    @property
    def model_label(self) -> str:
        return f"up to {self.K} latent classes, lists independent within a class"

    def _summary_rows(self) -> dict[str, Any]:
        return {"posterior sd": round(self.sd, 2), "classes (K)": self.K,
                "draws": int(self.samples.size), "effective sample size": round(self.ess, 1),
                "seed": self.details.get("settings", {}).get("seed")}

    def _dict_extra(self) -> dict[str, Any]:
        return {"K": self.K, "sd": self.sd, "ess": self.ess, "n_draws": int(self.samples.size),
                "alpha_mean": float(np.mean(self.alpha)), "share_at_cap": self.share_at_cap,
                "model": self.model_label, **{k: _plain(v) for k, v in self.details.items()}}

    def to_dict(self, draws: bool = False) -> dict[str, Any]:
        """JSON-ready dict; ``draws=True`` adds the kept draws of N."""
        out = super().to_dict()
        if draws:
            out["draws"] = [int(v) for v in self.samples]
        return out

    def plot(self) -> Any:
        """Trace of N over the kept draws next to its histogram (Altair chart)."""
        import altair as alt

        frame = pd.DataFrame({"draw": np.arange(1, self.samples.size + 1), "N": self.samples})
        lo, hi = self.ci
        trace = alt.Chart(frame).mark_line(strokeWidth=0.7).encode(
            x=alt.X("draw:Q", title="kept draw"),
            y=alt.Y("N:Q", title="N", scale=alt.Scale(zero=False)),
        ).properties(width=420, height=240, title="trace")
        hist = alt.Chart(frame).mark_bar().encode(
            x=alt.X("N:Q", bin=alt.Bin(maxbins=40), title="N"),
            y=alt.Y("count():Q", title="draws"),
        ).properties(width=300, height=240, title="posterior of N")
        rules = alt.Chart(pd.DataFrame({"N": [lo, self.median, hi]})).mark_rule(
            color="firebrick", strokeDash=[4, 3]
        ).encode(x="N:Q")
        title = alt.TitleParams(
            f"{METHOD} (K = {self.K}): median {self.median:,.0f}, "
            f"{self.level:.0%} interval {lo:,.0f} - {hi:,.0f}",
            subtitle=[f"{self.samples.size} draws, effective sample size {self.ess:,.0f}"],
        )
        return alt.hconcat(trace, hist + rules).properties(title=title)


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return _num(v)
    return v


# -- diagnostics -----------------------------------------------------------------------------------
def effective_sample_size(draws: ArrayLike) -> float:
    """ESS of one chain by Geyer's (1992) initial monotone sequence estimator.

    Autocorrelations from the FFT; sums of adjacent pairs are kept while positive and made
    non-increasing; ESS = n / (-1 + 2 sum).  Capped at n (an antithetic chain is not credited
    with more draws than it has).  NaN for fewer than 4 draws or a constant chain.
    """
    x = np.asarray(draws, dtype=float)
    n = x.size
    if n < 4:
        return float("nan")
    x = x - x.mean()
    size = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(x, size)
    acov = np.fft.irfft(f * np.conjugate(f), size)[:n] / n
    if acov[0] <= 0:
        return float("nan")
    rho = acov / acov[0]
    pairs = rho[: n - n % 2].reshape(-1, 2).sum(axis=1)
    stop = np.flatnonzero(pairs <= 0)
    pairs = pairs[: stop[0]] if stop.size else pairs
    pairs = np.minimum.accumulate(pairs)
    tau = -1.0 + 2.0 * pairs.sum()
    return float(min(n / tau, n)) if tau > 0 else float(n)


def quantile_mcse(draws: ArrayLike, q: float) -> float:
    """Monte Carlo standard error of the type-7 quantile ``q`` of one chain.

    The ESS of the indicator 1{draw <= quantile} gives the SE of the tail probability,
    sqrt(q (1 - q) / ESS); it is carried to the N scale through the empirical quantile function
    (half the width of quantile(q +- SE)), as Stan's ``mcse_quantile`` does.
    """
    x = np.asarray(draws, dtype=float)
    qq = np.quantile(x, q)
    ind = (x <= qq).astype(float)
    ess = effective_sample_size(ind)
    if not math.isfinite(ess):
        ess = x.size
    se = math.sqrt(q * (1 - q) / ess)
    lo, hi = np.quantile(x, [max(q - se, 0.0), min(q + se, 1.0)])
    return float((hi - lo) / 2)


# -- the sampler -----------------------------------------------------------------------------------
def lcmcr_posterior(table: Any, K: int = 10, a_alpha: float = 0.25, b_alpha: float = 0.25,
                    burnin: int = 10_000, samples: int = 1_000, thinning: int = 100,
                    seed: int | None = 123, progress: bool = False) -> LCMCRResult:
    """Posterior draws of N under LCMCR's latent-class model (``lcmCR`` + ``lcmCR_PostSampl``).

    ``K`` latent classes (truncation), ``alpha ~ Gamma(a_alpha, b_alpha)`` (shape, rate);
    ``burnin`` sweeps after lcmCR's 500 warm-up sweeps, then ``samples`` draws kept every
    ``thinning`` sweeps.  ``seed=None`` draws a fresh seed (recorded in ``details``).

    ``details``: ``settings``, ``sweeps`` (warm-up included), ``seconds`` (wall), ``cpu_seconds``
    (CPU time of the calling thread, which runs the kernel), ``n0_cap`` (= 20 n),
    ``n0_cap_redraws`` / ``n0_cap_exact_draws`` (see the module docstring), ``cells``.
    Thread-safe: the kernel releases the GIL and each call has its own generator.
    """
    tab = as_capture_histories(table)
    K = _int_setting("K", K, 2)
    burnin = _int_setting("burnin", burnin, 0)
    samples = _int_setting("samples", samples, 1)
    thinning = _int_setting("thinning", thinning, 1)
    for name, v in (("a_alpha", a_alpha), ("b_alpha", b_alpha)):
        if isinstance(v, bool) or not isinstance(v, int | float | np.number) \
                or not math.isfinite(v) or v <= 0:
            raise MSEInputError(f"{name} must be a positive number, got {v!r}")
    if seed is None:
        entropy = np.random.SeedSequence().entropy  # an int when drawn fresh
        seed = int(entropy) if isinstance(entropy, int) else 0
    seed = _int_setting("seed", seed, 0)

    # aggregate the observed cells (drop zero counts, merge repeated patterns)
    keep = tab.counts > 0
    pats = tab.patterns[keep].astype(np.int64)
    cnts = tab.counts[keep]
    cells, inverse = np.unique(pats, axis=0, return_inverse=True)
    freq = np.bincount(inverse.ravel(), weights=cnts, minlength=len(cells)).astype(np.int64)
    n = int(freq.sum())
    if n == 0:
        raise MSEInputError("nobody is observed: every count in the table is 0")
    if N0_CAP * n >= 2**62:
        raise MSEInputError(f"{n} observed individuals is too many for this sampler")
    x = np.ascontiguousarray(cells, dtype=np.int64)
    n_lists = x.shape[1]

    t_wall, t_cpu = time.perf_counter(), time.thread_time()  # the kernel runs in this thread
    rng = np.random.default_rng(seed)  # PCG64; numba draws from it inside the kernel
    log_nu = _init_sticks(rng, K)
    share = (freq @ x) / n
    log_lam = np.empty((n_lists, K, 2))
    with np.errstate(divide="ignore"):
        log_lam[:, :, 1] = np.log(share)[:, None]
        log_lam[:, :, 0] = np.log1p(-share)[:, None]
    cnt = np.zeros((len(x), K), dtype=np.int64)
    cnt0 = np.zeros(K, dtype=np.int64)
    fstate = np.array([0.3 / K])
    istate = np.zeros(5, dtype=np.int64)
    out_n = np.zeros(samples, dtype=np.int64)
    out_alpha = np.zeros(samples)
    a_alpha, b_alpha = float(a_alpha), float(b_alpha)

    def run(n_sweeps: int, update_alpha: bool, record: bool, bar: tuple[Any, Any] | None
            ) -> None:
        step = _CHUNK if bar is not None else n_sweeps
        done = 0
        while done < n_sweeps:
            k = min(step, n_sweeps - done)
            _sweeps(rng, x, freq, n, log_lam, log_nu, cnt, cnt0, fstate, istate, k, update_alpha,
                    record, thinning, a_alpha, b_alpha, out_n, out_alpha)
            done += k
            if bar is not None:
                bar[0].advance(bar[1], k)

    total = WARMUP + burnin + samples * thinning
    bar = None
    if progress:
        from rich.console import Console
        from rich.progress import Progress

        prog = Progress(console=Console(stderr=True), transient=True)
        prog.start()
        bar = (prog, prog.add_task(f"{METHOD} sweeps", total=total))
    try:
        run(WARMUP, False, False, bar)
        # relabel the classes by decreasing weight, as lcmCR after its warm-up
        order = np.argsort(-log_nu, kind="stable")
        log_nu[:] = log_nu[order]
        log_lam[:] = log_lam[:, order, :]
        cnt[:] = cnt[:, order]
        cnt0[:] = cnt0[order]
        run(burnin, True, False, bar)
        run(samples * thinning, True, True, bar)
    finally:
        if bar is not None:
            bar[0].stop()
    seconds = time.perf_counter() - t_wall
    cpu = time.thread_time() - t_cpu

    return LCMCRResult(
        lists=tab.lists, observed=n, K=K, samples=out_n, alpha=out_alpha,
        details={
            "settings": {"K": K, "a_alpha": a_alpha, "b_alpha": b_alpha, "burnin": burnin,
                         "samples": samples, "thinning": thinning, "seed": seed,
                         "warmup": WARMUP},
            "sweeps": total,
            "seconds": seconds,
            "cpu_seconds": cpu,
            "n0_cap": N0_CAP * n,
            "n0_cap_redraws": int(istate[1]),
            "n0_cap_exact_draws": int(istate[4]),
            "cells": len(x),
        },
    )


def _int_setting(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        if isinstance(value, float | np.floating) and float(value).is_integer():
            value = int(value)
        else:
            raise MSEInputError(f"{name} must be a whole number, got {value!r}")
    if value < minimum:
        raise MSEInputError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


class LCMCR(Estimator[LCMCRResult]):
    """Latent-class MSE as an estimator: ``LCMCR(K=10, seed=123).fit(table)`` (the settings of
    :func:`lcmcr_posterior`; the defaults are the help-page example the references used).  The
    interval is always the posterior's at ``level`` (``ci`` is accepted so that every estimator
    takes the same settings)."""

    method = METHOD
    ci_methods = None

    def __init__(self, K: int = 10, a_alpha: float = 0.25, b_alpha: float = 0.25,
                 burnin: int = 10_000, samples: int = 1_000, thinning: int = 100,
                 seed: int | None = 123, ci: str = "posterior", level: float = 0.95):
        self.K, self.a_alpha, self.b_alpha = K, a_alpha, b_alpha
        self.burnin, self.samples, self.thinning = burnin, samples, thinning
        self.seed = seed
        self.ci = ci
        self.level = check_level(level)

    @property
    def settings(self) -> dict[str, Any]:
        """The sampler's settings, as :func:`lcmcr_posterior` takes them."""
        return {"K": self.K, "a_alpha": self.a_alpha, "b_alpha": self.b_alpha,
                "burnin": self.burnin, "samples": self.samples, "thinning": self.thinning,
                "seed": self.seed}

    def _fit(self, data: Any, settings: FitSettings) -> LCMCRResult:
        """Posterior of N and its interval at ``level``."""
        result = lcmcr_posterior(data, progress=settings.progress,
                                 **{**self.settings, "seed": settings.seed})
        result.level = settings.level
        return result
