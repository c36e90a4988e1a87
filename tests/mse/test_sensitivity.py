"""sensitivity(): the estimate with all lists, each list dropped, and the two smallest merged."""

from __future__ import annotations

import pandas as pd
import pytest

from zicht.mse import Stepwise, load_dataset, sensitivity
from zicht.mse.datasets import path
from zicht.mse.sensitivity import variants


@pytest.fixture(scope="module")
def uk5_frame() -> pd.DataFrame:
    """The uk5 CSV read independently of CaptureHistories."""
    with path("uk5").open() as fh:
        return pd.read_csv(fh)


@pytest.fixture(scope="module")
def result() -> pd.DataFrame:
    return sensitivity(load_dataset("uk5"), Stepwise, ci="none")


def test_rows(result, uk5_frame):
    lists = [c for c in uk5_frame.columns if c != "count"]
    assert len(lists) == 5
    assert len(result) == 1 + 5 + 1
    assert result["variant"].iloc[0] == "all lists"
    assert sorted(result["variant"].iloc[1:6]) == sorted(f"without {n}" for n in lists)
    assert result["kind"].tolist() == ["all"] + ["drop"] * 5 + ["merge"]
    assert result["lists"].tolist() == [5] + [4] * 5 + [4]


def test_all_lists_row_is_the_plain_fit(result):
    uk5 = load_dataset("uk5")
    plain = Stepwise().fit(uk5, ci="none")
    assert result["estimate"].iloc[0] == pytest.approx(plain.estimate, rel=1e-12)
    assert result["observed"].iloc[0] == uk5.n_observed == 2744
    assert result["change"].iloc[0] == pytest.approx(0.0)
    assert result["model"].iloc[0] == ", ".join(plain.model)


def test_dropped_rows_count_individuals_on_another_list(result, uk5_frame):
    lists = [c for c in uk5_frame.columns if c != "count"]
    for row in result[result["kind"] == "drop"].itertuples():
        dropped = row.variant.removeprefix("without ")
        others = [n for n in lists if n != dropped]
        on_another = uk5_frame.loc[uk5_frame[others].sum(axis=1) > 0, "count"].sum()
        assert row.observed == int(on_another), row.variant
        assert row.observed < 2744  # every uk5 list has someone seen by it alone


def test_change_is_relative_to_all_lists(result):
    ok = result.dropna(subset=["estimate"])
    base = result["estimate"].iloc[0]
    for row in ok.itertuples():
        assert row.change == pytest.approx(row.estimate / base - 1)


def test_merged_row_merges_the_two_smallest_lists(result, uk5_frame):
    sizes = {c: int(uk5_frame.loc[uk5_frame[c] == 1, "count"].sum())
             for c in uk5_frame.columns if c != "count"}
    a, b = sorted(sizes, key=sizes.get)[:2]
    merged = result.iloc[-1]
    assert merged["kind"] == "merge"
    assert merged["variant"] == f"{a} and {b} merged"
    assert merged["observed"] == 2744  # merging loses no one
    # the merged table really has a+b as one list of the union size
    table = dict((label, t) for _, label, t in variants(load_dataset("uk5")))[merged["variant"]]
    union = int(uk5_frame.loc[(uk5_frame[a] == 1) | (uk5_frame[b] == 1), "count"].sum())
    assert table.list_sizes()[f"{a}+{b}"] == union
