"""Rcapture's ``closedp.0`` models as an estimator: :class:`ClosedP0`."""

from __future__ import annotations

import math
from typing import Any

from ..base import UNSET, Estimator, FitSettings, _Unset, attach_profile, check_ci, check_level
from ..errors import EstimateNotAvailable
from .data import as_capture_frequencies
from .fit import FrequencyFit, _model_name, fit_closedp0
from .glm import R_MAXIT
from .profile import frequency_profile_ci
from .result import FrequencyResult

CI_METHODS = ("profile", "model", "none")
_CI_METHODS = CI_METHODS


def _why(fit: FrequencyFit) -> str:
    """Name the columns whose cells all have count 0 (their MLE is at minus infinity)."""
    empty = [name for j, name in enumerate(fit.extra_names, start=1)
             if not ((fit.X[:, j] != 0) & (fit.y > 0)).any()]
    if not empty:
        return ""
    return (f" ({', '.join(empty)} only involve cells nobody is in, so the MLE is at minus "
            "infinity; R's glm stops at a finite value, which closedp0_table reports)")


class ClosedP0(Estimator[FrequencyResult]):
    """One of Rcapture's ``closedp.0`` models as an estimator (``ClosedP0("Mh Darroch")``).

    ``fit(data, ci="profile"|"model"|"none", level=0.95, t=None) -> MSEResult``: ``data`` is
    :class:`CaptureFrequencies`, capture histories, or a DataFrame / CSV path of ``nbcap,count``
    with ``t``.  ``profile`` is the multinomial profile-likelihood interval (Rcapture
    ``closedpCI.0``), ``model`` the log-normal interval n + exp(b0 +- z se(b0)).  A fit R's glm
    does not converge in ``maxit`` iterations (Rcapture's infoFit 1), or whose MLE does not exist,
    raises :class:`EstimateNotAvailable`.
    """

    ci_methods = CI_METHODS

    def __init__(self, model: str = "M0", maxit: int = R_MAXIT, ci: str = "profile",
                 level: float = 0.95):
        self.model = _model_name(model)
        self.method = f"closedp.0 {self.model}"
        self.maxit = int(maxit)
        self.ci, self.level = check_ci(ci, self.ci_methods), check_level(level)

    def fit(self, data: Any, ci: str | _Unset = UNSET,
            level: float | _Unset = UNSET, t: object = None, **overrides: Any
            ) -> FrequencyResult:
        """``t``: the number of capture occasions, for a DataFrame or CSV of ``nbcap,count``
        (:class:`CaptureFrequencies` and capture histories carry it)."""
        settings = self.fit_settings(ci=ci, level=level, **overrides)
        result = self._fit(as_capture_frequencies(data, t), settings)
        self.result_ = result
        return result

    def _fit(self, data: Any, settings: FitSettings) -> FrequencyResult:
        ci, level = settings.ci, settings.level
        freq = as_capture_frequencies(data)
        fit = fit_closedp0(freq, self.model, self.maxit)
        if fit.ierr:
            raise EstimateNotAvailable(f"{self.method}: {fit.problem}{_why(fit)}", fit.ierr)
        if not fit.converged:
            raise EstimateNotAvailable(
                f"{self.method}: R's glm did not converge in {self.maxit} iterations (Rcapture "
                f"infoFit {fit.info_fit}); ClosedP0({self.model!r}, maxit=...) iterates further"
            )
        details: dict[str, Any] = {
            "t": "inf" if math.isinf(fit.t) else fit.t, "stderr": fit.stderr,
            "infoFit": fit.info_fit,
            "dropped_eta": list(fit.dropped), "glm_warnings": list(fit.warnings),
        }
        result = FrequencyResult(
            method=self.method, lists=(), observed=fit.n_obs, estimate=fit.estimate, ci=None,
            ci_method="none", level=level, model=list(fit.extra_names), minus_inf=[],
            deviance=fit.deviance, aic=fit.aic, bic=fit.bic, df=fit.df, fit=fit,
            details=details,
        )
        if ci == "profile":
            attach_profile(result, frequency_profile_ci(fit, level))
        elif ci == "model":
            result.ci = fit.model_ci(level)
            result.ci_method = "model-conditional (log-normal)"
        return result
