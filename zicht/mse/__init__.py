"""Multiple systems estimation: how many people exist, from the overlap of several lists.

A standalone library (it knows nothing of the registry).  Estimators share one interface,
``Estimator(...).fit(table, ci=...) -> MSEResult``:

* :class:`LogLinear` - a log-linear model with given interaction terms; :class:`MainEffects`.
* :class:`Stepwise` - SparseMSE's stepwise selection.
* :class:`ModelSearch` - exhaustive AIC/BIC search (Rcapture ``closedpMS.t``).
* :class:`ClosedP` - Rcapture's classical M0, Mt, Mh, Mth, Mb, Mbh models.

Intervals: profile likelihood, bootstrap percentile and BCa (SparseMSE), model-conditional.
:func:`sensitivity` re-estimates with each list dropped and the two smallest merged.
"""

from .base import CI_METHODS, MSEEstimator
from .closedp import CLOSEDP_MODELS, ClosedP, closedp_table
from .data import CaptureHistories
from .datasets import list_datasets, load_dataset
from .errors import EstimateNotAvailable, MSEInputError
from .loglinear import LogLinear, MainEffects
from .methods import METHODS, make_estimator
from .result import MSEResult
from .search import ModelSearch
from .sensitivity import sensitivity
from .stepwise import Stepwise

__all__ = [
    "CI_METHODS", "CLOSEDP_MODELS", "METHODS", "CaptureHistories", "ClosedP",
    "EstimateNotAvailable", "make_estimator",
    "LogLinear", "MSEEstimator", "MSEInputError", "MSEResult", "MainEffects", "ModelSearch",
    "Stepwise", "closedp_table", "list_datasets", "load_dataset", "sensitivity",
]
