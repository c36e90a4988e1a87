"""Frequencies of capture (Rcapture's ``dtype = "nbcap"``): :class:`CaptureFrequencies` and its
readers (the row checks are :mod:`zicht.mse.data`'s)."""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import gammaln

from ..data import (
    CaptureHistories,
    CsvSource,
    _row_label,
    frame_with_names,
    parse_count,
    read_csv_strict,
    require_column,
    require_rows,
    require_unique_columns,
)
from ..errors import MSEInputError

NBCAP, COUNT = "nbcap", "count"
MAX_OCCASIONS = 1000  # 2^c overflows a float64 beyond c = 1023 (Mh Poisson2)


def _parse_t(t: object) -> int | float:
    """t as an int >= 2 or math.inf; anything else is an input error."""
    value: float | None = None
    if isinstance(t, str):
        s = t.strip().lower()
        if s in ("inf", "infinity", "+inf"):
            return math.inf
        try:
            value = float(s)
        except ValueError:
            value = None
    elif isinstance(t, int | float | np.integer | np.floating) and not isinstance(t, bool):
        value = float(t)
    if value is not None and value == math.inf:
        return math.inf
    if value is None or not math.isfinite(value) or value != int(value) or value < 2:
        raise MSEInputError(
            f"t must be the number of capture occasions, a whole number of at least 2, or inf "
            f"(continuous-time captures); got {t!r}"
        )
    if value > MAX_OCCASIONS:
        raise MSEInputError(f"t = {int(value)}: at most {MAX_OCCASIONS} capture occasions "
                            "(use t = inf for continuous-time captures)")
    return int(value)


@dataclass(frozen=True, eq=False)
class CaptureFrequencies:
    """Frequencies of capture: ``freq[c - 1]`` units were caught exactly c times (c = 1..c_max,
    trailing zeros dropped) over ``t`` occasions (an int >= 2, or ``math.inf``)."""

    t: int | float
    freq: np.ndarray
    n_observed: int = field(init=False)

    def __post_init__(self) -> None:
        t = _parse_t(self.t)
        freq = np.asarray(self.freq)
        if freq.ndim != 1 or (freq.size and not np.issubdtype(freq.dtype, np.number)):
            raise MSEInputError("freq must be a 1-d array of counts f_1, f_2, ...")
        if freq.size and (not np.isfinite(freq).all() or (freq != np.round(freq)).any()):
            raise MSEInputError("frequencies must be whole numbers")
        freq = freq.astype(np.int64)
        if (freq < 0).any():
            raise MSEInputError("frequencies must be non-negative")
        positive = np.flatnonzero(freq > 0)
        if positive.size == 0:
            raise MSEInputError("all counts are zero: nobody was observed")
        freq = freq[: positive[-1] + 1].copy()
        if freq.size > t:
            raise MSEInputError(f"units caught {freq.size} times but t = {t} capture occasions")
        freq.flags.writeable = False
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "freq", freq)
        object.__setattr__(self, "n_observed", int(freq.sum()))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CaptureFrequencies):
            return NotImplemented
        return self.t == other.t and np.array_equal(self.freq, other.freq)

    def __hash__(self) -> int:
        return hash((self.t, self.freq.tobytes()))

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_frame(cls, frame: pd.DataFrame, t: object) -> CaptureFrequencies:
        """From a DataFrame with columns ``nbcap`` (number of captures) and ``count``."""
        return _from_frame(frame, t, line_offset=None)

    @classmethod
    def from_csv(cls, path: CsvSource, t: object) -> CaptureFrequencies:
        """Read a CSV file ``nbcap,count`` (Rcapture's ``dtype = "nbcap"``, ``dfreq = TRUE``).
        The file does not say how many occasions there were: give ``t`` (or ``math.inf``)."""
        t = _parse_t(t)
        frame = read_csv_strict(path)
        return _from_frame(frame, t, line_offset=2)

    @classmethod
    def from_histories(cls, table: CaptureHistories) -> CaptureFrequencies:
        """Collapse a :class:`~zicht.mse.data.CaptureHistories` table (t = its lists) to the
        numbers of units on exactly c lists (Rcapture's ``closedp.0`` with ``dtype = "hist"``)."""
        caught = table.patterns.sum(axis=1)
        freq = np.bincount(caught, weights=table.counts, minlength=table.k + 1)[1:]
        return cls(table.k, np.rint(freq).astype(np.int64))

    # -- views ----------------------------------------------------------------------------------
    @property
    def c_max(self) -> int:
        """Largest number of captures with a positive count."""
        return int(self.freq.size)

    @property
    def n_cells(self) -> int:
        """Cells of the log-linear model: t, or c_max when t is infinite."""
        return self.c_max if math.isinf(self.t) else int(self.t)

    @property
    def captures(self) -> np.ndarray:
        """c of every cell: 1..n_cells."""
        return np.arange(1, self.n_cells + 1, dtype=float)

    def cell_counts(self) -> np.ndarray:
        """f_c over all cells (zeros above c_max for finite t)."""
        y = np.zeros(self.n_cells)
        y[: self.c_max] = self.freq
        return y

    def offset(self) -> np.ndarray:
        """log choose(t, c), or -log c! when t is infinite."""
        c = self.captures
        if math.isinf(self.t):
            return np.asarray(-gammaln(c + 1))
        return np.asarray(gammaln(self.t + 1) - gammaln(c + 1) - gammaln(self.t - c + 1))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({NBCAP: np.arange(1, self.c_max + 1), COUNT: self.freq})

    def __repr__(self) -> str:
        t = "inf" if math.isinf(self.t) else self.t
        return f"CaptureFrequencies(t={t}, c_max={self.c_max}, n={self.n_observed})"


