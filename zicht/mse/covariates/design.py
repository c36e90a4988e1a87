"""The design matrix over all cells of all strata for a universe of terms."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from ..design import cell_patterns
from ..errors import MSEInputError
from .blocked import Blocks
from .data import StratifiedHistories
from .terms import CovTerm

# Above this many numbers in the batched fitter's cells x p x p products the dense design is
# not formed and models are fitted one at a time on the blocked design (blocked.py).
DENSE_LIMIT = 30_000_000
# The blocked fit holds strata x q and q x q numbers (q: the columns besides the strata); above
# this many the model is refused with a message rather than left to run out of memory.
MEMORY_LIMIT = 250_000_000  # numbers, 2 GB


class _Design:
    """Design over all cells of all strata (row s * M + c) for a universe of terms.

    Columns: one indicator per stratum, k list main effects, then each term's columns (a list
    part - the product of its lists' bits - times each combination of non-reference levels of
    its covariates).  Held as :class:`Blocks` (the stratum of each cell and the other columns
    as a sparse matrix); the dense ``X`` is formed only when asked for.
    """

    def __init__(self, data: StratifiedHistories, terms: Sequence[CovTerm]):
        self.data = data
        S, k = data.n_strata, data.k
        M = 2**k - 1
        self.S, self.k, self.M = S, k, M
        pats = cell_patterns(k).astype(float)
        levels = data.levels
        # per covariate: (S, L - 1) indicators and the level names
        self.dummies: list[tuple[np.ndarray, list[str]]] = []
        for c in data.covariates:
            lv = levels[c]
            vals = data.strata[c].to_numpy()
            self.dummies.append((np.column_stack([vals == v for v in lv[1:]]).astype(float)
                                 if len(lv) > 1 else np.zeros((S, 0)), list(lv[1:])))
        cols = [sp.csr_matrix(np.tile(pats, (S, 1)))]
        # the product structure: column j is A[:, j] (strata) times P[:, j] (cells)
        a_parts, p_parts = [np.ones((S, k))], [pats]
        names = [f"stratum[{lab}]" for lab in data.labels()] + list(data.lists)
        self.slices: dict[CovTerm, slice] = {}
        self.list_part: dict[CovTerm, np.ndarray] = {}
        p = S + k
        q = k + sum(int(np.prod([max(len(levels[data.covariates[j]]) - 1, 0)
                                     for j in t.covs])) for t in terms)
        if (S + q) * q > MEMORY_LIMIT:
            raise MSEInputError(
                f"the model has {q:,} parameters besides the {S:,} strata: too many to fit "
                f"(at most {MEMORY_LIMIT:,} numbers for strata x parameters + parameters^2); "
                "use fewer covariates or fewer levels")
        for t in terms:
            lp = pats[:, list(t.lists)].prod(axis=1)
            self.list_part[t] = lp.astype(bool)
            cov_cols, cov_names = [np.ones(S)], [""]
            for j in t.covs:
                dm, names_j = self.dummies[j]
                cov_cols = [a * dm[:, i] for a in cov_cols for i in range(dm.shape[1])]
                cov_names = [f"{n}:{data.covariates[j]}[{names_j[i]}]" for n in cov_names
                             for i in range(dm.shape[1])]
            base = ":".join(data.lists[i] for i in t.lists)
            cols.append(sp.kron(sp.csr_matrix(np.column_stack(cov_cols)),
                                sp.csr_matrix(lp.reshape(-1, 1)), format="csr")
                        if cov_cols else sp.csr_matrix((S * M, 0)))
            a_parts.append(np.column_stack(cov_cols) if cov_cols else np.zeros((S, 0)))
            p_parts.append(np.repeat(lp.reshape(-1, 1), len(cov_cols), axis=1))
            names += [base + n for n in cov_names]
            self.slices[t] = slice(p, p + len(cov_cols))
            p += len(cov_cols)
        self.blocks = Blocks(sp.hstack(cols, format="csr"), np.repeat(np.arange(S), M), S,
                             np.hstack(a_parts), np.hstack(p_parts))
        self.names = names
        self.terms = list(terms)
        self.n_columns = p
        self._X: np.ndarray | None = None

    @property
    def X(self) -> np.ndarray:
        """The dense design (cells x columns), formed on first use."""
        if self._X is None:
            self._X = self.blocks.dense()
        return self._X

    def dense_ok(self, n_columns: int | None = None) -> bool:
        """Whether the batched dense fitter's cells x p x p products stay under DENSE_LIMIT."""
        p = self.n_columns if n_columns is None else n_columns
        return bool(self.S * self.M * p * p <= DENSE_LIMIT)

    def blocks_of(self, cols: np.ndarray) -> Blocks:
        """The blocked design of a model's columns (its stratum columns are all kept)."""
        return self.blocks.columns(cols[self.S:])

    def cells_of(self, t: CovTerm) -> np.ndarray:
        """(S * M,) cells whose people are on every list of ``t``."""
        return np.tile(self.list_part[t], self.S)

    def masks(self, model: Iterable[CovTerm], y: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, list[CovTerm], list[CovTerm], int]:
        """Columns and cells of ``model`` on counts ``y`` (S * M,): list x list terms whose lists
        share nobody go to minus infinity (cells deleted, column dropped), with every term whose
        lists include theirs.  Returns (cols, rows, finite terms, minus-inf terms, n_params)."""
        terms = sorted(set(model), key=CovTerm.sort_key)
        rows = np.ones(self.S * self.M, dtype=bool)
        dead = []
        for t in terms:
            if t.pure and not y[self.cells_of(t)].any():
                dead.append(t)
                rows &= ~self.cells_of(t)
        finite: list[CovTerm] = []
        minus_inf: list[CovTerm] = []
        cols = np.zeros(self.n_columns, dtype=bool)
        cols[: self.S + self.k] = True
        extra = 0
        for t in terms:
            if any(set(d.lists) <= set(t.lists) for d in dead):
                minus_inf.append(t)
                extra += self.slices[t].stop - self.slices[t].start
            else:
                finite.append(t)
                cols[self.slices[t]] = True
        return cols, rows, finite, minus_inf, int(cols.sum()) + extra
