"""The covariate estimators: a given model, a search, and a separate model per stratum."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..base import CI_METHODS, Estimator, FitSettings, check_ci, check_estimable, check_level
from ..data import (
    COUNT,
    CaptureHistories,
)
from ..errors import EstimateNotAvailable, InvalidSetting, MSEInputError
from ..glm import one_blas_thread
from ..identifiability import IdentCache
from ..result import MSEResult
from .bootstrap import BatchEstimates, _fit_many, _parametric_bootstrap
from .data import StratifiedHistories, _as_data
from .fit import Intervals, _refuse, fit_covariate_model, lognormal_interval
from .result import CovariateResult, Total, _result_from_fit, _strata_frame
from .search import _Search
from .terms import CovTerm, hierarchical_closure, parse_covariate_terms

CI_KINDS = ("lognormal", "bootstrap", "none")
CRITERIA = ("aic", "bic")


class CovariateEstimator(Estimator[CovariateResult]):
    """Parent of the estimators on :class:`StratifiedHistories`: ``fit`` also takes a long
    DataFrame or CSV path with the names of its ``covariates``."""

    ci_methods: ClassVar[tuple[str, ...] | None] = CI_KINDS

    def fit(self, data: Any, covariates: Sequence[str] | None = None,
            **overrides: Any) -> CovariateResult:
        """``data``: :class:`StratifiedHistories`, a long DataFrame or a CSV path; the keywords
        (``ci``, ``level``, ``nboot``, ``seed``) override the settings for this call."""
        settings = self.fit_settings(**overrides)
        result = self._fit(_as_data(data, covariates), settings)
        self.result_ = result
        return result


class CovariateLogLinear(CovariateEstimator):
    """The covariate log-linear model with given terms.

    ``terms``: list x covariate terms (``"A:sex"``, ``"*:form"`` for every list), list x list
    terms (``"A:B"``) and their covariate versions (``"A:B:sex"``), as a string or a list; the
    model is closed under hierarchy.  ``ci``: ``lognormal`` (default), ``bootstrap``
    (parametric, ``nboot`` replicates, ``seed``) or ``none``.
    """

    method = "covariate model"

    def __init__(self, terms: str | Iterable[str] | None = None, ci: str = "lognormal",
                 level: float = 0.95, nboot: int = 999, seed: int | None = 1234):
        self.terms = terms
        self.ci, self.level = check_ci(ci, self.ci_methods), check_level(level)
        self.nboot, self.seed = nboot, seed
        self.cache = IdentCache()

    def _terms(self, data: StratifiedHistories) -> list[CovTerm]:
        return parse_covariate_terms(self.terms, data.lists, data.covariates, data.levels)

    def _fit(self, data: StratifiedHistories, s: FitSettings) -> CovariateResult:
        check_estimable(data.collapse())
        terms = self._terms(data)
        with one_blas_thread():
            fit = fit_covariate_model(data, terms, self.cache)
            _refuse(self.method, fit)
            boot, details = None, {}
            if s.ci == "bootstrap":
                boot, details["bootstrap"] = _parametric_bootstrap(
                    fit, terms, s.level, s.nboot, s.seed, self.cache)
        return _result_from_fit(self.method, fit, s.ci, s.level, boot, **details)

    def fit_batch(self, data: StratifiedHistories, Y: np.ndarray) -> BatchEstimates:
        """Estimates and log-normal intervals for many tables with ``data``'s lists and strata:
        ``Y`` is (B, strata, 2^k - 1).  Same numbers as :meth:`fit` on each table, one batched
        fit for all (a simulation study's thousand replicates in a second); where :meth:`fit`
        would refuse (no MLE, no convergence) ``ok`` is False and the numbers are NaN."""
        with one_blas_thread():
            return _fit_many(data, self._terms(data), Y, self.level, self.cache)


class CovariateSearch(CovariateEstimator):
    """Select list x covariate and list x list terms by AIC or BIC, hierarchically.

    ``candidates``: the terms that may enter (default: every list x covariate and every pair of
    lists; ``"*:sex, A:B, A:B:sex"`` style strings allowed - a term enters only once its
    lower-order terms are in).  ``keep``: terms always in the model.  With at most
    ``max_exhaustive`` candidates every hierarchical model is fitted and ranked; otherwise
    stepwise: from ``keep``, at each step the best of all single additions and removals, while
    the criterion improves.  Models whose MLE does not exist are never chosen (they are listed
    as refused).  ``path_`` and ``ranking_`` hold the search.
    """

    def __init__(self, criterion: str = "bic", candidates: str | Iterable[str] | None = None,
                 keep: str | Iterable[str] | None = None, pairs: bool = True,
                 max_exhaustive: int = 10, ci: str = "lognormal", level: float = 0.95,
                 nboot: int = 999, seed: int | None = 1234, top: int = 10):
        if criterion.lower() not in CRITERIA:
            raise InvalidSetting(f"criterion must be one of {CRITERIA}")
        self.criterion = criterion.lower()
        self.method = f"covariate {self.criterion} search"
        self.candidates, self.keep, self.pairs = candidates, keep, pairs
        self.max_exhaustive, self.top = max_exhaustive, top
        self.ci, self.level = check_ci(ci, self.ci_methods), check_level(level)
        self.nboot, self.seed = nboot, seed
        self.cache = IdentCache()
        self.path_: pd.DataFrame | None = None
        self.ranking_: pd.DataFrame | None = None

    def _candidates(self, data: StratifiedHistories) -> tuple[list[CovTerm], list[CovTerm]]:
        keep = parse_covariate_terms(self.keep, data.lists, data.covariates, data.levels)
        if self.candidates is None:
            levels = data.levels
            cand = [CovTerm((i,), (j,)) for i in range(data.k)
                    for j, c in enumerate(data.covariates) if len(levels[c]) > 1]
            if self.pairs:
                cand += [CovTerm(p) for p in itertools.combinations(range(data.k), 2)]
        else:
            cand = parse_covariate_terms(self.candidates, data.lists, data.covariates,
                                         data.levels)
        cand = [t for t in hierarchical_closure(cand) if t not in set(keep)]
        return keep, cand

    def _fit(self, data: StratifiedHistories, s: FitSettings) -> CovariateResult:
        check_estimable(data.collapse())
        keep, cand = self._candidates(data)
        with one_blas_thread():
            search = _Search(data, keep, cand, self.criterion, self.cache)
            if len(cand) <= self.max_exhaustive:
                model, ranking, path = search.exhaustive(self.top)
                how = "exhaustive"
            else:
                model, ranking, path = search.stepwise()
                how = "stepwise (forward and backward)"
            fit = fit_covariate_model(data, model, self.cache, design=search.design)
            _refuse(self.method, fit)
            boot: Intervals | None = None
            details: dict[str, Any] = {}
            if s.ci == "bootstrap":
                boot, details["bootstrap"] = _parametric_bootstrap(
                    fit, hierarchical_closure(model), s.level, s.nboot, s.seed, self.cache)
        self.path_, self.ranking_ = path, ranking

        def names(terms: Iterable[CovTerm]) -> list[str]:
            return [t.name(data.lists, data.covariates) for t in terms]

        details.update(
            criterion=self.criterion, search=how, candidates=names(cand), keep=names(keep),
            models_fitted=search.n_fitted,
            path=path.to_dict(orient="records"),
            ranking=ranking.head(self.top).to_dict(orient="records"))
        return _result_from_fit(self.method, fit, s.ci, s.level, boot, **details)


class StratifiedEstimate(CovariateEstimator):
    """A separate zicht estimator in each stratum, summed (the comparison).

    ``method``: ``stepwise``, ``aic``, ``bic``, ``model`` (with ``terms``, e.g. ``"A:B"``) or
    ``Mt`` (main effects); ``ci``: any interval of :meth:`zicht.mse.MSEEstimator.fit` for the
    strata (default ``profile``).  The total's interval is log-normal with the sum of the
    strata's variances (separate models, independent errors).  A list that saw nobody in a
    stratum is left out there (with its terms); a stratum without an estimate makes the total
    unavailable (its row says why).
    """

    METHODS = ("stepwise", "aic", "bic", "model", "Mt")
    ci_methods = CI_METHODS

    def __init__(self, method: str = "stepwise", terms: str | None = None, ci: str = "profile",
                 level: float = 0.95, pthresh: float = 0.02, nboot: int = 1000,
                 seed: int | None = 1234):
        if method not in self.METHODS:
            raise MSEInputError(f"unknown method {method!r} (choose from "
                                f"{', '.join(self.METHODS)})")
        self.method, self.terms = method, terms
        self.ci, self.level = check_ci(ci, self.ci_methods), check_level(level)
        self.pthresh, self.nboot, self.seed = pthresh, nboot, seed
        self.results_: list[MSEResult | None] = []

    def _estimator(self, lists: Sequence[str]) -> Estimator[Any]:
        from ..methods import make_estimator

        terms = None
        if self.method == "model" and self.terms:
            parts = [p.strip() for p in str(self.terms).replace(";", ",").split(",")
                     if p.strip()]
            terms = ",".join(p for p in parts
                             if all(n.strip() in lists for n in p.split(":")))
        return make_estimator(self.method, terms, self.pthresh)

    def _fit(self, data: StratifiedHistories, settings: FitSettings) -> CovariateResult:
        S = data.n_strata
        est, lo, hi, se = (np.full(S, np.nan) for _ in range(4))
        models, status = [""] * S, ["ok"] * S
        results: list[MSEResult | None] = []
        dev = aic = bic = 0.0
        df = n_params = 0
        for s in range(S):
            table = data.stratum(s)
            seen = [n for n, size in table.list_sizes().items() if size > 0]
            if len(seen) < 2:
                status[s] = "fewer than two lists saw anyone"
                results.append(None)
                continue
            if len(seen) < table.k:
                frame = table.to_frame().groupby(seen, as_index=False)[COUNT].sum()
                frame = frame[frame[seen].sum(axis=1) > 0]
                table = CaptureHistories.from_frame(frame)
                status[s] = "ok (without " + ", ".join(
                    n for n in data.lists if n not in seen) + ": saw nobody here)"
            try:
                res = self._estimator(table.lists).fit(table, ci=settings.ci, level=settings.level,
                                                       nboot=settings.nboot, seed=settings.seed)
            except (EstimateNotAvailable, MSEInputError) as exc:
                status[s] = str(exc)
                results.append(None)
                continue
            results.append(res)
            est[s], se[s] = res.estimate, res.fit.stderr
            if res.ci is not None:
                lo[s], hi[s] = res.ci
            models[s] = res.model_label
            dev, aic, bic = dev + res.deviance, aic + res.aic, bic + res.bic
            df, n_params = df + res.df, n_params + res.fit.n_params
        self.results_ = results
        frame = _strata_frame(data, est, lo, hi, se)
        frame["model"] = models
        frame["status"] = status
        done = np.isfinite(est)
        if done.all():
            total_est = float(est.sum())
            d = total_est - data.n_observed
            tl, th = lognormal_interval(data.n_observed, d, float((se**2).sum()), settings.level)
            total_ci = (float(tl), float(th))
        else:
            total_est, total_ci = math.nan, None
        name = f"stratified {self.method}"
        return CovariateResult(
            method=name, lists=data.lists, covariates=data.covariates,
            total=Total(data.n_observed, total_est, total_ci), strata=frame, model=[],
            minus_inf=[], deviance=dev, aic=aic, bic=bic, df=df, n_params=n_params,
            ci_method=f"strata: {settings.ci}; total: log-normal (sum of strata variances)",
            level=settings.level,
            details={"failed_strata": int((~done).sum()),
                     "models": dict(zip(data.labels(), models, strict=True))})
