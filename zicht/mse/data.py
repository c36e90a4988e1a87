"""Capture-history tables: the one input every estimator in :mod:`zicht.mse` reads.

A capture-history table has one 0/1 column per list and a ``count`` column: the number of
distinct individuals with exactly that pattern of list membership.  Row order is kept, because
SparseMSE's bootstrap resamples the input rows in their given order.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO

import numpy as np
import pandas as pd

from ._types import Array, IntArray
from .errors import MSEInputError

COUNT = "count"
MAX_COUNT = 2**53  # largest count a float64 holds exactly
CsvSource = str | os.PathLike[str] | io.TextIOBase | IO[str]  # a CSV file by name, or open


@dataclass(frozen=True)
class CaptureHistories:
    """Observed capture patterns (rows) over ``lists`` with their ``counts``."""

    lists: tuple[str, ...]
    patterns: np.ndarray  # (rows, k) of 0/1, input order
    counts: np.ndarray  # (rows,) non-negative integers

    def __post_init__(self) -> None:
        pats = np.asarray(self.patterns, dtype=np.int8)
        cnts = np.asarray(self.counts, dtype=np.int64)
        object.__setattr__(self, "patterns", pats)
        object.__setattr__(self, "counts", cnts)
        object.__setattr__(self, "lists", tuple(str(x) for x in self.lists))
        _validate(self.lists, pats, cnts)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_frame(cls, frame: pd.DataFrame, count: str = COUNT) -> CaptureHistories:
        """From a DataFrame with one 0/1 column per list and a count column."""
        return _from_frame(frame, count=count, line_offset=None)

    @classmethod
    def from_csv(
        cls, path: CsvSource, count: str = COUNT
    ) -> CaptureHistories:
        """Read a CSV file in the shared format (``A,B,...,count``)."""
        frame = read_csv_strict(path)
        return _from_frame(frame, count=count, line_offset=2)

    @classmethod
    def from_individuals(
        cls, membership: pd.DataFrame | Iterable[Iterable[str]], lists: Sequence[str] | None = None
    ) -> CaptureHistories:
        """Aggregate individual-level membership into a capture-history table.

        ``membership`` is either a DataFrame with one row per individual and one 0/1 (or bool)
        column per list, or an iterable giving, per individual, the names of the lists that saw
        them.  Individuals on no list are an error: they cannot have been observed.
        """
        if isinstance(membership, pd.DataFrame):
            frame = membership[list(lists)] if lists is not None else membership
            names = [str(c) for c in frame.columns]
            pats = np.column_stack(
                [_column_01(frame[c], str(c), None) for c in frame.columns]
            ) if len(frame.columns) else np.zeros((len(frame), 0), dtype=np.int8)
        else:
            rows = [frozenset(map(str, r)) for r in membership]
            seen = set().union(*rows) if rows else set()
            names = list(lists) if lists is not None else sorted(seen)
            unknown = seen - set(names)
            if unknown:
                raise MSEInputError(f"unknown list name(s): {', '.join(sorted(unknown))}")
            pats = np.array([[1 if n in r else 0 for n in names] for r in rows], dtype=np.int8)
            pats = pats.reshape(len(rows), len(names))
        if len(names) < 2:
            raise MSEInputError(f"need at least two lists, found {len(names)}")
        empty = np.flatnonzero(pats.sum(axis=1) == 0)
        if empty.size:
            raise MSEInputError(f"individual {int(empty[0]) + 1} is on no list")
        return _aggregate(names, pats, np.ones(len(pats), dtype=np.int64))

    # -- views ----------------------------------------------------------------------------------
    @property
    def k(self) -> int:
        """Number of lists."""
        return len(self.lists)

    @property
    def n_observed(self) -> int:
        """Number of distinct individuals seen by at least one list."""
        return int(self.counts.sum())

    @property
    def codes(self) -> np.ndarray:
        """Cell code of each row: bit i set when the individual is on list i."""
        return pattern_codes(self.patterns)

    def cell_counts(self) -> np.ndarray:
        """Counts over all 2^k - 1 observable cells, indexed by code - 1."""
        out = np.zeros(2**self.k - 1, dtype=np.int64)
        np.add.at(out, self.codes - 1, self.counts)
        return out

    def list_sizes(self) -> pd.Series:
        """Number of individuals on each list."""
        return pd.Series(self.counts @ self.patterns, index=list(self.lists), name="size")

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.patterns.astype(np.int64), columns=list(self.lists))
        frame[COUNT] = self.counts
        return frame

    # -- transformations ------------------------------------------------------------------------
    def drop_list(self, name: str) -> CaptureHistories:
        """The table without list ``name``; individuals seen only by it become unobserved."""
        self._require(name)
        if self.k <= 2:
            raise MSEInputError("cannot drop a list from a table with only two lists")
        keep = [i for i, n in enumerate(self.lists) if n != name]
        return _aggregate([self.lists[i] for i in keep], self.patterns[:, keep], self.counts)

    def merge_lists(self, a: str, b: str, name: str | None = None) -> CaptureHistories:
        """The table with lists ``a`` and ``b`` merged into one (on either means on the merged)."""
        self._require(a)
        self._require(b)
        if a == b:
            raise MSEInputError("cannot merge a list with itself")
        ia, ib = self.lists.index(a), self.lists.index(b)
        pats = self.patterns.copy()
        pats[:, ia] = np.maximum(pats[:, ia], pats[:, ib])
        names = list(self.lists)
        names[ia] = name or f"{a}+{b}"
        keep = [i for i in range(self.k) if i != ib]
        return _aggregate([names[i] for i in keep], pats[:, keep], self.counts)

    def _require(self, name: str) -> None:
        if name not in self.lists:
            raise MSEInputError(f"no list named {name!r} (lists: {', '.join(self.lists)})")

    def __repr__(self) -> str:
        return (f"CaptureHistories(lists={list(self.lists)}, rows={len(self.counts)}, "
                f"n={self.n_observed})")


def pattern_codes(patterns: np.ndarray) -> np.ndarray:
    """Cell code of each 0/1 row: bit i set when list i is 1 (cells are indexed code - 1)."""
    patterns = np.asarray(patterns)
    return np.asarray(np.sum(patterns.astype(np.int64) << np.arange(patterns.shape[-1]),
                             axis=-1))


def read_csv_strict(path: CsvSource) -> pd.DataFrame:
    """A CSV file as strings, every way it can fail turned into a one-line
    :class:`MSEInputError` naming the file (and the line, where one is at fault); a repeated
    column name is refused.  Shared by every reader of :mod:`zicht.mse`."""
    name = os.fspath(path) if isinstance(path, str | os.PathLike) else "<stream>"
    try:
        # index_col=False: a row with an extra field must not silently become the index
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(path, dtype=str, keep_default_na=False,
                                skipinitialspace=True, index_col=False)
    except FileNotFoundError:
        raise MSEInputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise MSEInputError(f"{name}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise MSEInputError(f"{name}: cannot read the file ({exc.strerror or exc})") from None
    except pd.errors.ParserWarning:
        raise MSEInputError(
            f"{name}: {_long_row(path)} has more fields than the header"
        ) from None
    except pd.errors.EmptyDataError:
        raise MSEInputError(f"{name}: the file is empty") from None
    except pd.errors.ParserError as exc:
        raise MSEInputError(f"{name}: not a valid CSV file ({str(exc).strip()})") from None
    except UnicodeDecodeError:
        raise MSEInputError(f"{name}: not a text (UTF-8) CSV file") from None
    _check_header(path, name)
    return frame


def _check_header(path: CsvSource, name: str) -> None:
    """pandas renames a repeated column to ``A.1``; read the raw header to refuse it."""
    first: str
    if isinstance(path, str | os.PathLike):
        with open(path, encoding="utf-8") as fh:
            first = fh.readline()
    else:
        if not path.seekable():
            return
        path.seek(0)
        first = path.readline()
    header = [c.strip() for c in next(csv.reader([first]), [])]
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        raise MSEInputError(f"{name}: duplicate column name(s) in the header: {', '.join(dup)}")


def _aggregate(lists: Sequence[str], pats: np.ndarray, counts: np.ndarray
               ) -> CaptureHistories:
    """Drop all-zero patterns, sum duplicate patterns (first-seen order kept)."""
    pats = np.asarray(pats, dtype=np.int8)
    seen = pats.sum(axis=1) > 0
    pats, counts = pats[seen], np.asarray(counts, dtype=np.int64)[seen]
    codes = pattern_codes(pats)
    uniq, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    summed = np.zeros(uniq.size, dtype=np.int64)
    np.add.at(summed, rank[inverse], counts)
    return CaptureHistories(tuple(lists), pats[first[order]], summed)


def _long_row(path: CsvSource) -> str:
    """'line n' of the first row with more fields than the header, for the error message."""
    try:
        if isinstance(path, str | os.PathLike):
            with open(path, encoding="utf-8", newline="") as fh:
                text = fh.read()
        else:
            path.seek(0)
            text = path.read()
    except (OSError, ValueError):
        return "a row"
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    header = next(reader, [])
    for row in reader:
        if len(row) > len(header):
            return f"line {reader.line_num}"
    return "a row"


def _row_label(i: int, line_offset: int | None) -> str:
    return f"row {i + 1}" + (f" (line {i + line_offset})" if line_offset is not None else "")


# -- the row checks every reader shares (capture histories, frequencies, strata) ------------------
def frame_with_names(frame: object) -> pd.DataFrame:
    """A copy of ``frame`` with its column names as stripped strings (a DataFrame is required)."""
    if not isinstance(frame, pd.DataFrame):
        raise MSEInputError("expected a pandas DataFrame")
    out = frame.copy()
    out.columns = [str(c).strip() for c in frame.columns]
    return out


def require_column(columns: Sequence[str], name: str, hint: str = "") -> None:
    """Refuse a table without column ``name``, listing the columns it has."""
    if name not in columns:
        found = ", ".join(columns) or "none"
        raise MSEInputError(f"missing column {name!r} (columns found: {found}){hint}")


def require_unique_columns(columns: Sequence[str]) -> None:
    dup = sorted({c for c in columns if list(columns).count(c) > 1})
    if dup:
        raise MSEInputError(f"duplicate column name(s): {', '.join(dup)}")


def require_rows(frame: pd.DataFrame) -> None:
    if len(frame) == 0:
        raise MSEInputError("the table has no rows")


def refuse_unobserved_rows(pats: Array, line_offset: int | None) -> None:
    """Refuse a row whose list columns are all 0 (nobody can be observed on no list)."""
    zero = np.flatnonzero(pats.sum(axis=1) == 0)
    if zero.size:
        raise MSEInputError(
            f"{_row_label(int(zero[0]), line_offset)}: all list columns are 0 — the unobserved "
            "pattern cannot be in the table"
        )


def refuse_repeats(keys: Array, line_offset: int | None, what: str, rule: str) -> None:
    """Refuse the first row whose key repeats an earlier row's (``what`` repeat(s) ...)."""
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    dups = np.flatnonzero(first[inverse] != np.arange(len(keys)))
    if dups.size:
        i = int(dups[0])
        raise MSEInputError(
            f"{_row_label(i, line_offset)}: {what} "
            f"{_row_label(int(first[inverse[i]]), line_offset)}; {rule}"
        )


