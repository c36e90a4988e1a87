"""Does zicht find a change in the traffickers' modus operandi where a simulation made one, and
only there? (issue 21)

For each seed and each of ``nl-baseline`` (no change) and ``nl-modus-trend`` (debt bondage 6
percentage points more common a year, threats 4 less): ``zicht simulate`` and ``zicht link`` as
a user runs them, then the trend of every means of control and recruiter relation
(:func:`zicht.monitor.modus.trend`).  Printed per scenario: the trends shown among the codes
that do not change (the false-alarm rate), and for the two that do, how often a trend is shown
(power), the mean slope found against the true one and how often the interval holds it.

    .venv/bin/python bench/modus_study.py --seeds 1-5 --years 2021-2024 --victims 3000
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
from zicht.monitor.modus import trend
from zicht.simulate.scenario import load_scenario

SCENARIOS = ("nl-baseline", "nl-modus-trend")



def run(seeds: list[int], years: str, victims: int | None) -> pd.DataFrame:
    env = {**os.environ, "ZICHT_PSEUDONYM_KEY": secrets.token_hex(32)}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in SCENARIOS:
            steps = load_scenario(scenario).modus_operandi.trend
            for seed in seeds:
                folder = Path(tmp) / f"{scenario}-{seed}"
                started = time.perf_counter()
                simulate_and_link(folder, scenario, seed, years, victims, env)
                data = MonitorData.from_files(folder / "sim", folder / "linked")
                for r in trend(data).itertuples():
                    true = steps.get(r.code, 0.0) if r.kind == "means" else 0.0
                    rows.append({"scenario": scenario, "seed": seed, "code": r.code,
                                 "changes": true != 0, "true": true, "slope": r.slope,
                                 "found": r.found, "covers": r.low <= true <= r.high,
                                 "persons": r.n})
                print(f"{scenario} seed {seed}: {time.perf_counter() - started:.0f} s",
                      file=sys.stderr, flush=True)
    return pd.DataFrame(rows)


def summary(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    still = rows[~rows["changes"]].groupby("scenario").agg(
        intervals=("found", "size"), shown=("found", "mean"), coverage=("covers", "mean"),
        person_years=("persons", "median"))
    moving = rows[rows["changes"]].groupby(["scenario", "code"]).agg(
        seeds=("found", "size"), true=("true", "first"), mean_slope=("slope", "mean"),
        shown=("found", "mean"), coverage=("covers", "mean"))
    return still, moving


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1-5", help="e.g. 1-5 or 1,3,7")
    parser.add_argument("--years", default="2021-2024")
    parser.add_argument("--victims", type=int, default=3000,
                        help="victims a year (default 3,000)")
    args = parser.parse_args()
    seeds = parse_seeds(args.seeds)
    started = time.perf_counter()
    still, moving = summary(run(seeds, args.years, args.victims))
    with pd.option_context("display.width", 200, "display.max_columns", None,
                           "display.float_format", "{:.3f}".format):
        print("codes whose share does not change:")
        print(still)
        print("\ncodes whose share changes:")
        print(moving)
    print(f"\n{len(seeds)} seeds x {len(SCENARIOS)} scenarios, years {args.years}: "
          f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