def _whole(v: object) -> tuple[str, float]:
    s = str(v).strip()
    try:
        f = float(s)
    except ValueError:
        f = math.nan
    return s, f


def _from_frame(data: object, t: object, line_offset: int | None) -> CaptureFrequencies:
    frame = frame_with_names(data)
    t = _parse_t(t)
    columns = list(frame.columns)
    for need in (NBCAP, COUNT):
        require_column(columns, need, "; frequency-of-capture data have the columns nbcap and "
                                      "count")
    require_unique_columns(columns)
    extra = [c for c in columns if c not in (NBCAP, COUNT)]
    if extra:
        raise MSEInputError(f"unexpected column {extra[0]!r}: frequency-of-capture data have "
                            "only the columns nbcap and count")
    require_rows(frame)
    tshow = "inf" if math.isinf(t) else t
    freq: dict[int, int] = {}
    first_row: dict[int, int] = {}
    for i, (nb, ct) in enumerate(zip(frame[NBCAP].to_numpy(), frame[COUNT].to_numpy(),
                                     strict=True)):
        where = _row_label(i, line_offset)
        s, f = _whole(nb)
        if not math.isfinite(f) or f != int(f):
            shown = repr(nb) if s else "empty"
            raise MSEInputError(f"{where}, column 'nbcap': value {shown} is not a whole number "
                                "of captures")
        if f < 1:
            raise MSEInputError(f"{where}, column 'nbcap': {s} captures; rows count units caught "
                                "at least once (nbcap >= 1)")
        if f > t:
            raise MSEInputError(f"{where}, column 'nbcap': {s} captures is more than the t = "
                                f"{tshow} capture occasions")
        c = int(f)
        if c in first_row:
            raise MSEInputError(f"{where}, column 'nbcap': {c} repeats "
                                f"{_row_label(first_row[c], line_offset)}; each number of "
                                "captures must appear once")
        first_row[c] = i
        freq[c] = parse_count(ct, f"{where}, column 'count'")
    if sum(freq.values()) == 0:
        raise MSEInputError("all counts are zero: nobody was observed")
    out = np.zeros(max(freq), dtype=np.int64)
    for c, v in freq.items():
        out[c - 1] = v
    return CaptureFrequencies(t, out)


def as_capture_frequencies(data: object, t: object = None) -> CaptureFrequencies:
    """Accept :class:`CaptureFrequencies`, capture histories (t = their lists), or a DataFrame
    or CSV path of ``nbcap,count`` together with ``t``."""
    if isinstance(data, CaptureFrequencies):
        if t is not None and _parse_t(t) != data.t:
            raise MSEInputError(f"t = {t} given, but the frequencies are for t = {data.t}")
        return data
    if isinstance(data, CaptureHistories):
        return CaptureFrequencies.from_histories(data)
    if t is None:
        raise MSEInputError("frequency-of-capture data do not carry t: give the number of capture "
                            "occasions (or inf)")
    if isinstance(data, pd.DataFrame):
        return CaptureFrequencies.from_frame(data, t)
    if isinstance(data, str | os.PathLike | io.TextIOBase):
        return CaptureFrequencies.from_csv(data, t)
    raise TypeError(f"cannot read capture frequencies from {type(data).__name__}")
