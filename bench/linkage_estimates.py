"""How far linkage error moves the estimate: true links vs plain Splink vs zicht.

On ten years of ``nl-baseline`` (or ``--data DIR``), for each year: the estimate on the true
capture histories (the simulator's), on plain Splink's linkage of the clear names at one
threshold (the naive estimate), and on zicht's linkage of the tokens with its linkage band and
combined interval; whether the true-link estimate and the true number of victims lie inside
zicht's combined interval.  Estimator: ``--method`` (default Mt, whose estimate n1 n2 / m
reacts most directly to a missed link; stepwise adds model-selection jumps).

Usage: ``.venv/bin/python bench/linkage_estimates.py [--data DIR] [--method M] [--seed S]``
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
ZICHT = Path(sys.executable).with_name("zicht")
KEY = "6b" * 32


def plain_splink_histories(sim: Path, lists: dict, threshold: float) -> pd.DataFrame:
    """Plain Splink (clear names and dates, standard comparisons) clustered at ``threshold``
    by plain connected components."""
    from bench.bench_linkage import plain_splink_pairs
    from zicht.linkage.cluster import Graph
    from zicht.linkage.persons import capture_histories

    raw = pd.read_parquet(sim / "reports.parquet")
    df, pairs = plain_splink_pairs(raw)
    labels = Graph(df["unique_id"], pairs).labels(threshold, max_reports=None)
    table = pd.DataFrame({"unique_id": raw["report_id"],
                          "reference_year": raw["reference_year"],
                          "reporter_category": raw["reporter_category"]})
    return capture_histories(table, labels, lists)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--method", default="Mt")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--naive-threshold", type=float, default=0.9)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    logging.getLogger("splink").setLevel(logging.ERROR)
    from rich.console import Console
    from rich.table import Table

    from zicht.linkage.inputs import scenario_lists
    from zicht.linkage.run import link
    from zicht.linked_estimate import estimate_with_linkage
    from zicht.mse import CaptureHistories, make_estimator
    from zicht.registry.pseudonymise import Pseudonymiser

    with tempfile.TemporaryDirectory() as tmp:
        sim = args.data
        if sim is None:
            sim = Path(tmp) / "sim"
            subprocess.run([str(ZICHT), "simulate", "--years", "2015-2024", "--seed",
                            str(args.seed), "--formats", "parquet", "--out", str(sim)],
                           check=True, capture_output=True)
        lists = scenario_lists(sim)
        out = Path(tmp) / "linked"
        result = link(sim, out, pseudonymiser=Pseudonymiser(bytes.fromhex(KEY)), lists=lists)
        plain = plain_splink_histories(sim, lists, args.naive_threshold)
        manifest = json.loads((sim / "manifest.json").read_text())
        victims = {y["year"]: y["victims"] for y in manifest["per_year"]}
        names = list(lists)
        rows = []
        for year in sorted(victims):
            est = make_estimator(args.method)
            true = est.fit(CaptureHistories.from_csv(str(sim / f"capture_histories_{year}.csv")),
                           ci="none").estimate
            part = plain[plain["year"] == year][[*names, "count"]].reset_index(drop=True)
            naive = make_estimator(args.method).fit(CaptureHistories.from_frame(part),
                                                    ci="none").estimate
            ours = estimate_with_linkage(out, year, args.method)
            rows.append({"year": year, "victims": victims[year], "true_links": true,
                         "naive": naive, "zicht": ours.estimate,
                         "band": ours.linkage_band, "combined": ours.combined})
    frame = pd.DataFrame(rows)
    con = Console(highlight=False, width=150)
    e = result.evaluation
    con.print(f"zicht linkage: pairwise F1 {e.pairwise_f1:.4f}, cluster F1 {e.cluster_f1:.4f}, "
              f"persons {e.persons_error:+.2%}")
    t = Table(title=f"Estimates ({args.method}) on true links, plain Splink at "
                    f"{args.naive_threshold:g} (naive) and zicht with its linkage band")
    for col in ("year", "victims", "true links", "naive", "naive vs true", "zicht",
                "zicht vs true", "linkage band", "combined interval", "true links inside",
                "victims inside"):
        t.add_column(col, justify="right")
    for r in frame.itertuples():
        low, high = r.combined
        t.add_row(str(r.year), f"{r.victims:,}", f"{r.true_links:,.0f}", f"{r.naive:,.0f}",
                  f"{r.naive / r.true_links - 1:+.1%}", f"{r.zicht:,.0f}",
                  f"{r.zicht / r.true_links - 1:+.1%}",
                  f"{r.band[0]:,.0f}-{r.band[1]:,.0f}", f"{low:,.0f}-{high:,.0f}",
                  "yes" if low <= r.true_links <= high else "no",
                  "yes" if low <= r.victims <= high else "no")
    con.print(t)
    naive_err = (frame["naive"] / frame["true_links"] - 1)
    ours_err = (frame["zicht"] / frame["true_links"] - 1)
    con.print(f"mean |error| vs true links: naive {naive_err.abs().mean():.1%} (mean "
              f"{naive_err.mean():+.1%}), zicht {ours_err.abs().mean():.1%} (mean "
              f"{ours_err.mean():+.1%})")
    if args.json:
        args.json.write_text(frame.to_json(orient="records", indent=2))
    return 0 if np.isfinite(frame["zicht"]).all() else 1


if __name__ == "__main__":
    sys.exit(main())
