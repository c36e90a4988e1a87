"""Speed of zicht.mse against the R reference timings (CPU seconds).

Run from the repository root (``make bench``)::

    .venv/bin/python bench/bench_mse.py [--quick] [--json PATH] [--repeat N]

For the UK and Dutch 5-list tables (and, where the R reference or a target exists, the 6-list
tables) this times

* stepwise selection + BCa bootstrap (SparseMSE ``estimatepopulation``),
* the exhaustive BIC search (Rcapture ``closedpMS.t``, MultipleSystemsEstimation
  ``estimate_population_bic``),
* the profile-likelihood interval on the stepwise-selected model (Rcapture ``closedpCI.t``),
* the plain stepwise estimate with its model-conditional interval (SparseMSE
  ``estimatepopulation.0``),

and prints zicht's CPU seconds (user + system of this process, ``time.process_time()``) and
wall seconds next to the R ``cpu_seconds`` in ``tests/references/reference.json``, with the
estimates both produced so that one can see they are the same computation.

Fairness: every timed run uses a fresh estimator object (the existence-check cache lives on the
estimator).  Fast tasks get one untimed warm-up run on another estimator object (imports, the
module-level design-matrix cache) and are then timed up to ``--repeat`` times, the median
reported.  The bootstrap is timed once, without a warm-up of its own.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from zicht.mse import LogLinear, ModelSearch, MSEResult, Stepwise, load_dataset
from zicht.mse.datasets import DATASETS

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "references" / "reference.json"

BCA = "SparseMSE::estimatepopulation (BCa bootstrap)"
POINT = "SparseMSE::estimatepopulation.0"
MSE_STEPWISE = "MultipleSystemsEstimation::estimate_population_stepwise"
RCAPTURE_BIC = "Rcapture::closedpMS.t + closedpCI.t (BIC-best, maxorder 2)"
MSE_BIC = "MultipleSystemsEstimation::estimate_population_bic"
PROFILE = "Rcapture::closedpCI.t"

# R peers quoted from the issue, not present in reference.json: (dataset, task) -> seconds
ISSUE_PEERS = {("netherlands5", "bca"): 276.0}
WALL_TARGETS = {"bic6": 5.0}  # seconds of wall time
FAST_BUDGET = 5.0  # stop repeating a fast task once its timed runs used this much wall time

EST_RTOL = 1e-6  # point estimates: same computation, so agree to rounding
CI_RTOL = 1e-5  # profile / model-conditional limits (root-finding tolerance)
YES, NO = "\u2713", "\u2717 DIFFERS"


@dataclass
class Peer:
    label: str  # short name of the R call
    cpu: float | None
    estimate: float | None = None  # the figure zicht's estimate is compared with
    ci: tuple[float, float] | None = None
    model: list[str] | None = None  # R's finite interaction terms, when it reports them
    minus_inf: list[str] | None = None
    source: str = "reference.json"
    ratio_cpu: float | None = None  # R CPU / zicht CPU


@dataclass
class Row:
    dataset: str
    file: str
    task: str
    call: str
    cpu: float | None = None
    wall: float | None = None
    runs: int = 0
    estimate: float | None = None
    profile_estimate: float | None = None
    ci: tuple[float, float] | None = None
    ci_method: str = ""
    model: list[str] = field(default_factory=list)
    minus_inf: list[str] = field(default_factory=list)
    peers: list[Peer] = field(default_factory=list)
    check: str = ""
    notes: list[str] = field(default_factory=list)
    error: str | None = None


# -- reference ----------------------------------------------------------------------------------
def load_reference(path: Path) -> list[dict[str, Any]]:
    with path.open() as fh:
        return json.load(fh)["results"]


def find(ref: list[dict], file: str, call: str, **settings) -> dict | None:
    """The reference entry for R ``call`` on ``file`` whose settings include ``settings``."""
    for entry in ref:
        if entry["dataset"] != file or entry["method"] != call:
            continue
        s = entry.get("settings") or {}
        if all(s.get(k) == v for k, v in settings.items()):
            return entry
    return None


def peer(entry: dict | None, label: str, estimate_from_top_bic: bool = False) -> Peer | None:
    if entry is None:
        return None
    est = entry.get("estimate")
    if estimate_from_top_bic:  # Rcapture's "estimate" is the profile MLE; compare the GLM one
        top = (entry.get("extra") or {}).get("top5_by_BIC") or []
        if top:
            est = top[0]["abundance"]
    ci = None  # Rcapture's BIC interval is a profile interval around another estimate: not shown
    if not estimate_from_top_bic and entry.get("ci_low") is not None \
            and entry.get("ci_high") is not None:
        ci = (entry["ci_low"], entry["ci_high"])
    terms = entry.get("model_terms")
    model = list(terms) if isinstance(terms, list) else None
    return Peer(label=label, cpu=entry.get("cpu_seconds"), estimate=est, ci=ci, model=model,
                minus_inf=entry.get("minus_inf_terms"))


# -- timing -------------------------------------------------------------------------------------
def measure(fn: Callable[[], MSEResult], warm: bool, repeat: int) -> tuple[float, float, int, Any]:
    """Median CPU and wall seconds of ``fn`` over up to ``repeat`` runs; and the last result."""
    if warm:
        fn()
    cpus, walls, result = [], [], None
    for _ in range(max(repeat, 1)):
        c0, w0 = time.process_time(), time.perf_counter()
        result = fn()
        cpus.append(time.process_time() - c0)
        walls.append(time.perf_counter() - w0)
        if sum(walls) >= FAST_BUDGET:
            break
    return statistics.median(cpus), statistics.median(walls), len(cpus), result


def close(a: float | None, b: float | None, rtol: float) -> bool:
    return a is not None and b is not None and math.isclose(a, b, rel_tol=rtol)


def ci_close(a, b, rtol: float) -> bool:
    return a is not None and b is not None and close(a[0], b[0], rtol) and close(a[1], b[1], rtol)


# -- the tasks ------------------------------------------------------------------------------------
def run_row(row: Row, fn: Callable[[], MSEResult], warm: bool, repeat: int) -> None:
    try:
        row.cpu, row.wall, row.runs, res = measure(fn, warm, repeat)
    except Exception as exc:  # report and go on: one broken task must not hide the others
        row.error = f"{type(exc).__name__}: {exc}"
        return
    row.estimate = float(res.estimate)
    row.ci = None if res.ci is None else (float(res.ci[0]), float(res.ci[1]))
    row.ci_method = res.ci_method
    row.model, row.minus_inf = list(res.model), list(res.minus_inf)
    pe = res.details.get("profile_estimate")
    row.profile_estimate = None if pe is None else float(pe)


def build_rows(ref: list[dict], nboot: int, repeat: int, console: Console) -> list[Row]:
    rows: list[Row] = []
    plan = [("uk5", True), ("netherlands5", True), ("uk", False), ("netherlands", False)]
    for name, five in plan:
        file = DATASETS[name].file
        table = load_dataset(name)
        console.print(f"[dim]timing {name} ({file}: {table.k} lists, "
                      f"{table.n_observed:,} observed)...[/dim]")
        # the stepwise-selected terms (untimed); minus-infinity terms belong to the model too
        try:
            sel = Stepwise().fit(table, ci="none")
            terms: list[str] | None = list(sel.model)
        except Exception as exc:  # the profile row then reports the error
            console.print(f"[red]{name}: stepwise selection failed: {exc}[/red]")
            terms = None

        # 1. stepwise + BCa bootstrap: fresh estimator, timed once, no warm-up of its own
        row = Row(name, file, f"stepwise + BCa bootstrap ({nboot:,} replicates)",
                  f'Stepwise().fit(table, ci="bca", nboot={nboot}, seed=1234)')
        p = peer(find(ref, file, BCA, method="stepwise"), "SparseMSE")
        if p is None and (name, "bca") in ISSUE_PEERS:
            p = Peer("SparseMSE", ISSUE_PEERS[(name, "bca")],
                     source="issue text, not in reference.json")
        row.peers = [p] if p else []
        run_row(row, lambda t=table: Stepwise().fit(t, ci="bca", nboot=nboot, seed=1234),
                warm=False, repeat=1)
        rows.append(row)

        # 2. exhaustive BIC search
        n_models = 2 ** (table.k * (table.k - 1) // 2)
        row = Row(name, file, f"exhaustive BIC search ({n_models:,} models)",
                  'ModelSearch("bic").fit(table, ci="none")')
        row.peers = [x for x in (
            peer(find(ref, file, RCAPTURE_BIC), "Rcapture", estimate_from_top_bic=True),
            peer(find(ref, file, MSE_BIC), "MSE"),
        ) if x]
        run_row(row, lambda t=table: ModelSearch("bic").fit(t, ci="none"), warm=True,
                repeat=repeat)
        if not five:
            target = WALL_TARGETS["bic6"]
            if not row.peers:
                row.notes.append("no R peer: the R run was skipped")
            if row.wall is not None:
                verdict = "met" if row.wall < target else "MISSED"
                row.notes.append(f"target < {target:g} s wall: {verdict} ({row.wall:.2f} s)")
        rows.append(row)

        if not five:
            continue

        # 3. profile-likelihood interval on the stepwise-selected model
        row = Row(name, file, "profile CI (stepwise model)",
                  'LogLinear(terms).fit(table, ci="profile")')
        row.peers = [x for x in (peer(find(ref, file, PROFILE), "Rcapture"),) if x]
        if terms is None:
            row.error = "no stepwise-selected terms (the selection failed)"
        else:
            run_row(row, lambda t=table, m=terms: LogLinear(m).fit(t, ci="profile"),
                    warm=True, repeat=repeat)
        rows.append(row)

        # 4. plain stepwise estimate (+ SparseMSE's model-conditional interval, as .0 gives)
        row = Row(name, file, "stepwise point estimate (+ model CI)",
                  'Stepwise().fit(table, ci="model")')
        row.peers = [x for x in (
            peer(find(ref, file, POINT, method="stepwise"), "SparseMSE"),
            peer(find(ref, file, MSE_STEPWISE), "MSE"),
        ) if x]
        run_row(row, lambda t=table: Stepwise().fit(t, ci="model"), warm=True, repeat=repeat)
        rows.append(row)

    for row in rows:
        row.check = agreement(row)
        for p in row.peers:
            if p.cpu is not None and row.cpu:
                p.ratio_cpu = p.cpu / row.cpu
    return rows


def agreement(row: Row) -> str:
    """Does zicht's number agree with R's?  (Bootstrap limits cannot: different RNG.)"""
    if row.error:
        return "error"
    refs = [p for p in row.peers if p.estimate is not None]
    if not refs:
        return "-"
    out = []
    for p in refs:
        mine = row.profile_estimate if row.task.startswith("profile") else row.estimate
        ok = close(mine, p.estimate, EST_RTOL)
        text = f"est {YES if ok else NO}"
        if p.ci is not None and row.ci is not None and not row.task.startswith("stepwise +"):
            text += f", CI {YES if ci_close(row.ci, p.ci, CI_RTOL) else NO}"
        if p.model is not None:
            same = set(p.model) == set(row.model) and (
                p.minus_inf is None or set(p.minus_inf) == set(row.minus_inf))
            text += f", model {YES if same else NO}"
        out.append(text)
    return "\n".join(out)


# -- presentation ---------------------------------------------------------------------------------
def blas_threads() -> str | None:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    if not pools:
        return "no BLAS pool found"
    return ", ".join(f"{p.get('internal_api')} {p.get('num_threads')} threads" for p in pools)


def fmt_num(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def fmt_est(est: float | None, ci: tuple[float, float] | None) -> str:
    if est is None:
        return "-"
    return fmt_num(est) if ci is None else f"{est:,.1f} [{ci[0]:,.1f}, {ci[1]:,.1f}]"


def fmt_secs(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def render(rows: list[Row], console: Console, quick: bool) -> None:
    table = Table(title="zicht.mse vs the R reference (CPU seconds = user + system)",
                  show_lines=True)
    table.add_column("dataset")
    table.add_column("task", min_width=24, max_width=28)
    table.add_column("runs", justify="right")
    table.add_column("zicht CPU s", justify="right")
    table.add_column("zicht wall s", justify="right")
    table.add_column("R CPU s", justify="right", no_wrap=True)
    table.add_column("R/zicht CPU", justify="right", no_wrap=True)
    table.add_column("zicht estimate [95% CI]", justify="right", no_wrap=True)
    table.add_column("R estimate [95% CI]", justify="right", no_wrap=True)
    table.add_column("same as R?", no_wrap=True)
    marks: list[str] = []
    for row in rows:
        r_cpu, ratio, r_est = [], [], []
        boot = row.task.startswith("stepwise + BCa")
        for p in row.peers:
            mark = "*" if quick and boot else ""
            if p.source != "reference.json":
                mark += "\u2020"
                note = (f"\u2020 {row.dataset}, {row.task}: the R figure {p.cpu:g} s is quoted "
                        f"from the issue ({p.source}; the issue does not say CPU or wall).")
                if note not in marks:
                    marks.append(note)
                r_cpu.append(f"{p.label} {p.cpu:g} s{mark}\n(issue text, not\nin reference.json)")
            else:
                r_cpu.append(f"{p.label} {fmt_secs(p.cpu)}{mark}")
            if p.ratio_cpu is not None:
                ratio.append(f"{p.ratio_cpu:,.1f}x{mark}")
            else:
                ratio.append("-")
            r_est.append(fmt_est(p.estimate, p.ci))
        mine = fmt_est(row.estimate, row.ci)
        if row.profile_estimate is not None:
            mine += f"\nprofile MLE {row.profile_estimate:,.1f}"
        if row.error:
            mine = f"[red]{row.error}[/red]"
        task = row.task + "".join(f"\n[yellow]{n}[/yellow]" for n in row.notes)
        table.add_row(row.dataset, task, str(row.runs), fmt_secs(row.cpu), fmt_secs(row.wall),
                      "\n".join(r_cpu) or "-", "\n".join(ratio) or "-", mine,
                      "\n".join(r_est) or "-", row.check)
    console.print(table)
    for m in marks:
        console.print(m)
    if quick:
        console.print("* --quick: zicht ran fewer bootstrap replicates than R's 1,000, so the "
                      "ratio is not like-for-like.")
    for line in (
        "R/zicht CPU > 1 means zicht used less CPU.  'same as R?' has one line per R line "
        f"(estimates to {EST_RTOL:g}, interval limits to {CI_RTOL:g} relative).",
        "runs > 1: median of that many timed runs after one untimed warm-up on another "
        "estimator; bootstrap: one run, no warm-up, fresh estimator.",
        "Bootstrap limits cannot equal R's (zicht resamples with numpy's PCG64, R with "
        "Mersenne-Twister), so only the point estimate is checked there.",
        "Profile row: R's estimate is the profile MLE.  Rcapture BIC row: R's figure is the GLM "
        "abundance of its BIC-best model.",
    ):
        console.print(line)


def environment() -> dict[str, Any]:
    env = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "blas_threads": blas_threads(),
        "loadavg_1min_at_start": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg")
        else None,
    }
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var):
            env[var] = os.environ[var]
    return env


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="200 bootstrap replicates, not 1,000")
    ap.add_argument("--json", metavar="PATH", type=Path, help="also write the results here")
    ap.add_argument("--repeat", type=int, default=5,
                    help="timed runs of each fast (non-bootstrap) task, median reported")
    ap.add_argument("--reference", type=Path, default=REFERENCE, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    nboot = 200 if args.quick else 1000

    # not a terminal (a log, make's output): wide enough that the table is never cropped
    console = Console(width=None if sys.stdout.isatty() else 240)
    env = environment()
    ref = load_reference(args.reference)
    threads = env["blas_threads"] or "not reported (threadpoolctl not installed)"
    console.print(f"Python {env['python']}, numpy {env['numpy']}, {env['cpu_count']} CPUs, "
                  f"BLAS: {threads}, load average {env['loadavg_1min_at_start']}. CPU seconds "
                  "can exceed wall seconds when BLAS uses more than one thread.")
    console.print("R reference: tests/references/reference.json (R 4.2.2 on a 2-core machine, "
                  "other jobs running; cpu_seconds = user + sys).")

    rows = build_rows(ref, nboot, args.repeat, console)
    render(rows, console, args.quick)

    if args.json:
        payload = {"environment": env, "nboot": nboot, "quick": args.quick,
                   "rows": [asdict(r) for r in rows]}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        console.print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
