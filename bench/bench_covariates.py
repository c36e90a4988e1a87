"""Speed and accuracy of covariate model selection (zicht.mse.covariates) on simulated tables.

Run from the repository root::

    .venv/bin/python bench/bench_covariates.py [--quick] [--json PATH] [--victims 6250,100000]

A 6-list x 4-covariate table (sex, form of exploitation, region, minor: 24 strata) is drawn
from zicht's simulator with a scenario whose detection depends on those covariates only, plus
two referrals (ZC -> POL, NLA -> NGO), so the true model is known: the list x covariate terms
of the reporters' effects and the two list x list terms.  For each population size this times

* ``CovariateSearch("bic")``: stepwise (forward and backward) over the 24 list x covariate and
  15 list x list candidate terms, the final model refitted with log-normal intervals;
* ``CovariateLogLinear(true terms)``: one fit of the true model with its intervals;
* ``StratifiedEstimate("stepwise")``: SparseMSE's stepwise in each stratum separately, summed;

and prints CPU seconds (``time.process_time()``, all threads of this process) and wall seconds,
the selected model against the truth (terms missed, terms added) and the estimates against the
true number of victims.  There is no R peer for this: no R package fits covariate log-linear
MSE models with selection in one call.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from zicht.mse.covariates import (
    CovariateLogLinear,
    CovariateResult,
    CovariateSearch,
    StratifiedEstimate,
    StratifiedHistories,
)
from zicht.simulate.detection import detect
from zicht.simulate.population import person_years
from zicht.simulate.scenario import Scenario, parse_scenario

COVARIATES = ["sex", "form", "region", "minor"]
REPORTERS = {
    "POL": {"rate": 0.12, "effects": {"form.SEX": 0.6, "form.LAB": -0.8, "minor": 0.3}},
    "ZC": {"rate": 0.10, "effects": {"form.SEX": 0.8, "minor": 0.5}},
    "NGO": {"rate": 0.08, "effects": {"form.LAB": 1.5, "sex.M": 0.4}},
    "NLA": {"rate": 0.05, "effects": {"form.LAB": 2.0, "form.SEX": -1.5}},
    "KMAR": {"rate": 0.05, "effects": {"region.ABROAD": 1.5}},
    "JZ": {"rate": 0.04, "effects": {"minor": 2.0}},
}
DEPENDENCE = [("ZC", "POL", 3.0), ("NLA", "NGO", 2.0)]
EFFECT_COVARIATE = {"form": "form", "sex": "sex", "region": "region", "minor": "minor"}


def scenario(victims: int) -> Scenario:
    return parse_scenario({
        "name": "covariates-6x4", "victims_per_year": victims,
        "population": {"sex": {"F": 0.6, "M": 0.4}, "minor": 0.2,
                       "form": {"SEX": 0.4, "LAB": 0.4, "CRIM": 0.2},
                       "nationality": {"NLD": 0.4, "POL": 0.3, "NGA": 0.3},
                       "region": {"NL": 0.9, "ABROAD": 0.1}},
        "reporters": REPORTERS,
        "dependence": [{"from": a, "to": b, "odds_ratio": o} for a, b, o in DEPENDENCE],
    })


def true_terms() -> set[str]:
    """List x covariate terms of the reporters' effects, and the referral pairs."""
    lists = list(REPORTERS)
    out = set()
    for rep, spec in REPORTERS.items():
        for key in spec["effects"]:
            out.add(f"{rep}:{EFFECT_COVARIATE[key.split('.')[0]]}")
    for a, b, _ in DEPENDENCE:
        i, j = sorted((lists.index(a), lists.index(b)))
        out.add(f"{lists[i]}:{lists[j]}")
    return out


def simulate(victims: int, seed: int) -> tuple[StratifiedHistories, pd.Series]:
    """One year's table (strata: the covariate combinations someone was seen in) and the true
    number of victims per stratum."""
    sc = scenario(victims)
    root = np.random.SeedSequence(seed)
    pop_seq, det_seq = root.spawn(2)
    (_, persons), = person_years(sc, [2024], pop_seq)
    seen = detect(sc, persons, np.random.default_rng(det_seq))
    frame = pd.DataFrame(seen.astype(np.int8), columns=list(sc.reporters))
    for c in COVARIATES:
        frame[c] = persons[c].astype(str).to_numpy()
    truth = frame.groupby(COVARIATES).size()
    observed = frame[seen.any(axis=1)]
    return StratifiedHistories.from_individuals(observed, list(sc.reporters), COVARIATES), truth


