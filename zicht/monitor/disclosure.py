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

Method
------
The table is extended with its margins to an ``(R+1) x (C+1)`` array. Negating the single
margins (not the grand total) makes every row and column of that array add up to zero, so any
alternating rectangle ``(i,j)+, (i,j')-, (i',j')+, (i',j)-`` is a move that keeps all equations
(through the margins it reads: cell up, its row total, column total and grand total up too). A
rectangle whose four corners are all suppressed shifts each of them over ``-down .. +up`` without
leaving the attacker's bounds, so each corner's interval is at least ``up + down`` wide.
Secondary cells are chosen greedily: for each primary entry (row-major) that is not yet the
corner of a fully suppressed rectangle of width >= ``protection``, the rectangle of sufficient
width whose newly suppressed corners have the least sum of counts (then the fewest new corners,
then the first position) is suppressed; corners already suppressed cost nothing, so rectangles
are completed where possible; zeros and known totals are never corners. The result is then
verified by linear programming (HiGHS) over the published constraints (known totals as equations
with their values): an entry passes once two feasible tables (the true one and LP optima) differ
by >= ``protection`` in it, otherwise both its LPs are solved and give its exact interval. An
entry still too narrow gets more suppressions (a rectangle, else the other entries of its row and
column, else all) until it passes. Suppressing more only relaxes the attacker's constraints, so
with everything suppressed the intervals are the widest there are: a secondary entry too narrow
then is too narrow in every pattern that suppresses it, so it is published again (a count
>= ``k``; in practice one that the known totals pin anyway) and stays published; a primary one
means that the table cannot be protected: ``ValueError``. The output is deterministic.
:func:`feasibility_intervals` gives every suppressed entry's exact interval (two LPs each).

Speed (measured on 2 shared cores, 30 x 20 tables): about 0.02 s with 10% of the cells below
``k`` (some 65 primary and 25 secondary suppressions), about 0.1 s with 45% below ``k`` (some
270 primary ones), about 0.3 s for the latter with ``protection=3``; nearly all of it the
verifying LPs; the same with known totals. Against the basic attacker every table without
known totals can be protected (with everything non-zero suppressed, any entry can rise with its
totals without bound). Known totals can make that impossible: in ``[[5, 30], [20, 0]]`` with all
totals known the 20 is pinned by its row total, hence the 5 by its column total; ``ValueError``
naming the entry.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import linprog

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
_TOL = 1e-6


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
    _check_options(k, protection, attacker)
    x = _counts(table)
    for labels in (table.index, table.columns):
        if labels.has_duplicates:
            raise ValueError("row and column labels must be unique")
        if margins and total_label in labels:
            raise ValueError(f"a label equals total_label {total_label!r}; pass another one")
    y = _extend(x)
    known = _known(y.shape, known_col_totals, known_row_totals)
    hidden = _hidden(y.shape, not margins, not margins) & ~known
    names = [repr(v) for v in table.index], [repr(v) for v in table.columns]

    def describe(i: int, j: int) -> str:
        if i == y.shape[0] - 1 and j == y.shape[1] - 1:
            return "the grand total"
        if i == y.shape[0] - 1:
            return f"the column total of {names[1][j]}"
        if j == y.shape[1] - 1:
            return f"the row total of {names[0][i]}"
        return f"the cell ({names[0][i]}, {names[1][j]})"

    _check_known(y, known, k, describe)
    primary, secondary = _suppress(y, hidden, known, k, protection, attacker, describe)
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
    _check_options(k, protection, attacker)
    x = _counts(series.to_frame())[:, 0]
    if series.index.has_duplicates:
        raise ValueError("labels must be unique")
    if total and total_label in series.index:
        raise ValueError(f"a label equals total_label {total_label!r}; pass another one")
    y = _extend(x[None, :])
    known = _known(y.shape, False, known_total)
    hidden = _hidden(y.shape, True, not total) & ~known
    names = [repr(v) for v in series.index]

    def describe(i: int, j: int) -> str:
        return f"the count of {names[j]}" if j < len(names) else "the total"

    _check_known(y, known, k, describe)
    primary, secondary = _suppress(y, hidden, known, k, protection, attacker, describe)
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
    _counts(long[[count]])
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
        y = _extend(_counts(data.to_frame())[:, 0][None, :])
        hidden = _hidden(y.shape, True, not protected.total) & ~_known(
            y.shape, False, protected.known_total)
        n = protected.published.size
        primary, secondary = np.zeros(y.shape, dtype=bool), np.zeros(y.shape, dtype=bool)
        primary[0, :n] = protected.primary.to_numpy()
        secondary[0, :n] = protected.secondary.to_numpy()
        labels = [protected.published.index.to_numpy(dtype=object), np.array([None])]
    else:
        y = _extend(_counts(data))
        hidden = _hidden(y.shape, not protected.margins, not protected.margins) & ~_known(
            y.shape, protected.known_col_totals, protected.known_row_totals)
        primary, secondary = np.zeros(y.shape, dtype=bool), np.zeros(y.shape, dtype=bool)
        r, c = protected.published.shape
        primary[:r, :c] = protected.primary.to_numpy()
        secondary[:r, :c] = protected.secondary.to_numpy()
        labels = [protected.published.index.to_numpy(dtype=object),
                  protected.published.columns.to_numpy(dtype=object)]
    lo, hi = _intervals(y.astype(float), primary, secondary, hidden, protected.k,
                        protected.attacker, None)
    rows, cols = np.nonzero(primary | secondary)
    if isinstance(protected, ProtectedSeries):
        return pd.DataFrame({"label": labels[0][cols], "lo": lo[rows, cols],
                             "hi": hi[rows, cols]})
    return pd.DataFrame({"row": labels[0][rows], "col": labels[1][cols], "lo": lo[rows, cols],
                         "hi": hi[rows, cols]})


