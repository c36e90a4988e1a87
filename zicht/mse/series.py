"""Estimates over a series of periods (years): per-period numbers, changes and a trend.

A :class:`SeriesResult` holds, for T periods, the observed counts, the estimated totals and the
covariance matrix V of their errors (N_hat_t - N_t).  Everything the publication prints about
change is derived from those three:

- the change between consecutive periods, D_t = N_t - N_{t-1}, with variance
  V_tt + V_{t-1,t-1} - 2 V_{t,t-1} and a normal interval; it is *significant* when that interval
  excludes 0.  A joint fit (one model over all periods) gives the covariance terms; estimates
  from separate fits are independent (V diagonal);
- the trend: the generalised least-squares slope of log N_t on t, with Cov(log N) = V / (N N')
  (the delta method), reported as the relative change a year, exp(slope) - 1, with its interval;
- per-period intervals are Chao's log-normal ones from V_tt and the dark figure.

:class:`SeriesLogLinear` fits one covariate log-linear model over all periods (the period is a
covariate, so list x period terms let each list's detection differ by year while list x list
terms are estimated from all years at once) and averages the models the data support: the
chosen model and every model one search step away whose criterion is within ``window`` of it,
weighted exp(-delta / 2) (Burnham and Anderson 2002, section 4.2); the covariance is the
mixture's, sum_m w_m [V_m + (N_m - N_bar)(N_m - N_bar)'], so the spread between the models is in
every interval.  :func:`independent_series` wraps separate per-period estimates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtri

from .base import Estimator, FitSettings, check_level
from .covariates.data import StratifiedHistories, _as_data
from .covariates.estimators import CovariateSearch
from .covariates.fit import CovariateFit, fit_covariate_model, lognormal_interval
from .covariates.terms import CovTerm, parse_covariate_terms
from .errors import InvalidSetting, MSEInputError

PERIOD = "year"


@dataclass
class Change:
    """The change from the period before: ``estimate`` people, interval, significance."""

    estimate: float
    ci_low: float
    ci_high: float
    relative: float  # N_t / N_{t-1} - 1
    significant: bool

    def to_dict(self) -> dict[str, Any]:
        return {"estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "relative": self.relative, "significant": self.significant}


@dataclass
class Trend:
    """Relative change a year (exp of the GLS slope of log N on the period) and its interval."""

    per_year: float
    ci_low: float
    ci_high: float
    first: int | None = None  # the periods the slope was fitted on
    last: int | None = None

    @property
    def significant(self) -> bool:
        return not self.ci_low <= 0.0 <= self.ci_high

    def to_dict(self) -> dict[str, Any]:
        return {"per_year": self.per_year, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "significant": self.significant, "first": self.first, "last": self.last}


@dataclass
class SeriesResult:
    """Per-period estimates with the covariance of their errors."""

    method: str
    periods: list[int]
    observed: np.ndarray  # (T,)
    estimates: np.ndarray  # (T,)
    cov: np.ndarray  # (T, T) covariance of N_hat - N
    level: float = 0.95
    details: dict[str, Any] = field(default_factory=dict)
    # per-period intervals of their own (separate fits' profile intervals); None: log-normal
    ci: tuple[np.ndarray, np.ndarray] | None = None
    # the trend of another fit of the same data (:func:`with_joint_trend`); None: from V
    joint_trend: Trend | None = None

    def __post_init__(self) -> None:
        T = len(self.periods)
        self.observed = np.asarray(self.observed, dtype=float)
        self.estimates = np.asarray(self.estimates, dtype=float)
        self.cov = np.asarray(self.cov, dtype=float)
        if self.observed.shape != (T,) or self.estimates.shape != (T,) \
                or self.cov.shape != (T, T):
            raise MSEInputError("a series needs one observed count, estimate and covariance "
                                "row per period")

    @property
    def z(self) -> float:
        return float(ndtri(0.5 + self.level / 2))

    def intervals(self) -> tuple[np.ndarray, np.ndarray]:
        """Interval per period: the fits' own, else log-normal from V."""
        if self.ci is not None:
            return np.asarray(self.ci[0], float), np.asarray(self.ci[1], float)
        dark = np.maximum(self.estimates - self.observed, 0.0)
        return lognormal_interval(self.observed, dark, np.clip(np.diag(self.cov), 0, None),
                                  self.level)

    def changes(self) -> list[Change | None]:
        """None for the first period and after a gap (a period without an estimate), else the
        change from the period before."""
        out: list[Change | None] = [None]
        N, V, z = self.estimates, self.cov, self.z
        for t in range(1, len(N)):
            if self.periods[t] - self.periods[t - 1] != 1:
                out.append(None)
                continue
            d = float(N[t] - N[t - 1])
            var = float(V[t, t] + V[t - 1, t - 1] - 2 * V[t, t - 1])
            se = math.sqrt(max(var, 0.0))
            lo, hi = d - z * se, d + z * se
            out.append(Change(d, lo, hi, float(N[t] / N[t - 1] - 1),
                              bool(lo > 0 or hi < 0)))
        return out

    def trend(self) -> Trend | None:
        """The joint fit's trend where one was attached (:func:`with_joint_trend`); else None
        with fewer than three periods, or when the covariance cannot weigh them (an estimate
        of 0, an open interval, a singular matrix)."""
        if self.joint_trend is not None:
            return self.joint_trend
        T = len(self.periods)
        N = self.estimates
        if T < 3 or (N <= 0).any():
            return None
        W = self.cov / np.outer(N, N)  # Cov(log N_hat) by the delta method
        if not np.isfinite(W).all():
            return None
        X = np.column_stack([np.ones(T), np.asarray(self.periods, float) - self.periods[0]])
        Wi = np.linalg.pinv(W, hermitian=True)
        info = X.T @ Wi @ X
        if not np.isfinite(info).all() or np.linalg.cond(info) > 1e12:
            return None
        coef = np.linalg.solve(info, X.T @ Wi @ np.log(N))
        se = math.sqrt(max(float(np.linalg.inv(info)[1, 1]), 0.0))
        b = float(coef[1])
        return Trend(math.expm1(b), math.expm1(b - self.z * se), math.expm1(b + self.z * se),
                     int(self.periods[0]), int(self.periods[-1]))

    def to_dict(self) -> dict[str, Any]:
        lo, hi = self.intervals()
        changes = self.changes()
        trend = self.trend()
        return {
            "method": self.method, "level": self.level,
            "years": [{"year": int(p), "observed": int(round(n)), "estimate": float(e),
                       "ci_low": float(a), "ci_high": float(b),
                       "change": None if c is None else c.to_dict()}
                      for p, n, e, a, b, c in zip(self.periods, self.observed, self.estimates,
                                                  lo, hi, changes, strict=True)],
            "trend": None if trend is None else trend.to_dict(),
            "details": self.details,
        }


