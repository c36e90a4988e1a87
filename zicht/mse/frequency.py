"""Rcapture's ``closedp.0``: closed-population models fitted to frequency-of-capture data.

The data are the numbers f_c of units caught exactly c times, c = 1, 2, ..., over t capture
occasions; t may be infinite (continuous-time, Poisson captures).  Rcapture 1.4-4 (Baillargeon &
Rivest 2007; Rivest & Baillargeon, ``closedp.0(X, dfreq = TRUE, dtype = "nbcap", t = ...)``) fits
Poisson log-linear models to the frequencies themselves:

* cells: c = 1..t for finite t, including the zeros above the largest observed c; for t = inf,
  c = 1..c_max with c_max the largest c with a positive count (Rcapture replaces t by c_max);
* offset: log choose(t, c) for finite t (each frequency sums choose(t, c) capture histories of
  the same probability), -log(c!) for t = inf (the Poisson-count analogue);
* columns: intercept, c, and the heterogeneity columns of ``closedp.t`` as functions of c:
  Chao's lower bound max(c - j + 1, 0), j = 3..T (T = number of cells), Poisson2 2^c - 1,
  Darroch c^2 / 2, Gamma3.5 log 3.5 - log(3.5 + c);
* N = n + exp(intercept), stderr sqrt(exp(b0) + exp(2 b0) Var(b0)); df = T - parameters;
  AIC = -2 log L + 2 p and BIC = -2 log L + log(n) p with the Poisson log-likelihood of the
  frequencies (n = units observed);
* Chao (``neg = TRUE``): while some eta is negative, the first negative one (in column order) is
  dropped and the model refitted.

The fits are R's ``glm.fit`` iterations, reproduced step by step (start mu = y + 0.1, weighted
least squares by Householder QR, fitted means floored at the machine epsilon, at most 25
iterations, stop when the relative change of the deviance is below 1e-8, covariance from the
last QR), because Rcapture's numbers depend on them where the fit is hard: on BBS2001 (t = 50)
Mh Poisson2 has a column up to 2^50 and R stops after 25 iterations without converging (its
``infoFit`` 13), and the first, saturated Chao fit decides which etas are dropped.  ``maxit``
iterates further where wanted.  ``infoFit`` is Rcapture's code: 0 no warning, 1 no convergence
(or an asymptotic bias above 10 % of N), 2 design not of full rank, 3 another glm warning
(fitted rates numerically 0).

Intervals (:class:`ClosedP0`): :mod:`zicht.mse.profile` refits without offset, so it does not
apply to these models; this module computes the same multinomial profile likelihood as
Rcapture's ``closedpCI.0`` (the unobserved cell c = 0 gets count N - n, an intercept-only row and
offset 0; Cormack's correction with the exact log-gamma), on the model as fitted (for Chao, the
etas kept).  ``ci="model"`` is the log-normal interval n + exp(b0 +- z se(b0)).
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
from scipy.optimize import brentq
from scipy.special import chdtri, digamma, gammaln, xlogy

from .base import attach_profile
from .data import _row_label, read_csv_strict
from .errors import EstimateNotAvailable, MSEInputError
from .fitting import ModelFit
from .glm import poisson_deviance, poisson_loglik
from .identifiability import IdentCache
from .profile import ProfileCI
from .result import MSEResult

FREQUENCY_MODELS = ("M0", "Mh Chao (LB)", "Mh Poisson2", "Mh Darroch", "Mh Gamma3.5")
CLI_NAMES = {
    "M0": "M0", "Mh-chao": "Mh Chao (LB)", "Mh-poisson2": "Mh Poisson2",
    "Mh-darroch": "Mh Darroch", "Mh-gamma3.5": "Mh Gamma3.5",
}
NBCAP, COUNT = "nbcap", "count"
MAX_OCCASIONS = 1000  # 2^c overflows a float64 beyond c = 1023 (Mh Poisson2)
MAX_COUNT = 2**53  # largest count a float64 holds exactly
R_MAXIT = 25  # glm.control()$maxit, which Rcapture 1.4-4 uses
_EPS = np.finfo(float).eps
_CI_METHODS = ("profile", "model", "none")


# -- data -----------------------------------------------------------------------------------------
def _parse_t(t) -> int | float:
    """t as an int >= 2 or math.inf; anything else is an input error."""
    value: float | None = None
    if isinstance(t, str):
        s = t.strip().lower()
        if s in ("inf", "infinity", "+inf"):
            return math.inf
        try:
            value = float(s)
        except ValueError:
            value = None
    elif isinstance(t, int | float | np.integer | np.floating) and not isinstance(t, bool):
        value = float(t)
    if value is not None and value == math.inf:
        return math.inf
    if value is None or not math.isfinite(value) or value != int(value) or value < 2:
        raise MSEInputError(
            f"t must be the number of capture occasions, a whole number of at least 2, or inf "
            f"(continuous-time captures); got {t!r}"
        )
    if value > MAX_OCCASIONS:
        raise MSEInputError(f"t = {int(value)}: at most {MAX_OCCASIONS} capture occasions "
                            "(use t = inf for continuous-time captures)")
    return int(value)


@dataclass(frozen=True, eq=False)
class CaptureFrequencies:
    """Frequencies of capture: ``freq[c - 1]`` units were caught exactly c times (c = 1..c_max,
    trailing zeros dropped) over ``t`` occasions (an int >= 2, or ``math.inf``)."""

    t: int | float
    freq: np.ndarray
    n_observed: int = field(init=False)

    def __post_init__(self):
        t = _parse_t(self.t)
        freq = np.asarray(self.freq)
        if freq.ndim != 1 or (freq.size and not np.issubdtype(freq.dtype, np.number)):
            raise MSEInputError("freq must be a 1-d array of counts f_1, f_2, ...")
        if freq.size and (not np.isfinite(freq).all() or (freq != np.round(freq)).any()):
            raise MSEInputError("frequencies must be whole numbers")
        freq = freq.astype(np.int64)
        if (freq < 0).any():
            raise MSEInputError("frequencies must be non-negative")
        positive = np.flatnonzero(freq > 0)
        if positive.size == 0:
            raise MSEInputError("all counts are zero: nobody was observed")
        freq = freq[: positive[-1] + 1].copy()
        if freq.size > t:
            raise MSEInputError(f"units caught {freq.size} times but t = {t} capture occasions")
        freq.flags.writeable = False
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "freq", freq)
        object.__setattr__(self, "n_observed", int(freq.sum()))

    def __eq__(self, other) -> bool:
        if not isinstance(other, CaptureFrequencies):
            return NotImplemented
        return self.t == other.t and np.array_equal(self.freq, other.freq)

    def __hash__(self) -> int:
        return hash((self.t, self.freq.tobytes()))

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_frame(cls, frame: pd.DataFrame, t) -> CaptureFrequencies:
        """From a DataFrame with columns ``nbcap`` (number of captures) and ``count``."""
        return _from_frame(frame, t, line_offset=None)

    @classmethod
    def from_csv(cls, path: str | os.PathLike | io.TextIOBase, t) -> CaptureFrequencies:
        """Read a CSV file ``nbcap,count`` (Rcapture's ``dtype = "nbcap"``, ``dfreq = TRUE``).
        The file does not say how many occasions there were: give ``t`` (or ``math.inf``)."""
        t = _parse_t(t)
        frame = read_csv_strict(path)
        return _from_frame(frame, t, line_offset=2)

    @classmethod
    def from_histories(cls, table) -> CaptureFrequencies:
        """Collapse a :class:`~zicht.mse.data.CaptureHistories` table (t = its lists) to the
        numbers of units on exactly c lists (Rcapture's ``closedp.0`` with ``dtype = "hist"``)."""
        caught = table.patterns.sum(axis=1)
        freq = np.bincount(caught, weights=table.counts, minlength=table.k + 1)[1:]
        return cls(table.k, np.rint(freq).astype(np.int64))

    # -- views ----------------------------------------------------------------------------------
    @property
    def c_max(self) -> int:
        """Largest number of captures with a positive count."""
        return int(self.freq.size)

    @property
    def n_cells(self) -> int:
        """Cells of the log-linear model: t, or c_max when t is infinite."""
        return self.c_max if math.isinf(self.t) else int(self.t)

    @property
    def captures(self) -> np.ndarray:
        """c of every cell: 1..n_cells."""
        return np.arange(1, self.n_cells + 1, dtype=float)

    def cell_counts(self) -> np.ndarray:
        """f_c over all cells (zeros above c_max for finite t)."""
        y = np.zeros(self.n_cells)
        y[: self.c_max] = self.freq
        return y

    def offset(self) -> np.ndarray:
        """log choose(t, c), or -log c! when t is infinite."""
        c = self.captures
        if math.isinf(self.t):
            return -gammaln(c + 1)
        return gammaln(self.t + 1) - gammaln(c + 1) - gammaln(self.t - c + 1)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({NBCAP: np.arange(1, self.c_max + 1), COUNT: self.freq})

    def __repr__(self) -> str:
        t = "inf" if math.isinf(self.t) else self.t
        return f"CaptureFrequencies(t={t}, c_max={self.c_max}, n={self.n_observed})"


def _whole(v) -> tuple[str, float]:
    s = str(v).strip()
    try:
        f = float(s)
    except ValueError:
        f = math.nan
    return s, f


def _from_frame(frame, t, line_offset: int | None) -> CaptureFrequencies:
    if not isinstance(frame, pd.DataFrame):
        raise MSEInputError("expected a pandas DataFrame")
    t = _parse_t(t)
    columns = [str(c).strip() for c in frame.columns]
    for need in (NBCAP, COUNT):
        if need not in columns:
            found = ", ".join(columns) or "none"
            raise MSEInputError(f"missing column {need!r} (columns found: {found}); "
                                "frequency-of-capture data have the columns nbcap and count")
    dup = sorted({c for c in columns if columns.count(c) > 1})
    if dup:
        raise MSEInputError(f"duplicate column name(s): {', '.join(dup)}")
    extra = [c for c in columns if c not in (NBCAP, COUNT)]
    if extra:
        raise MSEInputError(f"unexpected column {extra[0]!r}: frequency-of-capture data have "
                            "only the columns nbcap and count")
    if len(frame) == 0:
        raise MSEInputError("the table has no rows")
    frame = frame.copy()
    frame.columns = columns
    tshow = "inf" if math.isinf(t) else t
    freq: dict[int, int] = {}
    first_row: dict[int, int] = {}
    for i, (nb, ct) in enumerate(zip(frame[NBCAP].to_numpy(), frame[COUNT].to_numpy(),
                                     strict=True)):
        where = _row_label(i, line_offset)
        s, f = _whole(nb)
        if not math.isfinite(f) or f != int(f):
            shown = repr(nb) if s else "empty"
            raise MSEInputError(f"{where}, column 'nbcap': value {shown} is not a whole number "
                                "of captures")
        if f < 1:
            raise MSEInputError(f"{where}, column 'nbcap': {s} captures; rows count units caught "
                                "at least once (nbcap >= 1)")
        if f > t:
            raise MSEInputError(f"{where}, column 'nbcap': {s} captures is more than the t = "
                                f"{tshow} capture occasions")
        c = int(f)
        if c in first_row:
            raise MSEInputError(f"{where}, column 'nbcap': {c} repeats "
                                f"{_row_label(first_row[c], line_offset)}; each number of "
                                "captures must appear once")
        first_row[c] = i
        s, f = _whole(ct)
        if not math.isfinite(f) or f != int(f):
            shown = repr(ct) if s else "empty"
            raise MSEInputError(f"{where}, column 'count': count {shown} is not a whole number")
        if f < 0:
            raise MSEInputError(f"{where}, column 'count': count {s} is negative")
        if f > MAX_COUNT:
            raise MSEInputError(f"{where}, column 'count': count {s} is too large "
                                f"(at most {MAX_COUNT:,})")
        freq[c] = int(f)
    if sum(freq.values()) == 0:
        raise MSEInputError("all counts are zero: nobody was observed")
    out = np.zeros(max(freq), dtype=np.int64)
    for c, v in freq.items():
        out[c - 1] = v
    return CaptureFrequencies(t, out)


def as_capture_frequencies(data, t=None) -> CaptureFrequencies:
    """Accept :class:`CaptureFrequencies`, capture histories (t = their lists), or a DataFrame
    or CSV path of ``nbcap,count`` together with ``t``."""
    if isinstance(data, CaptureFrequencies):
        if t is not None and _parse_t(t) != data.t:
            raise MSEInputError(f"t = {t} given, but the frequencies are for t = {data.t}")
        return data
    from .data import CaptureHistories

    if isinstance(data, CaptureHistories):
        return CaptureFrequencies.from_histories(data)
    if t is None:
        raise MSEInputError("frequency-of-capture data do not carry t: give the number of capture "
                            "occasions (or inf)")
    if isinstance(data, pd.DataFrame):
        return CaptureFrequencies.from_frame(data, t)
    if isinstance(data, str | os.PathLike | io.TextIOBase):
        return CaptureFrequencies.from_csv(data, t)
    raise TypeError(f"cannot read capture frequencies from {type(data).__name__}")


# -- R's glm.fit ----------------------------------------------------------------------------------
class _GlmError(RuntimeError):
    """glm.fit stopped with an error (Rcapture then reports no fit)."""


def _glm_fit_r(X: np.ndarray, y: np.ndarray, offset: np.ndarray, maxit: int = R_MAXIT,
               eps: float = 1e-8):
    """R's ``glm.fit`` for the Poisson log link, step by step.

    Returns (beta, cov, mu, deviance, converged, iterations, warnings).  The covariance is
    ``summary.glm``'s: from the QR of the last weighted least-squares step (the weights of the
    previous iterate)."""
    n, p = X.shape
    warn: list[str] = []
    mu = y + 0.1
    eta = np.log(mu)
    devold = float(poisson_deviance(y, mu))
    beta = coefold = None
    R = None
    converged = False
    deficient = False
    it = 0
    for it in range(1, maxit + 1):
        z = (eta - offset) + (y - mu) / mu
        w = np.sqrt(mu)
        A = X * w[:, None]
        Q, R = np.linalg.qr(A)
        d = np.abs(np.diag(R))
        if (d <= 1e-11 * np.maximum(np.linalg.norm(A, axis=0), 1e-300)).any():
            deficient = True
            beta = np.linalg.lstsq(A, z * w, rcond=None)[0]
        else:
            beta = scipy.linalg.solve_triangular(R, Q.T @ (z * w))
        if not np.isfinite(beta).all():
            raise _GlmError(f"non-finite coefficients at iteration {it}")
        with np.errstate(over="ignore"):
            eta = X @ beta + offset
            mu = np.maximum(np.exp(eta), _EPS)
        dev = float(poisson_deviance(y, mu))
        if not math.isfinite(dev):
            if coefold is None:
                raise _GlmError("no valid set of coefficients has been found")
            for _ in range(maxit):
                beta = (beta + coefold) / 2
                with np.errstate(over="ignore"):
                    eta = X @ beta + offset
                    mu = np.maximum(np.exp(eta), _EPS)
                dev = float(poisson_deviance(y, mu))
                if math.isfinite(dev):
                    break
            else:
                raise _GlmError("inner loop 1; cannot correct step size")
        if abs(dev - devold) / (abs(dev) + 0.1) < eps:
            converged = True
            break
        devold, coefold = dev, beta
    if not converged:
        warn.append("glm.fit: algorithm did not converge")
    if (mu < 10 * _EPS).any():
        warn.append("glm.fit: fitted rates numerically 0 occurred")
    if deficient:
        warn.append("glm: design matrix not of full rank")
        cov = np.linalg.pinv(R.T @ R)
    else:
        Rinv = scipy.linalg.solve_triangular(R, np.eye(p))
        cov = Rinv @ Rinv.T
    return beta, cov, mu, dev, converged, it, warn


# -- models ---------------------------------------------------------------------------------------
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


def closedp0_table(freq: CaptureFrequencies, models=None, maxit: int = R_MAXIT) -> pd.DataFrame:
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


# -- profile likelihood ---------------------------------------------------------------------------
class _Profile:
    """l(N) = -deviance/2 + Cormack's correction, the unobserved cell c = 0 added with count
    N - n, an intercept-only design row and offset 0 (Rcapture ``closedpCI.0``), and
    dl/dN = log mu0 + digamma(N + 1) - log N - digamma(N - n + 1) (envelope theorem)."""

    def __init__(self, fit: FrequencyFit):
        self.n = fit.n_obs
        e0 = np.zeros((1, fit.X.shape[1]))
        e0[0, 0] = 1.0
        self.X = np.vstack([e0, fit.X])
        self.offset = np.concatenate([[0.0], fit.offset])
        self.y_obs = fit.y
        self.beta = fit.beta.copy()
        self.cache: dict[float, tuple[float, float]] = {}

    def _fit(self, y: np.ndarray) -> tuple[float, float]:
        """Newton-Raphson with step halving from the last solution: (deviance, log mu0)."""
        X, off = self.X, self.offset
        beta = self.beta.copy()

        def dev_of(b):
            with np.errstate(over="ignore"):
                return float(poisson_deviance(y, np.exp(np.minimum(X @ b + off, 700.0))))

        dev = dev_of(beta)
        for _ in range(200):
            mu = np.exp(np.minimum(X @ beta + off, 700.0))
            H = (X.T * mu) @ X
            try:
                step = np.linalg.solve(H, X.T @ (y - mu))
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(H, X.T @ (y - mu), rcond=None)[0]
            for _half in range(40):
                new_dev = dev_of(beta + step)
                if np.isfinite(new_dev) and new_dev <= dev + 1e-12 * (1 + abs(dev)):
                    break
                step = step / 2
            beta, old = beta + step, dev
            dev = new_dev
            if np.abs(step).max() < 1e-10 * (1 + np.abs(beta).max()) or abs(old - dev) < 1e-13:
                break
        if np.isfinite(beta).all():
            self.beta = beta
        return dev, float(beta[0])

    def __call__(self, N: float) -> tuple[float, float]:
        N = float(N)
        if N not in self.cache:
            n0 = max(N - self.n, 0.0)
            dev, log_mu0 = self._fit(np.concatenate([[n0], self.y_obs]))
            ct = xlogy(n0, n0) + gammaln(N + 1) - N * np.log(N) - gammaln(n0 + 1)
            grad = log_mu0 + digamma(N + 1) - np.log(N) - digamma(n0 + 1)
            self.cache[N] = (float(-dev / 2 + ct), float(grad))
        return self.cache[N]


def frequency_profile_ci(fit: FrequencyFit, level: float = 0.95, cap: float = 3.0) -> ProfileCI:
    """Profile-likelihood interval for N of a ``closedp.0`` fit (Rcapture ``closedpCI.0``):
    the maximiser on (n, cap x N_hat), the bounds where the profile drops chi2_1(level)/2 below
    it, the upper one capped at ``cap`` x N_hat (Rcapture's ``fmaxSupCL``)."""
    prof = _Profile(fit)
    n, nhat = float(prof.n), fit.estimate
    top = max(cap * nhat, n + 1.0)
    xtol = 1e-9 * nhat
    slope = lambda N: prof(N)[1]  # noqa: E731
    if slope(n) <= 0:
        nmax = n
    elif slope(top) >= 0:
        nmax = top
    else:
        nmax = brentq(slope, n, top, xtol=xtol)
    cut = prof(nmax)[0] - chdtri(1, 1 - level) / 2
    f = lambda N: prof(N)[0] - cut  # noqa: E731
    if nmax == n or f(n) > 0:
        low, low_at_bound = n, True
    else:
        low, low_at_bound = brentq(f, n, nmax, xtol=xtol), False
    if nmax == top or f(top) > 0:
        high, high_at_bound = top, True
    else:
        high, high_at_bound = brentq(f, nmax, top, xtol=xtol), False
    return ProfileCI(float(nmax), float(low), float(high), low_at_bound, high_at_bound)


# -- estimator ------------------------------------------------------------------------------------
@dataclass
class FrequencyResult(MSEResult):
    """:class:`MSEResult` of a frequency-of-capture model: ``fitted`` is by number of captures."""

    @property
    def fitted(self) -> pd.DataFrame:
        return pd.DataFrame({NBCAP: self.fit.captures.astype(int),
                             "observed": self.fit.y.astype(int), "fitted": self.fit.mu,
                             "in_fit": self.fit.rowmask})

    def summary(self) -> pd.DataFrame:
        out = super().summary()
        t = self.fit.t
        out = out.rename(index={"lists": "data"})
        out.loc["data", "value"] = (f"frequencies of capture, t = "
                                    f"{'inf' if math.isinf(t) else t}")
        return out

    def plot(self):
        """Observed (points) and fitted (line) frequencies by number of captures (Altair)."""
        import altair as alt

        frame = self.fitted
        base = alt.Chart(frame).encode(x=alt.X(f"{NBCAP}:Q", title="number of captures c"))
        points = base.mark_circle(size=60).encode(
            y=alt.Y("observed:Q", title="units caught c times"),
            tooltip=[NBCAP, "observed", alt.Tooltip("fitted:Q", format=".2f")])
        line = base.mark_line(color="grey").encode(y="fitted:Q")
        title = f"{self.method}: observed and fitted frequencies (estimate {self.estimate:,.0f})"
        return (line + points).properties(title=title, width=420, height=300)


def _why(fit: FrequencyFit) -> str:
    """Name the columns whose cells all have count 0 (their MLE is at minus infinity)."""
    empty = [name for j, name in enumerate(fit.extra_names, start=1)
             if not ((fit.X[:, j] != 0) & (fit.y > 0)).any()]
    if not empty:
        return ""
    return (f" ({', '.join(empty)} only involve cells nobody is in, so the MLE is at minus "
            "infinity; R's glm stops at a finite value, which closedp0_table reports)")


class ClosedP0:
    """One of Rcapture's ``closedp.0`` models as an estimator (``ClosedP0("Mh Darroch")``).

    ``fit(data, ci="profile"|"model"|"none", level=0.95, t=None) -> MSEResult``: ``data`` is
    :class:`CaptureFrequencies`, capture histories, or a DataFrame / CSV path of ``nbcap,count``
    with ``t``.  ``profile`` is the multinomial profile-likelihood interval (Rcapture
    ``closedpCI.0``), ``model`` the log-normal interval n + exp(b0 +- z se(b0)).  A fit R's glm
    does not converge in ``maxit`` iterations (Rcapture's infoFit 1), or whose MLE does not exist,
    raises :class:`EstimateNotAvailable`.
    """

    def __init__(self, model: str = "M0", maxit: int = R_MAXIT):
        self.model = _model_name(model)
        self.method = f"closedp.0 {self.model}"
        self.maxit = int(maxit)
        self.result_: FrequencyResult | None = None

    def fit(self, data, ci: str = "profile", level: float = 0.95, t=None) -> FrequencyResult:
        if ci not in _CI_METHODS:
            raise ValueError(f"ci must be one of {', '.join(_CI_METHODS)}")
        if not 0 < level < 1:
            raise ValueError("level must be between 0 and 1")
        freq = as_capture_frequencies(data, t)
        fit = fit_closedp0(freq, self.model, self.maxit)
        if fit.ierr:
            raise EstimateNotAvailable(f"{self.method}: {fit.problem}{_why(fit)}", fit.ierr)
        if not fit.converged:
            raise EstimateNotAvailable(
                f"{self.method}: R's glm did not converge in {self.maxit} iterations (Rcapture "
                f"infoFit {fit.info_fit}); ClosedP0({self.model!r}, maxit=...) iterates further"
            )
        details: dict[str, Any] = {
            "t": "inf" if math.isinf(fit.t) else fit.t, "stderr": fit.stderr,
            "infoFit": fit.info_fit,
            "dropped_eta": list(fit.dropped), "glm_warnings": list(fit.warnings),
        }
        result = FrequencyResult(
            method=self.method, lists=(), observed=fit.n_obs, estimate=fit.estimate, ci=None,
            ci_method="none", level=level, model=list(fit.extra_names), minus_inf=[],
            deviance=fit.deviance, aic=fit.aic, bic=fit.bic, df=fit.df, fit=fit,
            details=details,
        )
        if ci == "profile":
            attach_profile(result, frequency_profile_ci(fit, level))
        elif ci == "model":
            result.ci = fit.model_ci(level)
            result.ci_method = "model-conditional (log-normal)"
        self.result_ = result
        return result
