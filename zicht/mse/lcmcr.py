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

Several chains (``chains``, 4 by default) run in parallel threads, each from its own generator
(chain 1 from ``seed`` itself, the others from ``SeedSequence(seed).spawn``), and their draws
are pooled for the estimate and the interval.  A single chain can sit in one mode of a bimodal
posterior for the whole run (the Dutch 6-list table: docs/ESTIMATION.md, "LCMCR: several chains
and R-hat"); the chains' disagreement shows in the rank-normalised split R-hat, computed with
ArviZ with the bulk and tail effective sample sizes.  R-hat above 1.01 (or a bulk ESS below
100) marks the result as *poor mixing*.
"""

from __future__ import annotations

import importlib
import math
import os
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

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
CHAINS = 4  # chains run by default
RHAT_MAX = 1.01  # rank-normalised split R-hat above this: poor mixing
MIN_ESS = 100  # bulk effective sample size below this: poor mixing


# -- the result ------------------------------------------------------------------------------------
@dataclass
class LCMCRResult(PosteriorResult):
    """Posterior draws of the population size N from :func:`lcmcr_posterior`; ``estimate`` is
    the posterior median, ``ci`` the equal-tailed interval at ``level`` (R's type-7
    quantiles, as ``quantile()`` on ``lcmCR_PostSampl``'s draws), both of the draws of all
    ``chains`` pooled.  ``samples`` holds the chains one after the other (``chain_samples``:
    one row per chain)."""

    lists: tuple[str, ...]
    observed: int
    K: int
    samples: np.ndarray  # kept draws of N (int64), the chains one after the other
    alpha: np.ndarray  # kept draws of the Dirichlet-process concentration, likewise
    details: dict[str, Any] = field(default_factory=dict)
    level: float = 0.95
    chains: int = 1
    _diagnostics: dict[str, float] | None = field(default=None, init=False, repr=False,
                                                  compare=False)

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

    # -- the chains and their diagnostics --------------------------------------------------------
    @property
    def chain_samples(self) -> np.ndarray:
        """The kept draws of N, one row per chain."""
        if self.chains < 1 or self.samples.size % self.chains:
            raise ValueError(f"{self.samples.size} draws do not split into {self.chains} chains")
        return self.samples.reshape(self.chains, -1)

    @property
    def chain_medians(self) -> list[float]:
        """The posterior median of each chain on its own."""
        return [float(np.median(row)) for row in self.chain_samples]

    @property
    def diagnostics(self) -> dict[str, float]:
        """``rhat``, ``ess_bulk``, ``ess_tail`` of the N draws, computed once (see
        :func:`mixing_diagnostics`)."""
        if self._diagnostics is None:
            self._diagnostics = mixing_diagnostics(self.chain_samples)
        return self._diagnostics

    @property
    def rhat(self) -> float:
        """Rank-normalised split R-hat of N (ArviZ); NaN when it cannot be computed."""
        return self.diagnostics["rhat"]

    @property
    def ess_bulk(self) -> float:
        """Bulk effective sample size of N over all chains (ArviZ)."""
        return self.diagnostics["ess_bulk"]

    @property
    def ess_tail(self) -> float:
        """Tail effective sample size of N over all chains (ArviZ: the smaller of the 5 % and
        95 % quantiles')."""
        return self.diagnostics["ess_tail"]

    @property
    def ess(self) -> float:
        """Effective sample size of the kept N draws: the bulk ESS (:attr:`ess_bulk`)."""
        return self.ess_bulk

    @property
    def mixing_problems(self) -> list[str]:
        """Why the chains cannot be trusted, in words: R-hat above 1.01 (the chains, or the
        halves of one chain, disagree) or a bulk ESS below 100.  Empty when neither."""
        out = []
        if math.isfinite(self.rhat) and self.rhat > RHAT_MAX:
            if self.chains > 1:
                medians = ", ".join(f"{m:,.0f}" for m in self.chain_medians)
                out.append(f"R-hat {self.rhat:.3f} > {RHAT_MAX}: the {self.chains} chains "
                           f"(or their halves) disagree, chain medians {medians}")
            else:
                out.append(f"R-hat {self.rhat:.3f} > {RHAT_MAX}: the chain's halves disagree")
        if math.isfinite(self.ess_bulk) and self.ess_bulk < MIN_ESS:
            out.append(f"bulk ESS {self.ess_bulk:,.0f} < {MIN_ESS}")
        return out

    @property
    def poor_mixing(self) -> bool:
        """True when :attr:`mixing_problems` names a problem (R-hat > 1.01 or bulk ESS < 100):
        the estimate depends on where the chains happened to be; run longer chains."""
        return bool(self.mixing_problems)

    @property
    def share_at_cap(self) -> float:
        """Share of the kept draws at the sampler's cap N = 21 x observed (a boundary)."""
        cap = self.details.get("n0_cap", N0_CAP * self.observed) + self.observed
        return float(np.mean(self.samples >= cap))

    @property
    def model_label(self) -> str:
        return f"up to {self.K} latent classes, lists independent within a class"

    def _summary_rows(self) -> dict[str, Any]:
        rows: dict[str, Any] = {
            "posterior sd": round(self.sd, 2), "classes (K)": self.K, "chains": self.chains,
            "draws (all chains)": int(self.samples.size),
            "chain medians": "; ".join(f"{m:,.0f}" for m in self.chain_medians),
            "R-hat (rank-normalised, split)": _fmt3(self.rhat),
            "effective sample size (bulk / tail)":
                f"{_fmt0(self.ess_bulk)} / {_fmt0(self.ess_tail)}",
            "seed": self.details.get("settings", {}).get("seed"),
        }
        problems = self.mixing_problems
        rows["mixing"] = ("poor mixing: " + "; ".join(problems) + "; run longer chains"
                          if problems else "ok")
        return rows

    def _dict_extra(self) -> dict[str, Any]:
        return {"K": self.K, "sd": self.sd, "chains": self.chains, "rhat": _num(self.rhat),
                "ess_bulk": _num(self.ess_bulk), "ess_tail": _num(self.ess_tail),
                "poor_mixing": self.poor_mixing, "mixing_problems": self.mixing_problems,
                "chain_medians": self.chain_medians, "n_draws": int(self.samples.size),
                "alpha_mean": float(np.mean(self.alpha)), "share_at_cap": self.share_at_cap,
                "model": self.model_label, **{k: _plain(v) for k, v in self.details.items()}}

    def to_dict(self, draws: bool = False) -> dict[str, Any]:
        """JSON-ready dict; ``draws=True`` adds the kept draws of N."""
        out = super().to_dict()
        if draws:
            out["draws"] = [int(v) for v in self.samples]
        return out

    def plot(self) -> Any:
        """Trace of N over the kept draws, one line per chain, next to the histogram of the
        pooled draws (Altair chart)."""
        import altair as alt

        per_chain = self.chain_samples
        frame = pd.DataFrame({
            "draw": np.tile(np.arange(1, per_chain.shape[1] + 1), self.chains),
            "chain": np.repeat(np.arange(1, self.chains + 1), per_chain.shape[1]),
            "N": self.samples})
        lo, hi = self.ci
        trace = alt.Chart(frame).mark_line(strokeWidth=0.7).encode(
            x=alt.X("draw:Q", title="kept draw"),
            y=alt.Y("N:Q", title="N", scale=alt.Scale(zero=False)),
            color=alt.Color("chain:N", title="chain"),
        ).properties(width=420, height=240, title="trace")
        hist = alt.Chart(frame).mark_bar().encode(
            x=alt.X("N:Q", bin=alt.Bin(maxbins=40), title="N"),
            y=alt.Y("count():Q", title="draws"),
        ).properties(width=300, height=240, title="posterior of N (chains pooled)")
        rules = alt.Chart(pd.DataFrame({"N": [lo, self.median, hi]})).mark_rule(
            color="firebrick", strokeDash=[4, 3]
        ).encode(x="N:Q")
        title = alt.TitleParams(
            f"{METHOD} (K = {self.K}): median {self.median:,.0f}, "
            f"{self.level:.0%} interval {lo:,.0f} - {hi:,.0f}",
            subtitle=[f"{self.chains} chain(s), {self.samples.size} draws, R-hat "
                      f"{_fmt3(self.rhat)}, bulk ESS {_fmt0(self.ess_bulk)}"
                      + ("  - poor mixing" if self.poor_mixing else "")],
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
def _fmt3(x: float) -> str:
    return f"{x:.3f}" if math.isfinite(x) else "-"


def _fmt0(x: float) -> str:
    return f"{x:,.0f}" if math.isfinite(x) else "-"


def mixing_diagnostics(draws: np.ndarray) -> dict[str, float]:
    """Rank-normalised split R-hat and the bulk and tail ESS of ``draws`` (one row per chain),
    from ArviZ (``arviz.rhat(method="rank")``, ``arviz.ess(method="bulk" / "tail")``; Vehtari
    et al. 2021).  ESS is of all chains together.

    R-hat compares the halves of every chain.  ArviZ refuses R-hat for a single chain, so one
    chain is handed over as its two halves (ArviZ splits each again: R-hat over its quarters);
    it then detects a chain that moves between modes or drifts, but not one that stays in one
    mode throughout - only several chains show that.  NaN where a value cannot be computed
    (fewer than 4 draws per split chain)."""
    x = np.asarray(draws, dtype=float)
    if x.ndim != 2:
        raise ValueError("draws must have one row per chain")
    out = {"rhat": math.nan, "ess_bulk": math.nan, "ess_tail": math.nan}
    if x.shape[1] < 4:
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ArviZ announces its 1.0 refactor on import
        # imported here: ArviZ takes seconds to import; untyped, hence Any
        arviz: Any = importlib.import_module("arviz")
        out["ess_bulk"] = float(arviz.ess(x, method="bulk"))
        out["ess_tail"] = float(arviz.ess(x, method="tail"))
        halves = x
        if x.shape[0] == 1:
            half = x.shape[1] // 2
            halves = np.vstack([x[0, x.shape[1] - 2 * half:][:half], x[0, -half:]])
        if halves.shape[1] >= 4:
            out["rhat"] = float(arviz.rhat(halves, method="rank"))
    return out

# -- the sampler -----------------------------------------------------------------------------------
@dataclass
class _Chain:
    """One chain's kept draws and counters (what :func:`_run_chain` returns)."""

    n: np.ndarray
    alpha: np.ndarray
    cap_redraws: int
    cap_exact_draws: int
    seconds: float
    cpu_seconds: float


def lcmcr_posterior(table: Any, K: int = 10, a_alpha: float = 0.25, b_alpha: float = 0.25,
                    burnin: int = 10_000, samples: int = 1_000, thinning: int = 100,
                    seed: int | None = 123, chains: int = CHAINS,
                    progress: bool = False) -> LCMCRResult:
    """Posterior draws of N under LCMCR's latent-class model (``lcmCR`` + ``lcmCR_PostSampl``).

    ``K`` latent classes (truncation), ``alpha ~ Gamma(a_alpha, b_alpha)`` (shape, rate);
    ``burnin`` sweeps after lcmCR's 500 warm-up sweeps, then ``samples`` draws kept every
    ``thinning`` sweeps, in each of ``chains`` chains; the draws of all chains are pooled
    (``samples * chains`` draws in the result).  ``seed=None`` draws a fresh seed (recorded in
    ``details``).

    The chains run in parallel threads (at most one per core; the kernel releases the GIL),
    each with its own generator: chain 1 from ``seed`` itself - so ``chains=1`` is the single
    chain of earlier versions, and chain 1 of several is that chain - and the others from
    ``np.random.SeedSequence(seed).spawn(chains - 1)``.  One ``seed`` reproduces every chain,
    whatever the threads' timing.  ``chains=1`` is allowed: R-hat then compares the chain's
    halves (see :func:`mixing_diagnostics`), which cannot see a chain that never leaves one mode.

    ``details``: ``settings``, ``sweeps`` (per chain, warm-up included), ``seconds`` (wall, all
    chains), ``cpu_seconds`` (CPU time of the threads that ran the chains, summed),
    ``chain_seconds`` (wall time of each chain), ``n0_cap`` (= 20 n), ``n0_cap_redraws`` /
    ``n0_cap_exact_draws`` (see the module docstring; summed over the chains), ``cells``.
    Thread-safe: each call has its own generators.
    """
    tab = as_capture_histories(table)
    K = _int_setting("K", K, 2)
    burnin = _int_setting("burnin", burnin, 0)
    samples = _int_setting("samples", samples, 1)
    thinning = _int_setting("thinning", thinning, 1)
    chains = _int_setting("chains", chains, 1)
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
    a_alpha, b_alpha = float(a_alpha), float(b_alpha)

    root = np.random.SeedSequence(seed)
    seeds = [root, *root.spawn(chains - 1)]
    total = WARMUP + burnin + samples * thinning
    t_wall = time.perf_counter()
    bar = None
    if progress:
        from rich.console import Console
        from rich.progress import Progress

        prog = Progress(console=Console(stderr=True), transient=True)
        prog.start()
        label = f"{METHOD} sweeps" + (f" ({chains} chains)" if chains > 1 else "")
        bar = (prog, prog.add_task(label, total=total * chains))

    def one(seq: np.random.SeedSequence) -> _Chain:
        return _run_chain(np.random.default_rng(seq), x, freq, K, burnin, samples, thinning,
                          a_alpha, b_alpha, bar)

    try:
        workers = min(chains, _cores())
        if workers == 1:
            runs = [one(seq) for seq in seeds]
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="lcmcr-chain") as pool:
                runs = list(pool.map(one, seeds))
    finally:
        if bar is not None:
            bar[0].stop()
    seconds = time.perf_counter() - t_wall

    return LCMCRResult(
        lists=tab.lists, observed=n, K=K, chains=chains,
        samples=np.concatenate([r.n for r in runs]),
        alpha=np.concatenate([r.alpha for r in runs]),
        details={
            "settings": {"K": K, "a_alpha": a_alpha, "b_alpha": b_alpha, "burnin": burnin,
                         "samples": samples, "thinning": thinning, "seed": seed,
                         "chains": chains, "warmup": WARMUP},
            "sweeps": total,
            "seconds": seconds,
            "cpu_seconds": sum(r.cpu_seconds for r in runs),
            "chain_seconds": [r.seconds for r in runs],
            "n0_cap": N0_CAP * n,
            "n0_cap_redraws": sum(r.cap_redraws for r in runs),
            "n0_cap_exact_draws": sum(r.cap_exact_draws for r in runs),
            "cells": len(x),
        },
    )


def _cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _run_chain(rng: np.random.Generator, x: np.ndarray, freq: np.ndarray, K: int, burnin: int,
               samples: int, thinning: int, a_alpha: float, b_alpha: float,
               bar: tuple[Any, Any] | None) -> _Chain:
    """One chain from LCMCR's initialisation: warm-up, relabelling, burn-in, kept sweeps."""
    t_wall, t_cpu = time.perf_counter(), time.thread_time()  # the kernel runs in this thread
    n = int(freq.sum())
    n_lists = x.shape[1]
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

    def run(n_sweeps: int, update_alpha: bool, record: bool) -> None:
        step = _CHUNK if bar is not None else n_sweeps
        done = 0
        while done < n_sweeps:
            k = min(step, n_sweeps - done)
            _sweeps(rng, x, freq, n, log_lam, log_nu, cnt, cnt0, fstate, istate, k, update_alpha,
                    record, thinning, a_alpha, b_alpha, out_n, out_alpha)
            done += k
            if bar is not None:
                bar[0].advance(bar[1], k)  # rich's Progress is thread-safe

    run(WARMUP, False, False)
    # relabel the classes by decreasing weight, as lcmCR after its warm-up
    order = np.argsort(-log_nu, kind="stable")
    log_nu[:] = log_nu[order]
    log_lam[:] = log_lam[:, order, :]
    cnt[:] = cnt[:, order]
    cnt0[:] = cnt0[order]
    run(burnin, True, False)
    run(samples * thinning, True, True)
    return _Chain(out_n, out_alpha, int(istate[1]), int(istate[4]),
                  time.perf_counter() - t_wall, time.thread_time() - t_cpu)


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
    :func:`lcmcr_posterior`; the defaults are the help-page example the references used, run
    as ``chains`` = 4 chains in parallel, pooled; ``chains=1`` is the single chain R runs).
    The interval is always the posterior's at ``level`` (``ci`` is accepted so that every
    estimator takes the same settings)."""

    method = METHOD
    ci_methods = None

    def __init__(self, K: int = 10, a_alpha: float = 0.25, b_alpha: float = 0.25,
                 burnin: int = 10_000, samples: int = 1_000, thinning: int = 100,
                 seed: int | None = 123, chains: int = CHAINS, ci: str = "posterior",
                 level: float = 0.95):
        self.K, self.a_alpha, self.b_alpha = K, a_alpha, b_alpha
        self.burnin, self.samples, self.thinning = burnin, samples, thinning
        self.seed = seed
        self.chains = chains
        self.ci = ci
        self.level = check_level(level)

    @property
    def settings(self) -> dict[str, Any]:
        """The sampler's settings, as :func:`lcmcr_posterior` takes them."""
        return {"K": self.K, "a_alpha": self.a_alpha, "b_alpha": self.b_alpha,
                "burnin": self.burnin, "samples": self.samples, "thinning": self.thinning,
                "seed": self.seed, "chains": self.chains}

    def _fit(self, data: Any, settings: FitSettings) -> LCMCRResult:
        """Posterior of N and its interval at ``level``."""
        result = lcmcr_posterior(data, progress=settings.progress,
                                 **{**self.settings, "seed": settings.seed})
        result.level = settings.level
        return result
