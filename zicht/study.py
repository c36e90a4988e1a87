"""Simulation study: how well each estimator recovers a population whose size we chose.

Composes two stages (it is not part of either): :mod:`zicht.simulate` draws a year's victims and
detections from a scenario, the capture histories are merged into the scenario's lists, and
:mod:`zicht.mse` estimates.  Over many replicates: bias, relative RMSE, and the coverage of the
95 % interval with its Monte Carlo error.  Replicates run in parallel over the cores.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .mse import CaptureHistories, EstimateNotAvailable, MSEInputError, make_estimator
from .mse.methods import HISTORIES, lookup, names
from .simulate import Scenario, simulate_year

STUDY_YEAR = 2024
STUDY_METHODS = names(input=HISTORIES)  # what a study can run (the CLI's --method choices)


@dataclass(frozen=True)
class StudySpec:
    """What a study runs: the estimators registered in :mod:`zicht.mse.methods` for capture
    histories (:data:`STUDY_METHODS`), by name, with the interval ``ci`` at ``level``."""

    scenario: Scenario
    methods: tuple[str, ...]
    ci: str = "profile"
    level: float = 0.95

    def __post_init__(self) -> None:
        for method in self.methods:  # an unknown name fails here, not in every replicate
            lookup(method, HISTORIES)


def replicate_table(scenario: Scenario, seed: int) -> tuple[int, CaptureHistories | None]:
    """One replicate: the true N and the observed capture histories (merged lists; a list
    that saw nobody is left out, None when fewer than two saw anyone)."""
    year = simulate_year(scenario, seed, STUDY_YEAR)
    return year.truth, year.histories()


def run_replicates(spec: StudySpec, seeds: Sequence[int]) -> list[dict]:
    rows = []
    for seed in seeds:
        truth, table = replicate_table(spec.scenario, int(seed))
        for method in spec.methods:
            row = {"seed": int(seed), "method": method, "truth": truth,
                   "observed": 0 if table is None else table.n_observed,
                   "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "status": "ok"}
            if table is None:
                row["status"] = "fewer than two lists saw anyone"
            else:
                try:
                    est = make_estimator(method, ci=spec.ci, level=spec.level)
                    res = est.fit(table)
                    row.update(estimate=res.estimate, ci_low=res.ci_low, ci_high=res.ci_high)
                except (EstimateNotAvailable, MSEInputError) as exc:
                    row["status"] = str(exc)
            rows.append(row)
    return rows


def run_study(spec: StudySpec, replicates: int, seed: int = 1, workers: int | None = None,
              progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """All replicates (one row per replicate and method), in parallel over ``workers``."""
    seeds = np.random.SeedSequence(seed).generate_state(replicates, dtype=np.uint32)
    workers = workers or os.cpu_count() or 1
    chunks = [c for c in np.array_split(seeds, max(1, min(replicates, workers * 8))) if c.size]
    rows: list[dict] = []
    if workers == 1:
        for c in chunks:
            rows += run_replicates(spec, c)
            if progress:
                progress(c.size)
    else:
        with ProcessPoolExecutor(workers) as pool:
            futures = {pool.submit(run_replicates, spec, c): c.size for c in chunks}
            for fut in as_completed(futures):
                rows += fut.result()
                if progress:
                    progress(futures[fut])
    frame = pd.DataFrame(rows)
    return frame.sort_values(["method", "seed"], kind="stable").reset_index(drop=True)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Per method: replicates, failures, bias, relative bias and RMSE, coverage with its Monte
    Carlo sd and Wilson interval.  Bias and coverage are over the replicates that produced an
    estimate; ``failed`` says how many did not (a refused model is a result too)."""
    out = []
    for method, g in results.groupby("method", sort=False):
        ok = g[g["status"] == "ok"]
        est, truth = ok["estimate"].to_numpy(float), ok["truth"].to_numpy(float)
        finite = np.isfinite(est)
        err = est[finite] - truth[finite]
        covered = (ok["ci_low"] <= ok["truth"]) & (ok["truth"] <= ok["ci_high"])
        n = len(ok)
        cov = float(covered.mean()) if n else math.nan
        lo, hi = wilson(int(covered.sum()), n)
        out.append({
            "method": method, "replicates": len(g), "failed": int(len(g) - n),
            "mean_truth": float(truth.mean()) if n else math.nan,
            "mean_observed": float(ok["observed"].mean()) if n else math.nan,
            "mean_estimate": float(est[finite].mean()) if finite.any() else math.nan,
            "bias": float(err.mean()) if err.size else math.nan,
            "relative_bias": float((err / truth[finite]).mean()) if err.size else math.nan,
            "relative_rmse": float(np.sqrt(np.mean((err / truth[finite]) ** 2)))
            if err.size else math.nan,
            "coverage": cov,
            "coverage_mc_error": math.sqrt(cov * (1 - cov) / n) if n else math.nan,
            "coverage_low": lo, "coverage_high": hi,
        })
    return pd.DataFrame(out)


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson 95 % interval for a proportion (sensible at 0 % and 100 %, unlike +- sd)."""
    if n == 0:
        return math.nan, math.nan
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def plot_study(results: pd.DataFrame, title: str):
    """Each replicate's estimate and interval against the truth, one panel per method."""
    import altair as alt

    frame = results[results["status"] == "ok"].copy()
    frame["rank"] = frame.groupby("method")["estimate"].rank(method="first")
    frame["covered"] = (frame["ci_low"] <= frame["truth"]) & (frame["truth"] <= frame["ci_high"])
    base = alt.Chart(frame)
    bars = base.mark_rule(opacity=0.35).encode(
        x=alt.X("rank:Q", title="replicate (ordered by estimate)"),
        y=alt.Y("ci_low:Q", title="estimated population"), y2="ci_high:Q",
        color=alt.Color("covered:N", title="interval covers truth"),
    )
    points = base.mark_point(size=8, filled=True).encode(x="rank:Q", y="estimate:Q",
                                                          color="covered:N")
    truth = base.mark_rule(color="black", strokeDash=[4, 3]).encode(y="mean(truth):Q")
    return (bars + points + truth).properties(width=300, height=220).facet(
        "method:N", columns=2).properties(title=title)
