"""What the Bayesian estimators (dga, latent classes) share: a posterior of N read as a result.

Their results answer the same questions as :class:`~zicht.mse.result.MSEResult` - ``estimate``
(the posterior median), ``ci`` (equal-tailed posterior quantiles at ``level``), ``observed``,
``dark_figure``, ``summary()``, ``to_dict()`` - so the CLI, the simulation study and
:func:`zicht.mse.compare` treat every estimator alike.  A subclass provides ``quantile(q)``,
``mean`` and the rows of its own summary.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import pandas as pd

from .result import ResultBase, _finite, _num, headline


class PosteriorResult(ResultBase, ABC):
    """Mixin for results that hold a posterior of N (a grid or draws)."""

    method: str
    lists: tuple[str, ...]
    observed: int
    level: float = 0.95
    ci_method = "posterior quantiles"

    @abstractmethod
    def quantile(self, q: float) -> float:
        """The posterior q-quantile of N."""

    @property
    @abstractmethod
    def mean(self) -> float: ...

    @property
    @abstractmethod
    def model_label(self) -> str:
        """The model, in words."""

    @abstractmethod
    def plot(self) -> Any:
        """The posterior as an Altair chart."""

    @abstractmethod
    def _summary_rows(self) -> dict[str, Any]:
        """Rows of the summary that only this estimator has (settings, model, diagnostics)."""

    @abstractmethod
    def _dict_extra(self) -> dict[str, Any]:
        """JSON-ready fields that only this estimator has."""

    # -- the common reading ---------------------------------------------------------------------
    @property
    def median(self) -> float:
        return self.quantile(0.5)

    @property
    def estimate(self) -> float:
        return self.median

    def interval(self, level: float | None = None) -> tuple[float, float]:
        level = self.level if level is None else level
        return self.quantile((1 - level) / 2), self.quantile((1 + level) / 2)

    @property
    def ci(self) -> tuple[float, float]:
        return self.interval()

    def summary(self) -> pd.DataFrame:
        low, high = self.ci
        rows = {
            "method": self.method,
            "lists": ", ".join(self.lists),
            "observed": self.observed,
            "estimate (posterior median)": round(self.estimate, 2),
            "dark figure": round(self.dark_figure, 2),
            f"{self.level:.0%} interval ({self.ci_method})": f"{low:,.1f} - {high:,.1f}",
            "posterior mean": round(self.mean, 2),
            **self._summary_rows(),
        }
        return pd.DataFrame({"value": rows})

    def to_dict(self) -> dict[str, Any]:
        out = {**headline(self), "posterior_mean": _num(self.mean)}
        out.update(_finite(self._dict_extra()))
        return out
