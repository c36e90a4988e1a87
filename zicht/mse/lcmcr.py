"""Latent-class multiple systems estimation: R package LCMCR 0.4.14 (Manrique-Vallier 2016).

The population is a truncated (K classes) stick-breaking Dirichlet-process mixture of latent
classes; within class k an individual is on list j independently with probability
``lambda[j, k]``.  With the prior p(N) ~ 1/N the posterior of N is explored by the Gibbs sampler
of ``lcmCR`` / ``lcmCR_PostSampl``, one sweep in the package's order (MSE_METHODS.md section 5.4):

1. class counts of every observed cell, multinomial with probabilities
   ~ pi_k prod_j lambda_jk^x_j (1 - lambda_jk)^(1 - x_j);
2. ``lambda_jk ~ Beta(1 + #in, 1 + #out)``, the counts including the unobserved individuals'
   classes of the previous sweep;
3. sticks ``V_k ~ Beta(1 + n_k, alpha + sum_{l>k} n_l)`` over observed + unobserved;
4. ``p0 = sum_k pi_k prod_j (1 - lambda_jk)``, then ``n0 ~ NegBin(n, 1 - p0)``, redrawn while
   ``n0 > 20 n`` (so N <= 21 n);
5. the classes of the n0 unobserved, multinomial ~ pi_k prod_j (1 - lambda_jk);
6. ``alpha ~ Gamma(a_alpha + K - 1, rate b_alpha - log pi_K)``.

Like the package the sampler works on the aggregated table (count of individuals per class in
each observed cell), so a sweep costs O(cells * K * J) whatever n is, and it keeps ``lambda`` and
``pi`` on the log scale.  The draws are exact but not drawn as GSL draws them: a Beta with a
shape of 1 (an empty class) in closed form, others as Gamma ratios, on the log scale when a
shape is below 1 (the tiny ``alpha`` of the last sticks); a multinomial as one categorical draw
per individual for up to 8 individuals, else as conditional binomials, heaviest class first.
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
within Monte Carlo error (tests/test_lcmcr.py).  Given ``seed`` the chain is reproducible.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# Hand-written sampler compiled with numba: no Python library implements the LCMCR model (PyMC
# and friends have neither the count-per-cell class updates nor the truncated negative binomial
# step for N), and a sweep is a few hundred scalar draws, which only a compiled loop does at R's
# speed (110,000 sweeps in ~1.5-3.7 CPU seconds).  The kernel draws from a NumPy Generator
# (PCG64, seeded by ``seed``) passed in as an argument: reproducible, and the state carries over
# between the chunks of sweeps run under a progress bar.
from numba import njit

from .data import as_capture_histories
from .errors import MSEInputError
from .posterior import PosteriorResult
from .result import _num

METHOD = "LCMCR"
WARMUP = 500  # warm-up sweeps of lcmCR's initialisation (alpha fixed)
N0_CAP = 20  # n0 is redrawn while n0 > N0_CAP * n, as in LCMCR 0.4.14
_MAX_REDRAWS = 64  # then draw the truncated negative binomial exactly by inversion
_SMALL_CELL = 8  # cells up to this count: one categorical draw per individual
_CHUNK = 5_000  # sweeps per kernel call when a progress bar is shown


# -- the numba kernel ------------------------------------------------------------------------------
@njit(cache=True)
def _gamma(rng, a):
    """Gamma(a, 1), a > 0."""
    return rng.gamma(a, 1.0)


@njit(cache=True)
def _log_gamma(rng, a):
    """Log of a Gamma(a, 1) draw; for a < 1 via Gamma(a) = Gamma(a + 1) U^(1/a) (no underflow)."""
    if a < 1.0:
        u = 1.0 - rng.random()  # (0, 1]
        return math.log(max(_gamma(rng, a + 1.0), 1e-300)) + math.log(u) / a
    return math.log(max(_gamma(rng, a), 1e-300))


@njit(cache=True)
def _log_beta(rng, a, b):
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


@njit(cache=True)
def _multinomial(rng, total, w, norm, out, order):
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


@njit(cache=True)
def _truncated_negbin(rng, n, p0, cap):
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


@njit(cache=True)
def _draw_n0(rng, n, p0, cap, istate):
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


@njit(cache=True, nogil=True)
def _sweeps(rng, x, freq, n, log_lam, log_nu, cnt, cnt0, fstate, istate, n_sweeps, update_alpha,
            record, thin, a_alpha, b_alpha, out_n, out_alpha):
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


@njit(cache=True)
def _init_sticks(rng, kk):
    """Log weights from Beta(1, 1) sticks, as LCMCR's initialisation."""
    log_nu = np.empty(kk)
    lacc = 0.0
    for k in range(kk - 1):
        lv, l1v = _log_beta(rng, 1.0, 1.0)
        log_nu[k] = lv + lacc
        lacc += l1v
    log_nu[kk - 1] = lacc
    return log_nu


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

    def quantile(self, q) -> float:
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

    def _summary_rows(self):
        return {"posterior sd": round(self.sd, 2), "classes (K)": self.K,
                "draws": int(self.samples.size), "effective sample size": round(self.ess, 1),
                "seed": self.details.get("settings", {}).get("seed")}

    def _dict_extra(self):
        return {"K": self.K, "sd": self.sd, "ess": self.ess, "n_draws": int(self.samples.size),
                "alpha_mean": float(np.mean(self.alpha)), "share_at_cap": self.share_at_cap,
                "model": self.model_label, **{k: _plain(v) for k, v in self.details.items()}}

    def to_dict(self, draws: bool = False) -> dict[str, Any]:
        """JSON-ready dict; ``draws=True`` adds the kept draws of N."""
        out = super().to_dict()
        if draws:
            out["draws"] = [int(v) for v in self.samples]
        return out

    def plot(self):
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


def _plain(v):
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
def effective_sample_size(draws) -> float:
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


def quantile_mcse(draws, q: float) -> float:
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
def lcmcr_posterior(table, K: int = 10, a_alpha: float = 0.25, b_alpha: float = 0.25,
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
        seed = int(np.random.SeedSequence().entropy)
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

    def run(n_sweeps: int, update_alpha: bool, record: bool, bar) -> None:
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


def _int_setting(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        if isinstance(value, float | np.floating) and float(value).is_integer():
            value = int(value)
        else:
            raise MSEInputError(f"{name} must be a whole number, got {value!r}")
    if value < minimum:
        raise MSEInputError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


class LCMCR:
    """Latent-class MSE as an estimator: ``LCMCR(K=10, seed=123).fit(table)`` (the settings of
    :func:`lcmcr_posterior`; the defaults are the help-page example the references used)."""

    method = METHOD

    def __init__(self, K: int = 10, a_alpha: float = 0.25, b_alpha: float = 0.25,
                 burnin: int = 10_000, samples: int = 1_000, thinning: int = 100,
                 seed: int | None = 123):
        self.settings = {"K": K, "a_alpha": a_alpha, "b_alpha": b_alpha, "burnin": burnin,
                         "samples": samples, "thinning": thinning, "seed": seed}
        self.result_: LCMCRResult | None = None

    def fit(self, data, ci: str = "posterior", level: float = 0.95, progress: bool = False,
            **_ignored) -> LCMCRResult:
        """Posterior of N; ``ci`` is always the posterior interval at ``level`` (the argument is
        accepted so that every estimator takes the same call)."""
        if not 0 < level < 1:
            raise ValueError("level must be between 0 and 1")
        result = lcmcr_posterior(data, progress=progress, **self.settings)
        result.level = level
        self.result_ = result
        return result