@dataclass
class Row:
    victims: int
    task: str
    call: str
    cpu: float | None = None
    wall: float | None = None
    observed: int | None = None
    strata: int | None = None
    estimate: float | None = None
    ci: tuple[float, float] | None = None
    model: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def timed(row: Row, fn: Callable[[], CovariateResult], truth: set[str] | None) -> None:
    c0, w0 = time.process_time(), time.perf_counter()
    try:
        res = fn()
    except Exception as exc:  # report and go on
        row.error = f"{type(exc).__name__}: {exc}"
        return
    row.cpu, row.wall = time.process_time() - c0, time.perf_counter() - w0
    row.estimate = res.total.estimate if np.isfinite(res.total.estimate) else None
    row.ci = res.total.ci
    row.model = list(res.model)
    if truth is not None:
        row.missed = sorted(truth - set(res.model))
        row.added = sorted(set(res.model) - truth)
    if "models_fitted" in res.details:
        row.details = {"models_fitted": res.details["models_fitted"],
                       "steps": len(res.details["path"]) - 1,
                       "path": [f"{p['action']} {p['term']}".strip()
                                for p in res.details["path"][1:]]}
    if "failed_strata" in res.details:
        row.details = {"failed_strata": res.details["failed_strata"]}


def run(victims: int, seed: int, criterion: str, console: Console) -> tuple[list[Row], int]:
    data, truth_n = simulate(victims, seed)
    total = int(truth_n.sum())
    console.print(f"[dim]{victims:,} victims: {data.n_observed:,} observed in "
                  f"{data.n_strata} strata ({data.k} lists x {len(COVARIATES)} covariates)"
                  "[/dim]")
    truth = true_terms()
    rows = []
    search = Row(victims, f"{criterion.upper()} selection (stepwise)",
                 f'CovariateSearch("{criterion}").fit(data)')
    timed(search, lambda: CovariateSearch(criterion).fit(data), truth)
    rows.append(search)
    true_fit = Row(victims, "true model, one fit", "CovariateLogLinear(true terms).fit(data)")
    timed(true_fit, lambda: CovariateLogLinear(sorted(truth)).fit(data), truth)
    rows.append(true_fit)
    strat = Row(victims, "stratified stepwise", 'StratifiedEstimate("stepwise").fit(data)')
    timed(strat, lambda: StratifiedEstimate("stepwise", ci="model").fit(data), None)
    rows.append(strat)
    for r in rows:
        r.observed, r.strata = data.n_observed, data.n_strata
    return rows, total


def fmt(x: float | None, digits: int = 0) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def render(rows: list[Row], totals: dict[int, int], console: Console) -> None:
    table = Table(title="zicht.mse.covariates: model selection on a 6-list x 4-covariate table",
                  show_lines=True)
    for col, just in [("victims (truth)", "right"), ("task", "left"), ("CPU s", "right"),
                      ("wall s", "right"), ("estimate [95% CI]", "right"),
                      ("model vs truth", "left")]:
        table.add_column(col, justify=just)
    for r in rows:
        est = f"[red]{r.error}[/red]" if r.error else (
            fmt(r.estimate) + ("" if r.ci is None else f"\n[{fmt(r.ci[0])}, {fmt(r.ci[1])}]"))
        if r.details.get("failed_strata"):
            est = (f"no total: {r.details['failed_strata']} of {r.strata} strata\nwithout an "
                   "estimate (no MLE)")
        if r.error or r.task.startswith("stratified"):
            model = "-" if r.error else "separate models per stratum"
        else:
            ok = not r.missed and not r.added
            model = ("[green]= truth[/green]" if ok else "") + (
                f"\nmissed: {', '.join(r.missed)}" if r.missed else "") + (
                f"\nadded: {', '.join(r.added)}" if r.added else "")
            if "models_fitted" in r.details:
                model += (f"\n{r.details['steps']} steps, {r.details['models_fitted']:,} "
                          "models fitted")
        table.add_row(f"{r.victims:,}\n({totals[r.victims]:,})\n{r.observed:,} observed, "
                      f"{r.strata} strata", r.task, fmt(r.cpu, 2), fmt(r.wall, 2), est,
                      model.strip())
    console.print(table)
    console.print("true terms: " + ", ".join(sorted(true_terms())))
    console.print("CPU s = time.process_time() of this process (all BLAS threads; the fits run "
                  "with one).  No R peer exists for covariate MSE selection.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="only the Dutch-sized population")
    ap.add_argument("--victims", default="6250,100000",
                    help="comma-separated population sizes (default 6250,100000)")
    ap.add_argument("--criterion", choices=("aic", "bic"), default="bic")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--json", metavar="PATH", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    sizes = [int(v) for v in args.victims.split(",") if v.strip()]
    if args.quick:
        sizes = sizes[:1]
    console = Console(width=None if sys.stdout.isatty() else 200)
    env = {"python": platform.python_version(), "numpy": np.__version__,
           "platform": platform.platform(), "cpu_count": os.cpu_count(),
           "loadavg_1min_at_start": round(os.getloadavg()[0], 2)
           if hasattr(os, "getloadavg") else None}
    console.print(f"Python {env['python']}, numpy {env['numpy']}, {env['cpu_count']} CPUs, "
                  f"load average {env['loadavg_1min_at_start']}.")
    rows, totals = [], {}
    for n in sizes:
        r, totals[n] = run(n, args.seed, args.criterion, console)
        rows += r
    render(rows, totals, console)
    if args.json:
        payload = {"environment": env, "criterion": args.criterion, "seed": args.seed,
                   "true_terms": sorted(true_terms()),
                   "truth": {str(k): v for k, v in totals.items()},
                   "rows": [asdict(r) for r in rows]}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        console.print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
