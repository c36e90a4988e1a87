"""Exhaustive search over all hierarchical log-linear models with up to two-way interactions.

With main effects always in, the hierarchical models of order <= 2 are the 2^(k(k-1)/2) subsets of
pairs: 1,024 for 5 lists, 32,768 for 6.  They are ranked by AIC or BIC as Rcapture's
``closedpMS.t`` and MultipleSystemsEstimation's ``estimate_population_bic`` do.  All models are
fitted together in batches (:func:`zicht.mse.glm.fit_poisson_batch`); pairs with an empty
overlap are fitted at minus infinity (cells deleted, SparseMSE's extended MLE), the limit that
Rcapture's unconstrained GLM drifts towards.

Models whose MLE does not exist or is not identifiable are never selected: the ranking is walked
from the best criterion value down and each model is checked with the LP test until one passes.
Their rows stay in the table, flagged, so a user can see what was refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._types import Array, FloatArray
from .base import FitSettings, MSEEstimator
from .data import as_capture_histories
from .design import all_pairs, design_matrix, pair_cells, pair_model_masks, rcapture_name
from .errors import EstimateNotAvailable, InvalidSetting, MSEInputError
from .fitting import ModelFit, fit_loglinear
from .glm import fit_poisson_batch
from .identifiability import IdentCache
from .result import MSEResult

CRITERIA = ("aic", "bic")
MAX_SEARCH_LISTS = 6


def enumerate_models(k: int) -> np.ndarray:
    """(2^P, P) boolean inclusion matrix over the P pairs; row b includes pair j when bit j of b."""
    P = k * (k - 1) // 2
    codes = np.arange(2**P, dtype=np.int64)
    return ((codes[:, None] >> np.arange(P)) & 1).astype(bool)


def fit_all_models(k: int, y: np.ndarray, chunk: int = 4096, maxit: int = 60) -> pd.DataFrame:
    """Fit every model; one row per model with deviance, df, AIC, BIC and the estimate."""
    y = np.asarray(y, dtype=float)
    pairs = all_pairs(k)
    X = design_matrix(k, pairs)
    m, p = X.shape
    n = y.sum()
    incl = enumerate_models(k)
    cells_of = pair_cells(k)  # (P, m)
    empty = cells_of @ y == 0
    out = {key: np.empty(len(incl)) for key in ("deviance", "loglik", "estimate", "log_dark")}
    converged = np.empty(len(incl), dtype=bool)
    for start in range(0, len(incl), chunk):
        inc = incl[start : start + chunk]
        colmask = np.ones((len(inc), p), dtype=bool)
        colmask[:, 1 + k :] = inc & ~empty
        deleted = (inc & empty).astype(float) @ cells_of.astype(float) > 0  # (B, m)
        fit = fit_poisson_batch(X, y, colmask, ~deleted, maxit=maxit, want_cov=False)
        sl = slice(start, start + len(inc))
        out["deviance"][sl] = fit.deviance
        out["loglik"][sl] = fit.loglik
        out["log_dark"][sl] = fit.beta[:, 0]
        out["estimate"][sl] = n + np.exp(np.minimum(fit.beta[:, 0], 700))
        converged[sl] = fit.converged
    n_params = 1 + k + incl.sum(axis=1)
    frame = pd.DataFrame({
        "code": np.arange(len(incl)),
        "n_terms": incl.sum(axis=1),
        "estimate": out["estimate"],
        "deviance": out["deviance"],
        "df": m - n_params,
        "AIC": -2 * out["loglik"] + 2 * n_params,
        "BIC": -2 * out["loglik"] + np.log(n) * n_params,
        "converged": converged,
    })
    frame.attrs["inclusion"] = incl
    frame.attrs["pairs"] = pairs
    return frame


def select_model(
    k: int, y: np.ndarray, criterion: str = "bic", cache: IdentCache | None = None,
    top: int = 10,
) -> tuple[ModelFit, pd.DataFrame]:
    """Best model by ``criterion`` among those whose MLE exists and is identifiable.

    Returns the refitted best model and the ranked table (its ``ierr`` column is filled for
    the models checked on the way down and for the first ``top`` rows; -1 = not checked).
    """
    criterion = criterion.lower()
    if criterion not in CRITERIA:
        raise InvalidSetting(f"criterion must be one of {CRITERIA}")
    cache = cache or IdentCache()
    y = np.asarray(y, dtype=float)
    table = fit_all_models(k, y)
    incl, pairs = table.attrs["inclusion"], table.attrs["pairs"]
    col = "AIC" if criterion == "aic" else "BIC"
    order = np.argsort(table[col].to_numpy(), kind="stable")
    ierr = np.full(len(table), -1)
    best = None
    X = design_matrix(k, pairs)
    nonempty = pair_cells(k) @ y > 0
    for rank, i in enumerate(order):
        if best is not None and rank >= top:
            break
        cols, keep = pair_model_masks(k, incl[i], nonempty)
        ierr[i] = cache.check(X[keep][:, cols], y[keep])
        if best is None and ierr[i] == 0:
            best = i
    table["ierr"] = ierr
    ranked = table.iloc[order].reset_index(drop=True)
    ranked.attrs = {}
    head = ranked.index < top
    ranked.insert(0, "model", "")
    ranked.loc[head, "model"] = [model_name(k, c) for c in ranked.loc[head, "code"]]
    if best is None:  # every model fails (e.g. a list that saw nobody): say so
        raise EstimateNotAvailable("no model in the search has an existing, identifiable MLE")
    terms = [pairs[j] for j in np.flatnonzero(incl[best])]
    return fit_loglinear(k, y, terms, cache=cache), ranked


def model_name(k: int, code: int) -> str:
    """Rcapture's name of the model with pair-inclusion bitmask ``code``."""
    pairs = all_pairs(k)
    return rcapture_name(k, [pairs[j] for j in range(len(pairs)) if code >> j & 1])




