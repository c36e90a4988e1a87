"""Rcapture's classical closed-population models (``closedp.t``), for comparison.

Baillargeon & Rivest (2007), "Rcapture: loglinear models for capture-recapture in R", J. Stat.
Softw. 19(5); Rivest & Baillargeon, Rcapture 1.4-4.  Every model is a Poisson log-linear model
on the 2^t - 1 observable capture histories (t = number of lists, ``k`` below), whose columns
are functions of the history:

* M0: the number of captures c(w); Mt: one 0/1 column per list (the main effects).
* Mh / Mth: M0 / Mt plus heterogeneity columns f(c): Chao's lower bound (t - 2 columns
  max(c - j + 1, 0), j = 3..t), Poisson2 (2^c - 1), Darroch (c^2 / 2), Gamma3.5
  (log 3.5 - log(3.5 + c)).
* Mb / Mbh: behavioural models on the occasions before the first capture and the captures after
  it (Mbh adds an indicator of "not caught on occasion 1").

The intercept is the log of the unobserved cell, so N = n + exp(b0) with standard error
sqrt(exp(b0) + exp(2 b0) Var(b0)), except for Mb and Mbh, which have their own closed forms.
With Rcapture's default ``neg = TRUE`` only the Chao models are corrected: while some eta is
negative, the first non-positive eta (in column order eta3, eta4, ...) is dropped and the model
refitted, so the df of those models grows.  The other heterogeneity models keep a negative
coefficient.  Mb and Mbh are fitted with R's own IRLS iterations, because their standard error
sqrt(v' Var(b) v - N) cancels heavily and Rcapture's value carries the covariance of glm's last
step; all other models use :func:`zicht.mse.glm.fit_poisson`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._types import Array
from .base import FitSettings, MSEEstimator
from .data import CaptureHistories
from .design import cell_patterns
from .errors import EstimateNotAvailable, MSEInputError
from .fitting import ModelFit, fit_loglinear
from .glm import fit_poisson, poisson_deviance, poisson_loglik
from .identifiability import IdentCache
from .result import MSEResult

CLOSEDP_MODELS = (
    "M0", "Mt", "Mh Chao (LB)", "Mh Poisson2", "Mh Darroch", "Mh Gamma3.5",
    "Mth Chao (LB)", "Mth Poisson2", "Mth Darroch", "Mth Gamma3.5", "Mb", "Mbh",
)
CLI_NAMES = {
    "M0": "M0", "Mt": "Mt", "Mb": "Mb", "Mbh": "Mbh",
    "Mh-chao": "Mh Chao (LB)", "Mh-poisson2": "Mh Poisson2", "Mh-darroch": "Mh Darroch",
    "Mh-gamma3.5": "Mh Gamma3.5",
    "Mth-chao": "Mth Chao (LB)", "Mth-poisson2": "Mth Poisson2", "Mth-darroch": "Mth Darroch",
    "Mth-gamma3.5": "Mth Gamma3.5",
}
_HET: dict[str, tuple[Callable[[np.ndarray], np.ndarray], str]] = {
    "Poisson2": (lambda c: 2.0**c - 1.0, "tau"),
    "Darroch": (lambda c: c**2 / 2.0, "tau"),
    "Gamma3.5": (lambda c: np.log(3.5) - np.log(3.5 + c), "tau"),
}


def _captures(k: int) -> np.ndarray:
    return np.asarray(cell_patterns(k).sum(axis=1), dtype=float)


def _heterogeneity(k: int, kind: str) -> tuple[np.ndarray, list[str]]:
    c = _captures(k)
    if kind == "Chao (LB)":
        cols = np.column_stack([np.maximum(c - j + 1, 0.0) for j in range(3, k + 1)])
        return cols, [f"eta{j}" for j in range(3, k + 1)]
    f, name = _HET[kind]
    return f(c)[:, None], [name]


def _glm_fit_r(X: np.ndarray, y: np.ndarray, eps: float = 1e-8, maxit: int = 200
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, bool]:
    """R's ``glm.fit`` iterations (start mu = y + 0.1, stop when the relative change of the
    deviance is below ``eps``).  Like ``summary.glm``, the covariance comes from the weights of
    the last least-squares step, i.e. of the previous iterate, not of the final fit."""
    mu = y + 0.1
    dev_old, converged = np.inf, False
    for _ in range(maxit):
        z = np.log(mu) + (y - mu) / mu
        H = X.T @ (mu[:, None] * X)
        beta = np.linalg.solve(H, X.T @ (mu * z))
        mu = np.exp(X @ beta)
        dev = float(poisson_deviance(y, mu))
        converged = abs(dev - dev_old) / (abs(dev) + 0.1) < eps
        if converged:
            break
        dev_old = dev
    return beta, np.linalg.inv(H), mu, dev, converged


def _fit_design(k: int, y: np.ndarray, X: np.ndarray, names: list[str],
                like_r: bool = False) -> ModelFit:
    """Fit an arbitrary design (first column = intercept) as a :class:`ModelFit`."""
    if like_r:
        beta, cov, mu, dev, conv = _glm_fit_r(X, y)
    else:
        fit = fit_poisson(X, y)
        beta, cov, mu, dev, conv = (fit.beta[0], fit.cov[0], fit.mu[0],
                                    float(fit.deviance[0]), bool(fit.converged[0]))
    return ModelFit(
        k=k, y=y, terms=[], minus_inf=[], X=X, rowmask=np.ones(y.size, dtype=bool),
        beta=beta, cov=cov, mu=mu, deviance=dev, loglik=float(poisson_loglik(y, mu)),
        ierr=IdentCache().check(X, y), converged=conv, extra_names=names,
    )


def _fit_het(k: int, y: np.ndarray, temporal: bool, het: np.ndarray | None,
             names: list[str]) -> ModelFit:
    if temporal:
        return fit_loglinear(k, y, (), extra=het, extra_names=names)
    cols = [np.ones(y.size), _captures(k)] + ([] if het is None else list(het.T))
    return _fit_design(k, y, np.column_stack(cols), ["beta", *names])


@dataclass
class BehaviouralFit(ModelFit):
    """Rcapture's Mb / Mbh: N is a closed form of all coefficients, not n + exp(b0)."""

    heterogeneous: bool = False

    def _n_and_gradient(self) -> tuple[float, np.ndarray]:
        b, t = self.beta, self.k
        if not self.heterogeneous:  # coefficients: intercept, before-first, after-first
            e1, e2 = np.exp(b[1]), np.exp(b[2])
            d = 1 + e2 - e1
            n = np.exp(b[0]) * (1 + e2) ** t / d
            return n, n * np.array([1.0, e1 / d, t * e2 / (1 + e2) - e2 / d])
        e3, e4 = np.exp(b[2]), np.exp(b[3])  # intercept, not-on-1, before-first, after-first
        d = 1 + e4 - e3
        r = np.exp(b[1] + b[2]) / d
        scale = np.exp(b[0]) * (1 + e4) ** (t - 1)
        grad = [1 + r, r, r + r * e3 / d, (t - 1) * e4 / (1 + e4) - r * e4 / d]
        return scale * (1 + r), scale * np.array(grad)

    @property
    def estimate(self) -> float:
        return float(self._n_and_gradient()[0])

    @property
    def dark_figure(self) -> float:
        return self.estimate - self.n_obs

    @property
    def stderr(self) -> float:
        """Rcapture's delta-method form sqrt(v' Var(b) v - N)."""
        n, v = self._n_and_gradient()
        return float(np.sqrt(max(v @ self.cov @ v - n, 0.0)))

    def model_ci(self, level: float = 0.95) -> tuple[float, float]:
        raise EstimateNotAvailable("Mb and Mbh have no n + exp(intercept) interval")


