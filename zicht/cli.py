"""The ``zicht`` command line.

``zicht estimate FILE.csv`` estimates a population size from a capture-history table;
``zicht datasets`` lists the shipped published tables; ``zicht demo`` runs the whole chain on
synthetic data (``zicht demo tables``: every estimator on the shipped tables).
Input errors print one line on stderr and exit with code 2; a model whose estimate does not
exist (or is not identifiable) says why and exits with code 3.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from .cli_common import Format
from .cli_common import fail as _fail

# zicht.mse (numpy, scipy, pandas) is imported inside the commands that use it, so that
# `zicht serve` and the registry commands start in a fraction of the time.

app = typer.Typer(
    help="zicht: sight of the nature and extent of human trafficking.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# piped output (make demo, CI logs) gets room for the tables instead of 80 columns
out = Console(highlight=False, markup=False, emoji=False,
              width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, highlight=False)


class Method(StrEnum):
    stepwise = "stepwise"
    aic = "aic"
    bic = "bic"
    model = "model"
    M0 = "M0"
    Mt = "Mt"
    Mth_chao = "Mth-chao"
    Mth_darroch = "Mth-darroch"
    Mth_poisson2 = "Mth-poisson2"
    Mth_gamma = "Mth-gamma3.5"
    Mh_chao = "Mh-chao"
    Mh_darroch = "Mh-darroch"
    Mh_poisson2 = "Mh-poisson2"
    Mh_gamma = "Mh-gamma3.5"
    dga = "dga"
    lcmcr = "lcmcr"


class CI(StrEnum):
    profile = "profile"
    bootstrap = "bootstrap"
    bca = "bca"
    model = "model"
    none = "none"


@contextmanager
def _estimation_errors():
    """Input errors exit 2 with their one line; a model without an estimate exits 3."""
    from .mse import EstimateNotAvailable, MSEInputError

    try:
        yield
    except MSEInputError as exc:
        _fail(str(exc), 2)
    except EstimateNotAvailable as exc:
        _fail(f"no estimate: {exc}", 3)


def _read(source: str, occasions: str | None = None):
    """Capture histories, or with ``occasions`` (or a shipped frequency dataset) capture
    frequencies."""
    from .mse import MSEInputError
    from .mse.data import CaptureHistories
    from .mse.datasets import DATASETS, load_capture_frequencies, load_dataset, load_frequencies
    from .mse.frequency import CaptureFrequencies

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


FREQUENCY_METHODS = ("M0", "Mh-chao", "Mh-poisson2", "Mh-darroch", "Mh-gamma3.5")


def _fmt(x, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:,.{digits}f}"


@app.command()
def estimate(
    file: str = typer.Argument(..., help="Capture-history CSV (0/1 list columns + count), or "
                                           "the name of a shipped dataset (see `zicht datasets`)."),
    method: Method = typer.Option(None, help="Estimator [default: stepwise; with --covariates "
                                  "bic]."),
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
                                 "over (e.g. the other strata of `zicht link`'s "
                                 "capture_histories_by_stratum.csv)."),
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
    from .mse import MSEInputError, sensitivity
    from .mse.methods import make_estimator

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
                from .mse.frequency import ClosedP0

                if method.value not in FREQUENCY_METHODS or sensitivity_ or \
                        ci not in (CI.profile, CI.model, CI.none):
                    raise MSEInputError(
                        "frequency-of-capture data take --method "
                        f"{', '.join(FREQUENCY_METHODS)} (or --compare) with --ci profile, "
                        "model or none, and no --sensitivity")
                return ClosedP0(method.value)
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
    from .mse import MSEInputError
    from .mse.covariates import (
        CovariateLogLinear,
        CovariateSearch,
        StratifiedEstimate,
    )

    with _estimation_errors():
        data = _read_strata(file, covariates, sum_over)
        if stratified:
            if method not in (Method.stepwise, Method.aic, Method.bic, Method.model, Method.Mt):
                raise MSEInputError("--stratified takes --method stepwise, aic, bic, model or Mt")
            est = StratifiedEstimate(method=method.value, terms=terms, ci=ci.value, level=level)
        else:
            kind = {CI.profile: "lognormal", CI.model: "lognormal", CI.bootstrap: "bootstrap",
                    CI.none: "none"}.get(ci)
            if kind is None:
                raise MSEInputError("with --covariates the interval is log-normal (the default),"
                                    " bootstrap or none")
            if method == Method.model:
                est = CovariateLogLinear(terms, ci=kind, level=level, nboot=nboot, seed=seed)
            elif method in (Method.aic, Method.bic):
                if terms:
                    raise MSEInputError("--terms is only used with --method model")
                est = CovariateSearch(method.value, ci=kind, level=level, nboot=nboot,
                                      seed=seed)
            else:
                raise MSEInputError("with --covariates, --method is model (with --terms), aic or"
                                    " bic; or add --stratified")
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
    from .mse import MSEInputError
    from .mse.covariates import StratifiedHistories

    names = [c.strip() for c in covariates.split(",") if c.strip()]
    if not names:
        raise MSEInputError("--covariates: name at least one covariate column")
    if os.path.isdir(file):
        raise MSEInputError(f"{file}: is a directory, not a CSV file")
    if sum_over:
        frame = _summed_over(file, [c.strip() for c in sum_over.split(",") if c.strip()])
        return StratifiedHistories.from_frame(frame, covariates=names)
    return StratifiedHistories.from_csv(file, covariates=names)


def _summed_over(file: str, columns: list[str]):
    """The long table with ``columns`` dropped and the counts of rows that then agree added."""
    import pandas as pd

    from .mse import MSEInputError

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


def _print_json(payload) -> None:
    text = json.dumps(payload)
    out.print_json(text) if sys.stdout.isatty() else print(text)


def _compare(file: str, occasions: str | None, level: float, seed: int, plot: Path | None,
             format: Format, covariates: str | None = None, sum_over: str | None = None) -> None:
    from .mse.compare import compare

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


def _save_chart(chart, path: Path) -> None:
    from .mse import MSEInputError

    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg", ".html", ".json"):
        raise MSEInputError(f"{path}: chart format must be .png, .svg, .html or .json")
    try:
        chart.save(str(path))
    except OSError as exc:
        raise MSEInputError(f"{path}: cannot write the chart ({exc.strerror or exc})") from None


def _print_result(result) -> None:
    from .mse.result import MSEResult

    if not isinstance(result, MSEResult):  # a posterior (dga, latent classes): its own summary
        t = Table(title=f"Population estimate - {result.method}", show_header=False)
        t.add_column("", style="bold")
        t.add_column("")
        for name, value in result.summary()["value"].items():
            if name != "method":
                if isinstance(value, int | float):
                    value = _fmt(float(value), 0 if float(value).is_integer() else 2)
                t.add_row(str(name), str(value))
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


@app.command()
def datasets():
    """List the published capture-recapture tables shipped with zicht."""
    from .mse.datasets import list_datasets

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
    from .mse import EstimateNotAvailable, Stepwise, sensitivity
    from .mse.datasets import load_dataset
    from .mse.methods import make_estimator

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


def _register_registry() -> None:
    from .cli_demo import register as register_demo
    from .cli_linkage import register as register_linkage
    from .cli_monitor import register as register_monitor
    from .cli_registry import register
    from .cli_report import register as register_report

    register(app)
    register_linkage(app)
    register_monitor(app)
    register_report(app)
    register_demo(app)



def main() -> None:  # pragma: no cover - console entry point
    app()


# -- simulate ------------------------------------------------------------------------------------
simulate_app = typer.Typer(help="Synthetic victims, detections and reports with known truth.",
                           add_completion=False)
app.add_typer(simulate_app, name="simulate")


def _years(text: str) -> list[int]:
    text = text.replace(" ", "")
    try:
        if not re.fullmatch(r"[0-9]{4}(-[0-9]{4}|(,[0-9]{4})*)", text):
            raise ValueError(text)  # int() would also read other scripts' digits
        if "-" in text:
            a, b = (int(x) for x in text.split("-", 1))
            years = list(range(a, b + 1))
        else:
            years = [int(x) for x in text.split(",")]
    except ValueError:
        raise typer.BadParameter(f"{text!r}: give a year, a range 2015-2024 or a list") from None
    if not years:
        raise typer.BadParameter(f"{text!r}: no years (a range runs from early to late)")
    if any(y < 1900 or y > 2100 for y in years):
        raise typer.BadParameter(f"{text!r}: years must lie between 1900 and 2100")
    if years != list(range(years[0], years[0] + len(years))):
        raise typer.BadParameter(f"{text!r}: years must be consecutive and increasing "
                                 "(victims carry over from one year to the next)")
    return years


def _scenario(name: str, victims: int | None):
    from .simulate.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(name, {"victims_per_year": victims} if victims is not None else None)
    except ScenarioError as exc:
        _fail(str(exc), 2)


@simulate_app.callback(invoke_without_command=True)
def simulate(
    ctx: typer.Context,
    scenario: str = typer.Option("nl-baseline", help="Shipped scenario name or a YAML file."),
    years: str = typer.Option("2024", help="A year, a range (2015-2024) or a list."),
    seed: int = typer.Option(1, min=0, help="Seed: the same seed gives byte-identical files."),
    out_dir: Path = typer.Option(None, "--out", help="Output folder (required to generate)."),
    victims: int = typer.Option(None, help="Override the scenario's victims per year."),
    formats: str = typer.Option("csv,parquet", help="csv, parquet or both (comma-separated) "
                                "for the report and truth tables."),
):
    """Generate victims, detections and reports: `zicht simulate --out DIR`."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.progress import Progress

    from .simulate.reports import write_run

    if out_dir is None:
        _fail("--out DIR is required (the folder to write the reports and truth files to)", 2)
    if out_dir.exists() and not out_dir.is_dir():
        _fail(f"--out {out_dir}: exists and is not a folder", 2)
    year_list = _years(years)
    fmt = tuple(f.strip() for f in formats.split(",") if f.strip())
    if not fmt or set(fmt) - {"csv", "parquet"}:
        _fail(f"--formats {formats!r}: choose csv, parquet or csv,parquet", 2)
    sc = _scenario(scenario, victims)
    with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task(f"simulating {sc.name}", total=len(year_list))
        summary = write_run(sc, year_list, seed, out_dir, formats=fmt,
                            progress=lambda _y: bar.advance(task))
    t = Table(title=f"Simulated {sc.name} (seed {seed}) -> {out_dir}")
    for col in ("year", "victims", "registered", "reports"):
        t.add_column(col, justify="right")
    for row in summary.per_year:
        t.add_row(str(row["year"]), f"{row['victims']:,}", f"{row['registered']:,}",
                  f"{row['reports']:,}")
    out.print(t)


