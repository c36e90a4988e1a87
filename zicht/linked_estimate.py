"""The estimate with its linkage band: how much of the uncertainty is linkage's.

Composes two stages (part of neither): :mod:`zicht.linkage` writes, besides the capture
histories of its chosen linkage, those of a band of plausible linkages
(``capture_histories_band.csv``); :mod:`zicht.mse` estimates each.  The result gives, for one
year:

- the **estimate** and its statistical interval on the chosen linkage;
- the **linkage band**: what linkage alone could not settle.  For a *threshold* band (the
  default: clustering at match probabilities 0.1 to 0.5, around the default 0.3) the range
  of the point estimates; for a *sample* band (links drawn with their match probabilities)
  their 2.5-97.5 % range;
- a **combined interval**.  Threshold band: from the lowest lower bound to the highest upper
  bound of the statistical intervals over the band (no probability is claimed for the choice
  of threshold, so the union is the honest statement).  Sample band: Rubin's rules for
  multiple imputation (the sampled linkages are imputations of the unknown true links) on the
  log scale, where the intervals are nearly symmetric: total variance = mean within-linkage
  variance + (1 + 1/m) x between-linkage variance, with the within-linkage variances read off
  each profile interval, and Rubin's degrees of freedom.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .mse import CaptureHistories, EstimateNotAvailable, MSEInputError, make_estimator

__all__ = ["LinkedEstimate", "estimate_with_linkage"]


@dataclass
class LinkedEstimate:
    year: int
    method: str
    observed: int
    estimate: float
    interval: tuple[float, float] | None
    linkage_band: tuple[float, float]
    combined: tuple[float, float] | None
    band_method: str
    linkages: int
    linkages_without_estimate: int
    band_estimates: list[float] = field(repr=False, default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _table(frame: pd.DataFrame, lists: list[str]) -> CaptureHistories:
    return CaptureHistories.from_frame(frame[[*lists, "count"]].reset_index(drop=True))


def _fit(frame: pd.DataFrame, lists: list[str], method: str, level: float,
         ci: str = "profile"):
    return make_estimator(method).fit(_table(frame, lists), ci=ci, level=level)


def estimate_with_linkage(folder: str | Path, year: int, method: str = "stepwise",
                          level: float = 0.95, ci: str = "profile") -> LinkedEstimate:
    """The estimate for ``year`` from a ``zicht link`` folder (see the module's text); ``ci``:
    the interval of every fit (``profile``, or ``bootstrap``: the model re-selected in every
    replicate, so that the interval holds the model choice)."""
    folder = Path(folder)
    main_file = folder / "capture_histories.csv"
    band_file = folder / "capture_histories_band.csv"
    for file in (main_file, band_file):
        if not file.exists():
            raise MSEInputError(f"{file}: not found (run `zicht link` with a linkage band)")
    band_method = "threshold"
    summary_file = folder / "summary.json"
    if summary_file.exists():
        band_method = json.loads(summary_file.read_text()).get("linkage_band", {}).get(
            "method", "threshold")
    main = pd.read_csv(main_file)
    lists = [c for c in main.columns if c not in ("year", "count")]
    this_year = main[main["year"] == year]
    if this_year.empty:
        years = ", ".join(str(y) for y in sorted(main["year"].unique()))
        raise MSEInputError(f"no persons in {year}; the linkage has years {years}")
    best = _fit(this_year, lists, method, level, ci)
    band = pd.read_csv(band_file)
    band = band[band["year"] == year]
    results, failed = [], 0
    for _, part in band.groupby("linkage"):
        try:
            results.append(_fit(part, lists, method, level, ci))
        except EstimateNotAvailable:
            failed += 1
    if not results:
        raise EstimateNotAvailable(f"no linkage of the band gave an estimate for {year}")
    points = [r.estimate for r in results]
    if band_method == "sample":
        low_high = tuple(float(x) for x in np.percentile(points, [2.5, 97.5]))
        combined = _rubin(results, level)
    else:
        low_high = (float(min(points)), float(max(points)))
        bounds = [r.ci for r in results if r.ci is not None]
        combined = (min(b[0] for b in bounds), max(b[1] for b in bounds)) if bounds else None
    return LinkedEstimate(year, best.method, best.observed, best.estimate, best.ci, low_high,
                          combined, band_method, len(results) + failed, failed,
                          [float(p) for p in points])


def _rubin(results, level: float) -> tuple[float, float] | None:
    z = stats.norm.ppf(0.5 + level / 2)
    logs, within = [], []
    for r in results:
        if r.ci is not None and r.ci[0] > 0 and math.isfinite(r.ci[1]):
            logs.append(math.log(r.estimate))
            within.append(((math.log(r.ci[1]) - math.log(r.ci[0])) / (2 * z)) ** 2)
    if len(logs) < 2:
        return None
    return rubin(logs, within, level)


def rubin(logs: list[float], within: list[float], level: float) -> tuple[float, float]:
    """Rubin's combined interval from per-imputation log estimates and their variances."""
    m = len(logs)
    mean = float(np.mean(logs))
    w = float(np.mean(within))
    b = float(np.var(logs, ddof=1))
    total = w + (1 + 1 / m) * b
    if b > 0:
        df = (m - 1) * (1 + w / ((1 + 1 / m) * b)) ** 2
        q = stats.t.ppf(0.5 + level / 2, df)
    else:
        q = stats.norm.ppf(0.5 + level / 2)
    half = q * math.sqrt(total)
    return math.exp(mean - half), math.exp(mean + half)


def band_table(folder: str | Path, year: int, method: str = "stepwise",
               level: float = 0.95) -> pd.DataFrame:
    """One row per linkage of the band for ``year`` (label, observed persons, estimate and
    interval, or why there is none): the sensitivity of the estimate to the linkage."""
    band = pd.read_csv(Path(folder) / "capture_histories_band.csv")
    band = band[band["year"] == year]
    lists = [c for c in band.columns if c not in ("linkage", "label", "year", "count")]
    rows = []
    for (_, label), part in band.groupby(["linkage", "label"], sort=True):
        row = {"label": label, "observed": int(part["count"].sum()), "estimate": None,
               "ci_low": None, "ci_high": None, "note": ""}
        try:
            r = _fit(part, lists, method, level)
        except (EstimateNotAvailable, MSEInputError) as exc:  # e.g. a list that saw nobody
            row["note"] = str(exc)
        else:
            row.update(estimate=r.estimate, ci_low=r.ci_low, ci_high=r.ci_high)
        rows.append(row)
    return pd.DataFrame(rows, columns=["label", "observed", "estimate", "ci_low", "ci_high",
                                       "note"])

