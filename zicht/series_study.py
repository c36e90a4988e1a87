"""Simulation study of the published series: ten years, the estimate per year and its change.

Composes :mod:`zicht.simulate` (victims over consecutive years, with carry-over between years
and, with the scenario key ``victims_trend``, a true trend) and :mod:`zicht.mse` (the designs
below) on the *true* capture histories, merged into the scenario's lists.  Per design, over the
replicates:

- bias and relative RMSE of the yearly estimates, and the coverage of their intervals (overall
  and the lowest of the years);
- coverage of the change between consecutive years (the true change inside its interval);
- false alarms: the share of consecutive-year changes called significant while the truth is
  constant (scenarios without a trend);
- power: the share of replicates whose trend interval excludes 0 on the true side (scenarios
  with a trend), and the coverage of the true trend.

Designs: ``single-year`` (stepwise per year with its profile interval, the years independent),
``single-year-bootstrap`` (the same with the bootstrap interval that re-selects the model in
every replicate, so the interval holds the model choice) and the series estimators of
:mod:`zicht.mse.series` with the covariates named in the design.
``linked=True`` runs every replicate end to end instead: the reports are written
(:func:`zicht.simulate.write_run`), linked into persons (:func:`zicht.linkage.run.link`, its
defaults) and the designs read ``zicht link``'s capture histories, with their linkage errors.
Replicates run in parallel over the cores.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import pandas as pd

from .codes import AGE_BAND_LIMITS, nationality_group
from .mse import CaptureHistories, EstimateNotAvailable, MSEInputError, make_estimator
from .mse.series import SeriesLogLinear, SeriesResult, independent_series
from .simulate import Scenario
from .simulate.detection import detect
from .simulate.population import person_years

FIRST_YEAR = 2015
YEARS = 10
# design name -> covariates of the pooled model (None: the single-year design); the names are
# those of `zicht link`'s capture_histories_by_stratum.csv
DESIGNS: dict[str, tuple[str, ...] | None] = {
    "single-year": None,
    "single-year-bootstrap": None,
    "series": ("year",),
    "series+form": ("year", "form"),
    "series+covariates": ("year", "form", "age_band", "nationality_group", "sex"),
}
# Designs made of others' rows: the published design is the single years' estimates, intervals
# and changes with the trend of the joint fit (zicht.mse.series.with_joint_trend)
DERIVED: dict[str, tuple[str, str]] = {"published": ("single-year-bootstrap", "series")}
TREND_COLUMNS = ("trend", "trend_low", "trend_high")
# the single-year designs' intervals: profile likelihood, or the bootstrap that resamples the
# year's table and selects the model again in every replicate (SparseMSE's)
SINGLE_CI = {"single-year": "profile", "single-year-bootstrap": "bootstrap"}
STRATA = ("sex", "age_band", "form", "nationality_group", "region")


def _age_band(age: np.ndarray) -> np.ndarray:
    out = np.full(age.shape, "unknown", dtype=object)
    for low, high, label in AGE_BAND_LIMITS:
        out[(age >= low) & (age <= high)] = label
    return out


def series_persons(scenario: Scenario, seed: int, years: int = YEARS
                   ) -> tuple[pd.DataFrame, pd.Series]:
    """Observed people per year (covariates and one 0/1 column per list) and the truth per
    year, for one replicate."""
    pop_seq, det_seq = np.random.SeedSequence(seed).spawn(2)
    span = list(range(FIRST_YEAR, FIRST_YEAR + years))
    lists = list(scenario.mse_lists)
    cats = list(scenario.reporters)
    frames, truth = [], {}
    for (year, persons), rng_seq in zip(person_years(scenario, span, pop_seq),
                                        det_seq.spawn(years), strict=True):
        seen = detect(scenario, persons, np.random.default_rng(rng_seq))
        on = np.column_stack([seen[:, [cats.index(c) for c in scenario.mse_lists[name]]]
                              .any(axis=1) for name in lists]).astype(int)
        truth[year] = len(persons)
        keep = on.any(axis=1)
        p = persons.loc[keep]
        frame = pd.DataFrame(on[keep], columns=lists)
        frame["year"] = str(year)
        frame["sex"] = p["sex"].to_numpy()
        frame["age_band"] = _age_band(p["age"].to_numpy())
        frame["form"] = p["nr_group"].to_numpy()
        frame["nationality_group"] = [nationality_group(x) for x in p["nationality"]]
        frame["region"] = p["region"].to_numpy()
        frame["count"] = 1
        frames.append(frame)
    return pd.concat(frames, ignore_index=True), pd.Series(truth)


def linked_persons(scenario: Scenario, seed: int, years: int = YEARS
                   ) -> tuple[pd.DataFrame, pd.Series]:
    """The same as :func:`series_persons` through the whole chain: the replicate's reports
    written and linked; the rows are ``zicht link``'s capture histories by stratum (with a
    ``count`` column)."""
    from .linkage.run import link
    from .simulate import write_run
    from .tokens import Pseudonymiser

    span = list(range(FIRST_YEAR, FIRST_YEAR + years))
    with tempfile.TemporaryDirectory(prefix="zicht-series-") as tmp:
        folder = Path(tmp)
        write_run(scenario, span, seed, folder / "sim", formats=("parquet",))
        # a key of this replicate's own: the study keeps no tokens
        link(folder / "sim", folder / "linked", pseudonymiser=Pseudonymiser(os.urandom(32)))
        frame = pd.read_csv(folder / "linked" / "capture_histories_by_stratum.csv",
                            dtype={c: str for c in ("year", *STRATA)}, keep_default_na=False)
    truth = pd.Series({y: scenario.victims_in(y, span[0]) for y in span})
    return frame, truth


def _lists_seen(frame: pd.DataFrame, lists: list[str]) -> list[str]:
    return [c for c in lists if frame[c].any()]


def fit_design(design: str, frame: pd.DataFrame, lists: list[str],
               level: float = 0.95) -> SeriesResult:
    """The design's series on one replicate's observed people."""
    covs = DESIGNS[design]
    if covs is None:
        periods, obs, est, cis = [], [], [], []
        for year, part in frame.groupby("year"):
            used = _lists_seen(part, lists)
            try:  # a year without an estimate is a gap in the series, as in the publication
                if len(used) < 2:
                    raise EstimateNotAvailable("fewer than two lists saw anyone")
                table = CaptureHistories.from_frame(
                    part.groupby(used, as_index=False)["count"].sum())
                res = make_estimator("stepwise", ci=SINGLE_CI[design], level=level).fit(table)
            except (EstimateNotAvailable, MSEInputError):
                continue
            periods.append(int(year))
            obs.append(table.n_observed)
            est.append(res.estimate)
            cis.append((res.ci_low, res.ci_high))
        if not periods:
            raise EstimateNotAvailable("no year has an estimate")
        return independent_series(f"{design} stepwise", periods, obs, est, cis, level)
    used = _lists_seen(frame, lists)
    long = frame.groupby([*covs, *used], as_index=False)["count"].sum()
    return SeriesLogLinear(covariates=list(covs), level=level).fit(long)


def run_replicates(scenario: Scenario, designs: Sequence[str], seeds: Sequence[int],
                   level: float = 0.95, linked: bool = False) -> list[dict]:
    """One row per replicate, design and year."""
    rows = []
    lists = list(scenario.mse_lists)
    for seed in seeds:
        frame, truth = (linked_persons if linked else series_persons)(scenario, int(seed))
        true_trend = scenario.victims_trend
        for design in designs:
            base = {"seed": int(seed), "design": design}
            try:
                res = fit_design(design, frame, lists, level)
            except (EstimateNotAvailable, MSEInputError) as exc:
                rows.append({**base, "status": str(exc)})
                continue
            lo, hi = res.intervals()
            trend = res.trend()
            changes = res.changes()
            for t, (year, est) in enumerate(zip(res.periods, res.estimates, strict=True)):
                change = changes[t]
                row = {**base, "year": year, "truth": int(truth[year]), "estimate": float(est),
                       "ci_low": float(lo[t]), "ci_high": float(hi[t]), "status": "ok",
                       "true_trend": true_trend,
                       "trend": np.nan if trend is None else trend.per_year,
                       "trend_low": np.nan if trend is None else trend.ci_low,
                       "trend_high": np.nan if trend is None else trend.ci_high}
                if change is not None:
                    row.update(true_change=int(truth[year] - truth[year - 1]),
                               change=change.estimate, change_low=change.ci_low,
                               change_high=change.ci_high, significant=change.significant)
                rows.append(row)
            rows += [{**base, "year": int(y), "truth": int(truth[y]), "status": "no estimate"}
                     for y in truth.index if int(y) not in res.periods]
    return rows


def run_series_study(scenario: Scenario, replicates: int, designs: Sequence[str] | None = None,
                     seed: int = 1, workers: int | None = None, level: float = 0.95,
                     progress: Callable[[int], None] | None = None,
                     linked: bool = False) -> pd.DataFrame:
    """Replicate seeds are drawn from ``seed``; results do not depend on ``workers``."""
    wanted = list(designs or [*DESIGNS, *DERIVED])
    for d in wanted:
        if d not in DESIGNS and d not in DERIVED:
            raise MSEInputError(f"unknown design {d!r} (known: {', '.join([*DESIGNS, *DERIVED])})")
    designs = [d for d in DESIGNS if d in wanted or any(d in DERIVED[w] for w in wanted
                                                          if w in DERIVED)]
    seeds = np.random.SeedSequence(seed).generate_state(replicates).tolist()
    workers = workers or os.cpu_count() or 1
    chunks = [seeds[i::workers * 4] for i in range(workers * 4) if seeds[i::workers * 4]]
    rows: list[dict] = []
    if workers == 1:
        for chunk in chunks:
            rows += run_replicates(scenario, designs, chunk, level, linked)
            if progress:
                progress(len(chunk))
    else:
        with ProcessPoolExecutor(workers) as pool:
            futures = {pool.submit(run_replicates, scenario, designs, c, level, linked): len(c)
                       for c in chunks}
            for fut in as_completed(futures):
                rows += fut.result()
                if progress:
                    progress(futures[fut])
    frame = pd.DataFrame(rows)
    for name in DERIVED:
        if name in wanted:
            frame = derive_published(frame, name)
    frame = frame[frame["design"].isin(wanted)]
    return frame.sort_values(["design", "seed", "year"], kind="stable").reset_index(drop=True)


def derive_published(results: pd.DataFrame, name: str = "published") -> pd.DataFrame:
    """``results`` with the rows of the derived design ``name`` added: its levels' rows (per
    year: estimate, interval, change) with the trend of its joint design's row of the same
    replicate (none where the joint fit failed: then the levels' own trend, as
    :func:`zicht.mse.series.with_joint_trend`).  Works on a saved ``--results`` file too."""
    levels, joint = DERIVED[name]
    base = results[results["design"] == levels].copy()
    trends = (results[(results["design"] == joint) & (results["status"] == "ok")]
              .groupby("seed")[list(TREND_COLUMNS)].first().dropna())
    hit = base["seed"].isin(trends.index) & (base["status"] == "ok")
    for col in TREND_COLUMNS:
        base.loc[hit, col] = base.loc[hit, "seed"].map(trends[col])
    base["design"] = name
    return pd.concat([results[results["design"] != name], base], ignore_index=True)


def _share(x: pd.Series) -> float:
    x = x.dropna()
    return float(x.mean()) if len(x) else math.nan


def summarise_series(results: pd.DataFrame) -> pd.DataFrame:
    """One row per design: the study's figures (shares as fractions)."""
    out = []
    for design, g in results.groupby("design", sort=False):
        ok = g[g["status"] == "ok"]
        rel = ok["estimate"] / ok["truth"] - 1
        inside = (ok["ci_low"] <= ok["truth"]) & (ok["truth"] <= ok["ci_high"])
        pairs = ok.dropna(subset=["change"]) if "change" in ok else ok.iloc[:0]
        ch_in = (pairs["change_low"] <= pairs["true_change"]) \
            & (pairs["true_change"] <= pairs["change_high"])
        per_rep = ok.groupby("seed").first()
        trend_true = float(per_rep["true_trend"].iloc[0]) if len(per_rep) else 0.0
        row = {
            "design": design, "replicates": int(g["seed"].nunique()),
            "failed": int(g.loc[g["status"] != "ok", "seed"].nunique()),
            "years_without_estimate": int((g["status"] != "ok").sum()),
            "bias": float(rel.mean()), "rel_rmse": float(np.sqrt((rel ** 2).mean())),
            "coverage": float(inside.mean()),
            "coverage_worst_year": float(inside.groupby(ok["year"]).mean().min()),
            "change_coverage": float(ch_in.mean()) if len(pairs) else math.nan,
            "median_move": float((pairs["change"] / (pairs["estimate"] - pairs["change"]))
                                 .abs().median()) if len(pairs) else math.nan,
        }
        if trend_true == 0:
            row["false_alarms"] = _share(pairs["significant"].astype(float))
            row["power"] = math.nan
        else:
            row["false_alarms"] = math.nan
            # a replicate without a trend (an open interval) did not find one
            side = per_rep["trend_low"] > 0 if trend_true > 0 else per_rep["trend_high"] < 0
            row["power"] = float(side.fillna(False).astype(float).mean())
        trended = per_rep.dropna(subset=["trend_low", "trend_high"])
        row["with_trend"] = len(trended)
        row["trend_coverage"] = float(((trended["trend_low"] <= trend_true)
                                       & (trend_true <= trended["trend_high"])).mean()) \
            if len(trended) else math.nan
        out.append(row)
    return pd.DataFrame(out)
