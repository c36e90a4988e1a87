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

from .mse import (
    ClosedP,
    EstimateNotAvailable,
    LogLinear,
    MainEffects,
    ModelSearch,
    MSEInputError,
    Stepwise,
    sensitivity,
)
from .mse.data import CaptureHistories
from .mse.datasets import DATASETS, list_datasets, load_dataset

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


def make_estimator(method: str, terms: str | None = None, pthresh: float = 0.02):
    if method == "stepwise":
        return Stepwise(pthresh)
    if method in ("aic", "bic"):
        return ModelSearch(method)
    if method == "model":
        return LogLinear(terms or "")
    if method == "Mt":
        return MainEffects()
    return ClosedP(method)


def _fail(message: str, code: int) -> None:
    # markup/emoji off: a file name or cell value like "[red]" or ":x:" is printed as is
    err.print(f"error: {message}", soft_wrap=True, markup=False, emoji=False)
    raise typer.Exit(code)


def _read(source: str) -> CaptureHistories:
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


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
