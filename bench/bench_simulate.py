"""Scale and accuracy of zicht.simulate (run by ``make bench``).

1. Generate about 1,000,000 reports (nl-baseline, 520,000 victims a year, 2015-2024) streamed
   to Parquet in a child process; report wall and CPU seconds and peak memory (targets: under
   60 s and 2 GB on this 2-core machine).
2. The simulation study at full size: 1,000 replicates of each scenario and method, with bias,
   relative RMSE and 95 % coverage (target under ``independent``: 93-97 % for the log-linear
   estimators).

Usage: ``.venv/bin/python bench/bench_simulate.py [--quick] [--replicates N] [--json PATH]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
ZICHT = Path(sys.executable).with_name("zicht")
STUDIES = {
    "independent": ("Mt", "stepwise", "bic"),
    "heterogeneous": ("Mt", "stepwise", "bic", "Mth-chao"),
    "dependent": ("Mt", "stepwise", "bic"),
    # 6 lists: an exhaustive BIC search is 32,768 models per replicate, so not here
    "nl-baseline": ("Mt", "stepwise", "Mth-chao"),
}


def generate(victims: int, years: str, out: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([str(ZICHT), "simulate", "--scenario", "nl-baseline", "--victims",
                    str(victims), "--years", years, "--seed", "1", "--formats", "parquet",
                    "--out", str(out)], check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    manifest = json.loads((out / "manifest.json").read_text())
    return {
        "reports": sum(y["reports"] for y in manifest["per_year"]),
        "victim_years": sum(y["victims"] for y in manifest["per_year"]),
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "peak_rss_mb": after.ru_maxrss / 1024,
        "parquet_mb": sum(p.stat().st_size for p in out.glob("*.parquet")) / 2**20,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100,000 reports, 100 replicates")
    ap.add_argument("--replicates", type=int, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from zicht.simulate import load_scenario
    from zicht.study import StudySpec, run_study, summarise

    con = Console(highlight=False, width=140)
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        victims = 52_000 if args.quick else 520_000
        gen = generate(victims, "2015-2024", Path(tmp) / "run")
    results["generate"] = gen
    con.print(
        f"Generated {gen['reports']:,} reports ({gen['victim_years']:,} victim-years, Parquet "
        f"{gen['parquet_mb']:.0f} MB): {gen['wall_s']:.1f} s wall, {gen['cpu_s']:.1f} s CPU, "
        f"peak {gen['peak_rss_mb']:.0f} MB (targets: 60 s, 2,048 MB)")
    reps = args.replicates or (100 if args.quick else 1000)
    t = Table(title=f"Simulation study: {reps} replicates each, 95 % profile intervals")
    for col in ("scenario", "method", "ok", "truth", "mean estimate", "rel. bias", "rel. RMSE",
                "coverage", "seconds"):
        t.add_column(col, justify="left" if col in ("scenario", "method") else "right")
    results["studies"] = []
    for name, methods in STUDIES.items():
        t0 = time.perf_counter()
        frame = run_study(StudySpec(load_scenario(name), methods), reps, seed=2024)
        secs = time.perf_counter() - t0
        for r in summarise(frame).itertuples():
            results["studies"].append({"scenario": name, **r._asdict(), "seconds": secs})
            t.add_row(name, r.method, f"{r.replicates - r.failed}/{r.replicates}",
                      f"{r.mean_truth:,.0f}", f"{r.mean_estimate:,.0f}",
                      f"{r.relative_bias:+.1%}", f"{r.relative_rmse:.1%}",
                      f"{r.coverage:.1%} ± {r.coverage_mc_error:.1%}", f"{secs:.0f}")
    con.print(t)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
