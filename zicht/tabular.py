"""Writing tables for spreadsheets: every CSV zicht writes goes through this module, so that no
cell can run as a formula when someone opens the file in Excel or LibreOffice (CSV or formula
injection, OWASP).

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and a
leading tab or carriage return can hide such a start), so a value from outside - a column name
in an uploaded file, an organisation code, a source reference, a list name in a scenario - such
as ``=HYPERLINK("http://x","y")`` could run, or leak data, on the analyst's machine.
:func:`neutralise` puts a single quote before such a text cell (``'=HYPERLINK(...)``): the
spreadsheet shows the text as it was, with the quote, and runs nothing.

Two kinds of cells are left alone, on purpose:

* **plain numbers written as text** - ``-3``, ``-0.25``, ``+1e-5``: a spreadsheet reads them
  as numbers, not formulas, and a quote would turn a negative number into text and corrupt the
  data;
* **values that are not text** - ints, floats, booleans, dates, missing values: they are written
  as numbers or ISO dates and cannot carry a formula.

Nothing zicht produces in normal operation (ids, codes, dates, numbers, the simulator's names)
starts with one of those characters, so its own files read back exactly as written (a round
trip); only a value from outside that starts like a formula comes back with the quote.  Readers
do not strip it: the quote is the visible sign that a value was neutralised.

:func:`write_csv` writes a frame or rows (pandas' ``to_csv``), :class:`CsvStreamWriter` streams
Arrow tables (the simulator's large files); both neutralise cells and column names.  No XLSX is
written anywhere in zicht (only read, at import), so there is no XLSX writer here; one would go
through :func:`neutralise_frame` the same way.

This module imports nothing from zicht, so that every stage may use it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DANGEROUS", "CsvStreamWriter", "neutralise", "neutralise_arrow", "neutralise_frame",
           "write_csv"]

#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_DANGEROUS = frozenset(DANGEROUS)
#: A plain decimal number (sign, digits, point, exponent): read as a number, left alone.
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER_RE = re.compile(_NUMBER)
_FIRST = r"[=+\-@\t\r]"


def neutralise(value: Any) -> Any:
    """``value`` safe for one spreadsheet cell: a text that starts with ``=``, ``+``, ``-``,
    ``@``, tab or CR gets a leading ``'``, unless it is a plain number (``-3``); everything
    else (other text, numbers, missing values) comes back unchanged."""
    if (isinstance(value, str) and value[:1] in _DANGEROUS
            and _NUMBER_RE.fullmatch(value) is None):
        return "'" + value
    return value


def _label(name: Any) -> Any:
    return tuple(neutralise(n) for n in name) if isinstance(name, tuple) else neutralise(name)


def _series(s: pd.Series) -> pd.Series | None:
    """The neutralised column, or None when no cell needs it (numbers, dates, safe text)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        categories = list(s.cat.categories)
        fixed = [neutralise(c) for c in categories]
        if fixed == categories:
            return None
        if len(set(fixed)) == len(fixed):
            return s.cat.rename_categories(fixed)
        s = s.astype(object)  # "=x" and "'=x" would become one category
    if s.dtype == object:
        values = s.to_numpy()
        try:  # each distinct value once (a column of codes has a handful)
            codes, uniques = pd.factorize(values)
        except TypeError:  # unhashable cells
            codes, uniques = np.arange(len(values)), values
        fixed = np.empty(len(uniques), dtype=object)
        changed = np.zeros(len(uniques), dtype=bool)
        for i, value in enumerate(uniques):
            safe = neutralise(value)
            if safe is not value:
                fixed[i], changed[i] = safe, True
        if not changed.any():
            return None
        mask = (codes >= 0) & changed[codes]  # -1: a missing value
        values = values.copy()
        values[mask] = fixed[codes[mask]]
        return pd.Series(values, index=s.index, name=s.name, dtype=object)
    if pd.api.types.is_string_dtype(s.dtype):
        mask = s.str.match(_FIRST).fillna(False).astype(bool)
        if not mask.any():
            return None
        mask &= ~s.str.fullmatch(_NUMBER).fillna(False).astype(bool)
        return s.mask(mask, "'" + s) if mask.any() else None
    return None


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every cell and column name passed through :func:`neutralise` (text
    columns, categorical labels and mixed columns; numeric columns are skipped).  The input is
    not changed; when nothing needs neutralising, ``frame`` itself is returned."""
    out = None
    for i in range(frame.shape[1]):
        fixed = _series(frame.iloc[:, i])
        if fixed is not None:
            if out is None:
                out = frame.copy(deep=False)
            out.isetitem(i, fixed)
    labels = [_label(c) for c in frame.columns]
    if labels != list(frame.columns):
        out = frame.copy(deep=False) if out is None else out
        out.columns = (pd.MultiIndex.from_tuples(labels, names=frame.columns.names)
                       if isinstance(frame.columns, pd.MultiIndex) else labels)
    return frame if out is None else out


def _frame(data: pd.DataFrame | Iterable, columns) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data if columns is None else data[list(columns)]
    rows = list(data)
    if columns is None and rows and isinstance(rows[0], Mapping):
        columns = list(dict.fromkeys(k for row in rows for k in row))
    return pd.DataFrame(rows, columns=None if columns is None else list(columns))


def write_csv(data: pd.DataFrame | Iterable[Mapping] | Iterable[Iterable],
              path_or_buffer: str | os.PathLike | Any = None, *,
              columns: Iterable[str] | None = None, atomic: bool = False,
              **kw) -> str | None:
    """Write ``data`` as CSV with every cell and column name neutralised (:func:`neutralise`).

    ``data`` is a frame, or rows: mappings (``columns`` chooses and orders the keys, and gives
    the header of an empty file) or sequences (with ``columns`` as the header).
    ``path_or_buffer``: a path, an open text file, or None to get the text back, as in
    ``DataFrame.to_csv``, whose other keywords pass through (``index`` defaults to False; an
    index that is written is neutralised like a column).  ``atomic=True`` writes a path through
    a temporary file beside it, renamed into place."""
    frame = _frame(data, columns)
    if kw.pop("index", False):
        frame = frame.reset_index()
    frame = neutralise_frame(frame)
    if isinstance(kw.get("header"), list | tuple):
        kw["header"] = [neutralise(h) for h in kw["header"]]
    if not (atomic and isinstance(path_or_buffer, str | os.PathLike)):
        return frame.to_csv(path_or_buffer, index=False, **kw)
    path = Path(path_or_buffer)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        frame.to_csv(tmp, index=False, **kw)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return None


def neutralise_arrow(table, schema=None):
    """A ``pyarrow.Table`` with its text cells and column names neutralised (vectorised; the
    same rules as :func:`neutralise`).  ``schema``: the neutralised schema to give the result
    (:class:`CsvStreamWriter` passes its own), by default the table's with names neutralised."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            first = pc.fill_null(pc.is_in(pc.utf8_slice_codeunits(column, 0, 1),
                                          value_set=pa.array(DANGEROUS)), False)
            if pc.any(first).as_py():
                number = pc.fill_null(
                    pc.match_substring_regex(column, f"^(?:{_NUMBER})$"), False)
                column = pc.if_else(pc.and_(first, pc.invert(number)),
                                    pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    if schema is None:
        schema = pa.schema([field.with_name(str(neutralise(field.name)))
                            for field in table.schema])
    return pa.Table.from_arrays(columns, schema=schema)


class CsvStreamWriter:
    """A CSV file written table by table (``pyarrow.csv.CSVWriter``), cells and header
    neutralised; ``write_table`` and ``close`` as the pyarrow writers."""

    def __init__(self, path: str | os.PathLike, schema, write_options=None):
        import pyarrow as pa
        import pyarrow.csv as pacsv

        self.schema = pa.schema([field.with_name(str(neutralise(field.name)))
                                 for field in schema])
        self._writer = pacsv.CSVWriter(str(path), self.schema, write_options=write_options)

    def write_table(self, table) -> None:
        self._writer.write_table(neutralise_arrow(table, self.schema))

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> CsvStreamWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
