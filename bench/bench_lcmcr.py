"""Speed of zicht's LCMCR sampler against R's LCMCR 0.4.14 (CPU seconds).

Run from the repository root::

    .venv/bin/python bench/bench_lcmcr.py [--json PATH] [--repeat N] [--seed S]

For the UK 6-list (``SparseMSE__UKdat.csv``), UK 5-list (``SparseMSE__UKdat_5.csv``) and
Kosovo (``MultipleSystemsEstimation__Kosovo.csv``) tables this runs the reference settings of
``tests/references/reference.json`` (K = 10, a = b = 0.25, burn-in 10,000, 1,000 samples at
thinning 100: 110,000 sweeps, plus lcmCR's 500 warm-up sweeps, which R also runs) and prints
zicht's CPU seconds (``time.process_time()``) and wall seconds next to R's ``cpu_seconds``, with
the posterior median and 95 % interval both produced.  The two chains use different generators,
so their quantiles differ by Monte Carlo error (large on the UK tables, whose posterior has two
modes that the chain switches between only every few ten thousand sweeps).

The numba kernel is compiled on first use and cached on disk.  Both costs are timed separately
and excluded from the per-dataset figures: a genuine compile, in a subprocess with an empty
``NUMBA_CACHE_DIR``, and this process's first call (a cache load once the cache exists).  Each
dataset is then timed ``--repeat`` times (seeds ``seed``, ``seed + 1``, ...), the median reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from zicht.mse.datasets import path as dataset_path
from zicht.mse.lcmcr import lcmcr_posterior

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "references" / "reference.json"
R_METHOD = "LCMCR::lcmCR + lcmCR_PostSampl"
DATASETS = {
    "uk6": "SparseMSE__UKdat.csv",
    "uk5": "SparseMSE__UKdat_5.csv",
    "kosovo": "MultipleSystemsEstimation__Kosovo.csv",
}


def load(file_name: str):
    from zicht.mse.data import CaptureHistories

    with dataset_path(file_name).open() as fh:
        return CaptureHistories.from_csv(fh)


def reference(path: Path, file_name: str) -> dict[str, Any] | None:
    for entry in json.loads(path.read_text())["results"]:
        if entry["dataset"] == file_name and entry["method"] == R_METHOD:
            return entry
    return None


def first_call() -> dict[str, float]:
    """Time the first call (numba compile or cache load) on a tiny run."""
    table = load(DATASETS["kosovo"])
    t_wall, t_cpu = time.perf_counter(), time.process_time()
    lcmcr_posterior(table, burnin=0, samples=1, thinning=1, seed=1, chains=1)
    return {"cpu": time.process_time() - t_cpu, "wall": time.perf_counter() - t_wall}


def cold_compile() -> dict[str, float] | None:
    """Time a genuine compile: ``first_call`` in a subprocess with an empty numba cache."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import bench_lcmcr as b; "
            "print(json.dumps(b.first_call()))")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)],
                              env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench(name: str, file_name: str, ref: dict | None, repeat: int, seed: int) -> dict[str, Any]:
    table = load(file_name)
    settings = (ref or {}).get("settings") or {}
    kw = {k: settings.get(k, d) for k, d in (("K", 10), ("a_alpha", 0.25), ("b_alpha", 0.25),
                                             ("burnin", 10_000), ("samples", 1_000),
                                             ("thinning", 100))}
    runs = []
    for i in range(repeat):
        t_wall, t_cpu = time.perf_counter(), time.process_time()
        # one chain, as R's lcmCR runs: the same work as the reference timing
        res = lcmcr_posterior(table, seed=seed + i, chains=1, **kw)
        runs.append((time.process_time() - t_cpu, time.perf_counter() - t_wall, res))
    cpu = statistics.median(r[0] for r in runs)
    wall = statistics.median(r[1] for r in runs)
    res = runs[0][2]
    lo, hi = res.interval()
    row: dict[str, Any] = {
        "dataset": name, "file": file_name, "observed": res.observed,
        "cells": res.details["cells"], "settings": kw, "sweeps": res.details["sweeps"],
        "runs": repeat, "cpu": cpu, "wall": wall,
        "cpu_runs": [r[0] for r in runs], "wall_runs": [r[1] for r in runs],
        "median": res.median, "ci": [lo, hi], "mean": res.mean, "ess": res.ess,
        "medians_all_runs": [r[2].median for r in runs], "seed": seed,
        "r_cpu": None, "r_wall": None, "r_median": None, "r_ci": None, "r_mean": None,
    }
    if ref is not None:
        row.update(r_cpu=ref.get("cpu_seconds"), r_wall=ref.get("seconds"),
                   r_median=ref.get("estimate"), r_ci=[ref.get("ci_low"), ref.get("ci_high")],
                   r_mean=(ref.get("extra") or {}).get("posterior_mean"))
    row["ratio_cpu"] = row["r_cpu"] / cpu if row["r_cpu"] and cpu > 0 else None
    return row


