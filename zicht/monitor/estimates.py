"""The estimate per year from a ``zicht link`` folder, as the table the indicators read.

One row per year: the method, observed persons, estimate, its statistical interval, the linkage
band and the combined interval (``zicht.linked_estimate``).  A year without an estimate gets a
row with the reason instead of numbers, so a gap is visible, not silent.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..linked_estimate import estimate_with_linkage
from ..mse import EstimateNotAvailable, MSEInputError
from ..mse.series import SeriesLogLinear, SeriesResult, independent_series

SERIES = "series"  # the pooled model over all years (zicht.mse.series), beside the methods

COLUMNS = ("year", "method", "observed", "estimate", "ci_low", "ci_high", "band_low",
           "band_high", "combined_low", "combined_high", "status", "interval")
# The published design, chosen by the series study (docs/ESTIMATION.md, "The series"): each
# year's stepwise estimate with the bootstrap interval that re-selects the model in every
# replicate - the only design whose intervals covered the truth on every shipped scenario with
# a model the data can find; the profile interval (conditional on the chosen model) covered
# 81 % on nl-baseline.
PUBLISHED_METHOD = "stepwise"
PUBLISHED_CI = "bootstrap"


def yearly_estimates(linkage_dir: str | Path, method: str = PUBLISHED_METHOD,
                     level: float = 0.95, ci: str = PUBLISHED_CI) -> pd.DataFrame:
    folder = Path(linkage_dir)
    histories = folder / "capture_histories.csv"
    # a missing file is an error; a year whose table gives no estimate is a row saying why
    for file in (histories, folder / "capture_histories_band.csv"):
        if not file.exists():
            raise MSEInputError(f"{file}: not found (run `zicht link` first)")
    years = sorted(int(y) for y in pd.read_csv(histories, usecols=["year"])["year"].unique())
    rows = []
    for year in years:
        try:
            e = estimate_with_linkage(folder, year, method, level, ci)
        except (EstimateNotAvailable, MSEInputError) as exc:  # e.g. a list saw nobody
            rows.append({"year": year, "method": method, "status": f"no estimate: {exc}",
                         "interval": ci})
            continue
        interval = e.interval or (None, None)
        combined = e.combined or (None, None)
        rows.append({"year": year, "method": e.method, "observed": e.observed,
                     "estimate": e.estimate, "ci_low": interval[0], "ci_high": interval[1],
                     "band_low": e.linkage_band[0], "band_high": e.linkage_band[1],
                     "combined_low": combined[0], "combined_high": combined[1],
                     "status": "ok", "interval": ci})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def series_estimates(linkage_dir: str | Path, method: str = "stepwise", level: float = 0.95,
                     frame: pd.DataFrame | None = None) -> SeriesResult:
    """The years as a series, with the change from each year to the next and the trend.

    ``method="series"``: one log-linear model over all years of ``capture_histories.csv``
    (:class:`~zicht.mse.series.SeriesLogLinear`; the change intervals come from the joint fit).
    Any other method: its yearly estimates (``frame``, else :func:`yearly_estimates`) taken as
    independent; years without an estimate are left out of the series.
    """
    folder = Path(linkage_dir)
    if method == SERIES:
        histories = folder / "capture_histories.csv"
        if not histories.exists():
            raise MSEInputError(f"{histories}: not found (run `zicht link` first)")
        long = pd.read_csv(histories)
        if "year" not in long.columns:
            raise MSEInputError(f"{histories}: no year column")
        lists = [c for c in long.columns if c not in ("year", "count") and long[c].any()]
        long = long.groupby(["year", *lists], as_index=False)["count"].sum()
        try:
            return SeriesLogLinear(covariates=["year"], level=level).fit(long)
        except EstimateNotAvailable as exc:
            raise MSEInputError(f"series: {exc}") from exc
    yearly = frame if frame is not None else yearly_estimates(folder, method, level)
    ok = yearly[yearly["status"] == "ok"]
    if ok.empty:
        raise MSEInputError(f"{method}: no year has an estimate")
    return independent_series(
        str(ok["method"].iloc[0]), [int(y) for y in ok["year"]], ok["observed"].to_numpy(),
        ok["estimate"].to_numpy(), list(zip(ok["ci_low"], ok["ci_high"], strict=True)), level)


def series_json(result: SeriesResult, provisional_years: int = 1) -> dict:
    """The interface of ``zicht monitor estimates --format json``: the latest
    ``provisional_years`` are provisional (late reports can still change them)."""
    out = result.to_dict()
    last = max(result.periods)
    for row in out["years"]:
        row["provisional"] = row["year"] > last - provisional_years
    return out


def annotate_changes(rows: list[dict], level: float = 0.95, provisional_years: int = 1
                     ) -> dict | None:
    """Add ``change`` (from the year before, with its interval and whether it is significant;
    None for the first year and next to a year without an estimate) and ``provisional`` to
    each published estimate row, in place; return the trend (None with fewer than three
    estimated years).  The rows' published intervals (with the linkage band where there is
    one) give the variances, the years' estimates taken as independent (separate fits)."""
    from .publication import estimate_interval

    if not rows:
        return None
    last = max(int(r["year"]) for r in rows)
    for r in rows:
        r["provisional"] = int(r["year"]) > last - provisional_years
        r.setdefault("change", None)
    def number(x: object) -> bool:
        return isinstance(x, int | float) and math.isfinite(x)

    ok = [r for r in rows if all(number(x) for x in (r.get("estimate"), r.get("observed"),
                                                   *estimate_interval(r)))]
    if not ok:
        return None
    series = independent_series(
        str(ok[0].get("method")), [int(r["year"]) for r in ok], [r["observed"] for r in ok],
        [r["estimate"] for r in ok], [estimate_interval(r) for r in ok], level)
    for r, prev, change in zip(ok, [None, *ok[:-1]], series.changes(), strict=True):
        consecutive = prev is not None and int(prev["year"]) == int(r["year"]) - 1
        r["change"] = change.to_dict() if change is not None and consecutive else None
    trend = series.trend()
    return None if trend is None else trend.to_dict()