class ModelSearch(MSEEstimator):
    """Best hierarchical model (pairs only) by AIC or BIC (Rcapture ``closedpMS.t``)."""

    def __init__(self, criterion: str = "bic", top: int = 10, ci: str = "profile",
                 level: float = 0.95, nboot: int = 1000, seed: int | None = 1234):
        super().__init__(ci=ci, level=level, nboot=nboot, seed=seed)
        if criterion.lower() not in CRITERIA:
            raise InvalidSetting(f"criterion must be one of {CRITERIA}")
        self.criterion = criterion.lower()
        self.method = self.criterion
        self.top = top
        self.ranking_: pd.DataFrame | None = None

    def _fit(self, data: Any, settings: FitSettings) -> MSEResult:
        table = as_capture_histories(data)
        if table.k > MAX_SEARCH_LISTS:
            models = 2 ** (table.k * (table.k - 1) // 2)
            raise MSEInputError(
                f"exhaustive search over {table.k} lists means {models:,} models; supported up "
                f"to {MAX_SEARCH_LISTS} lists (32,768 models): use stepwise, or merge lists"
            )
        return super()._fit(table, settings)

    def _estimate_batch(self, k: int, Y: Array) -> FloatArray:
        """Bootstrap replicates: re-run the search on each table (``ranking_`` untouched)."""
        out = np.full(Y.shape[0], np.inf)
        for b, y in enumerate(Y):
            try:
                out[b] = select_model(k, y, self.criterion, self.cache, top=1)[0].estimate
            except EstimateNotAvailable:
                pass
        return out

    def _select(self, k: int, y: Array) -> tuple[ModelFit, dict[str, Any]]:
        fit, ranked = select_model(k, y, self.criterion, self.cache, top=self.top)
        self.ranking_ = ranked
        head = ranked.head(self.top)
        top = head[["model", "estimate", "deviance", "df", "AIC", "BIC", "ierr"]]
        return fit, {"n_models": int(len(ranked)), "top_models": top.to_dict(orient="records")}
