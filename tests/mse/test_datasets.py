"""The shipped datasets load, and agree with the R packages' own counts (reference.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from zicht.mse.data import CaptureHistories
from zicht.mse.datasets import (
    DATASETS,
    list_datasets,
    load_dataset,
    load_frequencies,
    path,
)
from zicht.mse.errors import MSEInputError

REFERENCE = Path(__file__).resolve().parents[1] / "references" / "reference.json"
REF_BY_FILE = {d["file"]: d for d in json.loads(REFERENCE.read_text())["datasets"]}
LISTS = [name for name, d in DATASETS.items() if d.kind == "lists"]
FREQUENCY = [name for name, d in DATASETS.items() if d.kind == "frequency"]


def _reference(name: str) -> dict:
    ref = REF_BY_FILE.get(DATASETS[name].file)
    if ref is None:
        pytest.skip(f"{DATASETS[name].file} is not in reference.json")
    return ref


def test_there_are_both_kinds():
    assert "uk5" in LISTS and "netherlands" in LISTS
    assert FREQUENCY


@pytest.mark.parametrize("name", LISTS)
def test_list_dataset_loads_and_matches_reference(name):
    table = load_dataset(name)
    assert isinstance(table, CaptureHistories)
    ref = _reference(name)
    assert table.n_observed == ref["n_observed"]
    assert table.k == ref["nlists"]
    assert list(table.lists) == ref["lists"].split(",")
    assert len(table.counts) == ref["nrows"]


@pytest.mark.parametrize("name", LISTS)
def test_load_by_file_name_gives_the_same_table(name):
    a, b = load_dataset(name), load_dataset(DATASETS[name].file)
    assert a.lists == b.lists
    assert a.counts.tolist() == b.counts.tolist()
    assert a.patterns.tolist() == b.patterns.tolist()


@pytest.mark.parametrize("name", FREQUENCY)
def test_frequency_dataset_is_refused_by_load_dataset(name):
    with pytest.raises(MSEInputError, match="frequenc"):
        load_dataset(name)


@pytest.mark.parametrize("name", FREQUENCY)
def test_frequency_dataset_loads_with_load_frequencies(name):
    frame = load_frequencies(name)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["nbcap", "count"]
    assert (frame["nbcap"] >= 1).all() and (frame["count"] >= 0).all()
    ref = _reference(name)
    assert int(frame["count"].sum()) == ref["n_observed"]
    assert len(frame) == ref["nrows"]


@pytest.mark.parametrize("name", FREQUENCY)
def test_frequency_file_is_refused_by_from_csv(name):
    with pytest.raises(MSEInputError, match="frequency"):
        CaptureHistories.from_csv(path(name))


def test_unknown_dataset():
    with pytest.raises(MSEInputError, match="no_such_data"):
        load_dataset("no_such_data")


def test_every_shipped_csv_is_registered():
    data_dir = Path(str(path("uk5"))).parent
    shipped = {p.name for p in data_dir.glob("*.csv")}
    assert shipped == {d.file for d in DATASETS.values()}


def test_list_datasets_table():
    table = list_datasets().set_index("name")
    assert list(table.index) == list(DATASETS)
    assert table.loc["uk5", "observed"] == 2744
    assert table.loc["uk5", "lists"] == 5
    assert table.loc["netherlands", "observed"] == 8234
    for name in FREQUENCY:
        assert table.loc[name, "kind"] == "frequency"
