"""``zicht estimate FILE.csv``: a population size from a capture-history table (or a shipped
dataset); ``zicht datasets``: the shipped published tables; ``zicht demo tables``: every
estimator on the published UK and Dutch tables.

Input errors print one line on stderr and exit with code 2; a model whose estimate does not
exist (or is not identifiable) says why and exits with code 3.
"""

from __future__ import annotations

import json
import math
import os
import sys
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from .common import CI, Format, err, out
from .common import fail as _fail
from .common import fmt as _fmt
from .common import print_json as _print_json
from .common import save_chart as _save_chart

# zicht.mse (numpy, scipy, pandas) is imported inside the commands that use it, so that
# `zicht serve` and the registry commands start in a fraction of the time.


class Method(StrEnum):
    """``--method``: the names of :func:`zicht.mse.methods.names` for capture histories, written
    out so that ``zicht --help`` does not import numpy (tests/cli/test_cli.py checks that the two
    agree)."""

    stepwise = "stepwise"
    aic = "aic"
    bic = "bic"
    model = "model"
    Mt = "Mt"
    M0 = "M0"
    Mb = "Mb"
    Mbh = "Mbh"
    Mh_chao = "Mh-chao"
    Mh_poisson2 = "Mh-poisson2"
    Mh_darroch = "Mh-darroch"
    Mh_gamma = "Mh-gamma3.5"
    Mth_chao = "Mth-chao"
    Mth_poisson2 = "Mth-poisson2"
    Mth_darroch = "Mth-darroch"
    Mth_gamma = "Mth-gamma3.5"
    dga = "dga"
    lcmcr = "lcmcr"


@contextmanager
def _estimation_errors():
    """Input errors exit 2 with their one line; a model without an estimate exits 3."""
    from ..mse import EstimateNotAvailable, MSEInputError

    try:
        yield
    except MSEInputError as exc:
        _fail(str(exc), 2)
    except EstimateNotAvailable as exc:
        _fail(f"no estimate: {exc}", 3)


def _read(source: str, occasions: str | None = None):
    """Capture histories, or with ``occasions`` (or a shipped frequency dataset) capture
    frequencies."""
    from ..mse import MSEInputError
    from ..mse.data import CaptureHistories
    from ..mse.datasets import DATASETS, load_capture_frequencies, load_dataset, load_frequencies
    from ..mse.frequency import CaptureFrequencies

    if not os.path.exists(source) and source in DATASETS:
        if DATASETS[source].kind == "frequency":
            if occasions is None:
                return load_capture_frequencies(source)
            return CaptureFrequencies.from_frame(load_frequencies(source), occasions)
        if occasions is not None:
            raise MSEInputError(f"--occasions is for frequency-of-capture data; {source} holds "
                                "capture histories")
        return load_dataset(source)
    if os.path.isdir(source):
        raise MSEInputError(f"{source}: is a directory, not a CSV file")
    if occasions is not None:
        return CaptureFrequencies.from_csv(source, occasions)
    return CaptureHistories.from_csv(source)