@simulate_app.command("study")
def study(
    scenario: str = typer.Option("independent", help="Shipped scenario name or a YAML file."),
    replicates: int = typer.Option(200, min=1, help="Number of simulated populations."),
    method: str = typer.Option("Mt,stepwise,bic", help="Comma-separated estimators."),
    seed: int = typer.Option(1, min=0, help="Seed of the whole study."),
    ci: CI = typer.Option(CI.profile, help="Interval whose coverage is measured."),
    workers: int = typer.Option(0, min=0, help="Processes (0 = one per core)."),
    victims: int = typer.Option(None, help="Override the scenario's victims per year."),
    plot: Path = typer.Option(None, help="Write the estimates-vs-truth chart (.png/.svg)."),
    results: Path = typer.Option(None, help="Write every replicate's result as CSV."),
    format: Format = typer.Option(Format.text, "--format", help="text or json."),
):
    """Bias, relative RMSE and interval coverage of estimators on simulated populations."""
    from rich.progress import Progress

    from .mse import METHODS, MSEInputError
    from .study import StudySpec, plot_study, run_study, summarise

    methods = tuple(m.strip() for m in method.split(",") if m.strip())
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        _fail(f"unknown method(s) {', '.join(unknown) or '(none)'}; choose from "
              f"{', '.join(METHODS)}", 2)
    if ci == CI.none:
        _fail("--ci none has no coverage to measure", 2)
    for path, kinds in ((plot, (".png", ".svg", ".html", ".json")), (results, (".csv",))):
        if path is None:
            continue
        if path.suffix.lower() not in kinds:
            _fail(f"{path}: the file name must end in {' or '.join(kinds)}", 2)
        if not path.parent.is_dir():
            _fail(f"{path}: folder {path.parent} does not exist", 2)
    sc = _scenario(scenario, victims)
    spec = StudySpec(sc, methods, ci=ci.value)
    with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task(f"study {sc.name}", total=replicates)
        frame = run_study(spec, replicates, seed=seed, workers=workers or None,
                          progress=lambda k: bar.advance(task, k))
    table = summarise(frame)
    if results is not None:
        from .tabular import write_csv

        write_csv(frame, results)
    if plot is not None:
        try:
            _save_chart(plot_study(frame, f"{sc.name}: {replicates} replicates"), plot)
        except MSEInputError as exc:
            _fail(str(exc), 2)
    if format == Format.json:
        print(json.dumps({"scenario": sc.name, "replicates": replicates, "seed": seed,
                          "ci": ci.value, "summary": json.loads(table.to_json(orient="records"))}))
        return
    bayes = [m for m in methods if m in ("dga", "lcmcr")]
    t = Table(title=f"{sc.name}: {replicates} replicates, truth {sc.victims_per_year:,} a year, "
              f"{ci.value} intervals" + (f" ({', '.join(bayes)}: posterior quantiles)"
                                         if bayes else ""))
    for col in ("method", "estimated", "mean observed", "mean estimate", "rel. bias",
                "rel. RMSE", "coverage (95% MC interval)"):
        t.add_column(col, justify="left" if col == "method" else "right")

    def pct(x, signed=False):
        return "-" if x != x else (f"{x:+.1%}" if signed else f"{x:.1%}")

    for r in table.itertuples():
        t.add_row(r.method, f"{r.replicates - r.failed}/{r.replicates}",
                  _fmt(r.mean_observed, 0), _fmt(r.mean_estimate, 0),
                  pct(r.relative_bias, True), pct(r.relative_rmse),
                  "-" if r.coverage != r.coverage else
                  f"{r.coverage:.1%} ({r.coverage_low:.1%}-{r.coverage_high:.1%})")
    out.print(t)
    failed = frame[frame["status"] != "ok"]
    if len(failed):
        reasons = failed.groupby(["method", "status"]).size()
        for (m, why), k in reasons.items():
            out.print(f"{m}: {k} replicate(s) without an estimate: {why}")


_register_registry()  # last: the other command modules import helpers defined above

if __name__ == "__main__":  # pragma: no cover
    main()
