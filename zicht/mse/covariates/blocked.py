"""The covariate model fitted at the scale of real stratifications.

The covariate design has one intercept per stratum (S columns, one 1 per row) beside q columns
for list main effects and list x covariate / list x list terms, and most of its entries are 0.
Formed densely, as the batched fitter in :mod:`zicht.mse.glm` does, it costs cells x (S + q)
numbers and its products cells x (S + q)^2: a ten-year series stratified by form, nationality
group and age band (about 1,100 strata of 63 cells, 1,240 columns) asked for 776 GiB.

Here the q columns are a sparse matrix and the stratum intercepts are never formed.  The
information matrix X'WX splits into blocks

    [ D   C ]   D = diag(per-stratum sum of mu)            (S)
    [ C'  Q ]   C = per-stratum sums of mu * Xq            (S x q)
                Q = Xq' diag(mu) Xq                       (q x q)

and a Newton step solves it through the Schur complement A = Q - C' D^-1 C (q x q):
O(nnz(Xq) q + S q^2 + q^3) per iteration, memory O(S q + q^2).  The covariance is formed from
the same blocks.  Existence of the MLE is decided as in :mod:`zicht.mse.identifiability` - the
rank of the positive cells' rows first, then the linear programme - with the rank taken from
the Schur complement and the programme given as a sparse matrix to HiGHS.

Hand-written rather than taken from statsmodels or glum because neither exploits the stratum
block (statsmodels forms the dense design; glum's sparse solver forms X'WX over all S + q
columns); the iterations, start and stopping rule are those of :func:`zicht.mse.glm.fit_poisson`
and the two agree to the convergence tolerance (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.special import xlogy

from ..glm import BatchFit, newton, poisson_loglik


@dataclass
class Blocks:
    """The blocked design: ``Xq`` (cells x q, sparse) and each cell's stratum (cells sorted by
    stratum, as :class:`~zicht.mse.covariates.design._Design` lays them out).

    ``A`` (S x q) and ``P`` (M x q), when given, are the design's product structure over all
    S x M cells: Xq[s * M + c, j] = A[s, j] P[c, j] (a term's covariate part times its list
    part).  Then X'WX is formed from per-stratum sums over the cells instead of the sparse
    product, about ten times faster (:meth:`parts`)."""

    Xq: sp.csr_matrix
    stratum: np.ndarray  # (cells,) int, non-decreasing
    S: int
    A: np.ndarray | None = None
    P: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.Xq = sp.csr_matrix(self.Xq)
        self.Xq.sort_indices()
        self._XqT: sp.csr_matrix | None = None
        # row pointer that gathers each stratum's cells into one row (segment sums in O(nnz))
        first = np.searchsorted(self.stratum, np.arange(self.S + 1))
        self._strata_ptr = self.Xq.indptr[first]
        self._groups: tuple[np.ndarray, np.ndarray, list[np.ndarray]] | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.Xq.shape[0]), self.S + int(self.Xq.shape[1])

    def take(self, rows: np.ndarray) -> Blocks:
        """The design of some cells (the product structure is lost)."""
        return Blocks(self.Xq[rows], self.stratum[rows], self.S)

    def columns(self, cols: np.ndarray) -> Blocks:
        """The design of some of the q columns."""
        return Blocks(self.Xq[:, cols], self.stratum, self.S,
                      None if self.A is None else self.A[:, cols],
                      None if self.P is None else self.P[:, cols])

    def dense(self) -> np.ndarray:
        """The full dense design (strata first); for small designs and tests only."""
        out = np.zeros(self.shape)
        out[np.arange(self.stratum.size), self.stratum] = 1.0
        out[:, self.S:] = self.Xq.toarray()
        return out

    def eta(self, beta: np.ndarray) -> np.ndarray:
        return np.asarray(beta[: self.S][self.stratum] + self.Xq @ beta[self.S:])

    def parts(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """D (S,), C (S, q) and Q (q, q) of X' diag(w) X."""
        if self.A is not None and self.P is not None \
                and w.size == self.S * self.P.shape[0]:
            return self._parts_structured(w)
        X = self.Xq
        D = np.bincount(self.stratum, weights=w, minlength=self.S)
        wdata = X.data * np.repeat(w, np.diff(X.indptr))
        WX = sp.csr_matrix((wdata, X.indices, X.indptr), shape=X.shape)
        # the same entries with one row per stratum: duplicates are summed by toarray
        C = sp.csr_matrix((wdata, X.indices, self._strata_ptr),
                          shape=(self.S, X.shape[1])).toarray()
        if self._XqT is None:
            self._XqT = X.T.tocsr()
        Q = np.asarray((self._XqT @ WX).toarray())
        return D, C, Q

    def _parts_structured(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The blocks from the product structure.  Columns fall into groups with the same list
        part (a main effect and its list's covariate terms share one); with W the cells'
        weights as (S, M), Q's block of groups g, h is A_g' diag(W @ (p_g * p_h)) A_h and
        C = A * (W @ P)."""
        A, P = self.A, self.P
        assert A is not None and P is not None
        W = w.reshape(self.S, P.shape[0])
        if self._groups is None:
            parts_, inverse = np.unique(P.T, axis=0, return_inverse=True)
            inverse = inverse.ravel()
            self._groups = (parts_.T, inverse,
                            [np.flatnonzero(inverse == g) for g in range(parts_.shape[0])])
        lp, _, members = self._groups
        G = lp.shape[1]
        WP = W @ lp  # (S, G): weight on each list part
        C = A * WP[:, self._groups[1]]
        pair = W @ (lp[:, :, None] * lp[:, None, :]).reshape(lp.shape[0], G * G)
        Q = np.empty((A.shape[1], A.shape[1]))
        for g in range(G):
            Ag = A[:, members[g]]
            for h in range(g, G):
                block = (Ag * pair[:, g * G + h, None]).T @ A[:, members[h]]
                Q[np.ix_(members[g], members[h])] = block
                if h != g:
                    Q[np.ix_(members[h], members[g])] = block.T
        return W.sum(axis=1), C, Q

    def xt(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """X'v as (stratum part, q part)."""
        return (np.bincount(self.stratum, weights=v, minlength=self.S),
                np.asarray(self.Xq.T @ v))


def _schur(D: np.ndarray, C: np.ndarray, Q: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Schur complement A = Q - C' D^-1 C of the diagonal stratum block D, E = D^-1 C and
    D^-1 (0 for a stratum without weight)."""
    Dinv = np.where(D > 0, 1.0 / np.where(D > 0, D, 1.0), 0.0)
    E = C * Dinv[:, None]
    return Q - C.T @ E, E, Dinv


def _solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.asarray(np.linalg.solve(A, b))
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.lstsq(A, b, rcond=None)[0])


def newton_step(blocks: Blocks, w: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Solve X' diag(w) X delta = X' g through the Schur complement."""
    D, C, Q = blocks.parts(w)
    A, E, Dinv = _schur(D, C, Q)
    gs, gq = blocks.xt(g)
    dq = _solve(A, gq - E.T @ gs)
    ds = gs * Dinv - E @ dq
    return np.concatenate([ds, dq])


def covariance(blocks: Blocks, mu: np.ndarray) -> np.ndarray:
    """(X' diag(mu) X)^-1 from the blocks (pseudo-inverse of a singular Schur complement)."""
    D, C, Q = blocks.parts(mu)
    A, E, Dinv = _schur(D, C, Q)
    try:
        Ainv = np.linalg.inv(A)
    except np.linalg.LinAlgError:
        Ainv = np.linalg.pinv(A)
    S = blocks.S
    cov = np.empty((S + A.shape[0],) * 2)
    EA = E @ Ainv
    cov[:S, :S] = EA @ E.T
    cov[:S, :S][np.diag_indices(S)] += Dinv
    cov[:S, S:] = -EA
    cov[S:, :S] = -EA.T
    cov[S:, S:] = Ainv
    return cov


def fit_blocked(blocks: Blocks, y: np.ndarray, rowmask: np.ndarray | None = None,
                beta0: np.ndarray | None = None, tol: float = 1e-11, maxit: int = 100,
                want_cov: bool = True) -> BatchFit:
    """Fit one Poisson log-linear model on the blocked design; a batch of size 1.

    R's start (mu = y + 0.1 and one weighted least-squares step) unless ``beta0`` is given,
    then Newton with step halving; stopping as :func:`zicht.mse.glm.fit_poisson`.  Cells
    outside ``rowmask`` are deleted (their mu is 0).
    """
    y_all = np.asarray(y, dtype=float)
    keep = np.ones(y_all.size, bool) if rowmask is None else np.asarray(rowmask, bool)
    # deleted cells stay in the design with weight 0 (mu = 0), which keeps its structure
    on = keep.astype(float)
    yk = y_all * on
    const = float((xlogy(yk, yk) - yk).sum())
    b = blocks

    def dev_of(mu: np.ndarray) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):
            return 2.0 * (const - float((xlogy(yk, np.where(mu > 0, mu, 1.0)) - mu).sum()))

    def mu_of(beta: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.asarray(np.exp(np.minimum(b.eta(beta), 700.0)) * on)

    if beta0 is None:
        mu = (yk + 0.1) * on
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(keep, np.log(np.where(keep, mu, 1.0)) + (yk - mu) / np.where(
                keep, mu, 1.0), 0.0)
        beta = newton_step(b, mu, mu * z)
    else:
        beta = np.asarray(beta0, dtype=float).copy()
    beta, mu, dev, converged, it = newton(beta, lambda mu: newton_step(b, mu, yk - mu), mu_of,
                                          dev_of, tol, maxit)
    mu_all = mu
    p = blocks.shape[1]
    cov = covariance(b, mu) if want_cov else np.full((0, 0), np.nan)
    return BatchFit(
        beta=beta[None], mu=mu_all[None], deviance=np.array([dev]),
        loglik=poisson_loglik(y_all[None] * keep, mu_all[None]), cov=cov[None],
        rank=np.array([p]), converged=np.array([converged]), iterations=it,
    )


# -- existence and identifiability ------------------------------------------------------------
def _null_space(blocks: Blocks, w: np.ndarray) -> tuple[int, np.ndarray]:
    """Rank of X' diag(w) X (w >= 0, every stratum weighted) and a basis of its null space as
    (S + q, r): for v in the Schur complement's null space, (-D^-1 C v, v)."""
    D, C, Q = blocks.parts(w)
    A, E, _ = _schur(D, C, Q)
    A = (A + A.T) / 2
    q = A.shape[0]
    scale = np.sqrt(np.clip(np.diag(A), 0, None))
    live = scale > 1e-10 * max(1.0, float(np.abs(Q).max(initial=0.0)))
    V = np.zeros((q, 0))
    rank_q = 0
    if live.any():
        ev, vec = np.linalg.eigh(A[np.ix_(live, live)] / np.outer(scale[live], scale[live]))
        small = ev <= 1e-9 * max(1, ev.size)
        rank_q = int((~small).sum())
        V = np.zeros((q, int(small.sum())))
        V[live] = vec[:, small] / scale[live, None]
    dead = np.flatnonzero(~live)  # columns with no weight at all are free directions
    V = np.hstack([V, np.eye(q)[:, dead]])
    null = np.vstack([-E @ V, V])
    return int((D > 0).sum()) + rank_q, null


def blocked_ierr(blocks: Blocks, y: np.ndarray, rows: np.ndarray | None = None) -> int:
    """SparseMSE's ``ierr`` (1: no MLE, 2: not identifiable) for the blocked design over the
    cells ``rows`` (default: all) with counts ``y``.

    The MLE fails to exist exactly when some direction d has Xd = 0 on the positive cells and
    Xd <= 0, not all 0, on the zero cells (the likelihood then rises for ever along d).  Such d
    lie in the null space of the positive cells' information matrix, found from its Schur
    complement; when that null space is empty the MLE exists (as
    :func:`zicht.mse.identifiability.support_spans`), otherwise a linear programme over the few
    null directions decides - the same verdict as the module's programme over all cells, at a
    fraction of its size.
    """
    y = np.asarray(y, dtype=float)
    kept = np.ones(y.size, bool) if rows is None else np.asarray(rows, bool)
    p = blocks.shape[1]
    # cells outside ``rows`` weigh 0, which keeps the design's product structure
    rank, _ = _null_space(blocks, kept.astype(float))
    support = (y > 0) & kept
    zero = kept & ~support
    exists = True
    if zero.any():
        if (np.bincount(blocks.stratum[support], minlength=blocks.S) == 0).any():
            exists = False  # a stratum with nobody in it: its intercept goes to minus infinity
        else:
            _, null = _null_space(blocks, support.astype(float))
            exists = null.shape[1] == 0 or not _recession(blocks, null, zero)
    return (0 if exists else 1) + (0 if rank == p else 2)


def _recession(blocks: Blocks, null: np.ndarray, zero: np.ndarray) -> bool:
    """Whether some z gives M z <= 0 with M z != 0, M = X_zero @ null (the zero cells' values
    along the null directions): maximise -1'Mz subject to Mz <= 0 and -1'Mz <= 1."""
    S = blocks.S
    Xz = blocks.take(zero)
    M = null[:S][Xz.stratum] + Xz.Xq @ null[S:]
    M[np.abs(M) < 1e-8 * max(1.0, float(np.abs(M).max(initial=0.0)))] = 0.0
    M = M[np.abs(M).sum(axis=1) > 0]
    if M.shape[0] == 0:
        return False
    total = -M.sum(axis=0)
    res = linprog(-total, A_ub=np.vstack([M, total[None]]),
                  b_ub=np.concatenate([np.zeros(M.shape[0]), [1.0]]),
                  bounds=(None, None), method="highs")
    return bool(res.status == 0 and -res.fun > 1e-7)


# -- screening a stepwise search's moves -------------------------------------------------------
def screen_moves(blocks: Blocks, y: np.ndarray, cols: np.ndarray, rows: np.ndarray,
                 beta: np.ndarray, moves: list[tuple[np.ndarray, np.ndarray]],
                 penalty: float) -> np.ndarray:
    """Approximate change of the criterion for each move from the current fit, without fitting.

    ``blocks``: the design over every candidate column; ``cols``/``rows``/``beta``: the current
    model (beta over all columns, 0 outside the model).  ``moves``: each move's (cols, rows).
    An addition's change is -T + penalty df with T Rao's score statistic of its columns; a
    removal's is W - penalty df with W the Wald statistic, both from the information at the
    current fit with the stratum intercepts profiled out (the Schur complement).  A move that
    deletes or restores cells is NaN: it must be fitted.
    """
    S = blocks.S
    mu = np.exp(np.minimum(blocks.eta(beta), 700.0)) * rows
    D, C, Q = blocks.parts(mu)
    A, _, _ = _schur(D, C, Q)
    U = np.asarray(blocks.Xq.T @ ((y - mu) * rows))
    inq = cols[S:]
    m_idx = np.flatnonzero(inq)
    try:
        Amm_inv = np.linalg.inv(A[np.ix_(m_idx, m_idx)])
    except np.linalg.LinAlgError:
        Amm_inv = np.linalg.pinv(A[np.ix_(m_idx, m_idx)])
    out = np.full(len(moves), np.nan)
    for i, (c, r) in enumerate(moves):
        if not np.array_equal(r, rows):
            continue
        cq = c[S:]
        add, drop = np.flatnonzero(cq & ~inq), np.flatnonzero(inq & ~cq)
        if add.size and not drop.size:
            B = A[np.ix_(add, m_idx)]
            V = A[np.ix_(add, add)] - B @ Amm_inv @ B.T
            stat = float(U[add] @ np.linalg.lstsq(V, U[add], rcond=None)[0])
            out[i] = -stat + penalty * add.size
        elif drop.size and not add.size:
            pos = np.searchsorted(m_idx, drop)
            cov = Amm_inv[np.ix_(pos, pos)]
            b = beta[S:][drop]
            stat = float(b @ np.linalg.lstsq(cov, b, rcond=None)[0])
            out[i] = stat - penalty * drop.size
    return out
