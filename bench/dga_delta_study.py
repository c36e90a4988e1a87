"""How dga's prior delta moves the estimate, on simulated tables whose true size is known.

Run from the repository root (about 10 minutes for the default 200 replicates on 2 cores)::

    .venv/bin/python bench/dga_delta_study.py [--replicates 200] [--scenarios nl-baseline ...]

For each replicate of each scenario (one year, ``zicht.study.replicate_table``), tables with
more than 5 lists get their two smallest lists merged until 5 remain (as
``zicht.mse.sensitivity`` merges; dga takes at most 5).  Then dga at delta = 2^-p / 4, 2^-p,
1/2 and 1, and for comparison stepwise and main effects with profile intervals.  Printed per
scenario: mean relative bias, median absolute relative error, 95 % interval coverage with its
Monte Carlo standard error, and how often the median moves by more than 25 % between delta =
2^-p and 1/2.  The figures are in ``docs/ESTIMATION.md``.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from zicht.mse import MainEffects, Stepwise
from zicht.mse.dga import DGA
from zicht.simulate.scenario import load_scenario
from zicht.study import replicate_table

SCENARIOS = ("nl-baseline", "nl-meldplicht", "dependent", "heterogeneous", "independent")


def to_five_lists(table):
    while table.k > 5:
        sizes = table.list_sizes().sort_values(kind="stable")
        a, b = sizes.index[0], sizes.index[1]
        table = table.merge_lists(a, b, f"{a}+{b}")
    return table


def estimators(p: int):
    for label, delta in (("dga 2^-p/4", 2.0 ** -p / 4), ("dga 2^-p", 2.0 ** -p),
                         ("dga 1/2", 0.5), ("dga 1", 1.0)):
        yield label, lambda t, d=delta: DGA(d, sensitivity=()).fit(t)
    yield "stepwise", lambda t: Stepwise().fit(t, ci="profile")
    yield "main effects", lambda t: MainEffects().fit(t, ci="profile")


def run(name: str, replicates: int, seed: int) -> pd.DataFrame:
    scenario = load_scenario(name)
    rows = []
    for s in np.random.SeedSequence(seed).generate_state(replicates, dtype=np.uint32):
        truth, table = replicate_table(scenario, int(s))
        if table is None:
            continue
        table = to_five_lists(table)
        for label, fit in estimators(table.k):
            r = fit(table)
            rows.append({"seed": int(s), "method": label, "truth": truth,
                         "estimate": r.estimate, "ci_low": r.ci[0], "ci_high": r.ci[1]})
    return pd.DataFrame(rows)


def summarise(frame: pd.DataFrame, name: str) -> Table:
    t = Table(title=f"{name}: {frame.seed.nunique()} replicates")
    for col in ("estimator", "rel. bias", "MdAPE", "coverage (95 %)"):
        t.add_column(col, justify="left" if col == "estimator" else "right")
    for method, g in frame.groupby("method", sort=False):
        rel = (g.estimate - g.truth) / g.truth
        cover = ((g.ci_low <= g.truth) & (g.truth <= g.ci_high)).mean()
        se = math.sqrt(cover * (1 - cover) / len(g))
        t.add_row(method, f"{rel.mean():+.1%}", f"{rel.abs().median():.1%}",
                  f"{cover:.1%} +- {se:.1%}")
    a = frame[frame.method == "dga 2^-p"].set_index("seed").estimate
    b = frame[frame.method == "dga 1/2"].set_index("seed").estimate
    moved = ((b / a - 1).abs() > 0.25).mean()
    t.caption = f"median moves by more than 25 % between 2^-p and 1/2 in {moved:.0%}"
    return t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--replicates", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    args = ap.parse_args(argv)
    console = Console()
    for name in args.scenarios:
        console.print(summarise(run(name, args.replicates, args.seed), name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