# -- the suppression, on the extended table -------------------------------------------------------


def _suppress(y: np.ndarray, hidden: np.ndarray, known: np.ndarray, k: int, protection: int,
              attacker: Attacker, describe=None):
    """Primary and secondary masks of the extended table ``y``; ``hidden`` entries (totals that
    are not published) are unknown to the attacker but not suppressed; ``known`` entries
    (totals published elsewhere, none in ``[1, k-1]``) are never suppressed."""
    y = y.astype(float)
    nc = y.shape[1]
    describe = describe or (lambda i, j: f"entry {(i, j)} of the extended table")
    # the margin sign: -1 on the single margins, +1 on the cells and on the grand total
    m = np.ones(y.shape)
    m[-1, :] *= -1
    m[:, -1] *= -1
    primary = (y > 0) & (y < k) & ~hidden
    if (primary & known).any():
        raise ValueError("a known total is in [1, k-1]")
    secondary = np.zeros_like(primary)
    # zeros and known totals are never suppressed; nor is a secondary entry that turned out to
    # be too narrow with everything else suppressed (``known`` grows by it)
    given = bool(known.any())
    known = known.copy()
    usable = ((y > 0) | hidden) & ~known
    # the attacker's bounds, for a published non-zero entry those it would have as a secondary
    informed = attacker == "informed"
    lb = np.where(primary, 1.0, float(k) if informed else 1.0)
    ub = np.where(primary & informed, k - 1.0, np.inf)
    lb[hidden], ub[hidden] = 0.0, np.inf

    def caps(v, low, high, sign):
        """How far an entry can move with the rectangle's move up, and down."""
        return np.where(sign > 0, high - v, v - low), np.where(sign > 0, v - low, high - v)

    def rectangles(i: int, j: int):
        """Width, cost, new-corner count and validity of every rectangle through (i, j),
        indexed by its opposite corner."""
        me = m[i, j]
        up_a, dn_a = caps(y[i, :], lb[i, :], ub[i, :], -m[i, :] * me)
        up_b, dn_b = caps(y[:, j], lb[:, j], ub[:, j], -m[:, j] * me)
        up_d, dn_d = caps(y, lb, ub, m * me)
        up = np.minimum(np.minimum(up_a[None, :], up_b[:, None]), up_d)
        dn = np.minimum(np.minimum(dn_a[None, :], dn_b[:, None]), dn_d)
        width = np.minimum(up, ub[i, j] - y[i, j]) + np.minimum(dn, y[i, j] - lb[i, j])
        fresh = usable & ~(primary | secondary | hidden)
        value = np.where(fresh, y, 0.0)
        cost = value[i, :][None, :] + value[:, j][:, None] + value
        count = fresh[i, :][None, :].astype(int) + fresh[:, j][:, None] + fresh
        valid = usable[i, :][None, :] & usable[:, j][:, None] & usable
        valid[i, :] = False
        valid[:, j] = False
        return width, cost, count, valid

    def add(i: int, j: int, flat: int) -> None:
        i2, j2 = divmod(int(flat), nc)
        for a, b in ((i, j2), (i2, j), (i2, j2)):
            if not (primary[a, b] or hidden[a, b]):
                secondary[a, b] = True

    order = np.arange(y.size)
    for i, j in zip(*np.nonzero(primary), strict=True):
        width, cost, count, valid = rectangles(i, j)
        wide = (valid & (width >= protection)).ravel()
        if (wide & (count.ravel() == 0)).any():
            continue  # already the corner of a suppressed rectangle that is wide enough
        if wide.any():
            add(i, j, np.lexsort((order, count.ravel(), cost.ravel(), ~wide))[0])

    while True:  # verify; more suppressions for an entry that is still too narrow
        lo, hi = _intervals(y, primary, secondary, hidden, k, attacker, protection)
        narrow = (primary | secondary) & (hi - lo < protection - _TOL)
        if not narrow.any():
            return primary, secondary
        i, j = (int(v[0]) for v in np.nonzero(narrow))
        width, cost, count, valid = rectangles(i, j)
        valid = (valid & (count > 0)).ravel()
        if valid.any():
            width = np.where(np.isinf(width), np.finfo(float).max, width).ravel()
            add(i, j, np.lexsort((order, count.ravel(), cost.ravel(), -width, ~valid))[0])
            continue
        free = usable & ~(primary | secondary | hidden)
        more = np.zeros_like(primary)
        more[i, :] = more[:, j] = True
        more = (more & free) if (more & free).any() else free  # its lines, else everything
        if more.any():
            secondary |= more
            continue
        # everything that may be suppressed is: the widest intervals there are (suppressing
        # more only relaxes the attacker's constraints)
        if secondary[i, j]:
            # too narrow in every pattern that suppresses it, so published in every valid
            # pattern (a count >= k; in practice one that the known totals pin anyway)
            secondary[i, j], usable[i, j], known[i, j] = False, False, True
            continue
        # a primary entry that no suppression protects
        extra = " with the known totals published" if given else ""
        remedies = [text for text, useful in (
            ("publish fewer totals elsewhere or merge categories", given),
            ("lower protection", protection > 1),
            ("use attacker='basic'", attacker == "informed"),
        ) if useful]
        raise ValueError(
            f"{describe(i, j)} (count {int(y[i, j])}) cannot be protected to width "
            f"{protection} against the {attacker} attacker{extra}, not even by suppressing "
            f"every other non-zero count; {', or '.join(remedies)}"
        )


