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
poor mixing    the sampler's chains disagree (rank-normalised split R-hat above 1.01) or its
               bulk effective sample size is below 100 draws
not applicable the method does not take this table (too many or too few lists)
============== ===================================================================================

Besides the rows, ``findings`` says what holds for the table as a whole: which two-list models
have no estimate, whether the model with every two-list interaction is identifiable, and how far
the methods disagree.  Sources of the methods: ``docs/METHODS.md``.

The methods come from the registry (:mod:`zicht.mse.methods`) and are fitted through the
estimator contract (``make().fit(data, ci=..., level=...)``); with covariates, the covariate
models get the stratified table and the others the table summed over the strata.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2

from .base import MAX_LISTS, Estimator
from .closedp import CLOSEDP_MODELS
from .data import CaptureHistories, as_capture_histories
from .design import all_pairs
from .dga import DGAResult, _delta_label
from .errors import EstimateNotAvailable, MSEInputError
from .frequency import CaptureFrequencies
from .identifiability import MESSAGES, check_all_models
from .methods import HISTORIES, STRATA, Method, entries, lookup
from .result import MSEResult, _finite, _num

FAMILIES = ("log-linear with covariates", "log-linear", "classical (Rcapture)",
            "graph averaging (dga)", "latent classes")
PRIOR_SENSITIVE_RATIO = 1.25
POOR_FIT_P = 0.001


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

    def plot(self) -> Any:
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
    """A row of the comparison: the estimator ``make()`` builds is fitted with
    ``fit(data, ci=ci, level=level)``; ``input`` says which data (``histories``: the table, or
    with covariates the table summed over the strata; ``strata``: the stratified table)."""

    name: str
    family: str
    make: Callable[[], Estimator[Any]]
    ci: str = "profile"
    input: str = HISTORIES


# the registry's families as the comparison labels them
FAMILY_LABELS = {"loglinear": "log-linear", "closedp": "classical (Rcapture)",
                 "frequency": "classical (Rcapture)", "bayesian": "graph averaging (dga)",
                 "latent class": "latent classes", "covariates": "log-linear with covariates",
                 "stratified": "log-linear with covariates"}


def _spec(name: str, method: Method, ci: str = "profile", **settings: Any) -> MethodSpec:
    return MethodSpec(name, FAMILY_LABELS[method.family],
                      partial(method.make, strict=True, **settings), ci, method.inputs[0])


def default_methods(table: CaptureHistories, seed: int = 1234,
                    lcmcr_settings: dict[str, Any] | None = None) -> list[MethodSpec]:
    """The methods ``compare`` runs, in the order of the table."""
    k = table.k
    pairs = [f"{table.lists[a]}:{table.lists[b]}" for a, b in all_pairs(min(k, MAX_LISTS))]
    specs = [
        _spec("stepwise", lookup("stepwise")),
        _spec("bic", lookup("bic")),
        _spec("aic", lookup("aic")),
        _spec("all pairs", lookup("model"), terms=pairs),
        _spec("Mt", lookup("Mt")),
    ]
    closedp = sorted(entries(family="closedp"), key=lambda m: CLOSEDP_MODELS.index(m.display))
    for m in closedp:  # in Rcapture's order; Mb and Mbh have no profile interval
        specs.append(_spec(m.display, m, "none" if m.name in ("Mb", "Mbh") else "profile"))
    specs.append(_spec(f"dga (delta = {_delta_label(2.0 ** -k, k).split(' ')[0]})",
                       lookup("dga"), "posterior", sensitivity=(0.5, 1.0)))
    specs.append(_spec("latent classes", lookup("lcmcr"), "posterior",
                       **{"seed": seed, **(lcmcr_settings or {})}))
    return specs


def frequency_methods() -> list[MethodSpec]:
    """For frequency-of-capture data: Rcapture's ``closedp.0`` models, and the other families
    listed as not applicable (they need to know who is on which list)."""
    specs = [_spec(m.display, m) for m in entries(family="frequency")]
    for name, family in (("stepwise", "log-linear"), ("dga", "graph averaging (dga)"),
                         ("latent classes", "latent classes")):
        specs.append(MethodSpec(name, family, _needs_histories, "none"))
    return specs


