"""Every applicable estimator on one table, side by side, with the reasons they differ.

``compare(table)`` runs the log-linear selections (stepwise, BIC and AIC search, all two-list
interactions, main effects), Rcapture's classical models, decomposable-graph averaging at two
priors and latent classes, and returns one :class:`Comparison`: a row per method with its
estimate, interval, model, fit and a *verdict* - the problems a reader must know before using
the number:

============== ===================================================================================
no estimate    the model's maximum likelihood estimate does not exist, or it is not identifiable
               (SparseMSE's linear-programming check); the row has no number
boundary       the fit sits on the edge of the parameter space: interactions fitted at minus
               infinity (no one on both lists), a posterior cut off by its grid or by the prior's
               cap on N
open interval  the upper profile-likelihood bound is not reached (the data do not bound N above)
prior-sensitive the Bayesian answer moves by more than a quarter when the prior changes (dga's
               delta)
poor fit       the model's deviance is far beyond its degrees of freedom (p < 0.001)
below observed the estimate is smaller than the number of people already observed
poor mixing    the sampler's effective sample size is below 100 draws
not applicable the method does not take this table (too many or too few lists)
============== ===================================================================================

Besides the rows, ``findings`` says what holds for the table as a whole: which two-list models
have no estimate, whether the model with every two-list interaction is identifiable, and how far
the methods disagree.  Sources of the methods: ``../shared/MSE_METHODS.md``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2

from .base import MAX_LISTS
from .closedp import ClosedP
from .data import CaptureHistories, as_capture_histories
from .dga import DGA, DGAResult, _delta_label
from .errors import EstimateNotAvailable, MSEInputError
from .identifiability import MESSAGES, check_all_models
from .loglinear import LogLinear, MainEffects
from .result import MSEResult, _finite, _num
from .search import ModelSearch
from .stepwise import Stepwise

FAMILIES = ("log-linear with covariates", "log-linear", "classical (Rcapture)",
            "graph averaging (dga)", "latent classes")
PRIOR_SENSITIVE_RATIO = 1.25
POOR_FIT_P = 0.001
MIN_ESS = 100


@dataclass
class Row:
    """One method's answer on the table, or why it has none."""

    method: str
    family: str
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    interval: str = ""
    model: str = ""
    fit: str = ""
    verdicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    result: Any = None

    @property
    def verdict(self) -> str:
        return ", ".join(self.verdicts) or "ok"

    def to_dict(self) -> dict[str, Any]:
        out = {
            "method": self.method, "family": self.family, "estimate": _num(self.estimate),
            "ci_low": _num(self.ci_low), "ci_high": _num(self.ci_high),
            "interval": self.interval, "model": self.model, "fit": self.fit,
            "verdicts": self.verdicts or ["ok"], "notes": self.notes,
            "seconds": round(self.seconds, 3),
        }
        if self.result is not None:
            out["result"] = _finite(self.result.to_dict())
        return out


