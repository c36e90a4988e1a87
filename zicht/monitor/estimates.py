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
from ..mse.series import SeriesLogLinear, SeriesResult, independent_series, with_joint_trend

SERIES = "series"  # the pooled model over all years (zicht.mse.series), beside the methods

COLUMNS = ("year", "method", "observed", "estimate", "ci_low", "ci_high", "band_low",
           "band_high", "combined_low", "combined_high", "status", "interval")
# The published design, chosen by the series study (docs/ESTIMATION.md, "The series"): each
# year's stepwise estimate with the bootstrap interval that re-selects the model in every
# replicate - the only design whose intervals covered the truth on every shipped scenario with
# a model the data can find; the profile interval (conditional on the chosen model) covered
# 81 % on nl-baseline - and the trend of one model over all years (SERIES), which finds a
# trend the wide single-year intervals miss.
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


def joint_series(linkage_dir: str | Path, level: float = 0.95) -> SeriesResult:
    """One log-linear model over all years of ``capture_histories.csv``
    (:class:`~zicht.mse.series.SeriesLogLinear`; the change intervals come from the joint
    fit)."""
    histories = Path(linkage_dir) / "capture_histories.csv"
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


def series_estimates(linkage_dir: str | Path, method: str = PUBLISHED_METHOD,
                     level: float = 0.95, frame: pd.DataFrame | None = None,
                     joint_trend: bool | None = None) -> SeriesResult:
    """The years as a series, with the change from each year to the next and the trend.

    ``method="series"``: :func:`joint_series`.  Any other method: its yearly estimates
    (``frame``, else :func:`yearly_estimates`) taken as independent, years without an estimate
    left out; with ``joint_trend`` (default: for the published method only) the trend is the
    joint fit's (:func:`~zicht.mse.series.with_joint_trend`), or the years' own where it gives
    none.
    """
    folder = Path(linkage_dir)
    if method == SERIES:
        return joint_series(folder, level)
    yearly = frame if frame is not None else yearly_estimates(folder, method, level)
    ok = yearly[yearly["status"] == "ok"]
    if ok.empty:
        raise MSEInputError(f"{method}: no year has an estimate")
    levels = independent_series(
        str(ok["method"].iloc[0]), [int(y) for y in ok["year"]], ok["observed"].to_numpy(),
        ok["estimate"].to_numpy(), list(zip(ok["ci_low"], ok["ci_high"], strict=True)), level)
    if joint_trend is None:
        joint_trend = method == PUBLISHED_METHOD
    if not joint_trend:
        return levels
    try:
        return with_joint_trend(levels, joint_series(folder, level))
    except MSEInputError:
        return levels


def series_json(result: SeriesResult, provisional_years: int = 1) -> dict:
    """The interface of ``zicht monitor estimates --format json``: the latest
    ``provisional_years`` are provisional (late reports can still change them)."""
    out = result.to_dict()
    last = max(result.periods)
    for row in out["years"]:
        row["provisional"] = row["year"] > last - provisional_years
    return out


def annotate_changes(rows: list[dict], level: float = 0.95, provisional_years: int = 1,
                     joint: dict | None = None) -> dict | None:
    """Add ``change`` (from the year before, with its interval and whether it is significant;
    None for the first year and next to a year without an estimate) and ``provisional`` to
    each published estimate row, in place; return the trend (None with fewer than three
    estimated years).  The rows' published intervals (with the linkage band where there is
    one) give the variances, the years' estimates taken as independent (separate fits).
    ``joint``: the trend of one model over all years (:meth:`Trend.to_dict`, with the years
    it spans), published instead of the years' own where given."""
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
    if joint is not None:  # the joint fit's own span (first, last): it may hold more years
        return {**joint, "from": "series"}
    trend = series.trend()
    return None if trend is None else {**trend.to_dict(), "from": "years"}


# Shares of the victims that no reporter can see, for the sensitivity range: capture-recapture
# estimates the victims no reporter happened to see (the dark number), not those whom no
# reporter could have seen (nothing in the overlap of the lists reveals them), so the
# publication shows what the number would be if they exist instead of pretending to know.
HIDDEN_SHARES = (0.1, 0.25, 0.5)


def hidden_range(row: dict, shares: tuple[float, ...] = HIDDEN_SHARES) -> list[dict]:
    """The published estimate row of a year scaled to a total of which ``share`` cannot be
    seen by any reporter: N / (1 - share), and its published interval likewise; empty without
    an estimate."""
    from .publication import estimate_interval

    est = row.get("estimate")
    if not isinstance(est, int | float) or not math.isfinite(est):
        return []
    low, high = estimate_interval(row)
    out = []
    for share in shares:
        if not 0 <= share < 1:
            raise ValueError(f"a hidden share must lie in [0, 1): {share}")
        f = 1 / (1 - share)
        out.append({"share": share, "estimate": est * f,
                    "ci_low": None if low is None else low * f,
                    "ci_high": None if high is None else high * f})
    return out