def _from_frame(
    frame: pd.DataFrame, count: str, line_offset: int | None
) -> CaptureHistories:
    frame = frame_with_names(frame)
    columns = list(frame.columns)
    if "nbcap" in columns and (count not in columns or len(columns) == 2):
        raise MSEInputError(
            "this is frequency-of-capture data (column 'nbcap'), not a capture-history table: "
            "give the number of capture occasions (--occasions T, or inf) to estimate from it"
        )
    require_column(columns, count)
    require_unique_columns(columns)
    lists = [c for c in columns if c != count]
    require_rows(frame)
    if len(lists) < 2:
        raise MSEInputError(f"need at least two list columns besides {count!r}, found {len(lists)}")
    pats = np.empty((len(frame), len(lists)), dtype=np.int8)
    for j, name in enumerate(lists):
        pats[:, j] = _column_01(frame[name], name, line_offset)
    counts = _column_counts(frame[count], count, line_offset)
    refuse_unobserved_rows(pats, line_offset)
    refuse_repeats(pattern_codes(pats), line_offset, "pattern repeats",
                   "each pattern must appear once")
    return CaptureHistories(tuple(lists), pats, counts)


def _column_01(col: pd.Series, name: str, line_offset: int | None) -> np.ndarray:
    values = col.to_numpy()
    out = np.empty(len(values), dtype=np.int8)
    for i, v in enumerate(values):
        s = str(v).strip() if not isinstance(v, bool | np.bool_) else str(int(v))
        if s in ("0", "1", "0.0", "1.0"):
            out[i] = int(float(s))
        else:
            shown = repr(v) if s else "empty"
            raise MSEInputError(
                f"{_row_label(i, line_offset)}, column {name!r}: value {shown} is not 0 or 1"
            )
    return out