@dataclass
class Comparison:
    lists: tuple[str, ...]
    observed: int
    level: float
    rows: list[Row]
    findings: list[str]

    def table(self) -> pd.DataFrame:
        """One row per method: estimate, interval, model, fit, verdict."""
        return pd.DataFrame([{
            "method": r.method, "family": r.family, "estimate": r.estimate,
            "ci_low": r.ci_low, "ci_high": r.ci_high, "interval": r.interval, "model": r.model,
            "fit": r.fit, "verdict": r.verdict, "notes": "; ".join(r.notes)} for r in self.rows])

    def to_dict(self) -> list[dict[str, Any]]:
        """The rows as JSON-ready dicts (``zicht estimate --compare --format json``)."""
        return [r.to_dict() for r in self.rows]

    @property
    def estimated(self) -> list[Row]:
        return [r for r in self.rows if r.estimate is not None]

    def row(self, method: str) -> Row:
        for r in self.rows:
            if r.method == method:
                return r
        raise KeyError(method)

    def plot(self):
        """Estimates with their intervals, one line per method, the observed count as a rule."""
        import altair as alt

        rows = self.estimated
        if not rows:
            raise EstimateNotAvailable("no method gave an estimate on this table")
        frame = pd.DataFrame([{
            "method": r.method, "family": r.family, "estimate": r.estimate,
            "low": r.ci_low if r.ci_low is not None else r.estimate,
            "high": r.ci_high if r.ci_high is not None else r.estimate,
            "verdict": r.verdict} for r in rows])
        order = list(frame["method"])
        floor = max(1.0, 0.8 * min(self.observed, float(frame[["estimate", "low"]].min().min())))
        x = alt.X("estimate:Q", scale=alt.Scale(type="log", domainMin=floor),
                  title="population size (log scale)")
        y = alt.Y("method:N", sort=order, title=None)
        color = alt.Color("family:N", sort=list(FAMILIES), title="family")
        tooltip = ["method", "family", alt.Tooltip("estimate:Q", format=",.0f"),
                   alt.Tooltip("low:Q", format=",.0f"), alt.Tooltip("high:Q", format=",.0f"),
                   "verdict"]
        bars = alt.Chart(frame).mark_rule(strokeWidth=2).encode(
            x=alt.X("low:Q", scale=alt.Scale(type="log", domainMin=floor)), x2="high:Q", y=y,
            color=color, tooltip=tooltip)
        points = alt.Chart(frame).mark_point(filled=True, size=60).encode(
            x=x, y=y, color=color, shape=alt.condition(
                alt.datum.verdict == "ok", alt.value("circle"), alt.value("triangle-up")),
            tooltip=tooltip)
        observed = alt.Chart(pd.DataFrame({"estimate": [self.observed]})).mark_rule(
            color="black", strokeDash=[4, 4]).encode(x="estimate:Q")
        missing = [r.method for r in self.rows if r.estimate is None]
        subtitle = [f"dashed line: {self.observed:,} observed; triangles carry a verdict",
                    f"{self.level:.0%} intervals"]
        if missing:
            subtitle.append("no estimate: " + ", ".join(missing))
        what = ", ".join(self.lists) or "capture frequencies"
        title = alt.TitleParams(f"Estimates by method ({what})",
                                subtitle=subtitle)
        return (observed + bars + points).properties(title=title, width=460,
                                                     height=max(120, 22 * len(rows)))


@dataclass(frozen=True)
class MethodSpec:
    name: str
    family: str
    make: Callable[[], Any]
    ci: str = "profile"


def default_methods(table: CaptureHistories, seed: int = 1234,
                    lcmcr_settings: dict | None = None) -> list[MethodSpec]:
    """The methods ``compare`` runs, in the order of the table."""
    from .design import all_pairs

    k = table.k
    pairs = [f"{table.lists[a]}:{table.lists[b]}" for a, b in all_pairs(min(k, MAX_LISTS))]
    specs = [
        MethodSpec("stepwise", "log-linear", lambda: Stepwise(0.02)),
        MethodSpec("bic", "log-linear", lambda: ModelSearch("bic")),
        MethodSpec("aic", "log-linear", lambda: ModelSearch("aic")),
        MethodSpec("all pairs", "log-linear", lambda: LogLinear(pairs)),
        MethodSpec("Mt", "log-linear", MainEffects),
    ]
    for name in ("M0", "Mh Chao (LB)", "Mh Poisson2", "Mh Darroch", "Mh Gamma3.5",
                 "Mth Chao (LB)", "Mth Poisson2", "Mth Darroch", "Mth Gamma3.5", "Mb", "Mbh"):
        ci = "none" if name in ("Mb", "Mbh") else "profile"
        specs.append(MethodSpec(name, "classical (Rcapture)",
                                lambda name=name: ClosedP(name), ci))
    specs.append(MethodSpec(f"dga (delta = {_delta_label(2.0 ** -k, k).split(' ')[0]})",
                            "graph averaging (dga)", lambda: DGA(None, sensitivity=(0.5, 1.0)),
                            "posterior"))
    settings = {"seed": seed, **(lcmcr_settings or {})}
    specs.append(MethodSpec("latent classes", "latent classes",
                            lambda: _lcmcr(**settings), "posterior"))
    return specs


def frequency_methods() -> list[MethodSpec]:
    """For frequency-of-capture data: Rcapture's ``closedp.0`` models, and the other families
    listed as not applicable (they need to know who is on which list)."""
    from .frequency import FREQUENCY_MODELS, ClosedP0

    specs = [MethodSpec(name, "classical (Rcapture)", lambda name=name: ClosedP0(name))
             for name in FREQUENCY_MODELS]
    for name, family in (("stepwise", "log-linear"), ("dga", "graph averaging (dga)"),
                         ("latent classes", "latent classes")):
        specs.append(MethodSpec(name, family, _needs_histories, "none"))
    return specs