def _fit_behavioural(k: int, y: np.ndarray, heterogeneous: bool) -> BehaviouralFit:
    pats = cell_patterns(k)
    before = np.argmax(pats > 0, axis=1).astype(float)  # occasions before the first capture
    after = pats.sum(axis=1) - 1.0  # captures after the first one
    cols = [np.ones(y.size)] + ([1.0 - pats[:, 0]] if heterogeneous else []) + [before, after]
    names = (["eta"] if heterogeneous else []) + ["beta1", "beta2"]
    # R's own iterations: sqrt(v' V v - N) cancels heavily, so the SE is sensitive to the
    # covariance of glm's last step (0.2 % off on Korea Mbh with the fully converged one)
    fit = _fit_design(k, y, np.column_stack(cols), names, like_r=True)
    return BehaviouralFit(**vars(fit), heterogeneous=heterogeneous)


def fit_closedp(k: int, y: np.ndarray, model: str) -> ModelFit:
    """Fit one of Rcapture's ``closedp.t`` models (a name of :data:`CLOSEDP_MODELS` or
    :data:`CLI_NAMES`) to the cell counts ``y`` (indexed by code - 1)."""
    model = CLI_NAMES.get(model, model)
    if model not in CLOSEDP_MODELS:
        raise MSEInputError(
            f"unknown closedp model {model!r} (choose from {', '.join(CLOSEDP_MODELS)})"
        )
    y = np.asarray(y, dtype=float)
    if y.size != 2**k - 1:
        raise MSEInputError(f"expected {2**k - 1} cell counts for {k} lists, got {y.size}")
    if model in ("Mb", "Mbh"):
        return _fit_behavioural(k, y, model == "Mbh")
    base, _, kind = model.partition(" ")
    temporal = base in ("Mt", "Mth")
    if not kind:
        return _fit_het(k, y, temporal, None, [])
    if k < 3:
        raise MSEInputError("heterogeneity models need at least 3 lists")
    het, names = _heterogeneity(k, kind)
    fit = _fit_het(k, y, temporal, het, names)
    if kind == "Chao (LB)":  # Rcapture's neg = TRUE
        nfix = 1 + (k if temporal else 1)
        while (fit.beta[nfix:] < 0).any():
            drop = int(np.flatnonzero(fit.beta[nfix:] <= 0)[0])
            het, names = np.delete(het, drop, axis=1), names[:drop] + names[drop + 1:]
            fit = _fit_het(k, y, temporal, het if het.shape[1] else None, names)
    return fit