def estimate(
    file: str = typer.Argument(..., help="Capture-history CSV (0/1 list columns + count), or "
                                           "the name of a shipped dataset (see `zicht datasets`)."),
    method: Method = typer.Option(None, help="Estimator (default: stepwise; with --covariates "
                                  "bic)."),
    terms: str = typer.Option(None, help='Interaction terms for --method model, e.g. "A:B,B:C"; '
                              'with --covariates also list x covariate terms ("A:sex", "*:form").'),
    ci: CI = typer.Option(CI.profile, help="Interval: profile likelihood, bootstrap percentile, "
                                           "BCa, model-conditional, or none (dga and lcmcr always "
                                           "give posterior quantiles)."),
    level: float = typer.Option(0.95, min=0.5, max=0.999, help="Confidence level."),
    nboot: int = typer.Option(1000, min=2, help="Bootstrap replicates."),
    seed: int = typer.Option(1234, help="Bootstrap seed; the latent-class sampler's seed."),
    pthresh: float = typer.Option(0.02, min=0.0, max=1.0, help="Stepwise p threshold."),
    delta: float = typer.Option(None, min=0.0, help="dga: hyper-Dirichlet pseudo-count per cell "
                                "(default 2^-lists, a total prior weight of one)."),
    occasions: str = typer.Option(None, help="Frequency-of-capture data (columns nbcap, "
                                  "count): the number of capture occasions, or inf."),
    covariates: str = typer.Option(None, help="Comma-separated covariate columns of a long table "
                                   "(one row per pattern x stratum): a log-linear model with "
                                   "list x covariate terms, estimates per stratum."),
    sum_over: str = typer.Option(None, help="With --covariates: comma-separated columns to sum "
                                 "over (e.g. the strata of `zicht link`'s capture histories "
                                 "by stratum that are not covariates)."),
    stratified: bool = typer.Option(False, "--stratified", help="With --covariates: a separate "
                                    "model per stratum (--method), summed, instead of one model."),
    compare_: bool = typer.Option(False, "--compare", help="Run every applicable method and "
                                  "print one table with verdicts (ignores --method and --ci)."),
    sensitivity_: bool = typer.Option(False, "--sensitivity", help="Also estimate with each "
                                      "list dropped and the two smallest lists merged."),
    plot: Path = typer.Option(None, help="Write the chart (.png, .svg, .html or .json): "
                                         "observed vs fitted, the posterior, or with --compare "
                                         "the estimates by method."),
    format: Format = typer.Option(Format.text, "--format", help="text or json."),
):
    """Estimate the population size from a capture-history table."""
    from ..mse import MSEInputError, sensitivity
    from ..mse.methods import make_estimator, names

    if covariates is not None and compare_:
        return _compare(file, occasions, level, seed, plot, format, covariates, sum_over)
    if covariates is not None:
        return _estimate_covariates(file, covariates, sum_over, method or Method.bic, terms,
                                    stratified, ci, level, nboot, seed, plot, format)
    if stratified or sum_over:
        _fail(f"{'--stratified' if stratified else '--sum-over'} needs --covariates", 2)
    method = method or Method.stepwise
    if terms and method != Method.model:
        _fail("--terms is only used with --method model", 2)
    if delta is not None and method != Method.dga:
        _fail("--delta is only used with --method dga", 2)
    if compare_:
        return _compare(file, occasions, level, seed, plot, format)
    with _estimation_errors():
        table = _read(file, occasions)

        def make():
            if not hasattr(table, "lists"):  # capture frequencies: Rcapture's closedp.0
                frequency = names(family="frequency")
                if method.value not in frequency or sensitivity_ or \
                        ci not in (CI.profile, CI.model, CI.none):
                    raise MSEInputError(
                        "frequency-of-capture data take --method "
                        f"{', '.join(frequency)} (or --compare) with --ci profile, "
                        "model or none, and no --sensitivity")
                return make_estimator(method.value, input="frequencies")
            return make_estimator(method.value, terms, pthresh, delta=delta, seed=seed)

        est = make()
        show_progress = sys.stderr.isatty() and (ci in (CI.bootstrap, CI.bca)
                                                 or method == Method.lcmcr)
        if hasattr(table, "lists"):
            result = est.fit(table, ci=ci.value, level=level, nboot=nboot, seed=seed,
                             progress=show_progress)
        else:
            result = est.fit(table, ci=ci.value, level=level)
        sens = None
        if sensitivity_:
            sens = sensitivity(table, make, ci="profile" if ci == CI.profile else "none",
                               level=level)
        if plot is not None:
            _save_chart(result.plot(), plot)
    if format == Format.json:
        payload = result.to_dict()
        if sens is not None:
            payload["sensitivity"] = json.loads(sens.to_json(orient="records"))
        _print_json(payload)
        return
    _print_result(result)
    if sens is not None:
        _print_sensitivity(sens, f"Sensitivity ({result.method})")