def render(rows: list[dict[str, Any]], compile_: dict[str, float], cold: dict | None,
           console: Console) -> None:
    if cold is not None:
        console.print(f"numba compile (empty cache, subprocess): {cold['cpu']:.2f} CPU s, "
                      f"{cold['wall']:.2f} wall s")
    console.print(f"first call in this process (cache load): {compile_['cpu']:.2f} CPU s, "
                  f"{compile_['wall']:.2f} wall s.  Neither is included below.")
    tab = Table(title="LCMCR: 110,000 sweeps (K = 10), zicht vs R 0.4.14")
    for col in ("dataset", "n", "cells", "zicht CPU s", "wall s", "R CPU s", "R / zicht",
                "zicht median [95%]", "R median [95%]", "ESS"):
        tab.add_column(col, justify="left" if col == "dataset" else "right")

    def fmt(med, ci):
        return "-" if med is None else f"{med:,.0f} [{ci[0]:,.0f}, {ci[1]:,.0f}]"

    for r in rows:
        tab.add_row(
            r["dataset"], f"{r['observed']:,}", str(r["cells"]), f"{r['cpu']:.2f}",
            f"{r['wall']:.2f}", "-" if r["r_cpu"] is None else f"{r['r_cpu']:.2f}",
            "-" if r["ratio_cpu"] is None else f"{r['ratio_cpu']:.1f}x",
            fmt(r["median"], r["ci"]), fmt(r["r_median"], r["r_ci"]), f"{r['ess']:.0f}",
        )
    console.print(tab)
    console.print("CPU s: median over the timed runs (time.process_time).  Medians of N over "
                  "those runs: " + "; ".join(
                      f"{r['dataset']} " + ", ".join(f"{m:,.0f}" for m in r["medians_all_runs"])
                      for r in rows))
    console.print("ESS of the first run's 1,000 kept draws (Geyer initial monotone sequence). "
                  "R: one chain, seed 123; zicht and R quantiles agree within Monte Carlo error "
                  "(tests/test_lcmcr.py).")


def environment() -> dict[str, Any]:
    import numba

    return {
        "python": platform.python_version(), "numpy": np.__version__,
        "numba": numba.__version__, "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "loadavg_1min_at_start": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg")
        else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", metavar="PATH", type=Path, help="also write the results here")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per dataset (median)")
    ap.add_argument("--seed", type=int, default=123, help="seed of the first timed run")
    ap.add_argument("--reference", type=Path, default=REFERENCE, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    console = Console(width=None if sys.stdout.isatty() else 200)
    env = environment()
    console.print(f"Python {env['python']}, numpy {env['numpy']}, numba {env['numba']}, "
                  f"{env['cpu_count']} CPUs, load average {env['loadavg_1min_at_start']}.")
    console.print("R reference: tests/references/reference.json (R 4.2.2 on a 2-core machine, "
                  "other jobs running; cpu_seconds = user + sys).")
    cold = cold_compile()
    compile_ = first_call()
    rows = [bench(name, f, reference(args.reference, f), max(args.repeat, 1), args.seed)
            for name, f in DATASETS.items()]
    render(rows, compile_, cold, console)
    if args.json:
        payload = {"environment": env, "compile_empty_cache": cold, "first_call": compile_,
                   "rows": rows}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        console.print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
