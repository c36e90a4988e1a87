"""Multiple systems estimation: how many people exist, from the overlap of several lists.

A standalone library (it knows nothing of the registry).  Every estimator derives from
:class:`Estimator` (:mod:`zicht.mse.base`, in the manner of scikit-learn's ``base.py``): its
settings - the interval ``ci``, its ``level``, the bootstrap's ``nboot`` and ``seed``, the
model's own - go to ``__init__`` and come back from ``get_params()``; ``fit(data, ci=...,
level=...)`` estimates (the keywords override the settings for that call), returns a result
and keeps it in ``result_``.  Every result satisfies :class:`Result`: ``estimate``, ``ci``,
``ci_low``/``ci_high``, ``dark_figure``, ``level``, ``method``, ``summary()``, ``to_dict()``.

* :class:`LogLinear` - a log-linear model with given interaction terms; :class:`MainEffects`.
* :class:`Stepwise` - SparseMSE's stepwise selection.
* :class:`ModelSearch` - exhaustive AIC/BIC search (Rcapture ``closedpMS.t``).
* :class:`ClosedP` - Rcapture's classical M0, Mt, Mh, Mth, Mb, Mbh models; :class:`ClosedP0`
  the same on frequency-of-capture data (:class:`CaptureFrequencies`, :mod:`.frequency`).
* :class:`DGA` - decomposable graphical model averaging (R ``dga``), exact posterior on a grid.
* :class:`LCMCR` - latent-class MSE (R ``LCMCR``), a numba Gibbs sampler
  (:mod:`.lcmcr_kernel`).
* :class:`CovariateLogLinear`, :class:`CovariateSearch`, :class:`StratifiedEstimate` - models
  with covariates on :class:`StratifiedHistories` (:mod:`.covariates`): estimates per stratum
  adding up to the total.

:mod:`.methods` registers every method by name, family and input: :func:`make_estimator`,
:data:`METHODS` and :func:`zicht.mse.methods.names` are what the CLI, :func:`compare` and the
simulation study read.  Every exception raised on purpose is an :class:`MSEError`
(:mod:`.errors`).

Intervals: profile likelihood, bootstrap percentile and BCa (SparseMSE), model-conditional;
posterior quantiles for DGA and LCMCR; log-normal for the covariate models.
:func:`sensitivity` re-estimates with each list dropped and the two smallest merged;
:func:`compare` runs every applicable method with verdicts.
"""

from .base import CI_METHODS, Estimator, MSEEstimator
from .closedp import CLOSEDP_MODELS, ClosedP, closedp_table
from .compare import Comparison, compare
from .covariates import (
    CovariateLogLinear,
    CovariateResult,
    CovariateSearch,
    StratifiedEstimate,
    StratifiedHistories,
)
from .data import CaptureHistories
from .datasets import list_datasets, load_dataset
from .dga import DGA, DGAResult
from .errors import EstimateNotAvailable, InvalidSetting, MSEError, MSEInputError
from .frequency import CaptureFrequencies, ClosedP0
from .loglinear import LogLinear, MainEffects
from .methods import METHODS, make_estimator
from .result import MSEResult, Result
from .search import ModelSearch
from .sensitivity import sensitivity
from .stepwise import Stepwise

__all__ = [
    "CI_METHODS", "CLOSEDP_MODELS", "DGA", "LCMCR", "METHODS", "CaptureFrequencies",
    "CaptureHistories", "ClosedP", "ClosedP0", "Comparison", "CovariateLogLinear",
    "CovariateResult", "CovariateSearch", "DGAResult", "Estimator", "EstimateNotAvailable",
    "InvalidSetting", "LCMCRResult", "LogLinear", "MSEError", "MSEEstimator", "MSEInputError",
    "MSEResult", "MainEffects", "ModelSearch", "Result", "Stepwise", "StratifiedEstimate",
    "StratifiedHistories", "closedp_table", "compare", "list_datasets", "load_dataset",
    "make_estimator", "sensitivity",
]


def __getattr__(name: str) -> object:
    """The sampler imports numba (a second or so): only when asked for."""
    if name in ("LCMCR", "LCMCRResult", "lcmcr_posterior"):
        from . import lcmcr

        return getattr(lcmcr, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
