"""The estimate with its linkage band: how much of the uncertainty is linkage's.

Composes two stages (part of neither): :mod:`zicht.linkage` writes, besides the capture
histories of its best linkage, those of many *plausible* linkages (each undecided pair linked
with its match probability: ``capture_histories_samples.csv``); :mod:`zicht.mse` estimates
each.  The result gives, for one year:

- the **estimate** and its statistical interval on the best linkage (threshold clustering);
- the **linkage band**: the 2.5-97.5 % range of the point estimates over the sampled linkages
  (what linkage alone could not settle);
- a **combined interval** by Rubin's rules for multiple imputation (the linkages are the
  imputations of the unknown true links), on the log scale where the intervals are nearly
  symmetric: total variance = mean within-linkage variance + (1 + 1/m) x between-linkage
  variance, with within-linkage variances read off each profile interval, and Rubin's degrees
  of freedom.
"""

from __future__ import annotations

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
    samples: int
    samples_without_estimate: int
    sample_estimates: list[float] = field(repr=False, default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _table(frame: pd.DataFrame, lists: list[str]) -> CaptureHistories:
    return CaptureHistories.from_frame(frame[[*lists, "count"]].reset_index(drop=True))


def _fit(frame: pd.DataFrame, lists: list[str], method: str, level: float):
    return make_estimator(method).fit(_table(frame, lists), ci="profile", level=level)


def estimate_with_linkage(folder: str | Path, year: int, method: str = "stepwise",
                          level: float = 0.95) -> LinkedEstimate:
    """The estimate for ``year`` from a ``zicht link`` folder (see the module's text)."""
    folder = Path(folder)
    main_file = folder / "capture_histories.csv"
    samples_file = folder / "capture_histories_samples.csv"
    for file in (main_file, samples_file):
        if not file.exists():
            raise MSEInputError(f"{file}: not found (run `zicht link` with --samples > 0)")
    main = pd.read_csv(main_file)
    lists = [c for c in main.columns if c not in ("year", "count")]
    this_year = main[main["year"] == year]
    if this_year.empty:
        years = ", ".join(str(y) for y in sorted(main["year"].unique()))
        raise MSEInputError(f"no persons in {year}; the linkage has years {years}")
    best = _fit(this_year, lists, method, level)
    sampled = pd.read_csv(samples_file)
    sampled = sampled[sampled["year"] == year]
    points, logs, within = [], [], []
    failed = 0
    z = stats.norm.ppf(0.5 + level / 2)
    for _, part in sampled.groupby("sample"):
        try:
            result = _fit(part, lists, method, level)
        except EstimateNotAvailable:
            failed += 1
            continue
        points.append(result.estimate)
        if result.ci is not None and result.ci[0] > 0 and math.isfinite(result.ci[1]):
            logs.append(math.log(result.estimate))
            within.append(((math.log(result.ci[1]) - math.log(result.ci[0])) / (2 * z)) ** 2)
    if not points:
        raise EstimateNotAvailable(f"no sampled linkage of {year} gave an estimate")
    band = tuple(float(x) for x in np.percentile(points, [2.5, 97.5]))
    combined = _rubin(logs, within, level) if len(logs) >= 2 else None
    return LinkedEstimate(year, best.method, best.observed, best.estimate, best.ci, band,
                          combined, len(points) + failed, failed, [float(p) for p in points])


def _rubin(logs: list[float], within: list[float], level: float) -> tuple[float, float]:
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