def _intervals(y, primary, secondary, hidden, k, attacker, protection):
    """Feasibility intervals of the suppressed entries under the published constraints (NaN
    elsewhere). ``protection=None``: exact. Otherwise an entry is settled as soon as two
    feasible tables seen (the true one, LP optima) differ by >= ``protection`` in it; its
    ``[lo, hi]`` is then the range seen, and exact for the entries that are not settled."""
    suppressed = primary | secondary
    unknown = suppressed | hidden
    lo = np.where(suppressed, y, np.nan)
    hi = lo.copy()
    if not suppressed.any():
        return lo, hi
    n = int(unknown.sum())
    pos = np.full(y.shape, -1)
    pos[unknown] = np.arange(n)
    # each row of the extended table: its cells - its total = 0; each column likewise
    eqs, rhs = [], []
    for line in [np.s_[r, :] for r in range(y.shape[0])] + [np.s_[:, c] for c in
                                                              range(y.shape[1])]:
        coef = np.ones(unknown[line].size)
        coef[-1] = -1.0
        mask = unknown[line]
        if mask.any():
            row = np.zeros(n)
            row[pos[line][mask]] = coef[mask]
            eqs.append(row)
            rhs.append(-float(coef[~mask] @ y[line][~mask]))
    a_eq, b_eq = np.array(eqs), np.array(rhs)
    if attacker == "informed":
        lower = np.where(primary, 1.0, np.where(secondary, float(k), 0.0))
        upper = np.where(primary, k - 1.0, np.inf)
    else:
        lower, upper = np.where(suppressed, 1.0, 0.0), np.full(y.shape, np.inf)
    bounds = np.column_stack([lower[unknown], upper[unknown]])
    seen_lo, seen_hi = y[unknown].copy(), y[unknown].copy()

    def settled(v: int) -> bool:
        return protection is not None and seen_hi[v] - seen_lo[v] >= protection - _TOL

    for v in pos[suppressed]:
        for sign in (-1.0, 1.0):  # maximum, then minimum
            if settled(v):
                break
            c = np.zeros(n)
            c[v] = sign
            res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            if res.status == 3 and sign < 0:
                seen_hi[v] = np.inf
            elif res.status == 0:
                seen_lo, seen_hi = np.minimum(seen_lo, res.x), np.maximum(seen_hi, res.x)
            else:
                raise RuntimeError(f"feasibility LP failed: {res.message}")
    lo[unknown], hi[unknown] = np.ceil(seen_lo - _TOL), np.floor(seen_hi + _TOL)
    lo[~suppressed] = hi[~suppressed] = np.nan
    return lo, hi


