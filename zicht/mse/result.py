"""What every estimator returns.

:class:`Result` is the protocol all results satisfy (:class:`MSEResult` here, the posterior
results of dga and LCMCR, the covariate results): ``method``, ``lists``, ``observed``,
``estimate``, ``ci`` with ``ci_low``/``ci_high``, ``ci_method``, ``level``, ``dark_figure``,
``model_label``, ``summary()``, ``to_dict()``, ``plot()``.  :class:`ResultBase` writes the
derived ones (``dark_figure``, ``ci_low``, ``ci_high``) once for all of them.
:class:`MSEResult` is the log-linear one: estimate, interval, model, fit statistics, fitted
cells.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from .design import cell_patterns, term_name
from .fitting import ModelFit


class _Interval(Protocol):
    @property
    def observed(self) -> int: ...
    @property
    def estimate(self) -> float: ...
    @property
    def ci(self) -> tuple[float, float] | None: ...


@runtime_checkable
class Result(Protocol):
    """What every estimator's result offers (``Estimator.fit`` returns one)."""

    @property
    def method(self) -> str: ...
    @property
    def lists(self) -> tuple[str, ...]: ...
    @property
    def observed(self) -> int: ...
    @property
    def estimate(self) -> float: ...
    @property
    def ci(self) -> tuple[float, float] | None: ...
    @property
    def ci_method(self) -> str: ...
    @property
    def level(self) -> float: ...
    @property
    def ci_low(self) -> float | None: ...
    @property
    def ci_high(self) -> float | None: ...
    @property
    def dark_figure(self) -> float: ...
    @property
    def model_label(self) -> str: ...
    def summary(self) -> pd.DataFrame: ...
    def to_dict(self) -> dict[str, Any]: ...
    def plot(self) -> Any: ...


class ResultBase:
    """The readings every result derives the same way from ``observed``, ``estimate`` and
    ``ci`` (a mixin: the subclass holds those three as fields or properties)."""

    @property
    def dark_figure(self: _Interval) -> float:
        """The estimated number of people no list saw: estimate - observed."""
        return self.estimate - self.observed

    @property
    def ci_low(self: _Interval) -> float | None:
        return None if self.ci is None else self.ci[0]

    @property
    def ci_high(self: _Interval) -> float | None:
        return None if self.ci is None else self.ci[1]