def _estimate_covariates(file, covariates, sum_over, method, terms, stratified, ci, level,
                         nboot, seed, plot, format) -> None:
    """``--covariates``: one model over all strata (or ``--stratified``: one per stratum)."""
    from ..mse import MSEInputError
    from ..mse.methods import make_estimator, names

    with _estimation_errors():
        data = _read_strata(file, covariates, sum_over)
        if stratified:
            per_stratum = names(family="stratified")
            if method.value not in per_stratum:
                raise MSEInputError(f"--stratified takes --method {', '.join(per_stratum)}")
            est = make_estimator(method.value, terms, input="strata", family="stratified",
                                 ci=ci.value, level=level)
        else:
            kind = {CI.profile: "lognormal", CI.model: "lognormal", CI.bootstrap: "bootstrap",
                    CI.none: "none"}.get(ci)
            if kind is None:
                raise MSEInputError("with --covariates the interval is log-normal (the default),"
                                    " bootstrap or none")
            if method.value not in names(family="covariates"):
                raise MSEInputError("with --covariates, --method is model (with --terms), aic or"
                                    " bic; or add --stratified")
            if terms and method != Method.model:
                raise MSEInputError("--terms is only used with --method model")
            est = make_estimator(method.value, terms, input="strata", family="covariates",
                                 ci=kind, level=level, nboot=nboot, seed=seed)
        result = est.fit(data)
        if plot is not None:
            _save_chart(result.plot(), plot)
    if format == Format.json:
        _print_json(result.to_dict())
        return
    frame = result.summary()
    t = Table(title=f"Population estimate by stratum - {result.method}")
    for col in (*result.covariates, "observed", "estimate", f"{result.level:.0%} interval"):
        t.add_column(col, justify="left" if col in result.covariates else "right")
    for row in frame.itertuples(index=False):
        values = row._asdict()
        interval = "-" if values["ci_low"] is None or values["ci_low"] != values["ci_low"] \
            else f"{_fmt(values['ci_low'], 0)} - {_fmt(values['ci_high'], 0)}"
        t.add_row(*[str(values[c]) for c in result.covariates], f"{int(values['observed']):,}",
                  _fmt(values["estimate"], 0), interval)
    out.print(t)
    out.print(f"model: {result.model_label}")
    out.print(f"interval: {result.ci_method}; deviance {result.deviance:,.2f} on {result.df} df;"
              f" AIC {result.aic:,.2f}; BIC {result.bic:,.2f}")


def _read_strata(file: str, covariates: str, sum_over: str | None):
    from ..mse import MSEInputError
    from ..mse.covariates import StratifiedHistories

    names = [c.strip() for c in covariates.split(",") if c.strip()]
    if not names:
        raise MSEInputError("--covariates: name at least one covariate column")
    if os.path.isdir(file):
        raise MSEInputError(f"{file}: is a directory, not a CSV file")
    if sum_over:
        frame = _summed_over(file, [c.strip() for c in sum_over.split(",") if c.strip()])
        return StratifiedHistories.from_frame(frame, covariates=names)
    try:
        return StratifiedHistories.from_csv(file, covariates=names)
    except MSEInputError:
        _name_the_missing_option(file, names)
        raise


def _name_the_missing_option(file: str, covariates: list[str]) -> None:
    """A long table refused because a column is neither a list (0/1) nor a named covariate
    (the year and the other strata of `zicht link`'s capture_histories_by_stratum.csv): say
    which option takes it, rather than that '2015' is not 0 or 1."""
    import pandas as pd

    from ..mse import MSEInputError

    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError):
        return
    other = [str(c).strip() for c in frame.columns
             if str(c).strip() not in (*covariates, "count")
             and not frame[c].str.strip().isin(["0", "1"]).all()]
    if other:
        raise MSEInputError(
            f"{file}: {', '.join(repr(c) for c in other)} "
            f"{'is neither a list' if len(other) == 1 else 'are neither lists'} (0/1) nor in "
            f"--covariates: add {'it' if len(other) == 1 else 'them'} to --covariates, or sum "
            f"over {'it' if len(other) == 1 else 'them'} with --sum-over {','.join(other)}")