def independent_series(method: str, periods: Sequence[int], observed: ArrayLike,
                       estimates: ArrayLike, intervals: Sequence[tuple[float, float]],
                       level: float = 0.95) -> SeriesResult:
    """A series from separate per-period fits: each variance read off its log-normal-shaped
    interval (log((hi - n) / (lo - n)) = 2 z sigma on the dark figure), covariances 0."""
    obs = np.asarray(observed, dtype=float)
    est = np.asarray(estimates, dtype=float)
    z = float(ndtri(0.5 + level / 2))
    var = np.empty(len(est))
    for t, (lo, hi) in enumerate(intervals):
        d = est[t] - obs[t]
        if d <= 0 or lo - obs[t] <= 0 or not math.isfinite(hi):
            var[t] = max((hi - lo) / (2 * z), 0.0) ** 2 if math.isfinite(hi) else np.inf
            continue
        s2 = (math.log((hi - obs[t]) / (lo - obs[t])) / (2 * z)) ** 2
        var[t] = d * d * math.expm1(s2)  # inverse of Chao's C = exp(z sqrt(log(1 + v / d^2)))
    lows, highs = (np.array([c[i] for c in intervals], dtype=float) for i in (0, 1))
    return SeriesResult(method, list(periods), obs, est, np.diag(var), level,
                        {"covariance": "independent fits"}, ci=(lows, highs))


def with_joint_trend(levels: SeriesResult, joint: SeriesResult) -> SeriesResult:
    """``levels`` (separate fits per period: their estimates, intervals and changes) with the
    trend of ``joint`` (one model over all periods of the same data).

    Separate fits cover the truth of every year but their intervals, wide enough to hold the
    model choice, find a trend of 5 % a year in 67 % of ten-year series; the joint fit is
    biased where a hidden group exists, but the bias is common to all years, so its slope
    covers the true trend and finds it in every series (docs/ESTIMATION.md, "The series").
    The levels' changes are kept so that each printed change is the difference of two printed
    estimates.  Without a joint trend (fewer than three years) the levels' own is kept.
    """
    trend = joint.trend()
    if trend is None:
        return levels
    details = {**levels.details, "trend": joint.method}
    return SeriesResult(levels.method, list(levels.periods), levels.observed, levels.estimates,
                        levels.cov, levels.level, details, levels.ci, trend)


def period_moments(fit: CovariateFit, period: str = PERIOD
                   ) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray]:
    """Periods, observed, estimated totals and covariance of the errors from a joint fit:
    per stratum Var = d + d^2 Var(gamma) (Rcapture's), summed by period with the model's
    covariances between strata."""
    data = fit.data
    if period not in data.covariates:
        raise MSEInputError(f"the series needs a {period!r} covariate")
    labels = data.strata[period].to_numpy()
    try:
        periods = sorted({int(v) for v in labels})
    except ValueError as exc:
        raise MSEInputError(f"{period!r} must hold whole numbers") from exc
    G = np.array([[int(v) == p for v in labels] for p in periods], dtype=float)  # (T, S)
    d = fit.dark
    Gd = G * d[None, :]
    cov = np.diag(G @ d) + Gd @ fit.cov[: fit.S, : fit.S] @ Gd.T
    return periods, G @ fit.observed, G @ fit.estimates, cov


