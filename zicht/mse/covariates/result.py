"""What the covariate and stratified estimators return: :class:`CovariateResult`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..result import ResultBase, _finite, _jsonable, _num
from .data import StratifiedHistories
from .fit import CovariateFit, Intervals


@dataclass(frozen=True)
class Total(ResultBase):
    """The total over the strata: observed, estimate and interval."""

    observed: int
    estimate: float
    ci: tuple[float, float] | None


@dataclass
class CovariateResult(ResultBase):
    """Outcome of a covariate or stratified estimator.

    ``strata`` has one row per stratum: the covariate values, ``observed``, ``estimate``,
    ``ci_low``, ``ci_high`` (and ``dark_figure``, ``se``; the stratified estimator adds its
    per-stratum ``model`` and ``status``).  ``total`` is the sum with its interval.
    """

    method: str
    lists: tuple[str, ...]
    covariates: tuple[str, ...]
    total: Total
    strata: pd.DataFrame
    model: list[str]
    minus_inf: list[str]
    deviance: float
    aic: float
    bic: float
    df: int
    n_params: int
    ci_method: str
    level: float
    fit: CovariateFit | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def estimate(self) -> float:
        return self.total.estimate

    @property
    def observed(self) -> int:
        return self.total.observed

    @property
    def ci(self) -> tuple[float, float] | None:
        """The total's interval."""
        return self.total.ci

    @property
    def model_label(self) -> str:
        terms = [f"{t} (-inf)" if t in self.minus_inf else t for t in self.model]
        return ", ".join(terms) or "list main effects + strata"

    @property
    def coefficients(self) -> pd.DataFrame:
        if self.fit is None:
            raise AttributeError("a stratified estimate has no single model")
        se = np.sqrt(np.clip(np.diag(self.fit.cov), 0, None))
        return pd.DataFrame({"estimate": self.fit.beta, "se": se}, index=self.fit.names)

    def summary(self) -> pd.DataFrame:
        """Per stratum and total: observed, estimate, interval (the total is the last row)."""
        cols = [*self.covariates, "observed", "estimate", "ci_low", "ci_high"]
        frame = self.strata[cols].copy()
        total: dict[str, Any] = {c: "total" if i == 0 else ""
                                 for i, c in enumerate(self.covariates)}
        total.update(observed=self.total.observed, estimate=self.total.estimate,
                     ci_low=self.total.ci_low, ci_high=self.total.ci_high)
        frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
        frame.attrs = {"method": self.method, "model": self.model_label,
                       "ci_method": self.ci_method, "level": self.level,
                       "deviance": self.deviance, "df": self.df, "AIC": self.aic,
                       "BIC": self.bic}
        return frame

    def __str__(self) -> str:
        ci = ("" if self.total.ci is None else
              f" [{self.total.ci[0]:,.0f} - {self.total.ci[1]:,.0f}]")
        head = (f"{self.method}: total {self.total.estimate:,.0f}{ci} from "
                f"{self.total.observed:,} observed; model: {self.model_label}; "
                f"deviance {self.deviance:.2f} on {self.df} df, AIC {self.aic:.2f}, "
                f"BIC {self.bic:.2f}; {self.level:.0%} interval: {self.ci_method}")
        return head + "\n" + str(self.summary().to_string(index=False))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (no NaN or inf: those become null)."""
        strata = []
        for row in self.strata.to_dict(orient="records"):
            strata.append({k: (_num(v) if isinstance(v, float | np.floating) else
                               int(v) if isinstance(v, np.integer) else v)
                           for k, v in row.items()})
        out = {
            "method": self.method, "lists": list(self.lists),
            "covariates": list(self.covariates), "observed": int(self.total.observed),
            "estimate": _num(self.total.estimate), "ci_low": _num(self.total.ci_low),
            "ci_high": _num(self.total.ci_high), "ci_method": self.ci_method,
            "level": self.level, "model": list(self.model), "minus_inf": list(self.minus_inf),
            "deviance": _num(self.deviance), "df": int(self.df), "n_params": int(self.n_params),
            "aic": _num(self.aic), "bic": _num(self.bic), "strata": strata,
        }
        for key, value in self.details.items():
            if not key.startswith("_") and _jsonable(value):
                out[key] = _finite(value)
        return out

    def plot(self) -> Any:
        """Per stratum: observed and estimated number with the interval (Altair chart)."""
        import altair as alt

        frame = self.strata.copy()
        frame["stratum"] = [", ".join(f"{c}={r[c]}" for c in self.covariates)
                            for _, r in frame.iterrows()]
        order = list(frame["stratum"])
        y = alt.Y("stratum:N", sort=order, title=None, axis=alt.Axis(labelLimit=0))
        base = alt.Chart(frame)
        bars = base.mark_rule(strokeWidth=2).encode(
            y=y, x=alt.X("ci_low:Q", title="people"), x2="ci_high:Q")
        est = base.mark_point(filled=True, size=70, color="#1f77b4").encode(
            y=y, x="estimate:Q",
            tooltip=["stratum", "observed", alt.Tooltip("estimate:Q", format=",.0f"),
                     alt.Tooltip("ci_low:Q", format=",.0f"),
                     alt.Tooltip("ci_high:Q", format=",.0f")])
        obs = base.mark_tick(color="grey", thickness=2, size=14).encode(y=y, x="observed:Q")
        ci = "" if self.total.ci is None else \
            f" [{self.total.ci[0]:,.0f} - {self.total.ci[1]:,.0f}]"
        title = alt.TitleParams(
            f"{self.method}: {self.total.estimate:,.0f}{ci} in total "
            f"({self.total.observed:,} observed)",
            subtitle=[f"model: {self.model_label}",
                      f"grey tick: observed; dot and line: estimate, {self.level:.0%} "
                      f"interval ({self.ci_method})"])
        return (bars + est + obs).properties(title=title, width=420,
                                             height=max(120, 22 * len(frame)))


def _strata_frame(data: StratifiedHistories, est: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                  se: np.ndarray) -> pd.DataFrame:
    frame = data.strata.copy()
    frame["observed"] = data.observed
    frame["estimate"] = est
    frame["dark_figure"] = np.asarray(est, dtype=float) - data.observed
    frame["ci_low"] = lo
    frame["ci_high"] = hi
    frame["se"] = se
    return frame


def _result_from_fit(method: str, fit: CovariateFit, ci: str, level: float,
                     boot: Intervals | None = None, **details: Any) -> CovariateResult:
    data = fit.data
    est = fit.estimates
    se = np.sqrt(fit.var_strata)
    if ci == "none":
        lo = hi = np.full(fit.S, np.nan)
        total_ci, ci_method = None, "none"
    elif ci == "bootstrap":
        assert boot is not None, "a bootstrap interval needs the bootstrap"
        lo, hi, total_ci = boot
        ci_method = "parametric bootstrap (dark figure's relative error)"
    else:
        lo, hi, total_ci = fit.intervals(level)
        ci_method = "log-normal (delta method, Rcapture variance)"
    return CovariateResult(
        method=method, lists=data.lists, covariates=data.covariates,
        total=Total(data.n_observed, fit.estimate, total_ci),
        strata=_strata_frame(data, est, lo, hi, se),
        model=fit.term_names(fit.terms + fit.minus_inf), minus_inf=fit.term_names(fit.minus_inf),
        deviance=fit.deviance, aic=fit.aic, bic=fit.bic, df=fit.df, n_params=fit.n_params,
        ci_method=ci_method, level=level, fit=fit,
        details={"se_total": math.sqrt(fit.var_total), **details})
