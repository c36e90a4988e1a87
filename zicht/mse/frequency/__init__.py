"""Rcapture's ``closedp.0``: closed-population models fitted to frequency-of-capture data.

The data are the numbers f_c of units caught exactly c times, c = 1, 2, ..., over t capture
occasions; t may be infinite (continuous-time, Poisson captures).  Rcapture 1.4-4 (Baillargeon &
Rivest 2007; Rivest & Baillargeon, ``closedp.0(X, dfreq = TRUE, dtype = "nbcap", t = ...)``) fits
Poisson log-linear models to the frequencies themselves:

* cells: c = 1..t for finite t, including the zeros above the largest observed c; for t = inf,
  c = 1..c_max with c_max the largest c with a positive count (Rcapture replaces t by c_max);
* offset: log choose(t, c) for finite t (each frequency sums choose(t, c) capture histories of
  the same probability), -log(c!) for t = inf (the Poisson-count analogue);
* columns: intercept, c, and the heterogeneity columns of ``closedp.t`` as functions of c:
  Chao's lower bound max(c - j + 1, 0), j = 3..T (T = number of cells), Poisson2 2^c - 1,
  Darroch c^2 / 2, Gamma3.5 log 3.5 - log(3.5 + c);
* N = n + exp(intercept), stderr sqrt(exp(b0) + exp(2 b0) Var(b0)); df = T - parameters;
  AIC = -2 log L + 2 p and BIC = -2 log L + log(n) p with the Poisson log-likelihood of the
  frequencies (n = units observed);
* Chao (``neg = TRUE``): while some eta is negative, the first negative one (in column order) is
  dropped and the model refitted.

The fits are R's ``glm.fit`` iterations, reproduced step by step (start mu = y + 0.1, weighted
least squares by Householder QR, fitted means floored at the machine epsilon, at most 25
iterations, stop when the relative change of the deviance is below 1e-8, covariance from the
last QR), because Rcapture's numbers depend on them where the fit is hard: on BBS2001 (t = 50)
Mh Poisson2 has a column up to 2^50 and R stops after 25 iterations without converging (its
``infoFit`` 13), and the first, saturated Chao fit decides which etas are dropped.  ``maxit``
iterates further where wanted.  ``infoFit`` is Rcapture's code: 0 no warning, 1 no convergence
(or an asymptotic bias above 10 % of N), 2 design not of full rank, 3 another glm warning
(fitted rates numerically 0).

Intervals (:class:`ClosedP0`): :mod:`zicht.mse.profile` refits without offset, so it does not
apply to these models; :mod:`.profile` computes the same multinomial profile likelihood as
Rcapture's ``closedpCI.0`` (the unobserved cell c = 0 gets count N - n, an intercept-only row and
offset 0; Cormack's correction with the exact log-gamma), on the model as fitted (for Chao, the
etas kept).  ``ci="model"`` is the log-normal interval n + exp(b0 +- z se(b0)).

The package follows the core's layout: :mod:`.data` (:class:`CaptureFrequencies` and its
readers), :mod:`.glm` (R's ``glm.fit``), :mod:`.fit` (the models, :func:`fit_closedp0`,
:func:`closedp0_table`), :mod:`.profile`, :mod:`.result` and :mod:`.estimators`
(:class:`ClosedP0`, a :class:`zicht.mse.base.Estimator`).
"""

from .data import (
    COUNT,
    MAX_OCCASIONS,
    NBCAP,
    CaptureFrequencies,
    _from_frame,
    _parse_t,
    as_capture_frequencies,
)
from .estimators import _CI_METHODS, ClosedP0, _why
from .fit import (
    CLI_NAMES,
    FREQUENCY_MODELS,
    FrequencyFit,
    _bias,
    _columns,
    _model_name,
    closedp0_table,
    fit_closedp0,
)
from .glm import _EPS, R_MAXIT, _glm_fit_r, _GlmError
from .profile import _Profile, frequency_profile_ci
from .result import FrequencyResult

MAX_COUNT = 2**53  # largest count a float64 holds exactly (as zicht.mse.data.MAX_COUNT)

__all__ = [
    "CLI_NAMES", "COUNT", "FREQUENCY_MODELS", "MAX_COUNT", "MAX_OCCASIONS", "NBCAP", "R_MAXIT",
    "CaptureFrequencies", "ClosedP0", "FrequencyFit", "FrequencyResult", "as_capture_frequencies",
    "closedp0_table", "fit_closedp0", "frequency_profile_ci",
    # internals the tests reach for
    "_CI_METHODS", "_EPS", "_GlmError", "_Profile", "_bias", "_columns", "_from_frame",
    "_glm_fit_r", "_model_name", "_parse_t", "_why",
]
