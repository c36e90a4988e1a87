"""Speed of decomposable-graph averaging and of the full method comparison against R.

Run from the repository root (``make bench``)::

    .venv/bin/python bench/bench_compare.py [--json PATH] [--repeat N]

* dga on the UK 5-list table (822 graphs) on exactly R's grids from ``reference.json``
  (delta = 1/32: 0..141,752 by 4; delta = 1/2: 0..12,029 by 1), beside R ``dga::bma.cr``'s CPU
  seconds, with the posterior median both give;
* ``DGA().fit`` as zicht runs it (its own grid, widened and refined, plus the posteriors at
  delta = 1/2 and 1): no single R call does this;
* ``zicht.mse.compare`` on the UK 5-list table (every method: stepwise, BIC and AIC search, all
  pairs, the 11 classical models with profile intervals, dga at three priors, latent classes
  110,000 sweeps) and on the 6-list table (no dga: R dga stops at 5 lists).  The R peer is the
  sum of the CPU seconds of the R calls that produce the same rows (SparseMSE stepwise,
  Rcapture closedpMS.t (BIC and AIC from one search), closedp.t, one closedpCI.t, dga at 1/32
  and 1/2, LCMCR); R has no single call for the comparison.

CPU seconds are ``time.process_time()`` of this process (R's are user + system).  The first
call of each task is an untimed warm-up (imports, numba's compiled sampler); then the median of
``--repeat`` timed runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from zicht.mse import load_dataset
from zicht.mse.compare import compare
from zicht.mse.dga import DGA, dga_posterior
from zicht.mse.glm import one_blas_thread

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "references" / "reference.json"
UK5, UK6 = "SparseMSE__UKdat_5.csv", "SparseMSE__UKdat.csv"
COMPARE_PEERS = (  # (R method, settings to match) summed for the comparison's R peer
    ("SparseMSE::estimatepopulation.0", {"method": "stepwise"}),
    ("Rcapture::closedpMS.t + closedpCI.t (BIC-best, maxorder 2)", {}),
    ("Rcapture::closedp.t", {}),
    ("Rcapture::closedpCI.t", {}),
    ("dga::bma.cr", {"delta": 0.03125}),
    ("dga::bma.cr", {"delta": 0.5}),
    ("LCMCR::lcmCR + lcmCR_PostSampl", {}),
)


def entries() -> list[dict]:
    return json.loads(REFERENCE.read_text())["results"]


def find(ref, dataset, r_method, **settings):
    for e in ref:
        s = e.get("settings") or {}
        if e["dataset"] == dataset and e["method"] == r_method and \
                all(s.get(k) == v for k, v in settings.items()):
            return e
    return None


def timed(fn, repeat: int):
    fn()  # warm-up
    cpus, walls, result = [], [], None
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        result = fn()
        cpus.append(time.process_time() - c0)
        walls.append(time.perf_counter() - w0)
    return statistics.median(cpus), statistics.median(walls), result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path, help="also write the rows to this file")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per task (median)")
    args = ap.parse_args(argv)
    console = Console(width=max(Console().width, 140))
    ref = entries()
    uk5, uk6 = load_dataset("uk5"), load_dataset("uk")
    rows = []

    for delta in (0.03125, 0.5):
        e = find(ref, UK5, "dga::bma.cr", delta=delta)
        g = e["settings"]["Nmissing_grid"]
        grid = np.arange(g["from"], g["to"] + 1, g["by"])
        with one_blas_thread():
            cpu, wall, r = timed(lambda grid=grid, delta=delta: dga_posterior(uk5, delta, grid),
                                 args.repeat)
        rows.append({"task": f"dga UK5, delta = {delta:g}, R's grid ({len(grid):,} points)",
                     "cpu": cpu, "wall": wall, "r_cpu": e["cpu_seconds"],
                     "zicht": r.median, "r": e["estimate"]})

    cpu, wall, r = timed(lambda: DGA().fit(uk5), args.repeat)
    rows.append({"task": "DGA().fit UK5: own grid + deltas 1/2 and 1", "cpu": cpu, "wall": wall,
                 "r_cpu": None, "zicht": r.median, "r": None})

    for name, table, file in (("UK5", uk5, UK5), ("UK 6 lists", uk6, UK6)):
        cpu, wall, c = timed(lambda table=table: compare(table), max(1, args.repeat - 2))
        peers = [find(ref, file, m, **s) for m, s in COMPARE_PEERS]
        found = [p for p in peers if p is not None]
        # a ratio only where R ran every part (R's 6-list runs skipped the search and dga)
        r_cpu = sum(p["cpu_seconds"] for p in found) if len(found) == len(peers) else None
        rows.append({"task": f"compare {name}: {len(c.rows)} rows (R peer: "
                             + (f"{len(found)} calls summed)" if r_cpu is not None else
                                f"only {len(found)} of {len(peers)} R calls exist: no ratio)"),
                     "cpu": cpu, "wall": wall, "r_cpu": r_cpu,
                     "zicht": c.row("stepwise").estimate,
                     "r": (find(ref, file, "SparseMSE::estimatepopulation.0",
                                method="stepwise") or {}).get("estimate")})

    t = Table(title="zicht.mse dga and compare vs R (CPU seconds)")
    for col in ("task", "zicht CPU s", "zicht wall s", "R CPU s", "R / zicht", "zicht median",
                "R median"):
        t.add_column(col, justify="left" if col == "task" else "right")
    for row in rows:
        ratio = row["r_cpu"] / row["cpu"] if row["r_cpu"] and row["cpu"] > 0 else None
        row["ratio"] = ratio
        t.add_row(row["task"], f"{row['cpu']:.2f}", f"{row['wall']:.2f}",
                  "-" if row["r_cpu"] is None else f"{row['r_cpu']:.2f}",
                  "-" if ratio is None else f"{ratio:.1f}x",
                  f"{row['zicht']:,.0f}", "-" if row["r"] is None else f"{row['r']:,.0f}")
    console.print(t)
    console.print("compare rows: the median for dga, the stepwise estimate for compare")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