def _column_counts(col: pd.Series, name: str, line_offset: int | None) -> IntArray:
    values = col.to_numpy()
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        out[i] = parse_count(v, f"{_row_label(i, line_offset)}, column {name!r}")
    return out


def parse_count(v: object, where: str) -> int:
    """One count: a whole number from 0 to :data:`MAX_COUNT` (``where`` names row and column)."""
    s = str(v).strip()
    try:
        f = float(s)
    except ValueError:
        f = float("nan")
    if not np.isfinite(f) or f != int(f):
        shown = repr(v) if s else "empty"
        raise MSEInputError(f"{where}: count {shown} is not a whole number")
    if f < 0:
        raise MSEInputError(f"{where}: count {s} is negative")
    if f > MAX_COUNT:  # beyond this float arithmetic no longer counts people exactly
        raise MSEInputError(f"{where}: count {s} is too large (at most {MAX_COUNT:,})")
    return int(f)


def as_capture_histories(data: object) -> CaptureHistories:
    """Accept a :class:`CaptureHistories`, a DataFrame or a CSV path."""
    if isinstance(data, CaptureHistories):
        return data
    if isinstance(data, pd.DataFrame):
        return CaptureHistories.from_frame(data)
    if isinstance(data, str | os.PathLike):
        return CaptureHistories.from_csv(data)
    raise TypeError(f"cannot read capture histories from {type(data).__name__}")


def _validate(lists: tuple[str, ...], pats: np.ndarray, counts: np.ndarray) -> None:
    if pats.ndim != 2 or pats.shape[1] != len(lists) or counts.shape != (pats.shape[0],):
        raise MSEInputError("patterns must be a (rows, lists) array with one count per row")
    if len(lists) < 2:
        raise MSEInputError(f"need at least two lists, found {len(lists)}")
    if len(set(lists)) != len(lists):
        raise MSEInputError("list names must be distinct")
    if pats.size and not np.isin(pats, (0, 1)).all():
        raise MSEInputError("pattern values must be 0 or 1")
    if (counts < 0).any():
        raise MSEInputError("counts must be non-negative")
    if pats.size and (pats.sum(axis=1) == 0).any():
        raise MSEInputError("the all-zero (unobserved) pattern cannot be in the table")