def _needs_histories():
    raise MSEInputError("frequency-of-capture data: this method needs capture histories "
                        "(who is on which list), not only how often each unit was caught")


class _OnStrata:
    """A covariate estimator in a compare run: fitted on the strata, not the collapsed table."""

    def __init__(self, make, strata):
        self.make, self.strata = make, strata

    def fit(self, table, ci: str = "lognormal", level: float = 0.95, **_ignored):
        return self.make(level).fit(self.strata)


def covariate_methods(strata) -> list[MethodSpec]:
    """With covariates: one model over all strata (BIC search over list x covariate and list x
    list terms) and a separate stepwise model in each stratum, summed."""
    from .covariates import CovariateSearch, StratifiedEstimate

    family = "log-linear with covariates"
    return [
        MethodSpec("covariates (bic)", family, lambda: _OnStrata(
            lambda level: CovariateSearch("bic", level=level), strata)),
        MethodSpec("stratified (stepwise)", family, lambda: _OnStrata(
            lambda level: StratifiedEstimate("stepwise", level=level), strata)),
    ]


def _lcmcr(**settings):
    from .lcmcr import LCMCR

    return LCMCR(**settings)


def compare(data, methods: list[MethodSpec] | None = None, level: float = 0.95,
            seed: int = 1234, lcmcr_settings: dict | None = None,
            progress: Callable[[str], None] | None = None) -> Comparison:
    """Run every applicable method on ``data``: capture histories (a table, DataFrame, path or
    dataset), or :class:`~zicht.mse.frequency.CaptureFrequencies` (Rcapture's ``closedp.0``
    models only)."""
    from .covariates import StratifiedHistories
    from .frequency import CaptureFrequencies

    if isinstance(data, StratifiedHistories):  # the methods on the collapsed table + covariates
        table = data.collapse()
        specs = methods if methods is not None else [
            *covariate_methods(data), *default_methods(table, seed, lcmcr_settings)]
    elif isinstance(data, CaptureFrequencies):
        table = data
        specs = methods if methods is not None else frequency_methods()
    else:
        table = as_capture_histories(data)
        if table.n_observed == 0:
            raise MSEInputError("all counts are zero: nobody was observed")
        specs = methods if methods is not None else default_methods(table, seed,
                                                                    lcmcr_settings)
    rows: list[Row] = []
    for spec in specs:
        if progress is not None:
            progress(spec.name)
        rows.extend(_run(spec, table, level))
    lists = getattr(table, "lists", ())
    return Comparison(lists, table.n_observed, level, rows, _findings(table, rows))


def _run(spec: MethodSpec, table, level: float) -> list[Row]:
    row = Row(spec.name, spec.family)
    start = time.process_time()
    try:
        result = spec.make().fit(table, ci=spec.ci, level=level)
    except MSEInputError as exc:
        row.verdicts, row.notes = ["not applicable"], [str(exc)]
        return [row]
    except EstimateNotAvailable as exc:
        row.verdicts, row.notes = ["no estimate"], [_why(exc)]
        return [row]
    finally:
        row.seconds = time.process_time() - start
    _fill(row, result, table)
    rows = [row]
    if isinstance(result, DGAResult):  # the other priors, as rows of their own
        for other in result.details.get("_sensitivity", []):
            extra = Row(f"dga (delta = {_delta_label(other.delta, table.k).split(' ')[0]})",
                        spec.family)
            _fill(extra, other, table)
            extra.verdicts = [v for v in row.verdicts if v == "prior-sensitive"] + [
                v for v in extra.verdicts if v != "prior-sensitive"]
            rows.append(extra)
    return rows


def _why(exc: EstimateNotAvailable) -> str:
    text = str(exc)
    if getattr(exc, "ierr", 0) in MESSAGES and exc.ierr:
        return MESSAGES[exc.ierr]
    return text.split(": ", 1)[-1]


