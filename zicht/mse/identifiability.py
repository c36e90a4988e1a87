"""Existence and identifiability of the (extended) maximum likelihood estimate.

The linear-programming test of Fienberg & Rinaldo (2012), as SparseMSE's ``checkident`` applies
it (Chan, Silverman & Vincent 2021):

* bit 1 - the MLE does not exist: no strictly positive table has the model's sufficient
  statistics.  Solve max s subject to A'x = A'y, x_c >= s for every kept cell, x, s >= 0; an
  optimum of 0 means no positive table shares the margins.
* bit 2 - the model is not identifiable: the design matrix A has lower column rank than columns.

``ierr = bit1 + 2 * bit2``.  Whether the MLE exists depends only on the model and on *which*
cells are positive (the support), not on the counts themselves, so verdicts are cached per
(design, support); a table positive on every kept cell needs no LP at all.

Before the LP, two cheap certificates are tried.  First: when the design rows of the positive
cells already have the rank of the whole design, a positive table exists (see
:func:`support_spans`).  Second: a strictly positive table with the same margins
exists exactly when some direction d in the kernel of A' is positive on every zero cell (then
y + t d > 0 for small t).  With N a kernel basis, solving N_Z z = 1 by least squares and finding
N_Z z > 0 proves existence without an LP; only when that fails (the zero cells' rows of N are
dependent in a way that may block it) does the LP decide.  The certificate can only say "exists"
when a positive table really exists, so the verdicts are those of the LP.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.optimize import linprog

MESSAGES = {
    0: "the maximum likelihood estimate exists and is identifiable",
    1: "the maximum likelihood estimate does not exist (no positive table has the same margins)",
    2: "the model is not identifiable (its design matrix is rank deficient)",
    3: "the maximum likelihood estimate does not exist and the model is not identifiable",
}


class IdentCache:
    """Memo of existence and rank verdicts, shared across many checks (bootstrap, search)."""

    def __init__(self) -> None:
        self.exist: dict[tuple[bytes, bytes], bool] = {}
        self.rank: dict[bytes, int] = {}
        # verdicts keyed by callers that know the design
        self.keyed: dict[tuple[object, ...], int] = {}

    def check(self, A: np.ndarray, y: np.ndarray) -> int:
        """ierr for design A (kept cells x columns) and counts y over the same cells."""
        A = np.ascontiguousarray(A, dtype=float)
        key_a = A.shape[1].to_bytes(2, "little") + np.packbits(A.astype(bool)).tobytes()
        rank = self.rank.get(key_a)
        if rank is None:
            rank = self.rank[key_a] = int(np.linalg.matrix_rank(A))
        support = np.asarray(y) > 0
        if support.all():
            exists = True  # the observed table itself is strictly positive
        else:
            key = (key_a, np.packbits(support).tobytes())
            known = self.exist.get(key)
            if known is None:
                exists = (
                    support_spans(A, support, rank)
                    or (A.shape[0] <= 1024 and positive_certificate(A, support))
                    or mle_exists(A, np.asarray(y, dtype=float))
                )
                self.exist[key] = exists
            else:
                exists = known
        return (0 if exists else 1) + (0 if rank == A.shape[1] else 2)


def support_spans(A: np.ndarray, support: np.ndarray, rank: int | None = None) -> bool:
    """True when the positive cells' design rows have the full design's rank.

    Then the zero cells' rows of the kernel of A' have full row rank (their left kernel is
    A_Z ker(A_S), which is 0 when ker(A_S) = ker(A)), so some kernel direction is 1 on every
    zero cell and a positive table with the same margins exists.  Costs one small SVD.
    """
    if rank is None:
        rank = int(np.linalg.matrix_rank(A))
    return bool(support.sum() >= rank and np.linalg.matrix_rank(A[support]) == rank)


def positive_certificate(A: np.ndarray, support: np.ndarray) -> bool:
    """True when a kernel direction of A' is positive on every zero cell (see module doc)."""
    if support.all():
        return True  # the observed table is itself strictly positive
    u, sv, vt = np.linalg.svd(A.T, full_matrices=True)
    rank = int((sv > sv.max() * max(A.shape) * np.finfo(float).eps).sum()) if sv.size else 0
    N = vt[rank:].T  # (cells, kernel dimension)
    if N.shape[1] == 0:
        return False
    NZ = np.where(np.abs(N[~support]) < 1e-10, 0.0, N[~support])
    z = np.linalg.lstsq(NZ, np.ones(NZ.shape[0]), rcond=None)[0]
    d = NZ @ z
    # rows of the orthonormal basis N have norm <= 1, so |d_c| <= |z|: a direction that is
    # positive only by rounding (a cell forced to 0, its row ~1e-17) fails this test
    return bool(d.min() > 1e-7 * max(1.0, float(np.linalg.norm(z))))