# The base gives settings, get_params and result_; its Result protocol is one table's single
# estimate, where a series has one per year, hence the ignore.
class SeriesLogLinear(Estimator[SeriesResult]):  # type: ignore[type-var]
    """One covariate log-linear model over all periods, averaged over the supported models.

    ``covariates``: the strata (the period first; ``None``: every covariate of the data).
    ``criterion``: ``bic`` or ``aic`` for the search (:class:`CovariateSearch`, which also takes
    ``candidates`` and ``keep``); ``window``: models within this criterion difference of the
    best enter the average (0: the chosen model alone).
    """

    method = "series log-linear"
    ci_methods = ("lognormal",)

    def __init__(self, criterion: str = "bic", covariates: Sequence[str] | None = None,
                 candidates: str | Sequence[str] | None = None,
                 keep: str | Sequence[str] | None = None, window: float = 6.0,
                 period: str = PERIOD, ci: str = "lognormal", level: float = 0.95):
        if not (isinstance(window, int | float) and window >= 0):
            raise InvalidSetting("window must be a number >= 0")
        self.criterion, self.covariates = criterion, covariates
        self.candidates, self.keep, self.window, self.period = candidates, keep, window, period
        self.ci, self.level = ci, check_level(level)

    def fit(self, data: Any, covariates: Sequence[str] | None = None,
            **overrides: Any) -> SeriesResult:
        """``data``: :class:`StratifiedHistories`, a long DataFrame or a CSV path."""
        settings = self.fit_settings(**overrides)
        covs = covariates or self.covariates
        result = self._fit(_as_data(data, covs), settings)
        self.result_ = result
        return result

    def _fit(self, data: StratifiedHistories, s: FitSettings) -> SeriesResult:
        if self.period not in data.covariates:
            raise MSEInputError(f"a series estimate needs the {self.period!r} covariate; the "
                                f"data have {', '.join(data.covariates) or 'none'}")
        search = CovariateSearch(criterion=self.criterion, candidates=self.candidates,
                                 keep=self.keep, ci="none", level=s.level)
        chosen = search.fit(data)
        base = chosen.details
        best_terms = parse_covariate_terms(chosen.model, data.lists, data.covariates,
                                           data.levels) if chosen.model else []
        best = chosen.fit  # the search refitted its model already (and refused a bad one)
        assert best is not None
        fits = [best]
        for terms in self._neighbours(data, search, best_terms):
            f = fit_covariate_model(data, terms, search.cache)
            if f.ierr == 0 and f.converged:
                fits.append(f)
        crits = [f.bic if self.criterion == "bic" else f.aic for f in fits]
        c = np.array(crits)
        keep = c - c.min() <= self.window
        w = np.exp(-(c[keep] - c.min()) / 2)
        w /= w.sum()
        moments = [period_moments(f, self.period) for f, k in zip(fits, keep, strict=True) if k]
        periods, observed = moments[0][0], moments[0][1]
        Ns = np.array([m[2] for m in moments])
        Nbar = w @ Ns
        V = sum(wi * (m[3] + np.outer(n - Nbar, n - Nbar))
                for wi, m, n in zip(w, moments, Ns, strict=True))
        names = [", ".join(f.term_names()) or "(main effects + strata)"
                 for f, k in zip(fits, keep, strict=True) if k]
        details = {"criterion": self.criterion, "covariates": list(data.covariates),
                   "models": [{"model": n, "weight": float(x)} for n, x in zip(names, w,
                                                                               strict=True)],
                   "models_fitted": base.get("models_fitted"), "window": self.window}
        return SeriesResult(self.method, periods, observed, Nbar, np.asarray(V), s.level,
                            details)

    def _neighbours(self, data: StratifiedHistories, search: CovariateSearch,
                    best: list[CovTerm]) -> list[list[CovTerm]]:
        """The other models the search ranked within the window: after a stepwise search the
        single additions and removals from the chosen model, after an exhaustive one the
        next-best models."""
        ranking = search.ranking_
        if ranking is None or self.window == 0 or len(ranking) == 0:
            return []
        out = []
        for row in ranking.to_dict(orient="records"):
            delta = float(row["delta"])
            if not math.isfinite(delta) or delta > self.window or delta <= 0:
                continue
            if "move" in row:  # stepwise: a move from the chosen model
                if row["refused"]:
                    continue
                action, _, name = str(row["move"]).partition(" ")
                term = set(parse_covariate_terms(name, data.lists, data.covariates,
                                                 data.levels))
                model = set(best) | term if action == "add" else set(best) - term
            else:  # exhaustive: a whole model
                if row.get("ierr", 0) != 0 or str(row["model"]).startswith("("):
                    continue
                model = set(parse_covariate_terms(str(row["model"]), data.lists,
                                                  data.covariates, data.levels))
            out.append(sorted(model, key=CovTerm.sort_key))
        return out
