"""The estimate per year from a ``zicht link`` folder, as the table the indicators read.

One row per year: the method, observed persons, estimate, its statistical interval, the linkage
band and the combined interval (``zicht.linked_estimate``).  A year without an estimate gets a
row with the reason instead of numbers, so a gap is visible, not silent.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..linked_estimate import estimate_with_linkage
from ..mse import EstimateNotAvailable, MSEInputError

COLUMNS = ("year", "method", "observed", "estimate", "ci_low", "ci_high", "band_low",
           "band_high", "combined_low", "combined_high", "status")


def yearly_estimates(linkage_dir: str | Path, method: str = "stepwise",
                     level: float = 0.95) -> pd.DataFrame:
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
            e = estimate_with_linkage(folder, year, method, level)
        except (EstimateNotAvailable, MSEInputError) as exc:  # e.g. a list saw nobody
            rows.append({"year": year, "method": method, "status": f"no estimate: {exc}"})
            continue
        ci = e.interval or (None, None)
        combined = e.combined or (None, None)
        rows.append({"year": year, "method": e.method, "observed": e.observed,
                     "estimate": e.estimate, "ci_low": ci[0], "ci_high": ci[1],
                     "band_low": e.linkage_band[0], "band_high": e.linkage_band[1],
                     "combined_low": combined[0], "combined_high": combined[1],
                     "status": "ok"})
    return pd.DataFrame(rows, columns=list(COLUMNS))