def _fill(row: Row, result, table) -> None:
    from .covariates import CovariateResult

    row.result = result
    row.estimate = float(result.estimate)
    ci = result.total.ci if isinstance(result, CovariateResult) else result.ci
    if ci is not None:
        row.ci_low, row.ci_high = map(float, ci)
    row.interval = result.ci_method
    verdicts, notes = row.verdicts, row.notes
    if isinstance(result, MSEResult | CovariateResult):
        row.model = result.model_label
        row.fit = f"deviance {result.deviance:,.1f} on {result.df} df; BIC {result.bic:,.1f}"
        if result.minus_inf:
            verdicts.append("boundary")
            notes.append(f"fitted at -inf (no one on both lists): {', '.join(result.minus_inf)}")
        warning = result.details.get("warning", "")
        if "upper profile bound not reached" in warning:
            verdicts.append("open interval")
            notes.append(warning)
        if result.df > 0 and math.isfinite(result.deviance) and \
                chi2.sf(result.deviance, result.df) < POOR_FIT_P:
            verdicts.append("poor fit")
        failed = result.strata.get("status") if isinstance(result, CovariateResult) else None
        if failed is not None and (failed != "ok").any():
            verdicts.append("no estimate")
            notes.append(f"{int((failed != 'ok').sum())} stratum(s) without an estimate")
    elif isinstance(result, DGAResult):
        row.model = result.model_label
        top = result.top_models(1)[0][1]
        row.fit = f"P(most probable graph) {top:.2f}"
        if result.details.get("grid_truncated"):
            verdicts.append("boundary")
            notes.append(f"{result.top_mass:.1e} of the posterior lies in the top 1 % of a grid "
                         f"that reaches {result.n_grid[-1]:,.0f}: the tail is cut off")
        medians = [result.median] + [s["median"] for s in
                                     result.details.get("delta_sensitivity", [])]
        if min(medians) > 0 and max(medians) / min(medians) > PRIOR_SENSITIVE_RATIO:
            verdicts.append("prior-sensitive")
            notes.append("median " + ", ".join(
                f"{s['median']:,.0f} at delta = {s['delta_label'].split(' ')[0]}"
                for s in result.details.get("delta_sensitivity", [])))
    else:  # latent classes
        row.model = result.model_label
        row.fit = f"ESS {result.ess:,.0f} of {len(result.samples):,} draws"
        at_cap = result.details.get("share_at_cap", 0.0)
        if at_cap > 0.01:
            verdicts.append("boundary")
            notes.append(f"{at_cap:.0%} of the draws at the sampler's cap N = 21 x observed")
        if result.ess < MIN_ESS:
            verdicts.append("poor mixing")
    if not math.isfinite(row.estimate):  # e.g. a stratified estimate with a failed stratum
        row.estimate = row.ci_low = row.ci_high = None
        row.verdicts = ["no estimate"]
        return
    if row.estimate < table.n_observed - 1e-9:
        verdicts.append("below observed")


def _findings(table, rows: list[Row]) -> list[str]:
    out = []
    if isinstance(table, CaptureHistories) and 2 <= table.k <= 6:
        check = check_all_models(table.k, table.cell_counts(), table.lists)
        if check["n_nonoverlapping_pairs"]:
            out.append(f"{check['n_nonoverlapping_pairs']} pair(s) of lists have no one in "
                       "common")
        failing = check["failing_models"]
        if failing:
            shown = ", ".join(failing[:6]) + (" ..." if len(failing) > 6 else "")
            out.append(f"{len(failing)} two-list model(s) have no maximum likelihood estimate: "
                       f"{shown}")
        if check["full_model_ierr"] & 2:
            out.append("the model with all two-list interactions is not identifiable")
        elif check["full_model_ierr"] & 1:
            out.append("the model with all two-list interactions has no maximum likelihood "
                       "estimate")
    usable = [r for r in rows if r.estimate is not None and r.estimate >= table.n_observed
              and not {"no estimate", "below observed"} & set(r.verdicts)]
    if len(usable) >= 2:
        lo = min(usable, key=lambda r: r.estimate)
        hi = max(usable, key=lambda r: r.estimate)
        ratio = hi.estimate / lo.estimate
        out.append(f"estimates range from {lo.estimate:,.0f} ({lo.method}) to "
                   f"{hi.estimate:,.0f} ({hi.method}), a factor {ratio:.1f}")
    clean = [r for r in usable if not r.verdicts]
    if clean:
        middle = float(np.median([r.estimate for r in clean]))
        out.append(f"{len(clean)} method(s) without a verdict; their median estimate is "
                   f"{middle:,.0f}")
    return out
