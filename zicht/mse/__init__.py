"""Multiple systems estimation: how many people exist, from the overlap of several lists.

A standalone library (it knows nothing of the registry).  Estimators share one interface,
``Estimator(...).fit(table, ci=...) -> MSEResult``:

* :class:`LogLinear` - a log-linear model with given interaction terms; :class:`MainEffects`.
* :class:`Stepwise` - SparseMSE's stepwise selection.
* :class:`ModelSearch` - exhaustive AIC/BIC search (Rcapture ``closedpMS.t``).
* :class:`ClosedP` - Rcapture's classical M0, Mt, Mh, Mth, Mb, Mbh models; :class:`ClosedP0`
  the same on frequency-of-capture data (:class:`CaptureFrequencies`).
* :class:`DGA` - decomposable graphical model averaging (R ``dga``), exact posterior on a grid.
* :class:`LCMCR` - latent-class MSE (R ``LCMCR``), a numba Gibbs sampler.
* :class:`CovariateLogLinear`, :class:`CovariateSearch`, :class:`StratifiedEstimate` - models
  with covariates on :class:`StratifiedHistories`: estimates per stratum adding up to the total.

Intervals: profile likelihood, bootstrap percentile and BCa (SparseMSE), model-conditional;
posterior quantiles for DGA and LCMCR.  :func:`sensitivity` re-estimates with each list dropped
and the two smallest merged; :func:`compare` runs every applicable method with verdicts.
"""

from .base import CI_METHODS, MSEEstimator
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
from .errors import EstimateNotAvailable, MSEInputError
from .frequency import CaptureFrequencies, ClosedP0
from .loglinear import LogLinear, MainEffects
from .methods import METHODS, make_estimator
from .result import MSEResult
from .search import ModelSearch
from .sensitivity import sensitivity
from .stepwise import Stepwise

__all__ = [
    "CI_METHODS", "CLOSEDP_MODELS", "DGA", "LCMCR", "METHODS", "CaptureFrequencies",
    "CaptureHistories", "ClosedP", "ClosedP0", "Comparison", "CovariateLogLinear",
    "CovariateResult", "CovariateSearch", "DGAResult", "LCMCRResult", "StratifiedEstimate",
    "StratifiedHistories", "compare", "EstimateNotAvailable", "make_estimator",
    "LogLinear", "MSEEstimator", "MSEInputError", "MSEResult", "MainEffects", "ModelSearch",
    "Stepwise", "closedp_table", "list_datasets", "load_dataset", "sensitivity",
]


def __getattr__(name):  # the sampler imports numba (a second or so): only when asked for
    if name in ("LCMCR", "LCMCRResult", "lcmcr_posterior"):
        from . import lcmcr

        return getattr(lcmcr, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
