"""A log-linear model with a given set of interaction terms (main effects always in)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .base import MSEEstimator
from .design import Term, all_pairs, design_matrix, pair_cells, pair_model_masks, parse_terms
from .fitting import fit_loglinear
from .glm import fit_poisson_batch


class LogLinear(MSEEstimator):
    """Poisson log-linear model on the 2^k - 1 observable cells with fixed ``terms``.

    ``terms`` are interaction terms as ``"A:B,B:C"``, a list of such strings, or tuples of list
    indices.  A term whose lists share nobody is fitted at minus infinity (SparseMSE).
    """

    method = "model"

    def __init__(self, terms: str | Iterable[str] | Iterable[Term] | None = None):
        super().__init__()
        self.terms = terms
        self._terms: list[Term] | None = None  # resolved against the list names by fit()

    def _resolve(self, k: int, lists=None) -> list[Term]:
        t = self.terms
        if t is None:
            return []
        if isinstance(t, str) or (t and isinstance(next(iter(t)), str)):
            return parse_terms(t, lists or [str(i) for i in range(k)])
        return [tuple(sorted(x)) for x in t]

    def fit(self, data, **kwargs):
        from .data import as_capture_histories

        table = as_capture_histories(data)
        self._terms = self._resolve(table.k, table.lists)
        return super().fit(table, **kwargs)

    def _current_terms(self, k: int) -> list[Term]:
        return self._terms if self._terms is not None else self._resolve(k)

    def _select(self, k, y):
        return fit_loglinear(k, y, self._current_terms(k), cache=self.cache), {}

    def _estimate_batch(self, k, Y):
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

    def __init__(self):
        super().__init__(None)
