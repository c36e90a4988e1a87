"""The one contract every estimator of :mod:`zicht.mse` follows, in the manner of
scikit-learn's ``base.py`` and lifelines' ``BaseFitter``.

* Settings go to ``__init__`` and are kept as attributes of the same name: the interval
  (``ci``), its ``level``, the bootstrap's ``nboot`` and ``seed`` where the estimator uses them,
  and the model's own settings (``terms``, ``pthresh``, ``delta``, ``K``, ...).
  :meth:`Estimator.get_params` reads them back by the names of the ``__init__`` signature, so
  ``type(est)(**est.get_params())`` is the same estimator; ``repr`` shows the ones that differ
  from their defaults.
* ``fit(data, ci=..., level=..., nboot=..., seed=..., progress=...)`` estimates; the keywords
  override the settings for that one call (the call form the CLI, the monitor and the
  simulation study use).  The fitted result is returned and kept in ``result_``.
* The level check (0 < level < 1) and the interval-kind check are written once, here
  (:func:`check_level`, :func:`check_ci`).

:class:`Estimator` is the parent of every estimator; :class:`MSEEstimator` is the log-linear
family's (subclasses implement :meth:`MSEEstimator._select`, choosing and fitting a model on cell
counts, and may override :meth:`MSEEstimator._estimate_batch` with a faster batched version: the
bootstrap calls it on 1,000 resampled tables at once).
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np

from ._types import Array, FloatArray
from .bootstrap import bootstrap
from .data import CaptureHistories, as_capture_histories
from .errors import EstimateNotAvailable, InvalidSetting, MSEInputError
from .fitting import ModelFit
from .glm import one_blas_thread
from .identifiability import IdentCache
from .profile import ProfileCI, profile_ci
from .result import MSEResult, Result

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


def attach_profile(result: MSEResult, prof: ProfileCI) -> None:
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


# -- the contract ----------------------------------------------------------------------------------
def check_level(level: float) -> float:
    """The interval's level, refused unless 0 < level < 1."""
    if not 0 < level < 1:
        raise InvalidSetting("level must be between 0 and 1")
    return level


def check_ci(ci: str, allowed: tuple[str, ...] | None) -> str:
    """The interval kind, refused unless one of ``allowed`` (``None``: any, ignored)."""
    if allowed is not None and ci not in allowed:
        raise InvalidSetting(f"ci must be one of {', '.join(allowed)}")
    return ci


class _Unset(Enum):
    """Marks a ``fit()`` keyword that was not given (``seed=None`` is a value: a fresh seed)."""

    UNSET = "unset"

    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset.UNSET


@dataclass(frozen=True)
class FitSettings:
    """The settings of one ``fit()`` call: the estimator's own, overridden by the call's."""

    ci: str
    level: float
    nboot: int
    seed: int | None
    progress: bool


# what a setting is when the estimator has no attribute of that name (it does not use it)
_FALLBACK: dict[str, Any] = {"ci": "none", "level": 0.95, "nboot": 1000, "seed": None}

R = TypeVar("R", bound=Result)


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays: ambiguous truth value
        return False