# -- helpers --------------------------------------------------------------------------------------


def _extend(x: np.ndarray) -> np.ndarray:
    """The table with its row totals as last column and its column totals as last row."""
    out = np.zeros((x.shape[0] + 1, x.shape[1] + 1), dtype=np.int64)
    out[:-1, :-1] = x
    out[:-1, -1] = x.sum(axis=1)
    out[-1, :-1] = x.sum(axis=0)
    out[-1, -1] = x.sum()
    return out


def _known(shape: tuple[int, int], col_totals: bool, row_totals: bool) -> np.ndarray:
    """The totals published elsewhere: the last row (column totals) and/or the last column
    (row totals), and with either of them the grand total (their sum)."""
    known = np.zeros(shape, dtype=bool)
    known[-1, :] = col_totals
    known[:, -1] |= row_totals
    return known


def _check_known(y: np.ndarray, known: np.ndarray, k: int, describe) -> None:
    small = known & (y >= 1) & (y < k)
    if small.any():
        i, j = (int(v[0]) for v in np.nonzero(small))
        raise ValueError(
            f"{describe(i, j)} is {int(y[i, j])}, below k = {k}: it cannot be published "
            "elsewhere either, so it cannot be a known total; suppress it there too and pass "
            "known totals only for totals that are published"
        )


def _hidden(shape: tuple[int, int], last_row: bool, last_col: bool) -> np.ndarray:
    """The totals that are not published: the whole last row and/or last column."""
    hidden = np.zeros(shape, dtype=bool)
    hidden[-1, :] = last_row
    hidden[:, -1] |= last_col
    return hidden


def _counts(table: pd.DataFrame) -> np.ndarray:
    if not isinstance(table, pd.DataFrame):
        raise TypeError("expected a pandas DataFrame of counts")
    try:
        values = table.to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError("counts must be numbers") from exc
    if np.isnan(values).any():
        raise ValueError("counts must not be missing")
    if (values < 0).any() or (values != np.round(values)).any():
        raise ValueError("counts must be non-negative integers")
    return values.astype(np.int64)


def _check_options(k: int, protection: int, attacker: str) -> None:
    if int(k) != k or k < 1:
        raise ValueError("k must be a positive integer")
    if int(protection) != protection or protection < 1:
        raise ValueError("protection must be a positive integer")
    if attacker not in ("informed", "basic"):
        raise ValueError("attacker must be 'informed' or 'basic'")
    if attacker == "informed" and k >= 2 and protection > k - 2:
        raise ValueError(
            f"the informed attacker knows that a primary count lies in [1, {k - 1}], too "
            f"narrow for protection={protection}: use a larger k, a smaller protection or "
            "attacker='basic'"
        )


def _fmt(v, lang: str, marker: str | None) -> str:
    if pd.isna(v):
        return MARKERS[lang] if marker is None else marker
    return f"{int(v):,}".replace(",", _THOUSANDS[lang])


def _relabel(labels: pd.Index, old: Hashable, new: str) -> pd.Index:
    return pd.Index([new if v == old else v for v in labels], name=labels.name)
