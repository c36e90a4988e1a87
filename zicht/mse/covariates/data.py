"""Capture histories cross-classified by covariates: :class:`StratifiedHistories` and its
readers (the row checks are :mod:`zicht.mse.data`'s)."""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..base import MAX_LISTS
from ..data import (
    COUNT,
    CaptureHistories,
    CsvSource,
    _column_01,
    _column_counts,
    _row_label,
    frame_with_names,
    pattern_codes,
    read_csv_strict,
    refuse_repeats,
    refuse_unobserved_rows,
    require_column,
    require_rows,
    require_unique_columns,
)
from ..design import cell_patterns
from ..errors import MSEInputError

_BINARY = ("0", "1", "0.0", "1.0")


@dataclass(frozen=True, eq=False)
class StratifiedHistories:
    """Capture histories cross-classified by categorical covariates.

    ``strata`` has one row per stratum (a combination of covariate values that occurs in the
    input) and one column per covariate, values as strings, sorted; ``cells[s, code - 1]`` is the
    number of people of stratum s with list pattern ``code`` (bit i = on list i, as
    :func:`zicht.mse.design.cell_patterns`).  A combination of covariate values that nobody
    observed is not a stratum: its estimate would be 0 (its parameter at minus infinity), so it
    is left out rather than estimated; a stratum given with only zero counts is an error.
    """

    lists: tuple[str, ...]
    covariates: tuple[str, ...]
    strata: pd.DataFrame
    cells: np.ndarray

    def __post_init__(self) -> None:
        lists = tuple(str(x) for x in self.lists)
        covs = tuple(str(x) for x in self.covariates)
        object.__setattr__(self, "lists", lists)
        object.__setattr__(self, "covariates", covs)
        cells = np.asarray(self.cells)
        if cells.dtype.kind == "f":
            if not np.isfinite(cells).all() or (cells != np.round(cells)).any():
                raise MSEInputError("cell counts must be whole numbers")
        cells = cells.astype(np.int64)
        cells.flags.writeable = False
        object.__setattr__(self, "cells", cells)
        strata = pd.DataFrame(self.strata).reset_index(drop=True)
        if len(lists) < 2:
            raise MSEInputError(f"need at least two lists, found {len(lists)}")
        if len(lists) > MAX_LISTS:
            raise MSEInputError(f"{len(lists)} lists: at most {MAX_LISTS} (merge lists first)")
        if not covs:
            raise MSEInputError("no covariate columns: for a table without covariates use "
                                "CaptureHistories (zicht estimate)")
        names = list(lists) + list(covs)
        if len(set(names)) != len(names) or COUNT in names:
            raise MSEInputError("list and covariate names must be distinct (and not 'count')")
        if list(strata.columns) != list(covs):
            raise MSEInputError(f"strata must have the columns {', '.join(covs)}")
        if cells.shape != (len(strata), 2 ** len(lists) - 1):
            raise MSEInputError("cells must be a (strata, 2^k - 1) array of counts")
        if (cells < 0).any():
            raise MSEInputError("counts must be non-negative")
        strata = strata.astype(str)
        if strata.duplicated().any():
            raise MSEInputError("each stratum (combination of covariate values) must appear once")
        object.__setattr__(self, "strata", strata)
        empty = np.flatnonzero(cells.sum(axis=1) == 0)
        if empty.size:
            raise MSEInputError(f"stratum {self.label(int(empty[0]))} has nobody: all its "
                                "counts are 0 (drop it, or merge covariate levels)")

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_frame(cls, frame: pd.DataFrame, covariates: Sequence[str] | None = None,
                   count: str = COUNT) -> StratifiedHistories:
        """From a long DataFrame: 0/1 list columns, covariate columns and ``count``.

        Without ``covariates``, every column that is not all 0/1 (nor ``count``) is a covariate;
        a covariate coded 0/1 must be named.
        """
        return _from_frame(frame, covariates, count, line_offset=None)

    @classmethod
    def from_csv(cls, path: CsvSource,
                 covariates: Sequence[str] | None = None,
                 count: str = COUNT) -> StratifiedHistories:
        """Read a long CSV (``A,B,C,sex,form,count``); errors name the line and column."""
        frame = read_csv_strict(path)
        return _from_frame(frame, covariates, count, line_offset=2)

    @classmethod
    def from_individuals(cls, frame: pd.DataFrame, lists: Sequence[str],
                         covariates: Sequence[str]) -> StratifiedHistories:
        """One row per observed individual: 0/1 (or bool) list columns and covariate values."""
        lists, covariates = list(lists), list(covariates)
        missing = [c for c in lists + covariates if c not in frame.columns]
        if missing:
            raise MSEInputError(f"missing column(s): {', '.join(map(repr, missing))}")
        pats = np.column_stack([_column_01(frame[c], c, None) for c in lists])
        empty = np.flatnonzero(pats.sum(axis=1) == 0)
        if empty.size:
            raise MSEInputError(f"individual {int(empty[0]) + 1} is on no list")
        long = pd.DataFrame(pats, columns=lists)
        for c in covariates:
            long[c] = _column_values(frame[c], c, None)
        long[COUNT] = 1
        long = long.groupby(lists + covariates, sort=False, as_index=False)[COUNT].sum()
        return _from_frame(long, covariates, COUNT, None)

    def with_cells(self, cells: np.ndarray) -> StratifiedHistories:
        """The same lists and strata with other counts (a resample, a simulated table)."""
        return StratifiedHistories(self.lists, self.covariates, self.strata, cells)

    # -- views ----------------------------------------------------------------------------------
    @property
    def k(self) -> int:
        return len(self.lists)

    @property
    def n_strata(self) -> int:
        return len(self.strata)

    @property
    def observed(self) -> np.ndarray:
        """Observed people per stratum."""
        return np.asarray(self.cells.sum(axis=1))

    @property
    def n_observed(self) -> int:
        return int(self.cells.sum())

    @property
    def levels(self) -> dict[str, tuple[str, ...]]:
        """Each covariate's levels, in order; the first is the reference level."""
        return {c: tuple(_sorted_levels(self.strata[c].unique())) for c in self.covariates}

    def label(self, s: int) -> str:
        """``sex='F', form='LAB'``."""
        row = self.strata.iloc[s]
        return ", ".join(f"{c}={row[c]!r}" for c in self.covariates)

    def labels(self) -> list[str]:
        return [", ".join(f"{c}={v}" for c, v in zip(self.covariates, row, strict=True))
                for row in self.strata.itertuples(index=False)]

    def collapse(self) -> CaptureHistories:
        """The plain capture-history table, summed over the strata."""
        return _table(self.lists, self.cells.sum(axis=0))

    def stratum(self, s: int) -> CaptureHistories:
        """Stratum ``s`` as a plain capture-history table."""
        return _table(self.lists, self.cells[s])

    def to_frame(self) -> pd.DataFrame:
        """The long format (cells with a positive count only)."""
        pats = cell_patterns(self.k)
        s_idx, c_idx = np.nonzero(self.cells)
        frame = pd.DataFrame(pats[c_idx].astype(np.int64), columns=list(self.lists))
        for c in self.covariates:
            frame[c] = self.strata[c].to_numpy()[s_idx]
        frame[COUNT] = self.cells[s_idx, c_idx]
        return frame

    def __repr__(self) -> str:
        return (f"StratifiedHistories(lists={list(self.lists)}, covariates="
                f"{list(self.covariates)}, strata={self.n_strata}, n={self.n_observed})")


