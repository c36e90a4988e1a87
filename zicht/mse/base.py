"""The one interface every estimator shares: ``Estimator(...).fit(data, ci=...) -> MSEResult``.

Subclasses implement :meth:`MSEEstimator._select` (choose and fit a model on cell counts) and may
override :meth:`MSEEstimator._estimate_batch` with a faster batched version (the bootstrap calls
it on 1,000 resampled tables at once).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from .bootstrap import bootstrap
from .data import CaptureHistories, as_capture_histories
from .errors import EstimateNotAvailable, MSEInputError
from .fitting import ModelFit
from .glm import one_blas_thread
from .identifiability import IdentCache
from .profile import profile_ci
from .result import MSEResult

CI_METHODS = ("profile", "bootstrap", "bca", "model", "none")

# 12 lists = 4,095 cells and 79 parameters; the batched fits hold cells x parameters^2 numbers,
# so much larger tables (Rcapture's robust-design vole data have 18 and 30 occasions) do not fit
# in memory.  Refused with a clear message rather than a MemoryError.
MAX_LISTS = 12


def check_estimable(table: CaptureHistories) -> None:
    """Refuse, with the reason, tables no estimator can use."""
    if table.k > MAX_LISTS:
        raise MSEInputError(
            f"{table.k} lists: zicht.mse handles at most {MAX_LISTS} lists "
            f"({2**MAX_LISTS - 1:,} cells); merge lists first"
        )
    if table.n_observed == 0:
        raise MSEInputError("all counts are zero: nobody was observed")
    sizes = table.counts @ table.patterns
    empty = [name for name, size in zip(table.lists, sizes, strict=True) if size == 0]
    if empty:
        raise MSEInputError(
            f"list(s) {', '.join(map(repr, empty))} saw nobody: drop the column(s) first"
        )


def attach_profile(result: MSEResult, prof) -> None:
    """Put a profile-likelihood interval on ``result``, with a warning where a bound was not
    reached (the lower at the observed number, the upper capped at 3 x the estimate)."""
    result.ci, result.ci_method = (prof.low, prof.high), "profile likelihood"
    result.details["profile_estimate"] = prof.estimate
    warnings = []
    if prof.low_at_bound:
        warnings.append("lower profile bound is the observed number (not reached above)")
    if prof.high_at_bound:
        warnings.append("upper profile bound not reached below 3 x estimate: capped there"
                        " (as Rcapture)")
    if warnings:
        result.details["warning"] = "; ".join(warnings)


class MSEEstimator(ABC):
    """Base class: selection/fit on cell counts, then an interval of the requested kind."""

    method = "base"

    def __init__(self) -> None:
        self.cache = IdentCache()
        self.result_: MSEResult | None = None

    # -- to implement ---------------------------------------------------------------------------
    @abstractmethod
    def _select(self, k: int, y: np.ndarray) -> tuple[ModelFit, dict[str, Any]]:
        """Choose and fit the model on cell counts ``y``; return it with method details."""

    def _estimate_batch(self, k: int, Y: np.ndarray) -> np.ndarray:
        """Point estimates for a batch of tables; inf where the MLE does not exist."""
        out = np.empty(Y.shape[0])
        for b, y in enumerate(Y):
            try:
                fit, _ = self._select(k, y)
            except (EstimateNotAvailable, MSEInputError):  # e.g. a resample with no valid model
                out[b] = np.inf
                continue
            out[b] = fit.estimate if fit.ierr == 0 and fit.converged else np.inf
        return out

    # -- shared ---------------------------------------------------------------------------------
    def fit(
        self,
        data: CaptureHistories | Any,
        ci: str = "profile",
        level: float = 0.95,
        nboot: int = 1000,
        seed: int | None = 1234,
        progress: bool = False,
    ) -> MSEResult:
        """Estimate the population size from a capture-history table (or DataFrame, or path).

        ``ci``: ``profile`` (profile likelihood, Rcapture ``closedpCI.t``), ``bootstrap``
        (percentile) or ``bca`` (SparseMSE's BCa; both resample rows and re-run the whole
        estimator ``nboot`` times with ``seed``), ``model`` (SparseMSE's model-conditional
        log-normal interval) or ``none``.
        """
        if ci not in CI_METHODS:
            raise ValueError(f"ci must be one of {', '.join(CI_METHODS)}")
        if not 0 < level < 1:
            raise ValueError("level must be between 0 and 1")
        table = as_capture_histories(data)
        check_estimable(table)
        with one_blas_thread():
            return self._fit(table, ci, level, nboot, seed, progress)

    def _fit(self, table, ci, level, nboot, seed, progress) -> MSEResult:
        fit, details = self._select(table.k, table.cell_counts())
        if fit.ierr:
            raise EstimateNotAvailable(f"{self.method}: {fit.problem}", fit.ierr)
        if not fit.converged:  # the LP above decides existence; this is a numerical failure
            raise EstimateNotAvailable(f"{self.method}: the fit did not converge")
        result = MSEResult.from_fit(self.method, table.lists, fit, **details)
        result.level = level
        if ci == "profile":
            attach_profile(result, profile_ci(fit, level))
        elif ci == "model":
            result.ci, result.ci_method = fit.model_ci(level), "model-conditional (log-normal)"
        elif ci in ("bootstrap", "bca"):
            boot = bootstrap(table, self._estimate_batch, fit.estimate, nboot=nboot, seed=seed,
                             progress=progress)
            result.ci = boot.interval(level, "bca" if ci == "bca" else "percentile")
            result.ci_method = "BCa bootstrap" if ci == "bca" else "percentile bootstrap"
            result.details["bootstrap"] = boot.summary()
            result.details["_bootstrap"] = boot
        self.result_ = result
        return result
