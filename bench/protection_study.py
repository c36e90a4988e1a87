"""Does zicht find a protection gap where a simulation made one, and only there? (issue 21)

For each seed and each of ``nl-baseline`` (no gap) and ``nl-protection-gap`` (less help without
a complaint): ``zicht simulate`` and ``zicht link`` as a user runs them, then the gap of every
outcome and year for everyone (:func:`zicht.monitor.protection.gap`).  Printed per scenario and
outcome: the rows, how many show a gap (the interval excludes zero: the false-alarm rate on
``nl-baseline``, the power on the other), and how often the interval holds the scenario's true
gap (coverage).  Then the same by each breakdown (the rows where both groups
have at least 10 persons): how often a gap is shown there.

    .venv/bin/python bench/protection_study.py --seeds 1-5 --years 2023-2024
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from studies import seeds as parse_seeds  # bench/ itself is on the path of a bench script
from studies import simulate_and_link

from zicht.monitor.inputs import MonitorData
from zicht.monitor.protection import BREAKDOWNS, OUTCOMES, gap
from zicht.simulate.scenario import load_scenario

SCENARIOS = ("nl-baseline", "nl-protection-gap")



def run(seeds: list[int], years: str, victims: int | None) -> pd.DataFrame:
    env = {**os.environ, "ZICHT_PSEUDONYM_KEY": secrets.token_hex(32)}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in SCENARIOS:
            truth = load_scenario(scenario).protection
            for seed in seeds:
                folder = Path(tmp) / f"{scenario}-{seed}"
                started = time.perf_counter()
                simulate_and_link(folder, scenario, seed, years, victims, env)
                data = MonitorData.from_files(folder / "sim", folder / "linked")
                for by in (None, *BREAKDOWNS):
                    for r in gap(data, () if by is None else (by,)).itertuples():
                        true = truth.gap(r.outcome)
                        rows.append({"scenario": scenario, "seed": seed, "by": by or "",
                                     "year": r.year, "outcome": r.outcome, "n_with": r.n_with,
                                     "n_without": r.n_without, "gap": r.gap, "found": r.found,
                                     "true": true, "covers": r.low <= true <= r.high})
                print(f"{scenario} seed {seed}: {time.perf_counter() - started:.0f} s",
                      file=sys.stderr, flush=True)
    return pd.DataFrame(rows)


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows[rows["by"] == ""]
    out = rows.groupby(["scenario", "outcome"]).agg(
        rows=("found", "size"), persons_with=("n_with", "median"),
        persons_without=("n_without", "median"), true_gap=("true", "first"),
        mean_gap=("gap", "mean"), shown=("found", "mean"), coverage=("covers", "mean"))
    return out.reindex(pd.MultiIndex.from_product([SCENARIOS, list(OUTCOMES)]))


def by_breakdown(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows[(rows["by"] != "") & (rows["n_with"] >= 10) & (rows["n_without"] >= 10)]
    return rows.groupby(["scenario", "outcome"]).agg(rows=("found", "size"),
                                                     shown=("found", "mean"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1-5", help="e.g. 1-5 or 1,3,7")
    parser.add_argument("--years", default="2023-2024")
    parser.add_argument("--victims", type=int, default=None,
                        help="victims a year (default: the scenario's, 6,000)")
    args = parser.parse_args()
    seeds = parse_seeds(args.seeds)
    started = time.perf_counter()
    rows = run(seeds, args.years, args.victims)
    with pd.option_context("display.width", 200, "display.max_columns", None,
                           "display.float_format", "{:.3f}".format):
        print(summary(rows))
        print("\nby breakdown (rows with at least 10 persons in each group):")
        print(by_breakdown(rows))
    print(f"\n{len(seeds)} seeds x {len(SCENARIOS)} scenarios, years {args.years}: "
          f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
