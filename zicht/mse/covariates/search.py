"""AIC/BIC search over covariate models: batched fits of many models over one design."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import EstimateNotAvailable
from ..glm import fit_poisson_batch
from ..identifiability import MESSAGES, IdentCache
from .blocked import blocked_ierr, fit_blocked, screen_moves
from .data import StratifiedHistories
from .design import _Design
from .fit import _empty_margins
from .terms import CovTerm, hierarchical_closure

Model = frozenset[CovTerm]
Info = tuple[np.ndarray, np.ndarray, int]  # a model's columns, cells and parameters


class _Search:
    """Batched fits of many models over one design (all candidate columns)."""

    def __init__(self, data: StratifiedHistories, keep: Iterable[CovTerm],
                 cand: Iterable[CovTerm], criterion: str, cache: IdentCache):
        self.data, self.keep, self.cand = data, list(keep), list(cand)
        self.criterion, self.cache = criterion, cache
        self.universe = hierarchical_closure(self.keep + self.cand)
        self.design = _Design(data, self.universe)
        self.y = data.cells.ravel().astype(float)
        self.penalty = 2.0 if criterion == "aic" else math.log(data.n_observed)
        self.n_fitted = 0
        self.verdicts: dict[Model, int] = {}
        self.screened = 0  # moves judged by their score or Wald statistic alone

    # On a design too large to form densely each fit is a separate Newton run, so a step fits
    # only the SCREEN moves whose score (addition) or Wald (removal) statistic promises most,
    # and those with no such approximation.
    SCREEN = 4

    def name(self, t: CovTerm) -> str:
        return t.name(self.data.lists, self.data.covariates)

    def fit_models(self, models: list[Model], beta0: np.ndarray | None = None,
                   chunk: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Info]]:
        """Criterion, estimate and beta of each model (batched; one at a time on the blocked
        design when the dense one would be too large)."""
        crit: list[np.ndarray] = []
        est: list[np.ndarray] = []
        betas: list[np.ndarray] = []
        info: list[Info] = []
        for m in models:
            cols, rows, _, minus_inf, n_params = self.design.masks(m, self.y)
            info.append((cols, rows, n_params))
        if not self.design.dense_ok():
            return self._fit_blocked(info, beta0)
        for start in range(0, len(models), chunk):
            part = info[start:start + chunk]
            colmask = np.array([c for c, _, _ in part])
            rowmask = np.array([r for _, r, _ in part])
            b0 = None if beta0 is None else np.broadcast_to(beta0, colmask.shape)
            fit = fit_poisson_batch(self.design.X, self.y, colmask, rowmask, beta0=b0,
                                    want_cov=False)
            k = np.array([n for _, _, n in part], dtype=float)
            crit.append(-2.0 * fit.loglik + self.penalty * k)
            d = np.exp(np.minimum(fit.beta[:, : self.data.n_strata], 700.0)).sum(axis=1)
            est.append(self.data.n_observed + d)
            betas.append(fit.beta)
        self.n_fitted += len(models)
        return np.concatenate(crit), np.concatenate(est), np.concatenate(betas), info

    def _fit_blocked(self, info: list[Info], beta0: np.ndarray | None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Info]]:
        B, p = len(info), self.design.n_columns
        crit, est, beta = np.empty(B), np.empty(B), np.zeros((B, p))
        for i, (cols, rows, n_params) in enumerate(info):
            fit = fit_blocked(self.design.blocks_of(cols), self.y, rowmask=rows,
                              beta0=None if beta0 is None else beta0[cols], want_cov=False)
            crit[i] = -2.0 * fit.loglik[0] + self.penalty * n_params
            est[i] = self.data.n_observed + np.exp(
                np.minimum(fit.beta[0, : self.data.n_strata], 700.0)).sum()
            beta[i, cols] = fit.beta[0]
        self.n_fitted += B
        return crit, est, beta, info

    def _screened(self, model: Model, models: list[Model], beta: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Info]]:
        """fit_models for one stepwise step on a large design: the promising moves only (the
        others have criterion and estimate NaN)."""
        cols, rows, _, _, _ = self.design.masks(model, self.y)
        info: list[Info] = [(c, r, n) for c, r, _, _, n in
                            (self.design.masks(m, self.y) for m in models)]
        approx = screen_moves(self.design.blocks, self.y, cols, rows, beta,
                              [(c, r) for c, r, _ in info], self.penalty)
        ranked = np.argsort(np.where(np.isnan(approx), -np.inf, approx), kind="stable")
        # a model whose MLE does not exist is never chosen; its fit runs to the iteration limit
        pick: list[int] = []
        for i in ranked:
            if len(pick) >= self.SCREEN and not np.isnan(approx[i]):
                break
            if self.ierr(models[i], info[i]) == 0:
                pick.append(int(i))
        crit, est = np.full(len(models), np.nan), np.full(len(models), np.nan)
        betas = np.zeros((len(models), self.design.n_columns))
        c, e, b, _ = self._fit_blocked([info[i] for i in pick], beta)
        crit[pick], est[pick], betas[pick] = c, e, b
        self.screened += len(models) - len(pick)
        return crit, est, betas, info

    def ierr(self, model: Iterable[CovTerm], info: Info) -> int:
        """Existence verdict of a model on this table (memoised for this search; the shared
        cache memoises by design and support across searches)."""
        key = frozenset(model)
        if key not in self.verdicts:
            cols, rows, _ = info
            if self.design.dense_ok():
                self.verdicts[key] = self.cache.check(self.design.X[rows][:, cols],
                                                      self.y[rows])
            else:
                self.verdicts[key] = blocked_ierr(self.design.blocks_of(cols), self.y, rows)
        return self.verdicts[key]

    def eligible(self, model: Model, t: CovTerm) -> bool:
        return all(s in model for s in t.subterms())

    def removable(self, model: Model, t: CovTerm) -> bool:
        return t not in self.keep and not any(t in u.subterms() for u in model if u != t)

    def stepwise(self) -> tuple[list[CovTerm], pd.DataFrame, pd.DataFrame]:
        model = frozenset(self.keep)
        crit, est, beta, info = self.fit_models([model])
        if self.ierr(model, info[0]):
            raise EstimateNotAvailable(
                f"covariate search: the starting model has no MLE "
                f"({_empty_margins(self.data, model) or MESSAGES[self.ierr(model, info[0])]})")
        cur_crit, cur_beta = float(crit[0]), beta[0]
        path = [{"step": 0, "action": "start", "term": "", "criterion": cur_crit,
                 "estimate": float(est[0]), "refused": ""}]
        Step = tuple[list[tuple[str, CovTerm]], np.ndarray, np.ndarray, float, list[int]]
        last: Step | None = None
        while True:
            moves: list[tuple[str, CovTerm]] = [
                ("add", t) for t in self.cand if t not in model and self.eligible(model, t)]
            moves += [("drop", t) for t in sorted(model, key=CovTerm.sort_key)
                      if self.removable(model, t)]
            if not moves:
                break
            models = [model | {t} if a == "add" else model - {t} for a, t in moves]
            if self.design.dense_ok():
                crit, est, beta, info = self.fit_models(models, beta0=cur_beta)
            else:
                crit, est, beta, info = self._screened(model, models, cur_beta)
            order = np.argsort(crit, kind="stable")
            chosen: int | None = None
            refused: list[int] = []
            for i in order:
                if not crit[i] < cur_crit - 1e-7:
                    break
                if self.ierr(models[i], info[i]) == 0:
                    chosen = int(i)
                    break
                refused.append(int(i))
            last = (moves, crit, est, cur_crit, refused)
            refused_moves = [f"{moves[i][0]} {self.name(moves[i][1])}" for i in refused]
            if chosen is None:
                break
            model, cur_crit, cur_beta = models[chosen], float(crit[chosen]), beta[chosen]
            path.append({"step": len(path), "action": moves[chosen][0],
                         "term": self.name(moves[chosen][1]), "criterion": cur_crit,
                         "estimate": float(est[chosen]), "refused": ", ".join(refused_moves)})
        cols = f"{self.criterion.upper()}"
        if last is None:
            ranking = pd.DataFrame(columns=["move", cols, "delta", "estimate", "refused"])
        else:
            moves, crit, est, base, refused = last  # the last step's
            ranking = pd.DataFrame({
                "move": [f"{a} {self.name(t)}" for a, t in moves], cols: crit,
                "delta": crit - base, "estimate": est,
                "refused": np.isin(np.arange(len(moves)), refused),
            }).sort_values(cols, kind="stable").reset_index(drop=True)
            ranking.attrs["note"] = ("the last step's moves from the chosen model (refused: "
                                     "no MLE)")
        return sorted(model, key=CovTerm.sort_key), ranking, pd.DataFrame(path)

    def exhaustive(self, top: int) -> tuple[list[CovTerm], pd.DataFrame, pd.DataFrame]:
        models: list[Model] = []
        for r in range(len(self.cand) + 1):
            for combo in itertools.combinations(self.cand, r):
                m = frozenset(self.keep) | frozenset(combo)
                if all(self.eligible(m, t) for t in m):
                    models.append(m)
        crit, est, _, info = self.fit_models(models)
        order = np.argsort(crit, kind="stable")
        ierr = np.full(len(models), -1)
        best: int | None = None
        for rank, i in enumerate(order):
            if best is not None and rank >= top:
                break
            ierr[i] = self.ierr(models[i], info[i])
            if best is None and ierr[i] == 0:
                best = int(i)
        if best is None:
            raise EstimateNotAvailable("covariate search: no model has an existing, "
                                       "identifiable MLE")
        col = self.criterion.upper()
        ranking = pd.DataFrame({
            "model": [", ".join(self.name(t) for t in sorted(models[i], key=CovTerm.sort_key))
                      or "(main effects + strata)" for i in order],
            col: crit[order], "delta": crit[order] - crit[best], "estimate": est[order],
            "n_params": [info[i][2] for i in order], "ierr": ierr[order],
        })
        path = pd.DataFrame([{"step": 0, "action": "exhaustive", "term": "",
                              "criterion": float(crit[best]), "estimate": float(est[best]),
                              "refused": ", ".join(ranking["model"][ranking["ierr"] > 0])}])
        return sorted(models[best], key=CovTerm.sort_key), ranking, path
