"""The ``zicht`` command line.

``zicht estimate FILE.csv`` estimates a population size from a capture-history table;
``zicht datasets`` lists the shipped published tables; ``zicht demo`` runs the main job on them.
Input errors print one line on stderr and exit with code 2; a model whose estimate does not
exist (or is not identifiable) says why and exits with code 3.
"""

from __future__ import annotations

import json
import math
import os
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

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


class CI(StrEnum):
    profile = "profile"
    bootstrap = "bootstrap"
    bca = "bca"
    model = "model"
    none = "none"


class Format(StrEnum):
    text = "text"
    json = "json"


def _fail(message: str, code: int) -> None:
    # markup/emoji off: a file name or cell value like "[red]" or ":x:" is printed as is
    err.print(f"error: {message}", soft_wrap=True, markup=False, emoji=False)
    raise typer.Exit(code)


def _read(source: str):
    from .mse import MSEInputError
    from .mse.data import CaptureHistories
    from .mse.datasets import DATASETS, load_dataset

    if not os.path.exists(source) and source in DATASETS:
        return load_dataset(source)
    if os.path.isdir(source):
        raise MSEInputError(f"{source}: is a directory, not a CSV file")
    return CaptureHistories.from_csv(source)


def _fmt(x, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:,.{digits}f}"


@app.command()
def estimate(
    file: str = typer.Argument(..., help="Capture-history CSV (0/1 list columns + count), or "
                                           "the name of a shipped dataset (see `zicht datasets`)."),
    method: Method = typer.Option(Method.stepwise, help="Estimator."),
    terms: str = typer.Option(None, help='Interaction terms for --method model, e.g. "A:B,B:C".'),
    ci: CI = typer.Option(CI.profile, help="Interval: profile likelihood, bootstrap percentile, "
                                           "BCa, model-conditional, or none."),
    level: float = typer.Option(0.95, min=0.5, max=0.999, help="Confidence level."),
    nboot: int = typer.Option(1000, min=2, help="Bootstrap replicates."),
    seed: int = typer.Option(1234, help="Bootstrap seed."),
    pthresh: float = typer.Option(0.02, min=0.0, max=1.0, help="Stepwise p threshold."),
    sensitivity_: bool = typer.Option(False, "--sensitivity", help="Also estimate with each "
                                      "list dropped and the two smallest lists merged."),
    plot: Path = typer.Option(None, help="Write the observed-vs-fitted chart (.png, .svg, "
                                         ".html or .json)."),
    format: Format = typer.Option(Format.text, "--format", help="text or json."),
):
    """Estimate the population size from a capture-history table."""
    from .mse import EstimateNotAvailable, MSEInputError, sensitivity
    from .mse.methods import make_estimator

    if terms and method != Method.model:
        _fail("--terms is only used with --method model", 2)
    try:
        table = _read(file)
        est = make_estimator(method.value, terms, pthresh)
        show_progress = ci in (CI.bootstrap, CI.bca) and sys.stderr.isatty()
        result = est.fit(table, ci=ci.value, level=level, nboot=nboot, seed=seed,
                         progress=show_progress)
        sens = None
        if sensitivity_:
            sens = sensitivity(table, lambda: make_estimator(method.value, terms, pthresh),
                               ci="profile" if ci == CI.profile else "none", level=level)
        if plot is not None:
            _save_chart(result.plot(), plot)
    except MSEInputError as exc:
        _fail(str(exc), 2)
    except EstimateNotAvailable as exc:
        _fail(f"no estimate: {exc}", 3)
    if format == Format.json:
        payload = result.to_dict()
        if sens is not None:
            payload["sensitivity"] = json.loads(sens.to_json(orient="records"))
        out.print_json(json.dumps(payload)) if sys.stdout.isatty() else print(json.dumps(payload))
        return
    _print_result(result)
    if sens is not None:
        _print_sensitivity(sens, f"Sensitivity ({result.method})")


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
    t = Table(title=f"Population estimate - {result.method}", show_header=False)
    t.add_column("", style="bold")
    t.add_column("")
    t.add_row("lists", ", ".join(result.lists))
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


@app.command()
def demo(nboot: int = typer.Option(1000, min=2, help="Bootstrap replicates for the UK BCa.")):
    """Estimate on the published UK and Dutch tables: the main job on the shipped data."""
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
    from .cli_linkage import register as register_linkage
    from .cli_registry import register

    register(app)
    register_linkage(app)


_register_registry()


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()


# -- simulate ------------------------------------------------------------------------------------
simulate_app = typer.Typer(help="Synthetic victims, detections and reports with known truth.",
                           add_completion=False)
app.add_typer(simulate_app, name="simulate")


def _years(text: str) -> list[int]:
    try:
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
        frame.to_csv(results, index=False)
    if plot is not None:
        try:
            _save_chart(plot_study(frame, f"{sc.name}: {replicates} replicates"), plot)
        except MSEInputError as exc:
            _fail(str(exc), 2)
    if format == Format.json:
        print(json.dumps({"scenario": sc.name, "replicates": replicates, "seed": seed,
                          "ci": ci.value, "summary": json.loads(table.to_json(orient="records"))}))
        return
    t = Table(title=f"{sc.name}: {replicates} replicates, truth {sc.victims_per_year:,} a year, "
              f"{ci.value} intervals")
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
