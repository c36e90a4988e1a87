"""Statistical disclosure control for the published tables of counts.

Every table the dashboard and the annual report publish (persons by year x form, sex, age band,
reporter category, region, ...) goes through :func:`protect` (a two-way table with its totals),
:func:`protect_series` (one breakdown with its total) or :func:`protect_long` (a long table with
two categorical columns and a count: pivoted, protected and returned long).

Rules
-----
* **Primary suppression.** A cell or total with ``0 < count < k`` (``k = 10`` by default; the
  IOM's CTDC publishes only counts of at least 11 persons, ``k = 11``) is suppressed. Totals obey
  the same rule as cells: a row total below ``k`` is suppressed, and then all its non-zero cells
  are below ``k`` too and are suppressed with it.
* **Zeros are published** and never suppressed, not even as secondary cells. A zero discloses no
  person; hiding zeros would hide real "nobody" findings (the Caribbean part of the Kingdom has
  many), and a suppressed zero gives no protection downwards. The risk that a zero next to a
  total gives a suppressed cell away is exactly what secondary suppression handles: published
  zeros are part of the attacker's knowledge below, so they cannot be used to recover a
  suppressed count. Consequence, public and assumed known: every suppressed count is >= 1.
* **Secondary suppression.** Further non-zero cells or totals (so counts >= ``k``) are suppressed
  until no suppressed count can be recovered from the published cells and totals.
* **Totals published elsewhere** (``known_col_totals`` / ``known_row_totals`` of :func:`protect`,
  ``known_total`` of :func:`protect_series`) are never suppressed, neither primary nor
  secondary, and the attacker knows them exactly, also when the table itself is published
  without them (``margins=False``, ``total=False``); with either, the grand total (their sum) is
  known too. The secondary suppressions are then chosen among the cells and the totals that are
  not known. A known total in ``[1, k-1]`` raises ``ValueError``: it may not be published
  elsewhere either.
* **One marker** for primary and secondary suppressions (``display``: "geheim" / "suppressed",
  configurable; CBS uses "x"). A marker such as "<10" would be false for the secondary cells and,
  worse, would tell the attacker which suppressed cells are the small ones.

Attacker model and guarantee
----------------------------
The attacker knows every published count and every known total exactly, the table's structure
(cells are non-negative integers; each row and each column of cells adds up to its total; the
totals add up to the grand total) and these rules, hence that every suppressed count is >= 1
(``attacker="basic"``, the default, the usual audit model of statistical offices).
``attacker="informed"`` moreover knows *which* suppressed entries are primary (count in
``[1, k-1]``) and which secondary (count >= ``k``), which the published table does not show (one
marker): stronger than a real attacker, so what holds against it holds against a real one. It
cannot always be defeated: a row of ``k - 1`` ones with its total is pinned (each >= 1, the total
<= k - 1) whatever is suppressed; such a table raises ``ValueError``.

The attacker's best inference on a suppressed entry is its *feasibility interval* ``[lo, hi]``:
its least and greatest value over all tables consistent with that knowledge. **Guarantee:**
``hi - lo >= protection`` for every suppressed entry (``protection = 1`` by default: no
suppressed count can be pinned to a single number; raise it to demand wider intervals; for the
informed attacker it can be at most ``k - 2``). Linear programming gives the interval exactly:
the constraint matrix of a two-way table with its margins is totally unimodular (with the margin
equations negated it is the incidence matrix of a bipartite graph), so with integer bounds every
vertex, hence every LP minimum and maximum, is an integer table.

Tables that share totals
------------------------
Breakdowns of the same persons (year x sex, year x age band, year x region, ..., and the persons
per year as an indicator of its own) share their year totals. Protected one by one, a year total
could be suppressed in one table and published in another, which breaks the guarantee. So
publish the shared totals as they are, everywhere, and protect every table with them known:
``protect(year_x_sex, known_col_totals=True)`` when the years are its columns
(``known_row_totals`` when they are its rows; both if the other totals are published elsewhere
too), ``protect_series(overlap_of_year, known_total=True)`` for one year's breakdown. A year
total in ``[1, k-1]`` raises ``ValueError`` in every table: such a year is merged with another or
gets no breakdown. Why this suffices: the known totals are constants of every table's
constraints, and whatever their cells, one year's breakdowns by sex, by age band, by region, ...
(each adding up to the year's total) are the margins of some year x sex x age band x region
table of persons (fill it in order, north-west corner style), so the attacker's joint system of
all these tables falls apart into one per table, each of them verified here. That holds for
tables that share *only* known totals: year x sex, sex x age band and year x age band are three
two-way margins of one three-way table, which constrain each other beyond their shared totals
(not covered).

Not covered (the caller's responsibility): knowledge from outside the table (someone who knows
some of the persons counted); a total published elsewhere but not passed as known (then it may
be suppressed here, and the guarantee is void); tables linked other than by known totals (see
above); differences between versions of a table (a revised count republished next to the old
one); reasoning from the deterministic choice of secondary cells; group attribute disclosure (a
published row whose persons all fall in one column). With ``margins=False`` the totals that are
not passed as known are assumed unknown to the attacker: use it only for a table whose other
totals are published nowhere.

The method (secondary cells chosen greedily on alternating rectangles, verified by linear
programming) and its speed are described in :mod:`zicht.monitor.suppression`.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from .suppression import (
    TOL,
    check_known,
    check_options,
    counts,
    extend,
    hidden_mask,
    intervals,
    known_mask,
    suppress,
)

Attacker = Literal["basic", "informed"]
Lang = Literal["nl", "en"]

MARKERS: dict[str, str] = {"nl": "geheim", "en": "suppressed"}
TOTAL_LABELS: dict[str, str] = {"nl": "Totaal", "en": "Total"}
LEGEND: dict[str, str] = {
    "nl": (
        "geheim: niet gepubliceerd omdat het om minder dan {k} personen gaat, of om te voorkomen "
        "dat zo'n aantal uit de totalen kan worden teruggerekend"
    ),
    "en": (
        "suppressed: not published because it concerns fewer than {k} persons, or to prevent "
        "such a count from being derived from the totals"
    ),
}
_THOUSANDS = {"nl": ".", "en": ","}


@dataclass(frozen=True)
class Protected:
    """A two-way table after disclosure control.

    ``published`` (and ``display``) may be published: suppressed entries are ``<NA>``; with
    margins the last row and column are the totals, labelled ``total_label``. ``primary`` and
    ``secondary`` (same shape) say why an entry is suppressed: for the analyst only.
    """

    published: pd.DataFrame
    primary: pd.DataFrame
    secondary: pd.DataFrame
    k: int
    protection: int
    attacker: str
    margins: bool
    total_label: Hashable
    known_col_totals: bool = False
    known_row_totals: bool = False

    @property
    def suppressed(self) -> pd.DataFrame:
        return self.primary | self.secondary

    @property
    def table(self) -> pd.DataFrame:
        """The published cells without the totals."""
        return self.published.iloc[:-1, :-1] if self.margins else self.published

    @property
    def row_totals(self) -> pd.Series | None:
        return self.published.iloc[:-1, -1] if self.margins else None

    @property
    def col_totals(self) -> pd.Series | None:
        return self.published.iloc[-1, :-1] if self.margins else None

    @property
    def grand_total(self):
        """The published grand total (``<NA>`` if suppressed); None without margins."""
        return self.published.iloc[-1, -1] if self.margins else None

    def display(self, lang: Lang = "nl", marker: str | None = None,
                total: str | None = None) -> pd.DataFrame:
        """The published table as strings: counts with the language's thousands separator,
        ``marker`` (default "geheim" / "suppressed") for suppressed entries and ``total``
        (default "Totaal" / "Total") as the label of the totals."""
        out = self.published.map(lambda v: _fmt(v, lang, marker))
        if self.margins:
            label = TOTAL_LABELS[lang] if total is None else total
            out.index = _relabel(out.index, self.total_label, label)
            out.columns = _relabel(out.columns, self.total_label, label)
        return out

    def legend(self, lang: Lang = "nl") -> str:
        return LEGEND[lang].format(k=self.k)

    def to_long(self, row: str = "row", col: str = "col", count: str = "count") -> pd.DataFrame:
        """One line per cell (and total): ``row``, ``col``, ``count`` (Int64, ``<NA>`` if
        suppressed) and ``suppressed``."""
        p = self.published
        nr, nc = p.shape
        return pd.DataFrame({
            row: np.repeat(p.index.to_numpy(dtype=object), nc),
            col: np.tile(p.columns.to_numpy(dtype=object), nr),
            count: pd.array(p.to_numpy(dtype="float64", na_value=np.nan).ravel(), dtype="Int64"),
            "suppressed": self.suppressed.to_numpy().ravel(),
        })


@dataclass(frozen=True)
class ProtectedSeries:
    """One breakdown and its total (last, labelled ``total_label``) after disclosure control."""

    published: pd.Series
    primary: pd.Series
    secondary: pd.Series
    k: int
    protection: int
    attacker: str
    total: bool
    total_label: Hashable
    known_total: bool = False

    @property
    def suppressed(self) -> pd.Series:
        return self.primary | self.secondary

    def display(self, lang: Lang = "nl", marker: str | None = None,
                total: str | None = None) -> pd.Series:
        out = self.published.map(lambda v: _fmt(v, lang, marker))
        if self.total:
            label = TOTAL_LABELS[lang] if total is None else total
            out.index = _relabel(out.index, self.total_label, label)
        return out

    def legend(self, lang: Lang = "nl") -> str:
        return LEGEND[lang].format(k=self.k)


def protect(table: pd.DataFrame, k: int = 10, margins: bool = True, *, protection: int = 1,
            attacker: Attacker = "basic", total_label: Hashable = "total",
            known_col_totals: bool = False, known_row_totals: bool = False) -> Protected:
    """Suppress cells and totals of a two-way table of counts (see the module docstring).

    ``table``: non-negative integer counts with unique row and column labels. ``k``: counts in
    ``[1, k-1]`` are not published. ``margins``: publish the row, column and grand totals, as
    the last column and row labelled ``total_label``. ``protection``: the least width of every
    suppressed entry's feasibility interval. ``attacker``: "basic" or "informed" (also knows
    which suppressed entries are primary). ``known_col_totals`` / ``known_row_totals``: the
    column / row totals (hence the grand total) are published elsewhere, e.g. the persons per
    year of a year x sex table whose years are its columns: they are never suppressed, the
    attacker knows them exactly (also with ``margins=False``), and the secondary suppressions
    are chosen among the cells and the other totals. A known total in ``[1, k-1]`` raises
    ``ValueError`` (it cannot be published elsewhere either), as does a table that cannot be
    protected with its known totals published.
    """
    check_options(k, protection, attacker)
    x = counts(table)
    for labels in (table.index, table.columns):
        if labels.has_duplicates:
            raise ValueError("row and column labels must be unique")
        if margins and total_label in labels:
            raise ValueError(f"a label equals total_label {total_label!r}; pass another one")
    y = extend(x)
    known = known_mask(y.shape, known_col_totals, known_row_totals)
    hidden = hidden_mask(y.shape, not margins, not margins) & ~known
    names = [repr(v) for v in table.index], [repr(v) for v in table.columns]

    def describe(i: int, j: int) -> str:
        if i == y.shape[0] - 1 and j == y.shape[1] - 1:
            return "the grand total"
        if i == y.shape[0] - 1:
            return f"the column total of {names[1][j]}"
        if j == y.shape[1] - 1:
            return f"the row total of {names[0][i]}"
        return f"the cell ({names[0][i]}, {names[1][j]})"

    check_known(y, known, k, describe)
    primary, secondary = suppress(y, hidden, known, k, protection, attacker, describe)
    if margins:
        index = pd.Index([*table.index, total_label], name=table.index.name)
        columns = pd.Index([*table.columns, total_label], name=table.columns.name)
    else:
        index, columns = table.index, table.columns
        y, primary, secondary = y[:-1, :-1], primary[:-1, :-1], secondary[:-1, :-1]
    suppressed = primary | secondary
    published = pd.DataFrame(
        {j: pd.array(np.where(suppressed[:, j], np.nan, y[:, j]), dtype="Int64")
         for j in range(y.shape[1])}
    )
    published.index, published.columns = index, columns
    return Protected(
        published=published,
        primary=pd.DataFrame(primary, index=index, columns=columns),
        secondary=pd.DataFrame(secondary, index=index, columns=columns),
        k=k, protection=protection, attacker=attacker, margins=margins, total_label=total_label,
        known_col_totals=known_col_totals, known_row_totals=known_row_totals,
    )


def protect_series(series: pd.Series, k: int = 10, total: bool = True, *, protection: int = 1,
                   attacker: Attacker = "basic", total_label: Hashable = "total",
                   known_total: bool = False) -> ProtectedSeries:
    """Suppress counts of one breakdown and its total (the 1-D :func:`protect`): the only
    equation the attacker has is "the counts add up to the total" (if it is published or
    known). ``known_total``: the total is published elsewhere (the persons of a year, next to
    this year's breakdown): it is never suppressed and the attacker knows it exactly (also with
    ``total=False``), so the counts are suppressed in twos or more; a known total in
    ``[1, k-1]`` raises ``ValueError``, as does a breakdown that cannot be protected."""
    check_options(k, protection, attacker)
    x = counts(series.to_frame())[:, 0]
    if series.index.has_duplicates:
        raise ValueError("labels must be unique")
    if total and total_label in series.index:
        raise ValueError(f"a label equals total_label {total_label!r}; pass another one")
    y = extend(x[None, :])
    known = known_mask(y.shape, False, known_total)
    hidden = hidden_mask(y.shape, True, not total) & ~known
    names = [repr(v) for v in series.index]

    def describe(i: int, j: int) -> str:
        return f"the count of {names[j]}" if j < len(names) else "the total"

    check_known(y, known, k, describe)
    primary, secondary = suppress(y, hidden, known, k, protection, attacker, describe)
    n = len(x) + 1 if total else len(x)
    index = pd.Index([*series.index, total_label][:n], name=series.index.name)
    published = pd.Series(pd.array(np.where(primary[0] | secondary[0], np.nan, y[0]),
                                   dtype="Int64")[:n], index=index, name=series.name)
    return ProtectedSeries(
        published=published,
        primary=pd.Series(primary[0, :n], index=index, name=series.name),
        secondary=pd.Series(secondary[0, :n], index=index, name=series.name),
        k=k, protection=protection, attacker=attacker, total=total, total_label=total_label,
        known_total=known_total,
    )


def protect_long(long: pd.DataFrame, row: str, col: str, count: str = "count", *, k: int = 10,
                 margins: bool = True, protection: int = 1, attacker: Attacker = "basic",
                 total_label: Hashable = "total", known_col_totals: bool = False,
                 known_row_totals: bool = False) -> pd.DataFrame:
    """Pivot a long table (``row``, ``col``, ``count``; repeated pairs are added, missing pairs
    count 0, categorical columns keep all their categories, in order), protect it and return it
    long: ``row``, ``col``, ``count`` (Int64, ``<NA>`` if suppressed), ``suppressed``; with
    margins the totals are lines labelled ``total_label``. ``known_col_totals`` /
    ``known_row_totals``: the totals per ``col`` / per ``row`` are published elsewhere (see
    :func:`protect`)."""
    counts(long[[count]])
    wide = long.pivot_table(index=row, columns=col, values=count, aggfunc="sum", fill_value=0,
                            observed=False)
    p = protect(wide, k, margins, protection=protection, attacker=attacker,
                total_label=total_label, known_col_totals=known_col_totals,
                known_row_totals=known_row_totals)
    return p.to_long(row, col, count)


def feasibility_intervals(data: pd.DataFrame | pd.Series,
                          protected: Protected | ProtectedSeries) -> pd.DataFrame:
    """The attacker's exact feasibility interval ``[lo, hi]`` of every suppressed entry of
    ``protected`` (``hi`` may be infinite), from the true ``data`` it was made of: for the
    analyst, two LPs per entry. Columns ``row``, ``col``, ``lo``, ``hi`` (``label``, ``lo``,
    ``hi`` for a series)."""
    if isinstance(protected, ProtectedSeries):
        y = extend(counts(data.to_frame())[:, 0][None, :])
        hidden = hidden_mask(y.shape, True, not protected.total) & ~known_mask(
            y.shape, False, protected.known_total)
        n = protected.published.size
        primary, secondary = np.zeros(y.shape, dtype=bool), np.zeros(y.shape, dtype=bool)
        primary[0, :n] = protected.primary.to_numpy()
        secondary[0, :n] = protected.secondary.to_numpy()
        labels = [protected.published.index.to_numpy(dtype=object), np.array([None])]
    else:
        y = extend(counts(data))
        hidden = hidden_mask(y.shape, not protected.margins, not protected.margins) & ~known_mask(
            y.shape, protected.known_col_totals, protected.known_row_totals)
        primary, secondary = np.zeros(y.shape, dtype=bool), np.zeros(y.shape, dtype=bool)
        r, c = protected.published.shape
        primary[:r, :c] = protected.primary.to_numpy()
        secondary[:r, :c] = protected.secondary.to_numpy()
        labels = [protected.published.index.to_numpy(dtype=object),
                  protected.published.columns.to_numpy(dtype=object)]
    lo, hi = intervals(y.astype(float), primary, secondary, hidden, protected.k,
                        protected.attacker, None)
    rows, cols = np.nonzero(primary | secondary)
    if isinstance(protected, ProtectedSeries):
        return pd.DataFrame({"label": labels[0][cols], "lo": lo[rows, cols],
                             "hi": hi[rows, cols]})
    return pd.DataFrame({"row": labels[0][rows], "col": labels[1][cols], "lo": lo[rows, cols],
                         "hi": hi[rows, cols]})


def _fmt(v, lang: str, marker: str | None) -> str:
    if pd.isna(v):
        return MARKERS[lang] if marker is None else marker
    return f"{int(v):,}".replace(",", _THOUSANDS[lang])


def _relabel(labels: pd.Index, old: Hashable, new: str) -> pd.Index:
    return pd.Index([new if v == old else v for v in labels], name=labels.name)


def published_intervals(cells, row_totals=None, col_totals=None,
                        grand_total=None) -> list[tuple[int, int, float, float]]:
    """The attacker's check on a table *as published*, without the true counts: ``cells`` a
    list of rows with ``None`` for a suppressed count; ``row_totals`` / ``col_totals`` (lists,
    ``None`` entries not published) and ``grand_total`` as far as they are published (``None``
    for a margin that is not). Every suppressed cell is >= 1 (the rules are public), an
    unpublished total >= 0. Returns ``(row, col, lo, hi)`` for every suppressed cell: the least
    and greatest value it can take in a table that agrees with everything published (``hi``
    may be infinite). A cell with ``hi - lo < 1`` is given away by subtraction;
    :func:`recoverable` lists those. Two LPs per suppressed cell (HiGHS)."""
    rows = [list(r) for r in cells]
    nr, nc = len(rows), len(rows[0]) if rows else 0
    rt = list(row_totals) if row_totals is not None else [None] * nr
    ct = list(col_totals) if col_totals is not None else [None] * nc
    # unknowns: suppressed cells, then the unpublished totals (a margin not published at all
    # is an unknown too: it adds no equation)
    var: dict[tuple[str, int, int], int] = {}
    lower: list[float] = []
    for i in range(nr):
        for j in range(nc):
            if rows[i][j] is None:
                var["c", i, j] = len(lower)
                lower.append(1.0)
    for i in range(nr):
        if rt[i] is None:
            var["r", i, 0] = len(lower)
            lower.append(0.0)
    for j in range(nc):
        if ct[j] is None:
            var["k", 0, j] = len(lower)
            lower.append(0.0)
    if grand_total is None:
        var["g", 0, 0] = len(lower)
        lower.append(0.0)
    cells_hidden = [(i, j) for i in range(nr) for j in range(nc) if rows[i][j] is None]
    if not cells_hidden:
        return []
    n = len(lower)
    eqs, rhs = [], []

    def equation(terms: list[tuple[float, tuple[str, int, int] | None, float]]) -> None:
        row, const = np.zeros(n), 0.0
        for coef, key, value in terms:
            if key is not None and key in var:
                row[var[key]] += coef
            else:
                const += coef * value
        if row.any():
            eqs.append(row)
            rhs.append(-const)

    def cell(i: int, j: int):
        return (1.0, ("c", i, j), 0.0) if rows[i][j] is None else (1.0, None, rows[i][j])

    for i in range(nr):
        equation([*(cell(i, j) for j in range(nc)),
                  (-1.0, ("r", i, 0), 0.0) if rt[i] is None else (-1.0, None, rt[i])])
    for j in range(nc):
        equation([*(cell(i, j) for i in range(nr)),
                  (-1.0, ("k", 0, j), 0.0) if ct[j] is None else (-1.0, None, ct[j])])
    g = (-1.0, ("g", 0, 0), 0.0) if grand_total is None else (-1.0, None, grand_total)
    equation([*((1.0, ("r", i, 0), 0.0) if rt[i] is None else (1.0, None, rt[i])
                for i in range(nr)), g])
    equation([*((1.0, ("k", 0, j), 0.0) if ct[j] is None else (1.0, None, ct[j])
                for j in range(nc)), g])
    a_eq = np.array(eqs) if eqs else None
    b_eq = np.array(rhs) if eqs else None
    bounds = [(lo, None) for lo in lower]
    out = []
    for i, j in cells_hidden:
        ends = []
        for sign in (1.0, -1.0):  # minimum, then maximum
            c = np.zeros(n)
            c[var["c", i, j]] = sign
            res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            if res.status == 3:
                ends.append(np.inf)
            elif res.status == 0:
                ends.append(sign * res.fun)
            else:
                raise ValueError(f"the published table is inconsistent: {res.message}")
        out.append((i, j, float(np.ceil(ends[0] - TOL)), float(np.floor(ends[1] + TOL))))
    return out


def recoverable(cells, row_totals=None, col_totals=None,
                grand_total=None) -> list[tuple[int, int, float]]:
    """The suppressed cells of a published table that its published cells and totals give
    away (``(row, col, value)``); empty when the table is safe. See
    :func:`published_intervals`."""
    return [(i, j, lo) for i, j, lo, hi in published_intervals(cells, row_totals, col_totals,
                                                                grand_total) if hi - lo < 1]


def complement_groups(frame: pd.DataFrame, group: list[str], counts: list[str], k: int,
                      hidden: str = "hidden", size: str | None = None) -> pd.Series:
    """Secondary suppression among the rows of each group whose sum is published elsewhere
    (a breakdown's levels beside everyone's row; relations that add up to all persons): while
    a group's hidden rows would add up, in any column of ``counts``, to 1 .. k - 1 - or a single
    row is hidden, which its total would give away - hide one more row, the smallest (by
    ``size``, default the first count) of those with every count at least ``k`` (so the sum of
    the hidden ones is at least k and no zero serves as a complement), else the smallest left.
    Returns the new ``hidden`` column.  Issue 21's review: a zero complement gave the primary
    away by subtraction."""
    out = frame[hidden].astype(bool).copy()
    size = size or counts[0]
    for _, part in frame.groupby(group, sort=False):
        idx = part.index
        while True:
            shut = out.loc[idx]
            if not shut.any() or shut.all():
                break
            sums = part.loc[shut[shut].index, counts].sum()
            if shut.sum() > 1 and not ((sums > 0) & (sums < k)).any():
                break
            left = part.loc[~shut]
            safe = left[(left[counts] >= k).all(axis=1)]
            pick = (safe if len(safe) else left)[size].idxmin()
            out.loc[pick] = True
    return out