def mle_exists(A: np.ndarray, y: np.ndarray) -> bool:
    """Solve the existence LP (HiGHS); True when some strictly positive table has A'x = A'y."""
    m, p = A.shape
    T = A.T @ y
    # variables: x_1..x_m, s ; maximise s
    c = np.zeros(m + 1)
    c[-1] = -1.0
    A_eq = np.hstack([A.T, np.zeros((p, 1))])
    A_ub = np.hstack([-np.eye(m), np.ones((m, 1))])  # s - x_c <= 0
    res = linprog(
        c, A_ub=A_ub, b_ub=np.zeros(m), A_eq=A_eq, b_eq=T, bounds=(0, None), method="highs"
    )
    if res.status != 0:  # infeasible cannot happen (x = y is feasible); be conservative
        return False
    scale = max(1.0, float(y.sum()))
    return bool(-res.fun > 1e-9 * scale)


def check_all_models(k: int, y: np.ndarray, lists: Sequence[str] | None = None,
                     cache: IdentCache | None = None) -> dict[str, Any]:
    """SparseMSE's ``checkallmodels``: every two-way model whose extended MLE does not exist.

    Removing a pair with a non-empty overlap cannot destroy existence, so for each subset S of
    the M empty-overlap pairs the search starts at S plus all overlapping pairs and walks down
    (dropping overlapping pairs) only below models that fail: 2^M starting points, not 2^P.
    Returns the failing models (named like ``"A:B+A:C"``), the number of empty-overlap pairs, and
    the verdict on the full two-way model (SparseMSE reports its identifiability separately).
    """
    from itertools import combinations

    from .design import all_pairs, design_matrix, pair_cells, pair_model_masks

    cache = cache or IdentCache()
    y = np.asarray(y, dtype=float)
    names = list(lists) if lists is not None else [str(i + 1) for i in range(k)]
    pairs = all_pairs(k)
    nstar = pair_cells(k) @ y
    empty = [j for j in range(len(pairs)) if nstar[j] == 0]
    overlapping = [j for j in range(len(pairs)) if nstar[j] > 0]
    X = design_matrix(k, pairs)

    def ierr(model: frozenset[int]) -> int:
        include = np.zeros(len(pairs), dtype=bool)
        include[list(model)] = True
        cols, keep = pair_model_masks(k, include, nstar > 0)
        return cache.check(X[keep][:, cols], y[keep])

    failing: set[frozenset[int]] = set()
    seen: set[frozenset[int]] = set()
    for r in range(len(empty) + 1):
        for s in combinations(empty, r):
            stack = [frozenset(s) | frozenset(overlapping)]
            while stack:
                model = stack.pop()
                if model in seen:
                    continue
                seen.add(model)
                if ierr(model) & 1:
                    failing.add(model)
                    stack.extend(model - {j} for j in model if nstar[j] > 0)

    def name(model: frozenset[int]) -> str:
        return "+".join(f"{names[pairs[j][0]]}:{names[pairs[j][1]]}" for j in sorted(model))

    full = frozenset(range(len(pairs)))
    return {
        "n_nonoverlapping_pairs": len(empty),
        "failing_models": sorted((name(m) for m in failing), key=lambda s: (s.count("+"), s)),
        "full_model_ierr": ierr(full),
        "models_checked": len(seen),
    }