def _table(lists: Sequence[str], y: np.ndarray) -> CaptureHistories:
    pats = cell_patterns(len(lists))
    return CaptureHistories(tuple(lists), pats, np.asarray(y, dtype=np.int64))


def _sorted_levels(values: Iterable[str]) -> list[str]:
    """Numeric-looking levels in numeric order, then the others alphabetically."""
    return sorted({str(v) for v in values}, key=_level_key)


def _is_binary(col: pd.Series) -> np.ndarray:
    return np.array([(str(int(v)) if isinstance(v, bool | np.bool_) else str(v).strip())
                     in _BINARY for v in col.to_numpy()], dtype=bool)


def _column_values(col: pd.Series, name: str, line_offset: int | None) -> np.ndarray:
    """Covariate values as stripped strings; missing or empty values are errors."""
    values = col.to_numpy()
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        missing = v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA
        s = "" if missing else str(v).strip()
        if not s:
            raise MSEInputError(f"{_row_label(i, line_offset)}, column {name!r}: the covariate "
                                "value is empty (give missing values a level, e.g. 'unknown')")
        out[i] = s
    return out


def _from_frame(frame: pd.DataFrame, covariates: Sequence[str] | None, count: str,
                line_offset: int | None) -> StratifiedHistories:
    frame = frame_with_names(frame)
    columns = list(frame.columns)
    require_column(columns, count)
    require_unique_columns(columns)
    require_rows(frame)
    others = [c for c in columns if c != count]
    if covariates is None:
        covs = []
        for c in others:
            ok = _is_binary(frame[c])
            if ok.all():
                continue
            if ok.mean() > 0.5:  # a list column with a bad value, not a covariate
                i = int(np.flatnonzero(~ok)[0])
                v = frame[c].iloc[i]
                shown = repr(v) if str(v).strip() else "empty"
                raise MSEInputError(
                    f"{_row_label(i, line_offset)}, column {c!r}: value {shown} is not 0 or 1 "
                    "(or, if this is a covariate, name it in covariates=)")
            covs.append(c)
    else:
        covs = [str(c).strip() for c in ([covariates] if isinstance(covariates, str)
                                           else covariates)]
        unknown = [c for c in covs if c not in others]
        if unknown:
            raise MSEInputError(f"no covariate column {unknown[0]!r} (columns: "
                                f"{', '.join(columns)})")
        if len(set(covs)) != len(covs):
            raise MSEInputError("a covariate is named twice")
    if not covs:
        raise MSEInputError("no covariate columns (every column besides "
                            f"{count!r} is 0/1, so all are lists): name the covariates, or use "
                            "CaptureHistories for a table without covariates")
    lists = [c for c in others if c not in covs]
    if len(lists) < 2:
        raise MSEInputError(f"need at least two list columns besides the covariates and "
                            f"{count!r}, found {len(lists)}")
    if len(lists) > MAX_LISTS:
        raise MSEInputError(f"{len(lists)} lists: at most {MAX_LISTS} (merge lists first)")
    pats = np.column_stack([_column_01(frame[c], c, line_offset) for c in lists])
    counts = _column_counts(frame[count], count, line_offset)
    values = {c: _column_values(frame[c], c, line_offset) for c in covs}
    refuse_unobserved_rows(pats, line_offset)
    keys = pd.DataFrame(values)
    strata_idx, uniques = pd.factorize(pd.MultiIndex.from_frame(keys))
    codes = pattern_codes(pats)
    key = strata_idx.astype(np.int64) * (2 ** len(lists)) + codes
    refuse_repeats(key, line_offset, "pattern and stratum repeat",
                   "each (pattern, stratum) must appear once")
    strata = pd.DataFrame(list(uniques), columns=covs)
    order = sorted(range(len(strata)), key=lambda s: tuple(
        _level_key(strata.iloc[s, j]) for j in range(len(covs))))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    cells = np.zeros((len(strata), 2 ** len(lists) - 1), dtype=np.int64)
    np.add.at(cells, (rank[strata_idx], codes - 1), counts)
    strata = strata.iloc[order].reset_index(drop=True)
    empty = np.flatnonzero(cells.sum(axis=1) == 0)
    if empty.size:
        rows = np.flatnonzero(rank[strata_idx] == empty[0])
        where = ", ".join(_row_label(int(r), line_offset) for r in rows[:3])
        label = ", ".join(f"{c}={strata.iloc[int(empty[0])][c]!r}" for c in covs)
        raise MSEInputError(f"stratum {label} has nobody: all its counts are 0 ({where}); drop "
                            "it or merge covariate levels")
    sizes = cells.sum(axis=0) @ cell_patterns(len(lists))
    unseen = [n for n, size in zip(lists, sizes, strict=True) if size == 0]
    if unseen:
        raise MSEInputError(f"list(s) {', '.join(map(repr, unseen))} saw nobody: drop the "
                            "column(s) first")
    return StratifiedHistories(tuple(lists), tuple(covs), strata, cells)


def _level_key(v: str) -> tuple[int, float, str]:
    try:
        return (0, float(v), v)
    except ValueError:
        return (1, 0.0, v)


def _as_data(data: object, covariates: Sequence[str] | None = None) -> StratifiedHistories:
    if isinstance(data, StratifiedHistories):
        return data
    if isinstance(data, pd.DataFrame):
        return StratifiedHistories.from_frame(data, covariates)
    if isinstance(data, str | os.PathLike | io.TextIOBase):
        return StratifiedHistories.from_csv(data, covariates)
    raise TypeError(f"cannot read stratified capture histories from {type(data).__name__}")
