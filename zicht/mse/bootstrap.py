"""Bootstrap intervals as SparseMSE's ``estimatepopulation`` computes them.

1. Resample: counts ~ Multinomial(n, observed counts / n) over the *rows of the input table in
   their given order*; every replicate re-runs the whole estimator (model selection included).
2. Jackknife: for each row j with count c_j > 0, lower c_j by one and re-estimate (theta_(j)).
3. Acceleration a = sum c_j r_j^3 / (6 (sum c_j r_j^2)^(3/2)), r_j = mean_c(theta) - theta_(j).
4. BCa limit for level alpha: the quantile (R type 8) of the replicates at
   Phi(z0 + (z0 + z_alpha) / (1 - a (z0 + z_alpha))), z0 = Phi^-1(share of replicates < theta).

Seeded with numpy's PCG64 (``seed``), so reproducible run to run; it cannot replay R's
Mersenne-Twister stream, so for an exact comparison feed R's own resamples to
:func:`bca_from_replicates` (the tests do).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri  # normal cdf and quantile (scipy.stats costs 1 s)

from .data import CaptureHistories
from .errors import InvalidSetting

SPARSEMSE_ALPHAS = (0.025, 0.05, 0.1, 0.16, 0.84, 0.9, 0.95, 0.975)

# an estimator on a batch: (k, Y of shape (B, 2^k - 1)) -> estimates (B,)
BatchEstimator = Callable[[int, np.ndarray], np.ndarray]


@dataclass
class BootstrapResult:
    estimate: float
    replicates: np.ndarray
    jackknife: np.ndarray  # theta_(j) for the rows with c_j > 0
    jack_weights: np.ndarray  # c_j of those rows
    z0: float
    acceleration: float
    quantiles: dict[float, float] = field(default_factory=dict)  # BCa limits per alpha
    percentile: dict[float, float] = field(default_factory=dict)  # plain percentile limits
    seed: int | None = None

    def interval(self, level: float = 0.95, kind: str = "bca") -> tuple[float, float]:
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        if kind == "bca":
            return bca_limit(self.replicates, self.estimate, self.z0, self.acceleration, lo), \
                bca_limit(self.replicates, self.estimate, self.z0, self.acceleration, hi)
        return _quantile(self.replicates, lo), _quantile(self.replicates, hi)

    def summary(self) -> dict[str, Any]:
        finite = self.replicates[np.isfinite(self.replicates)]
        return {
            "nboot": int(self.replicates.size), "seed": self.seed, "z0": self.z0,
            "acceleration": self.acceleration,
            "infinite_replicates": int(self.replicates.size - finite.size),
            "boot_mean_finite": float(np.mean(finite)) if finite.size else None,
            "boot_median": quantile_type8(self.replicates, 0.5),
            "boot_sd_finite": float(np.std(finite, ddof=1)) if finite.size > 1 else None,
            "BCaquantiles": {str(a): v for a, v in self.quantiles.items()},
        }


def quantile_type8(x: np.ndarray, q: float) -> float:
    """R's ``quantile(x, q, type = 8)`` (median-unbiased), as SparseMSE uses.

    Equal to ``np.quantile(x, q, method="median_unbiased")`` on finite data, but written out
    because replicates can be infinite (a resample whose MLE does not exist): like R, it
    interpolates only between unequal order statistics, so a limit next to an infinite
    replicate is infinite, not numpy's inf - inf = NaN.
    """
    x = np.sort(np.asarray(x, dtype=float))
    n = x.size
    h = n * q + (q + 1) / 3  # 1-based position
    lo = int(np.clip(np.floor(h), 1, n))
    hi = int(np.clip(lo + 1, 1, n))
    frac = float(np.clip(h - lo, 0.0, 1.0)) if 1 <= h <= n else 0.0
    if frac == 0.0 or x[hi - 1] == x[lo - 1]:
        return float(x[lo - 1])
    return float((1 - frac) * x[lo - 1] + frac * x[hi - 1])


_quantile = quantile_type8


def rows_to_cells(table: CaptureHistories, row_counts: np.ndarray) -> np.ndarray:
    """(B, rows) row counts -> (B, 2^k - 1) cell counts."""
    row_counts = np.atleast_2d(row_counts)
    onehot = np.zeros((table.counts.size, 2**table.k - 1))
    onehot[np.arange(table.counts.size), table.codes - 1] = 1.0
    return np.asarray(row_counts @ onehot)


def jackknife(table: CaptureHistories, estimate_batch: BatchEstimator
              ) -> tuple[np.ndarray, np.ndarray]:
    """Delete-one-individual jackknife over the rows with a positive count."""
    rows = np.flatnonzero(table.counts > 0)
    R = np.tile(table.counts, (rows.size, 1))
    R[np.arange(rows.size), rows] -= 1
    theta = estimate_batch(table.k, rows_to_cells(table, R))
    return theta, table.counts[rows].astype(float)


def acceleration(theta_jack: np.ndarray, weights: np.ndarray) -> float:
    """Weighted delete-one jackknife acceleration; NaN when a jackknife estimate is infinite
    (BCa is then undefined and its limits are reported as such)."""
    if not np.isfinite(theta_jack).all():
        return float("nan")
    n = weights.sum()
    r = (weights @ theta_jack) / n - theta_jack
    denom = 6.0 * (weights @ r**2) ** 1.5
    return float((weights @ r**3) / denom) if denom > 0 else 0.0


def bias_correction(replicates: np.ndarray, estimate: float) -> float:
    share = float(np.mean(replicates < estimate))
    return float(ndtri(share))


def bca_limit(replicates: np.ndarray, estimate: float, z0: float, a: float, alpha: float
              ) -> float:
    za = ndtri(alpha)
    if not (np.isfinite(z0) and np.isfinite(a)):  # BCa undefined: say so, do not guess
        return float("nan")
    level = ndtr(z0 + (z0 + za) / (1 - a * (z0 + za)))
    return _quantile(replicates, level)


def bca_from_replicates(
    estimate: float, replicates: np.ndarray, theta_jack: np.ndarray, weights: np.ndarray,
    alphas: Sequence[float] = SPARSEMSE_ALPHAS,
) -> BootstrapResult:
    """BCa limits from given replicates and jackknife values (no resampling)."""
    replicates = np.asarray(replicates, dtype=float)
    z0 = bias_correction(replicates, estimate)
    a = acceleration(np.asarray(theta_jack, float), np.asarray(weights, float))
    return BootstrapResult(
        estimate=float(estimate), replicates=replicates, jackknife=np.asarray(theta_jack),
        jack_weights=np.asarray(weights), z0=z0, acceleration=a,
        quantiles={al: bca_limit(replicates, estimate, z0, a, al) for al in alphas},
        percentile={al: _quantile(replicates, al) for al in alphas},
    )


def bootstrap(
    table: CaptureHistories,
    estimate_batch: BatchEstimator,
    estimate: float,
    nboot: int = 1000,
    seed: int | None = 1234,
    alphas: Sequence[float] = SPARSEMSE_ALPHAS,
    progress: bool = False,
    chunk: int = 250,
) -> BootstrapResult:
    """Resample the input rows, re-estimate each replicate, and compute BCa limits."""
    if nboot < 2:
        raise InvalidSetting("nboot must be at least 2")
    rng = np.random.default_rng(seed)
    n = table.n_observed
    samples = rng.multinomial(n, table.counts / n, size=nboot)
    reps = np.empty(nboot)
    bar = _progress(progress, nboot)
    for start in range(0, nboot, chunk):
        sl = slice(start, min(start + chunk, nboot))
        reps[sl] = estimate_batch(table.k, rows_to_cells(table, samples[sl]))
        bar.advance(sl.stop - sl.start)
    theta_jack, weights = jackknife(table, estimate_batch)
    bar.close()
    res = bca_from_replicates(estimate, reps, theta_jack, weights, alphas)
    res.seed = seed
    return res


class _progress:
    """A rich progress bar on stderr when asked for (and silent otherwise)."""

    def __init__(self, enabled: bool, total: int):
        self.bar = None
        if enabled:
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task("bootstrap", total=total)

    def advance(self, k: int) -> None:
        if self.bar is not None:
            self.bar.advance(self.task, k)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