def _needs_histories() -> Estimator[Any]:
    raise MSEInputError("frequency-of-capture data: this method needs capture histories "
                        "(who is on which list), not only how often each unit was caught")


def covariate_methods(strata: object = None) -> list[MethodSpec]:
    """With covariates: one model over all strata (BIC search over list x covariate and list x
    list terms) and a separate stepwise model in each stratum, summed.  (``strata`` is no
    longer needed: :func:`compare` hands each method the data of its ``input``.)"""
    return [
        _spec("covariates (bic)", lookup("bic", STRATA, "covariates"), "lognormal"),
        _spec("stratified (stepwise)", lookup("stepwise", STRATA, "stratified")),
    ]


def compare(data: object, methods: list[MethodSpec] | None = None, level: float = 0.95,
            seed: int = 1234, lcmcr_settings: dict[str, Any] | None = None,
            progress: Callable[[str], None] | None = None) -> Comparison:
    """Run every applicable method on ``data``: capture histories (a table, DataFrame, path or
    dataset), or :class:`~zicht.mse.frequency.CaptureFrequencies` (Rcapture's ``closedp.0``
    models only)."""
    from .covariates import StratifiedHistories

    strata = None
    table: CaptureHistories | CaptureFrequencies
    if isinstance(data, StratifiedHistories):  # the methods on the collapsed table + covariates
        strata, table = data, data.collapse()
        specs = methods if methods is not None else [
            *covariate_methods(), *default_methods(table, seed, lcmcr_settings)]
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
        given = strata if spec.input == STRATA and strata is not None else table
        rows.extend(_run(spec, given, table, level))
    lists = getattr(table, "lists", ())
    return Comparison(lists, table.n_observed, level, rows, _findings(table, rows))


def _run(spec: MethodSpec, data: Any, table: Any, level: float) -> list[Row]:
    """Fit ``spec`` on ``data``; ``table`` is what the verdicts compare with (the observed)."""
    row = Row(spec.name, spec.family)
    start = time.process_time()
    try:
        result = spec.make().fit(data, ci=spec.ci, level=level)
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


def _fill(row: Row, result: Any, table: CaptureHistories | CaptureFrequencies) -> None:
    from .covariates import CovariateResult

    row.result = result
    row.estimate = float(result.estimate)
    ci = result.ci
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
        rhat = f"{result.rhat:.3f}" if math.isfinite(result.rhat) else "-"
        row.fit = (f"R-hat {rhat}; ESS {result.ess_bulk:,.0f} of {len(result.samples):,} "
                   f"draws ({result.chains} chain{'s' if result.chains != 1 else ''})")
        at_cap = result.share_at_cap
        if at_cap > 0.01:
            verdicts.append("boundary")
            notes.append(f"{at_cap:.0%} of the draws at the sampler's cap N = 21 x observed")
        if result.poor_mixing:  # R-hat > 1.01 or bulk ESS < 100 (zicht.mse.lcmcr)
            verdicts.append("poor mixing")
            notes.append("poor mixing: " + "; ".join(result.mixing_problems)
                         + "; the estimate depends on where the chains happened to be")
    if not math.isfinite(row.estimate):  # e.g. a stratified estimate with a failed stratum
        row.estimate = row.ci_low = row.ci_high = None
        row.verdicts = ["no estimate"]
        return
    if row.estimate < table.n_observed - 1e-9:
        verdicts.append("below observed")


def _findings(table: CaptureHistories | CaptureFrequencies, rows: list[Row]) -> list[str]:
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
    usable = [(r.estimate, r) for r in rows if r.estimate is not None
              and r.estimate >= table.n_observed
              and not {"no estimate", "below observed"} & set(r.verdicts)]
    if len(usable) >= 2:
        low, lo = min(usable, key=lambda pair: pair[0])
        high, hi = max(usable, key=lambda pair: pair[0])
        out.append(f"estimates range from {low:,.0f} ({lo.method}) to "
                   f"{high:,.0f} ({hi.method}), a factor {high / low:.1f}")
    clean = [estimate for estimate, r in usable if not r.verdicts]
    if clean:
        middle = float(np.median(clean))
        out.append(f"{len(clean)} method(s) without a verdict; their median estimate is "
                   f"{middle:,.0f}")
    return out