def closedp_table(table: CaptureHistories, models: Sequence[str] | None = None
                  ) -> pd.DataFrame:
    """Rcapture's ``closedp.t`` results table: one row per model (M0, Mt, Mb for 2 lists)."""
    y = table.cell_counts()
    if models is None:
        models = CLOSEDP_MODELS if table.k > 2 else ("M0", "Mt", "Mb")
    rows = []
    for name in models:
        f = fit_closedp(table.k, y, name)
        rows.append({"model": name, "abundance": f.estimate, "stderr": f.stderr,
                     "deviance": f.deviance, "df": f.df, "AIC": f.aic, "BIC": f.bic})
    return pd.DataFrame(rows, columns=["model", "abundance", "stderr", "deviance", "df", "AIC",
                                       "BIC"])


class ClosedP(MSEEstimator):
    """One of Rcapture's ``closedp.t`` models as an estimator (``ClosedP("Mth Darroch")``)."""

    def __init__(self, model: str = "Mt", ci: str = "profile", level: float = 0.95,
                 nboot: int = 1000, seed: int | None = 1234):
        super().__init__(ci=ci, level=level, nboot=nboot, seed=seed)
        name = CLI_NAMES.get(model, model)
        if name not in CLOSEDP_MODELS:
            raise MSEInputError(
                f"unknown closedp model {model!r} (choose from {', '.join(CLOSEDP_MODELS)})"
            )
        self.model = name
        self.method = name

    def _fit(self, data: Any, settings: FitSettings) -> MSEResult:
        if self.model in ("Mb", "Mbh") and settings.ci in ("profile", "model"):
            raise EstimateNotAvailable(
                f"{self.model}: N is not n + exp(intercept), so there is no {settings.ci} "
                "interval (Rcapture's closedpCI.t refuses it too); use --ci bootstrap, bca or "
                "none"
            )
        return super()._fit(data, settings)

    def _select(self, k: int, y: Array) -> tuple[ModelFit, dict[str, Any]]:
        return fit_closedp(k, y, self.model), {}