@dataclass
class MSEResult(ResultBase):
    """Outcome of :meth:`MSEEstimator.fit`.

    ``estimate`` is the estimated population size (observed + dark figure).  ``ci`` is the
    interval of kind ``ci_method`` at ``level``, or ``None``.  ``model`` lists the model's
    interaction terms (``"A:B"``) and extra columns; ``minus_inf`` those of its terms fitted at
    minus infinity (nobody is on all their lists), so ``LogLinear(result.model)`` refits it.
    """

    method: str
    lists: tuple[str, ...]
    observed: int
    estimate: float
    ci: tuple[float, float] | None
    ci_method: str
    level: float
    model: list[str]
    minus_inf: list[str]
    deviance: float
    aic: float
    bic: float
    df: int
    fit: ModelFit
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_fit(cls, method: str, lists: Sequence[str], fit: ModelFit, **details: Any
                 ) -> MSEResult:
        return cls(
            method=method, lists=tuple(lists), observed=fit.n_obs, estimate=fit.estimate,
            ci=None, ci_method="none", level=0.95,
            model=[term_name(lists, t) for t in fit.terms + fit.minus_inf]
            + list(fit.extra_names),
            minus_inf=[term_name(lists, t) for t in fit.minus_inf],
            deviance=fit.deviance, aic=fit.aic, bic=fit.bic, df=fit.df, fit=fit, details=details,
        )

    # -- derived --------------------------------------------------------------------------------
    @property
    def model_label(self) -> str:
        """The model for people: terms at minus infinity marked, 'main effects only' if none."""
        terms = [f"{t} (-inf)" if t in self.minus_inf else t for t in self.model]
        return ", ".join(terms) or "main effects only"

    @property
    def fitted(self) -> pd.DataFrame:
        """Observed and fitted counts of every observable cell (deleted cells fitted at 0)."""
        pats = cell_patterns(self.fit.k)
        frame = pd.DataFrame(pats.astype(int), columns=list(self.lists))
        frame["observed"] = self.fit.y.astype(int)
        frame["fitted"] = self.fit.mu
        frame["in_fit"] = self.fit.rowmask
        return frame

    @property
    def coefficients(self) -> pd.DataFrame:
        names = ["(Intercept)", *self.lists, *[term_name(self.lists, t) for t in self.fit.terms],
                 *self.fit.extra_names]
        se = np.sqrt(np.clip(np.diag(self.fit.cov), 0, None))
        return pd.DataFrame({"estimate": self.fit.beta, "se": se}, index=names[: len(se)])

    # -- presentation ---------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """One-column table of the headline numbers."""
        rows = {
            "method": self.method,
            "lists": ", ".join(self.lists),
            "observed": self.observed,
            "estimate": round(self.estimate, 2),
            "dark figure": round(self.dark_figure, 2),
            f"{self.level:.0%} CI ({self.ci_method})": (
                "-" if self.ci is None else f"{self.ci[0]:,.1f} - {self.ci[1]:,.1f}"
            ),
            "model": self.model_label,
            "deviance": round(self.deviance, 4),
            "df": self.df,
            "AIC": round(self.aic, 4),
            "BIC": round(self.bic, 4),
        }
        return pd.DataFrame({"value": rows})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the CLI's ``--format json``)."""
        out = {
            **headline(self),
            "model": self.model,
            "minus_inf": self.minus_inf,
            "deviance": _num(self.deviance),
            "df": self.df,
            "aic": _num(self.aic),
            "bic": _num(self.bic),
        }
        for key, value in self.details.items():
            if not key.startswith("_") and _jsonable(value):
                out[key] = _finite(value)
        return out

    def plot(self) -> Any:
        """Observed against fitted cell counts (Altair chart; ``.save('x.png')`` renders it)."""
        import altair as alt

        frame = self.fitted
        frame["pattern"] = [
            "+".join(n for n, b in zip(self.lists, row, strict=True) if b)
            for row in frame[list(self.lists)].to_numpy()
        ]
        deleted = int((~frame["in_fit"]).sum())
        frame = frame[frame["in_fit"] & (frame["observed"] + frame["fitted"] > 0)]
        top = float(max(frame["observed"].max(), frame["fitted"].max(), 1)) * 1.5
        scale = alt.Scale(type="symlog", domain=[0, top])
        points = alt.Chart(frame).mark_circle(size=60).encode(
            x=alt.X("fitted:Q", scale=scale, title="fitted count"),
            y=alt.Y("observed:Q", scale=scale, title="observed count"),
            tooltip=["pattern", "observed", alt.Tooltip("fitted:Q", format=".2f")],
        )
        line = alt.Chart(pd.DataFrame({"x": [0, top], "y": [0, top]})).mark_line(
            color="grey", strokeDash=[4, 4]
        ).encode(x="x:Q", y="y:Q")
        subtitle = [f"model: {self.model_label}"]
        if deleted:
            subtitle.append(f"{deleted} cells of terms at -inf fitted at 0 (not shown)")
        title = alt.TitleParams(
            f"{self.method}: observed vs fitted (estimate {self.estimate:,.0f})",
            subtitle=subtitle,
        )
        return (line + points).properties(title=title, width=360, height=360)


def headline(result: Result) -> dict[str, Any]:
    """The fields every result's JSON starts with (log-linear, posterior, frequency)."""
    return {
        "method": result.method,
        "lists": list(result.lists),
        "observed": result.observed,
        "estimate": _num(result.estimate),
        "dark_figure": _num(result.dark_figure),
        "ci_low": _num(result.ci_low),
        "ci_high": _num(result.ci_high),
        "ci_method": result.ci_method,
        "level": result.level,
    }


def _num(x: Any) -> float | None:
    """A finite float, or None (for JSON)."""
    if x is None:
        return None
    f = float(x)
    return f if math.isfinite(f) else None


def _finite(value: Any) -> Any:
    """Replace inf/NaN (not valid JSON) by None, recursively."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating):
        return _num(value)
    return value


def _jsonable(value: object) -> bool:
    return isinstance(value, str | int | float | bool | list | dict | type(None))