def _summed_over(file: str, columns: list[str]):
    """The long table with ``columns`` dropped and the counts of rows that then agree added."""
    import pandas as pd

    from ..mse import MSEInputError

    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise MSEInputError(f"{file}: cannot read it as CSV ({exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MSEInputError(f"--sum-over: no column {missing[0]!r} in {file}")
    if "count" not in frame.columns:
        raise MSEInputError(f"missing column 'count' in {file}")
    counts = pd.to_numeric(frame["count"], errors="coerce")
    bad = counts.isna() | (counts < 0) | (counts != counts.round())
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise MSEInputError(f"row {row + 1} (line {row + 2}), column 'count': "
                            f"{frame['count'].iloc[row]!r} is not a whole number >= 0")
    keys = [c for c in frame.columns if c not in columns and c != "count"]
    frame = frame.assign(count=counts.astype("int64"))
    return frame.groupby(keys, as_index=False, sort=False)["count"].sum()


def _compare(file: str, occasions: str | None, level: float, seed: int, plot: Path | None,
             format: Format, covariates: str | None = None, sum_over: str | None = None) -> None:
    from ..mse.compare import compare

    with _estimation_errors():
        if covariates is not None:
            table = _read_strata(file, covariates, sum_over)
        else:
            table = _read(file, occasions)
        if sys.stderr.isatty() and format == Format.text:
            with err.status("comparing methods") as status:
                result = compare(table, level=level, seed=seed,
                                 progress=lambda name: status.update(f"comparing: {name}"))
        else:
            result = compare(table, level=level, seed=seed)
        if plot is not None:
            _save_chart(result.plot(), plot)
    if format == Format.json:
        _print_json(result.to_dict())
        return
    _print_comparison(result)


def _print_comparison(result) -> None:
    what = ", ".join(result.lists) or "capture frequencies"
    t = Table(title=f"Estimates by method - {what} ({result.observed:,} observed)")
    for col in ("method", "estimate", f"{result.level:.0%} interval", "model", "fit", "verdict"):
        t.add_column(col, justify="right" if col == "estimate" else "left",
                     overflow="fold")
    notes = []
    for row in result.rows:
        verdict = row.verdict
        if row.notes:
            notes.append((len(notes) + 1, row.method, "; ".join(row.notes)))
            verdict += f" [{len(notes)}]"
        interval = "-" if row.ci_low is None else \
            f"{_fmt(row.ci_low, 0)} - {_fmt(row.ci_high, 0)}"
        t.add_row(row.method, _fmt(row.estimate, 0), interval, row.model[:60], row.fit,
                  verdict)
    out.print(t)
    for number, method, text in notes:
        out.print(f"[{number}] {method}: {text}")
    if result.findings:
        out.print("")
        for line in result.findings:
            out.print(f"- {line}")


def _print_result(result) -> None:
    from ..mse.result import MSEResult

    if not isinstance(result, MSEResult):  # a posterior (dga, latent classes): its own summary
        t = Table(title=f"Population estimate - {result.method}", show_header=False)
        t.add_column("", style="bold")
        t.add_column("")
        for name, value in result.summary()["value"].items():
            if name != "method":
                if isinstance(value, int | float):
                    value = _fmt(float(value), 0 if float(value).is_integer() else 2)
                # LCMCR's chains that disagree: "poor mixing: R-hat ... > 1.01 ..."
                poor = name == "mixing" and str(value).startswith("poor mixing")
                t.add_row(str(name), str(value), style="bold red" if poor else None)
        out.print(t)
        return
    t = Table(title=f"Population estimate - {result.method}", show_header=False)
    t.add_column("", style="bold")
    t.add_column("")
    if result.lists:
        t.add_row("lists", ", ".join(result.lists))
    else:  # capture frequencies
        t.add_row("occasions", str(result.details.get("t", "-")))
    t.add_row("observed", f"{result.observed:,}")
    t.add_row("estimate", _fmt(result.estimate))
    t.add_row("dark figure", _fmt(result.dark_figure))
    if result.ci is not None:
        t.add_row(f"{result.level:.0%} interval", f"{_fmt(result.ci[0])} - {_fmt(result.ci[1])}"
                  f"  ({result.ci_method})")
    t.add_row("model", result.model_label)
    if result.minus_inf:
        t.add_row("", "(-inf): no one is on both lists; those cells are fitted at 0")
    t.add_row("deviance / df", f"{result.deviance:.3f} / {result.df}")
    t.add_row("AIC / BIC", f"{result.aic:.3f} / {result.bic:.3f}")
    if "warning" in result.details:
        t.add_row("warning", result.details["warning"])
    out.print(t)


def _print_sensitivity(frame, title: str) -> None:
    t = Table(title=title)
    for col in ("variant", "observed", "estimate", "interval", "change", "model"):
        t.add_column(col, justify="right" if col in ("observed", "estimate", "change") else "left")
    for row in frame.itertuples():
        if row.estimate is None or (isinstance(row.estimate, float) and math.isnan(row.estimate)):
            t.add_row(row.variant, f"{row.observed:,}", "-", row.note, "-", "")
            continue
        interval = "-" if row.ci_low is None or row.ci_low != row.ci_low else \
            f"{_fmt(row.ci_low, 0)} - {_fmt(row.ci_high, 0)}"
        t.add_row(row.variant, f"{row.observed:,}", _fmt(row.estimate, 0), interval,
                  f"{row.change:+.1%}", row.model)
    out.print(t)


def datasets():
    """List the published capture-recapture tables shipped with zicht."""
    from ..mse.datasets import list_datasets

    t = Table(title="Shipped datasets")
    for col in ("name", "lists", "observed", "description", "citation"):
        t.add_column(col)
    for row in list_datasets().itertuples():
        t.add_row(row.name, "-" if row.lists != row.lists or row.lists is None else
                  str(int(row.lists)), "-" if row.observed != row.observed or
                  row.observed is None else f"{int(row.observed):,}", row.description,
                  row.citation)
    out.print(t)


DEMO_METHODS = ("stepwise", "bic", "aic", "Mt", "Mth-chao", "Mth-darroch", "Mth-poisson2",
                "Mth-gamma3.5")


def demo_tables(nboot: int = typer.Option(1000, min=2, help="Bootstrap replicates for the UK "
                                                             "BCa.")):
    """Estimate on the published UK and Dutch tables (registered as `zicht demo tables`)."""
    from ..mse import EstimateNotAvailable, Stepwise, sensitivity
    from ..mse.datasets import load_dataset
    from ..mse.methods import make_estimator

    uk = load_dataset("uk5")
    res = Stepwise().fit(uk, ci="profile")
    _print_result(res)
    boot = Stepwise().fit(uk, ci="bca", nboot=nboot, seed=1234, progress=sys.stderr.isatty())
    out.print(f"UK 2013 (5 lists): {res.estimate:,.0f}; profile 95% interval "
              f"{res.ci[0]:,.0f} - {res.ci[1]:,.0f}; BCa bootstrap ({nboot} replicates, seed "
              f"1234) {boot.ci[0]:,.0f} - {boot.ci[1]:,.0f}.  Published: 11,313 "
              "(10,000 - 13,000).\n")
    for name in ("netherlands", "netherlands5"):
        table = load_dataset(name)
        t = Table(title=f"Netherlands ({table.k} lists, {table.n_observed:,} observed): "
                  "every method, profile-likelihood 95% intervals")
        for col in ("method", "estimate", "interval", "model"):
            t.add_column(col, justify="right" if col == "estimate" else "left")
        for m in DEMO_METHODS:
            try:
                r = make_estimator(m).fit(table, ci="profile")
            except EstimateNotAvailable as exc:
                t.add_row(m, "-", str(exc), "")
                continue
            t.add_row(m, _fmt(r.estimate, 0), f"{_fmt(r.ci[0], 0)} - {_fmt(r.ci[1], 0)}",
                      r.model_label)
        out.print(t)
        _print_sensitivity(sensitivity(table, Stepwise, ci="profile"),
                           f"Netherlands ({table.k} lists): sensitivity of the stepwise estimate")
