"""A log-linear model with a given set of interaction terms (main effects always in)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ._types import Array, FloatArray
from .base import FitSettings, MSEEstimator
from .data import as_capture_histories
from .design import Term, all_pairs, design_matrix, pair_cells, pair_model_masks, parse_terms
from .fitting import ModelFit, fit_loglinear
from .glm import fit_poisson_batch
from .result import MSEResult


class LogLinear(MSEEstimator):
    """Poisson log-linear model on the 2^k - 1 observable cells with fixed ``terms``.

    ``terms`` are interaction terms as ``"A:B,B:C"``, a list of such strings, or tuples of list
    indices.  A term whose lists share nobody is fitted at minus infinity (SparseMSE).
    """

    method = "model"

    def __init__(self, terms: str | Iterable[str] | Iterable[Term] | None = None,
                 ci: str = "profile", level: float = 0.95, nboot: int = 1000,
                 seed: int | None = 1234):
        super().__init__(ci=ci, level=level, nboot=nboot, seed=seed)
        self.terms = terms
        self._terms: list[Term] | None = None  # resolved against the list names by fit()

    def _resolve(self, k: int, lists: Sequence[str] | None = None) -> list[Term]:
        t = self.terms
        if t is None:
            return []
        if isinstance(t, str):
            return parse_terms(t, lists or [str(i) for i in range(k)])
        items: list[Any] = list(t)  # names ("A:B") or index tuples
        if items and isinstance(items[0], str):
            return parse_terms([str(x) for x in items], lists or [str(i) for i in range(k)])
        return [tuple(sorted(int(i) for i in x)) for x in items if not isinstance(x, str)]

    def _fit(self, data: Any, settings: FitSettings) -> MSEResult:
        table = as_capture_histories(data)
        self._terms = self._resolve(table.k, table.lists)
        return super()._fit(table, settings)

    def _current_terms(self, k: int) -> list[Term]:
        return self._terms if self._terms is not None else self._resolve(k)

    def _select(self, k: int, y: Array) -> tuple[ModelFit, dict[str, Any]]:
        return fit_loglinear(k, y, self._current_terms(k), cache=self.cache), {}

    def _estimate_batch(self, k: int, Y: Array) -> FloatArray:
        terms = self._current_terms(k)
        if any(len(t) != 2 for t in terms):
            return super()._estimate_batch(k, Y)
        pairs = all_pairs(k)
        X = design_matrix(k, pairs)
        include = np.zeros(len(pairs), dtype=bool)
        include[[pairs.index(t) for t in terms]] = True
        nonempty = Y @ pair_cells(k).T > 0  # (B, P)
        masks = [pair_model_masks(k, include, ne) for ne in nonempty]
        colmask = np.array([c for c, _ in masks])
        rowmask = np.array([r for _, r in masks])
        fit = fit_poisson_batch(X, Y, colmask, rowmask, want_cov=False)
        # tables whose MLE does not exist get an infinite estimate
        ok = fit.converged & np.array([
            self.cache.check(X[keep][:, cols], y[keep]) == 0
            for (cols, keep), y in zip(masks, Y, strict=True)
        ])
        est = Y.sum(axis=1) + np.exp(np.minimum(fit.beta[:, 0], 700.0))
        return np.where(ok, est, np.inf)


class MainEffects(LogLinear):
    """The independence model (Rcapture's Mt, SparseMSE's ``method = "main"``)."""

    method = "Mt"

    def __init__(self, ci: str = "profile", level: float = 0.95, nboot: int = 1000,
                 seed: int | None = 1234):
        super().__init__(None, ci=ci, level=level, nboot=nboot, seed=seed)
