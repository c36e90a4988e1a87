"""CaptureHistories: reading, validation messages, aggregation, dropping and merging lists."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tests.support import assert_error_names, examples, names_column, names_row
from zicht.mse.data import CaptureHistories
from zicht.mse.errors import MSEInputError


def _csv(tmp_path, text: str | bytes, name: str = "table.csv"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _individuals_table(members: np.ndarray, lists) -> CaptureHistories:
    """Brute force: the capture-history table of an individual-level 0/1 matrix."""
    seen = members[members.any(axis=1)]
    patterns, counts = np.unique(seen, axis=0, return_counts=True)
    return CaptureHistories(tuple(lists), patterns, counts)


def _as_dict(table: CaptureHistories) -> dict[tuple[int, ...], int]:
    return {tuple(int(v) for v in p): int(c)
            for p, c in zip(table.patterns, table.counts, strict=True) if c}


# -- from_csv ----------------------------------------------------------------------------------
def test_from_csv_reads_patterns_counts_and_keeps_row_order(tmp_path):
    path = _csv(tmp_path, "police,ngo,shelter,count\n0,0,1,7\n1,0,0,5\n1,1,0, 2\n0,1,1,0\n")
    table = CaptureHistories.from_csv(path)
    assert table.lists == ("police", "ngo", "shelter")
    assert table.patterns.tolist() == [[0, 0, 1], [1, 0, 0], [1, 1, 0], [0, 1, 1]]
    assert table.counts.tolist() == [7, 5, 2, 0]
    assert table.n_observed == 14
    assert table.k == 3
    assert table.list_sizes().to_dict() == {"police": 7, "ngo": 2, "shelter": 7}


def test_from_csv_accepts_a_text_stream():
    table = CaptureHistories.from_csv(io.StringIO("A,B,count\n1,0,3\n0,1,4\n1,1,1\n"))
    assert table.lists == ("A", "B")
    assert table.counts.tolist() == [3, 4, 1]


def test_from_csv_with_another_count_column_name(tmp_path):
    table = CaptureHistories.from_csv(_csv(tmp_path, "A,B,n\n1,0,3\n0,1,4\n"), count="n")
    assert table.lists == ("A", "B")
    assert table.n_observed == 7


# csv text, data row at fault (1-based) or None, column to be named or None, text required
BAD_CSV = {
    "not_01": ("police,ngo,shelter,count\n1,0,0,5\n0,1,0,3\n0,2,1,4\n", 3, "ngo", None),
    "not_01_word": ("police,ngo,count\n1,0,5\nyes,1,3\n", 2, "police", "yes"),
    "not_01_blank": ("police,ngo,count\n1,0,5\n1,,3\n", 2, "ngo", None),
    "negative_count": ("police,ngo,count\n1,0,5\n0,1,-3\n", 2, "count", "negative"),
    "fractional_count": ("police,ngo,count\n1,0,5\n1,1,2.5\n", 2, "count", "2.5"),
    "word_count": ("police,ngo,count\n1,0,5\n1,1,many\n", 2, "count", "many"),
    "all_zero_row": ("police,ngo,count\n1,0,5\n0,0,3\n0,1,2\n", 2, None, None),
    "duplicate_pattern": ("police,ngo,count\n1,0,5\n0,1,3\n1,0,2\n", 3, None, None),
    "one_list": ("police,count\n1,5\n0,3\n", None, None, "two"),
    "empty_file": ("", None, None, "empty"),
    "header_only": ("police,ngo,count\n", None, None, "no rows"),
    "no_count_column": ("police,ngo,n\n1,0,5\n0,1,3\n", None, "count", None),
    "frequency_data": ("nbcap,count\n1,15\n2,7\n", None, None, "frequency"),
    "extra_field": ("police,ngo,count\n1,0,5\n0,1,3,4\n", 2, None, "fields"),
    "extra_field_first_row": ("police,ngo,count\n1,1,0,5\n0,1,3\n", 1, None, "fields"),
}


@pytest.mark.parametrize("case", list(BAD_CSV))
def test_from_csv_error_names_row_and_column(tmp_path, case):
    text, row, column, required = BAD_CSV[case]
    with pytest.raises(MSEInputError) as info:
        CaptureHistories.from_csv(_csv(tmp_path, text))
    assert_error_names(str(info.value), row, column, required)


def test_from_csv_error_points_at_the_first_bad_row_only(tmp_path):
    text = "A,B,count\n1,0,5\n0,1,3\n1,1,x\n0,1,y\n"
    with pytest.raises(MSEInputError) as info:
        CaptureHistories.from_csv(_csv(tmp_path, text))
    message = str(info.value)
    assert names_row(message, 3) and not names_row(message, 4), message


@pytest.mark.parametrize(("make", "required"), [
    (lambda tmp: tmp / "absent.csv", "no such file"),
    (lambda tmp: tmp, "directory"),
    (lambda tmp: _csv(tmp, bytes(range(256)) * 4, "binary.csv"), "binary.csv"),
])
def test_from_csv_unreadable_files(tmp_path, make, required):
    with pytest.raises(MSEInputError, match=re.escape(required)):
        CaptureHistories.from_csv(make(tmp_path))


# -- from_frame --------------------------------------------------------------------------------
def test_from_frame_matches_from_csv(tmp_path):
    text = "A,B,C,count\n1,0,0,40\n0,1,0,30\n0,0,1,20\n1,1,0,6\n"
    frame = pd.DataFrame({"A": [1, 0, 0, 1], "B": [0, 1, 0, 1], "C": [0, 0, 1, 0],
                          "count": [40, 30, 20, 6]})
    a = CaptureHistories.from_frame(frame)
    b = CaptureHistories.from_csv(_csv(tmp_path, text))
    assert a.lists == b.lists == ("A", "B", "C")
    np.testing.assert_array_equal(a.patterns, b.patterns)
    np.testing.assert_array_equal(a.counts, b.counts)
    assert a.to_frame().equals(frame)


def test_from_frame_accepts_bool_and_float_columns():
    frame = pd.DataFrame({"A": [True, False], "B": [0.0, 1.0], "count": [3.0, 4.0]})
    table = CaptureHistories.from_frame(frame)
    assert table.patterns.tolist() == [[1, 0], [0, 1]]
    assert table.counts.tolist() == [3, 4]


@pytest.mark.parametrize(("frame", "row", "column"), [
    (pd.DataFrame({"A": [1, 3], "B": [0, 1], "count": [1, 2]}), 2, "A"),
    (pd.DataFrame({"A": [1, 0], "B": [0, 1], "count": [1, -2]}), 2, "count"),
    (pd.DataFrame({"A": [1, 0], "B": [0, 1], "count": [1.5, 2]}), 1, "count"),
    (pd.DataFrame({"A": [1, 0], "B": [0, 0], "count": [1, 2]}), 2, None),
    (pd.DataFrame({"A": [1, 1], "B": [0, 0], "count": [1, 2]}), 2, None),
])
def test_from_frame_errors_name_row_and_column(frame, row, column):
    with pytest.raises(MSEInputError) as info:
        CaptureHistories.from_frame(frame)
    message = str(info.value)
    assert re.search(rf"\brow {row}\b", message), message
    if column is not None:
        assert names_column(message, column), message


def test_from_frame_rejects_missing_count_and_single_list():
    with pytest.raises(MSEInputError, match="count"):
        CaptureHistories.from_frame(pd.DataFrame({"A": [1], "B": [1]}))
    with pytest.raises(MSEInputError, match="two"):
        CaptureHistories.from_frame(pd.DataFrame({"A": [1], "count": [1]}))


# -- from_individuals --------------------------------------------------------------------------
PEOPLE = [{"A"}, {"A", "B"}, {"B"}, {"A", "B"}, {"C"}, {"A", "C"}, {"A"}, {"A", "B"}]
# per code (bit 0 = A, bit 1 = B, bit 2 = C): A only 2, B only 1, AB 3, C only 1, AC 1
EXPECTED_CELLS = [2, 1, 3, 1, 1, 0, 0]


def test_from_individuals_list_of_sets():
    table = CaptureHistories.from_individuals(PEOPLE)
    assert table.lists == ("A", "B", "C")
    assert table.cell_counts().tolist() == EXPECTED_CELLS
    assert table.n_observed == len(PEOPLE)
    assert _as_dict(table) == {(1, 0, 0): 2, (0, 1, 0): 1, (1, 1, 0): 3, (0, 0, 1): 1,
                               (1, 0, 1): 1}


def test_from_individuals_frame_of_01():
    frame = pd.DataFrame([[int(n in p) for n in "ABC"] for p in PEOPLE], columns=list("ABC"))
    table = CaptureHistories.from_individuals(frame)
    assert table.lists == ("A", "B", "C")
    assert table.cell_counts().tolist() == EXPECTED_CELLS
    bools = CaptureHistories.from_individuals(frame.astype(bool))
    assert bools.cell_counts().tolist() == EXPECTED_CELLS


def test_from_individuals_respects_given_list_order():
    table = CaptureHistories.from_individuals(PEOPLE, lists=["C", "B", "A", "D"])
    assert table.lists == ("C", "B", "A", "D")
    assert table.list_sizes().to_dict() == {"C": 2, "B": 4, "A": 6, "D": 0}


def test_from_individuals_errors():
    with pytest.raises(MSEInputError, match="individual 2"):
        CaptureHistories.from_individuals([{"A"}, set(), {"B"}])
    with pytest.raises(MSEInputError, match="individual 3"):
        CaptureHistories.from_individuals(pd.DataFrame({"A": [1, 0, 0], "B": [0, 1, 0]}))
    with pytest.raises(MSEInputError, match="X"):
        CaptureHistories.from_individuals([{"A"}, {"X"}], lists=["A", "B"])
    with pytest.raises(MSEInputError, match="two"):
        CaptureHistories.from_individuals([{"A"}, {"A"}])
    with pytest.raises(MSEInputError, match="'B'"):
        CaptureHistories.from_individuals(pd.DataFrame({"A": [1, 0], "B": [0, 2]}))


# -- cell_counts -------------------------------------------------------------------------------
def test_cell_counts_index_is_code_minus_one_with_bit_i_for_list_i():
    table = CaptureHistories(("A", "B", "C"),
                             [[0, 0, 1], [1, 0, 0], [1, 1, 1], [0, 1, 0], [0, 1, 1]],
                             [10, 20, 30, 40, 50])
    cells = table.cell_counts()
    assert cells.shape == (7,)
    assert cells[1 - 1] == 20  # A only: code 1
    assert cells[2 - 1] == 40  # B only: code 2
    assert cells[4 - 1] == 10  # C only: code 4
    assert cells[6 - 1] == 50  # B and C: code 6
    assert cells[7 - 1] == 30  # all three: code 7
    assert cells[3 - 1] == cells[5 - 1] == 0  # AB, AC unseen
    assert table.codes.tolist() == [4, 1, 7, 2, 6]


# -- drop_list / merge_lists -------------------------------------------------------------------
@pytest.fixture
def people() -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(20240601)
    members = (rng.random((500, 4)) < [0.3, 0.15, 0.05, 0.4]).astype(np.int8)
    members = members[members.any(axis=1)]
    return members, ["LA", "NG", "PF", "GO"]


def test_drop_list_against_individual_level_recount(people):
    members, lists = people
    table = CaptureHistories.from_individuals(pd.DataFrame(members, columns=lists))
    for j, name in enumerate(lists):
        dropped = table.drop_list(name)
        keep = [i for i in range(len(lists)) if i != j]
        expected = _individuals_table(members[:, keep], [lists[i] for i in keep])
        assert dropped.lists == expected.lists
        assert _as_dict(dropped) == _as_dict(expected)
        only_on_dropped = int((members[:, j].astype(bool) & ~members[:, keep].any(axis=1)).sum())
        assert dropped.n_observed == len(members) - only_on_dropped
        assert (dropped.patterns.sum(axis=1) > 0).all()
        assert len(set(map(tuple, dropped.patterns.tolist()))) == len(dropped.counts)


def test_drop_list_small_example():
    table = CaptureHistories(("A", "B", "C"), [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1],
                                               [0, 1, 1]], [5, 6, 7, 8, 9])
    dropped = table.drop_list("C")
    assert dropped.lists == ("A", "B")
    # A only: 5 + 8 (from AC); B only: 6 + 9 (from BC); C-only individuals (7) are gone
    assert _as_dict(dropped) == {(1, 0): 13, (0, 1): 15}
    assert dropped.n_observed == 28


def test_drop_list_errors():
    two = CaptureHistories(("A", "B"), [[1, 0], [1, 1]], [1, 2])
    with pytest.raises(MSEInputError):
        two.drop_list("A")
    three = CaptureHistories(("A", "B", "C"), [[1, 0, 0]], [1])
    with pytest.raises(MSEInputError, match="Z"):
        three.drop_list("Z")


def test_merge_lists_is_or_of_the_two_columns(people):
    members, lists = people
    table = CaptureHistories.from_individuals(pd.DataFrame(members, columns=lists))
    merged = table.merge_lists("NG", "GO")
    assert merged.lists == ("LA", "NG+GO", "PF")
    combined = np.column_stack([members[:, 0], members[:, 1] | members[:, 3], members[:, 2]])
    assert _as_dict(merged) == _as_dict(_individuals_table(combined, merged.lists))
    assert merged.n_observed == table.n_observed
    assert merged.list_sizes()["NG+GO"] == int((members[:, 1] | members[:, 3]).sum())


def test_merge_lists_small_example_and_name():
    table = CaptureHistories(("A", "B", "C"), [[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1],
                                               [0, 1, 1]], [5, 6, 7, 8, 9])
    merged = table.merge_lists("A", "B", name="AB")
    assert merged.lists == ("AB", "C")
    assert _as_dict(merged) == {(1, 0): 18, (0, 1): 8, (1, 1): 9}
    with pytest.raises(MSEInputError):
        table.merge_lists("A", "A")
    with pytest.raises(MSEInputError):
        table.merge_lists("A", "Q")


# -- properties --------------------------------------------------------------------------------
@st.composite
def membership(draw):
    k = draw(st.integers(3, 6))
    n = draw(st.integers(1, 60))
    mat = draw(arrays(np.int8, (n, k), elements=st.integers(0, 1)))
    seen = mat[mat.any(axis=1)]
    if len(seen) == 0:
        seen = np.eye(k, dtype=np.int8)[:1]
    return seen


@settings(max_examples=examples(150), deadline=None)
@given(membership(), st.data())
def test_property_cell_counts_and_drop_list(members, data):
    n, k = members.shape
    lists = [f"L{i}" for i in range(k)]
    table = CaptureHistories.from_individuals(pd.DataFrame(members, columns=lists))
    codes = (members.astype(np.int64) << np.arange(k)).sum(axis=1)
    expected = np.bincount(codes, minlength=2**k)[1:]
    np.testing.assert_array_equal(table.cell_counts(), expected)
    assert table.n_observed == n

    j = data.draw(st.integers(0, k - 1), label="dropped list")
    dropped = table.drop_list(lists[j])
    others = np.delete(members, j, axis=1)
    assert dropped.n_observed == int(others.any(axis=1).sum())
    assert dropped.lists == tuple(lists[:j] + lists[j + 1:])


def test_repeated_column_name_in_csv_header_is_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("A,A,count\n1,0,3\n0,1,2\n")
    with pytest.raises(MSEInputError, match="duplicate column name.*A"):
        CaptureHistories.from_csv(path)
