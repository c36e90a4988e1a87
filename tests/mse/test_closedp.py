"""Rcapture 1.4-4 ``closedp.t`` (Baillargeon & Rivest 2007) against the stored R results."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from zicht.mse.closedp import CLI_NAMES, CLOSEDP_MODELS, closedp_table, fit_closedp
from zicht.mse.data import CaptureHistories
from zicht.mse.errors import MSEInputError

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "tests" / "references" / "reference.json"
DATA = ROOT / "zicht" / "mse" / "datasets" / "data"


def _rows():
    entries = json.loads(REFERENCE.read_text())["results"]
    for entry in entries:
        if entry["method"] != "Rcapture::closedp.t":
            continue
        for row in entry["models"]:
            # infoFit != 0 rows (Rcapture's flagged fits) are matched too, so they are tested
            flag = "" if row["infoFit"] == 0 else f"-infoFit{row['infoFit']}"
            name = entry["dataset"].removesuffix(".csv")
            yield pytest.param(entry["dataset"], row, id=f"{name}:{row['model']}{flag}")


@cache
def _table(dataset: str):
    return closedp_table(CaptureHistories.from_csv(DATA / dataset)).set_index("model")


@pytest.mark.parametrize(("dataset", "ref"), list(_rows()))
def test_closedp_matches_rcapture(dataset, ref):
    got = _table(dataset).loc[ref["model"]]
    assert got["abundance"] == pytest.approx(ref["abundance"], rel=1e-4)
    assert got["deviance"] == pytest.approx(ref["deviance"], rel=1e-6, abs=1e-6)
    assert got["df"] == ref["df"]
    assert got["AIC"] == pytest.approx(ref["AIC"], rel=1e-6)
    assert got["BIC"] == pytest.approx(ref["BIC"], rel=1e-6)
    assert got["stderr"] == pytest.approx(ref["stderr"], rel=1e-3)


def test_names_and_errors():
    y = CaptureHistories.from_csv(DATA / "Rcapture__hare.csv").cell_counts()
    assert set(CLI_NAMES.values()) == set(CLOSEDP_MODELS)
    a, b = fit_closedp(6, y, "Mth-chao"), fit_closedp(6, y, "Mth Chao (LB)")
    assert a.estimate == b.estimate and a.df == 52
    with pytest.raises(MSEInputError):
        fit_closedp(6, y, "Mx")
    table = _table("Rcapture__hare.csv")
    assert list(table.columns) == ["abundance", "stderr", "deviance", "df", "AIC", "BIC"]
    assert np.isfinite(table.to_numpy(dtype=float)).all()
