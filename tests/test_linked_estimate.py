"""The estimate's sensitivity to the linkage (band_table) and the yearly estimates: a year whose
table cannot be estimated (a list that saw nobody) is a row saying why, not an exception."""

import pandas as pd
import pytest

from zicht.linked_estimate import band_table
from zicht.monitor.estimates import yearly_estimates
from zicht.mse import MSEInputError

LISTS = ("A", "B", "C")
# 2024: three lists overlapping; 2023: list C saw nobody
CELLS = {(1, 0, 0): 120, (0, 1, 0): 90, (0, 0, 1): 70, (1, 1, 0): 30, (1, 0, 1): 20,
         (0, 1, 1): 15, (1, 1, 1): 6}


def _write(folder, linkages=(("threshold 0.5", 1.0), ("threshold 0.9", 0.9))):
    main, band = [], []
    for year in (2023, 2024):
        for cell, n in CELLS.items():
            if year == 2023 and cell[2] == 1:
                continue
            main.append({"year": year, **dict(zip(LISTS, cell, strict=True)), "count": n})
            for i, (label, f) in enumerate(linkages):
                band.append({"linkage": i, "label": label, "year": year,
                             **dict(zip(LISTS, cell, strict=True)), "count": round(n * f)})
    pd.DataFrame(main).to_csv(folder / "capture_histories.csv", index=False)
    pd.DataFrame(band).to_csv(folder / "capture_histories_band.csv", index=False)


def test_band_table_explains_a_list_that_saw_nobody(tmp_path):
    _write(tmp_path)
    ok = band_table(tmp_path, 2024)
    assert list(ok["label"]) == ["threshold 0.5", "threshold 0.9"]
    assert ok["estimate"].notna().all() and (ok["estimate"] > ok["observed"]).all()
    empty = band_table(tmp_path, 2023)
    assert empty["estimate"].isna().all()
    assert empty["note"].str.contains("saw nobody").all()


def test_yearly_estimates_give_a_row_per_year_even_without_an_estimate(tmp_path):
    _write(tmp_path)
    frame = yearly_estimates(tmp_path).set_index("year")
    assert frame.loc[2024, "status"] == "ok" and frame.loc[2024, "estimate"] > 301
    assert frame.loc[2023, "status"].startswith("no estimate") and "saw nobody" in \
        frame.loc[2023, "status"]
    (tmp_path / "capture_histories_band.csv").unlink()
    with pytest.raises(MSEInputError, match="capture_histories_band.csv: not found"):
        yearly_estimates(tmp_path)
