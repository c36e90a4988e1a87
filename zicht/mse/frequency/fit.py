"""The ``closedp.0`` models: design columns, one fit (:func:`fit_closedp0`), the results table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import EstimateNotAvailable, MSEInputError
from ..fitting import ModelFit
from ..glm import poisson_loglik
from ..identifiability import IdentCache
from .data import CaptureFrequencies, as_capture_frequencies
from .glm import R_MAXIT, _glm_fit_r, _GlmError

FREQUENCY_MODELS = ("M0", "Mh Chao (LB)", "Mh Poisson2", "Mh Darroch", "Mh Gamma3.5")
CLI_NAMES = {
    "M0": "M0", "Mh-chao": "Mh Chao (LB)", "Mh-poisson2": "Mh Poisson2",
    "Mh-darroch": "Mh Darroch", "Mh-gamma3.5": "Mh Gamma3.5",
}
NBCAP, COUNT = "nbcap", "count"


@dataclass
class FrequencyFit(ModelFit):
    """One ``closedp.0`` model.  ``k`` is the number of cells, ``t`` the occasions (or inf)."""

    t: int | float = 0
    model: str = ""
    offset: np.ndarray | None = None
    captures: np.ndarray | None = None
    dropped: list[str] = field(default_factory=list)  # Chao etas removed (neg = TRUE)
    iterations: int = 0
    warnings: list[str] = field(default_factory=list)
    bias: float = math.nan

    @property
    def info_fit(self) -> int:
        """Rcapture's ``infoFit``: the distinct warning codes, concatenated (0 = none)."""
        codes = set()
        for w in self.warnings:
            if "converge" in w or "asymptotic bias is large" in w:
                codes.add(1)
            elif "not of full rank" in w:
                codes.add(2)
            else:
                codes.add(3)
        return int("".join(str(c) for c in sorted(codes))) if codes else 0


def _columns(model: str, c: np.ndarray) -> tuple[list[np.ndarray], list[str]]:
    if model == "M0":
        return [], []
    if model == "Mh Chao (LB)":
        T = c.size
        return [np.maximum(c - j + 1, 0.0) for j in range(3, T + 1)], [
            f"eta{j}" for j in range(3, T + 1)]
    if model == "Mh Poisson2":
        return [2.0**c - 1.0], ["tau"]
    if model == "Mh Darroch":
        return [c**2 / 2.0], ["tau"]
    return [np.log(3.5) - np.log(3.5 + c)], ["tau"]


def _model_name(model: str) -> str:
    name = CLI_NAMES.get(model, model)
    if name not in FREQUENCY_MODELS:
        raise MSEInputError(
            f"unknown closedp.0 model {model!r} (choose from {', '.join(FREQUENCY_MODELS)})"
        )
    return name


def _bias(X: np.ndarray, cov: np.ndarray, mu: np.ndarray, b0: float) -> float:
    """Rcapture's asymptotic bias of N (closedp.fitone, after Louis-Paul Rivest)."""
    xi = -0.5 * np.einsum("ij,jk,ik->i", X, cov, X)
    psi = -2.0 * X.T @ (mu * xi)
    psi[0] -= 1.0
    return float(0.5 * np.exp(b0) * (-(cov @ psi))[0])


def fit_closedp0(freq: CaptureFrequencies, model: str, maxit: int = R_MAXIT) -> FrequencyFit:
    """Fit one ``closedp.0`` model (a name of :data:`FREQUENCY_MODELS` or :data:`CLI_NAMES`) as
    Rcapture 1.4-4 does (R's glm iterations, at most ``maxit``; 25 is R's default).

    Raises :class:`MSEInputError` for a model the data cannot carry (heterogeneity needs at
    least 3 cells) and :class:`EstimateNotAvailable` when R's glm would stop with an error."""
    model = _model_name(model)
    if maxit < 1:
        raise ValueError("maxit must be at least 1")
    freq = as_capture_frequencies(freq)
    T = freq.n_cells
    if T < 2:
        raise MSEInputError(
            "t = inf and nobody was caught more than once: the largest number of captures sets "
            "the number of cells, and one cell cannot carry a model"
        )
    if model != "M0" and T < 3:
        raise MSEInputError(f"heterogeneity models need at least 3 capture occasions (cells); "
                            f"there are {T}")
    c, y, off = freq.captures, freq.cell_counts(), freq.offset()
    het, names = _columns(model, c)
    X = np.column_stack([np.ones(T), c, *het])
    names = ["beta", *names]
    warn: list[str] = []
    dropped: list[str] = []
    try:
        beta, cov, mu, dev, conv, it, w = _glm_fit_r(X, y, off, maxit)
        warn += w
        if model == "Mh Chao (LB)":  # Rcapture's Chao.neg
            while X.shape[1] > 2 and (beta[2:] < 0).any():
                pos = 2 + int(np.flatnonzero(beta[2:] < 0)[0])
                X = np.delete(X, pos, axis=1)
                dropped.append(names.pop(pos - 1))
                beta, cov, mu, dev, conv, it, w = _glm_fit_r(X, y, off, maxit)
                warn += [f"after removing {dropped[-1]}: {x}" for x in w]
    except _GlmError as exc:
        raise EstimateNotAvailable(f"{model}: R's glm fails on these data ({exc})") from None
    bias = _bias(X, cov, mu, beta[0])
    n = freq.n_observed
    if abs(bias) > 0.1 * (n + np.exp(beta[0])):
        warn.append("the asymptotic bias is large")
    return FrequencyFit(
        k=T, y=y, terms=[], minus_inf=[], X=X, rowmask=np.ones(T, dtype=bool), beta=beta,
        cov=cov, mu=mu, deviance=dev, loglik=float(poisson_loglik(y, mu)),
        # existence and rank do not depend on column scale; 2^c - 1 reaches 1e15 (t = 50) and
        # would look rank deficient to an unscaled SVD
        ierr=IdentCache().check(X / np.abs(X).max(axis=0), y), converged=conv,
        extra_names=names, t=freq.t,
        model=model, offset=off, captures=c, dropped=dropped, iterations=it, warnings=warn,
        bias=bias,
    )


def closedp0_table(freq: CaptureFrequencies, models: Sequence[str] | None = None,
                   maxit: int = R_MAXIT) -> pd.DataFrame:
    """Rcapture's ``closedp.0`` results table: one row per model (only M0 with 2 cells), with
    Rcapture's ``infoFit`` code.  A model R's glm cannot fit gets a row of NaN (infoFit -1)."""
    freq = as_capture_frequencies(freq)
    if models is None:
        models = FREQUENCY_MODELS if freq.n_cells > 2 else ("M0",)
    rows = []
    for name in models:
        try:
            f = fit_closedp0(freq, name, maxit)
        except EstimateNotAvailable:
            rows.append({"model": _model_name(name), "abundance": math.nan, "stderr": math.nan,
                         "deviance": math.nan, "df": math.nan, "AIC": math.nan, "BIC": math.nan,
                         "infoFit": -1})
            continue
        rows.append({"model": f.model, "abundance": f.estimate, "stderr": f.stderr,
                     "deviance": f.deviance, "df": f.df, "AIC": f.aic, "BIC": f.bic,
                     "infoFit": f.info_fit})
    return pd.DataFrame(rows, columns=["model", "abundance", "stderr", "deviance", "df", "AIC",
                                       "BIC", "infoFit"])
