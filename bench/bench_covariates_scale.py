"""Covariate models at the scale of real stratifications (issue 16, point 1).

Run from the repository root::

    .venv/bin/python bench/bench_covariates_scale.py [--seeds 7,8] [--json PATH]

A table of five covariates (year x sex x age band x form x nationality group: 1,920 possible
strata, about 1,900 observed) and six lists is drawn with numpy alone
(``tests/mse/stratified_tables.py``, not zicht's simulator), written as a long CSV, and

* ``zicht estimate FILE --covariates ...`` (BIC stepwise over 45 candidate terms) is timed as a
  whole process, with its peak memory (the target: under 30 s and 2 GB);
* in-process, one model with every list x covariate term (about 2,050 parameters) and the
  stepwise search, the latter with X'WX from the product structure and from the sparse
  product (the ratio in one run).

There is no R peer: no R package fits this model at this scale.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.mse.stratified_tables import stratified_table  # noqa: E402
from zicht.mse.covariates import (  # noqa: E402
    CovariateLogLinear,
    CovariateSearch,
    StratifiedHistories,
    blocked,  # noqa: E402
)

LEVELS = {"year": 10, "sex": 2, "age": 6, "form": 4, "nat": 4}


def whole_process(csv: Path) -> dict:
    cmd = [str(ROOT / ".venv" / "bin" / "zicht"), "estimate", str(csv), "--covariates",
           ",".join(LEVELS), "--format", "json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = json.loads(done.stdout) if done.returncode == 0 else {}
    return {"exit": done.returncode, "wall_s": round(wall, 2),
            "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
                           2),
            "peak_mb": round(after.ru_maxrss / 1024), "estimate": out.get("estimate")}


def in_process(data: StratifiedHistories) -> dict:
    t = time.perf_counter()
    one = CovariateLogLinear(terms=",".join(f"*:{c}" for c in LEVELS)).fit(data)
    t_one = time.perf_counter() - t
    t = time.perf_counter()
    search = CovariateSearch().fit(data)
    t_search = time.perf_counter() - t
    # the same search with the sparse product (the product structure switched off)
    original = blocked.Blocks.columns

    def plain(self, cols):
        b = original(self, cols)
        b.A = b.P = None
        return b

    blocked.Blocks.columns = plain
    try:
        t = time.perf_counter()
        sparse = CovariateSearch().fit(data)
        t_sparse = time.perf_counter() - t
    finally:
        blocked.Blocks.columns = original
    assert abs(sparse.estimate - search.estimate) < 1e-6 * search.estimate
    return {"one_model_s": round(t_one, 2), "parameters": one.n_params,
            "search_s": round(t_search, 2), "search_sparse_s": round(t_sparse, 2),
            "ratio": round(t_sparse / t_search, 1), "terms": len(search.model),
            "fits": search.details["models_fitted"], "estimate": search.estimate}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", default="7,8")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        t = stratified_table(LEVELS, lists=6, people=60_000, seed=seed, base=-3.0)
        data = StratifiedHistories.from_frame(t.frame, t.covariates)
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "table.csv"
            t.frame.to_csv(csv, index=False)
            row = {"seed": seed, "strata": data.n_strata, "truth": int(t.truth.sum()),
                   **{f"cli_{k}": v for k, v in whole_process(csv).items()},
                   **in_process(data)}
        rows.append(row)
        print(json.dumps(row))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