class Estimator(ABC, Generic[R]):
    """Parent of every estimator: settings in ``__init__``, ``fit()`` with keyword overrides,
    the result in ``result_``, ``get_params()`` and a ``repr`` of the non-default settings.

    A subclass stores each ``__init__`` argument as an attribute of the same name and
    implements :meth:`_fit`.  ``ci_methods`` lists the interval kinds it takes (``None``: the
    interval is always the posterior's, and ``ci`` is accepted only so that every estimator
    takes the same call).
    """

    method: str = "base"
    ci_methods: ClassVar[tuple[str, ...] | None] = CI_METHODS
    result_: R | None = None

    # -- to implement ---------------------------------------------------------------------------
    @abstractmethod
    def _fit(self, data: Any, settings: FitSettings) -> R:
        """Estimate from ``data`` with the resolved ``settings``."""

    # -- shared ---------------------------------------------------------------------------------
    def fit(
        self,
        data: Any,
        *,
        ci: str | _Unset = UNSET,
        level: float | _Unset = UNSET,
        nboot: int | _Unset = UNSET,
        seed: int | None | _Unset = UNSET,
        progress: bool = False,
    ) -> R:
        """Estimate from ``data``; the keywords override the estimator's settings for this call
        only.  The result is returned and kept in ``result_``."""
        settings = self.fit_settings(ci=ci, level=level, nboot=nboot, seed=seed,
                                     progress=progress)
        result = self._fit(data, settings)
        self.result_ = result
        return result

    def fit_settings(
        self,
        *,
        ci: str | _Unset = UNSET,
        level: float | _Unset = UNSET,
        nboot: int | _Unset = UNSET,
        seed: int | None | _Unset = UNSET,
        progress: bool = False,
    ) -> FitSettings:
        """The settings a ``fit()`` call with these keywords uses, checked."""
        def pick(name: str, given: Any) -> Any:
            return getattr(self, name, _FALLBACK[name]) if given is UNSET else given

        return FitSettings(
            ci=check_ci(pick("ci", ci), self.ci_methods),
            level=check_level(pick("level", level)),
            nboot=pick("nboot", nboot),
            seed=pick("seed", seed),
            progress=bool(progress),
        )

    @classmethod
    def _param_names(cls) -> list[str]:
        """The settings: the names of ``__init__``'s arguments (as scikit-learn)."""
        params = inspect.signature(cls.__init__).parameters.values()
        return [p.name for p in params if p.name != "self"
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self) -> dict[str, Any]:
        """The settings by name: ``type(est)(**est.get_params())`` is the same estimator."""
        return {name: getattr(self, name) for name in self._param_names()}

    def __repr__(self) -> str:
        defaults = inspect.signature(type(self).__init__).parameters
        shown = [f"{name}={value!r}" for name, value in self.get_params().items()
                 if not _same(value, defaults[name].default)]
        return f"{type(self).__name__}({', '.join(shown)})"


class MSEEstimator(Estimator[MSEResult]):
    """The log-linear family's parent: selection/fit on cell counts, then an interval of the
    requested kind.

    ``ci``: ``profile`` (profile likelihood, Rcapture ``closedpCI.t``), ``bootstrap``
    (percentile) or ``bca`` (SparseMSE's BCa; both resample rows and re-run the whole
    estimator ``nboot`` times with ``seed``), ``model`` (SparseMSE's model-conditional
    log-normal interval) or ``none``.
    """

    def __init__(self, ci: str = "profile", level: float = 0.95, nboot: int = 1000,
                 seed: int | None = 1234) -> None:
        self.ci = check_ci(ci, self.ci_methods)
        self.level = check_level(level)
        self.nboot = nboot
        self.seed = seed
        self.cache = IdentCache()

    # -- to implement ---------------------------------------------------------------------------
    @abstractmethod
    def _select(self, k: int, y: Array) -> tuple[ModelFit, dict[str, Any]]:
        """Choose and fit the model on cell counts ``y``; return it with method details."""

    def _estimate_batch(self, k: int, Y: Array) -> FloatArray:
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
    def _fit(self, data: Any, settings: FitSettings) -> MSEResult:
        """Estimate the population size from a capture-history table (or DataFrame, or path)."""
        table = as_capture_histories(data)
        check_estimable(table)
        with one_blas_thread():
            return self._fit_table(table, settings)

    def _fit_table(self, table: CaptureHistories, s: FitSettings) -> MSEResult:
        fit, details = self._select(table.k, table.cell_counts())
        if fit.ierr:
            raise EstimateNotAvailable(f"{self.method}: {fit.problem}", fit.ierr)
        if not fit.converged:  # the LP above decides existence; this is a numerical failure
            raise EstimateNotAvailable(f"{self.method}: the fit did not converge")
        result = MSEResult.from_fit(self.method, table.lists, fit, **details)
        result.level = s.level
        if s.ci == "profile":
            attach_profile(result, profile_ci(fit, s.level))
        elif s.ci == "model":
            result.ci, result.ci_method = fit.model_ci(s.level), "model-conditional (log-normal)"
        elif s.ci in ("bootstrap", "bca"):
            boot = bootstrap(table, self._estimate_batch, fit.estimate, nboot=s.nboot,
                             seed=s.seed, progress=s.progress)
            result.ci = boot.interval(s.level, "bca" if s.ci == "bca" else "percentile")
            result.ci_method = "BCa bootstrap" if s.ci == "bca" else "percentile bootstrap"
            result.details["bootstrap"] = boot.summary()
            result.details["_bootstrap"] = boot
        return result
