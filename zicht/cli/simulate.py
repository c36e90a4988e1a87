"""``zicht simulate``: synthetic victims, detections and reports with known truth, and
``zicht simulate study``: bias, error and interval coverage of estimators on simulated
populations."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.table import Table

from .common import CI, Format, out, parse_years, save_chart
from .common import fail as _fail
from .common import fmt as _fmt

app = typer.Typer(help="Synthetic victims, detections and reports with known truth.",
                  add_completion=False)


def _scenario(name: str, victims: int | None):
    from ..simulate import ScenarioError, load_scenario

    try:
        return load_scenario(name, {"victims_per_year": victims} if victims is not None else None)
    except ScenarioError as exc:
        _fail(str(exc), 2)


@app.callback(invoke_without_command=True)
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

    from ..simulate import write_run

    if out_dir is None:
        _fail("--out DIR is required (the folder to write the reports and truth files to)", 2)
    if out_dir.exists() and not out_dir.is_dir():
        _fail(f"--out {out_dir}: exists and is not a folder", 2)
    year_list = parse_years(years)
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


@app.command("study")
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
    series: bool = typer.Option(False, "--series", help="Study the published series instead: "
                                "ten years, each design's estimate per year, change and "
                                "trend (--method is ignored)."),
    designs: str = typer.Option(None, "--designs", help="With --series: comma-separated designs "
                                "(default: all of zicht/series_study.py)."),
    linked: bool = typer.Option(False, "--linked", help="With --series: every replicate end "
                                "to end, its reports written and linked by `zicht link` "
                                "(about 30 CPU seconds a replicate)."),
):
    """Bias, relative RMSE and interval coverage of estimators on simulated populations."""
    from rich.progress import Progress

    if series:
        _series_study(scenario, replicates, seed, workers, victims, results, format, linked,
                      designs)
        return
    if linked or designs:
        _fail("--linked and --designs go with --series", 2)

    from ..mse import METHODS, MSEInputError
    from ..study import StudySpec, plot_study, run_study, summarise

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
        from ..tabular import write_csv

        write_csv(frame, results)
    if plot is not None:
        try:
            save_chart(plot_study(frame, f"{sc.name}: {replicates} replicates"), plot)
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


def _series_study(scenario: str, replicates: int, seed: int, workers: int,
                  victims: int | None, results: Path | None, format: Format,
                  linked: bool, designs: str | None) -> None:
    """``zicht simulate study --series``: the designs of :mod:`zicht.series_study`."""
    from rich.progress import Progress

    from ..series_study import DERIVED, DESIGNS, YEARS, run_series_study, summarise_series

    known = [*DESIGNS, *DERIVED]
    chosen = None if designs is None else [d.strip() for d in designs.split(",") if d.strip()]
    unknown = [d for d in chosen or [] if d not in known]
    if unknown or chosen == []:
        _fail(f"unknown design(s) {', '.join(unknown) or '(none)'}; choose from "
              f"{', '.join(known)}", 2)

    if results is not None and (results.suffix.lower() != ".csv" or not results.parent.is_dir()):
        _fail(f"{results}: give a .csv file in an existing folder", 2)
    sc = _scenario(scenario, victims)
    with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task(f"series study {sc.name}", total=replicates)
        frame = run_series_study(sc, replicates, designs=chosen, seed=seed,
                                 workers=workers or None,
                                 progress=lambda k: bar.advance(task, k), linked=linked)
    table = summarise_series(frame)
    if results is not None:
        from ..tabular import write_csv

        write_csv(frame, results)
    if format == Format.json:
        print(json.dumps({"scenario": sc.name, "replicates": replicates, "seed": seed,
                          "years": YEARS, "victims_trend": sc.victims_trend, "linked": linked,
                          "summary": json.loads(table.to_json(orient="records"))}))
        return
    trend = f", {sc.victims_trend:+.0%} a year" if sc.victims_trend else ", constant"
    how = "linked by zicht link" if linked else "true capture histories"
    t = Table(title=f"{sc.name}: {replicates} replicates of {YEARS} years ({how}), truth "
              f"{sc.victims_per_year:,} in the first{trend}")
    cols = ("design", "bias", "rel. RMSE", "coverage", "worst year", "change coverage",
            "median move", "false alarms", "power", "trend coverage")
    for col in cols:
        t.add_column(col, justify="left" if col == "design" else "right")

    def pct(x: float, signed: bool = False) -> str:
        return "-" if x != x else (f"{x:+.1%}" if signed else f"{x:.1%}")

    for r in table.itertuples():
        t.add_row(r.design, pct(r.bias, True), pct(r.rel_rmse), pct(r.coverage),
                  pct(r.coverage_worst_year), pct(r.change_coverage), pct(r.median_move),
                  pct(r.false_alarms), pct(r.power), pct(r.trend_coverage))
    out.print(t)
