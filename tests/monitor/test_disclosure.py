"""Disclosure control: hand-made tables, and property tests on random tables in which a linear
programme written here, independently of the module's own verifier, plays the attacker."""

import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from tests.support import examples
from zicht.monitor.disclosure import (
    feasibility_intervals,
    protect,
    protect_long,
    protect_series,
)

# -- the attacker, from scratch ---------------------------------------------------------------


def _bounds_of(true, shown, k, attacker):
    """What the attacker knows of one entry: its published value, else bounds of the rules."""
    if not pd.isna(shown):
        return (float(shown), float(shown))
    if attacker == "basic":
        return (1.0, None)
    return (1.0, k - 1.0) if true < k else (float(k), None)


def _ranges(a_eq, bounds, unknown):
    """Least and greatest value of each variable in ``unknown`` under A x = 0 and bounds."""
    out = {}
    for v in unknown:
        c = np.zeros(len(bounds))
        c[v] = 1.0
        low = linprog(c, A_eq=a_eq, b_eq=np.zeros(len(a_eq)), bounds=bounds, method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=np.zeros(len(a_eq)), bounds=bounds, method="highs")
        assert low.status == 0 and high.status in (0, 3)
        out[v] = (low.fun, np.inf if high.status == 3 else -high.fun)
    return out


def _known_entries(nr, nc, p):
    """Which of the variables (cells, row totals, column totals, grand total) are totals
    published elsewhere, hence known exactly to the attacker."""
    rows, cols = getattr(p, "known_row_totals", False), getattr(p, "known_col_totals", False)
    return [False] * (nr * nc) + [rows] * nr + [cols] * nc + [rows or cols]


def attacker_ranges(x, p, attacker):
    """For a 2-D table: variables are the cells, the row totals, the column totals and the grand
    total; equations: each row and column of cells adds up to its total, the totals add up to
    the grand total; totals published elsewhere are equality constraints, whatever this table
    shows of them. Returns {(kind, index): (true value, least, greatest)} for each suppressed
    entry."""
    x = np.asarray(x)
    nr, nc = x.shape
    true = [*x.ravel(), *x.sum(axis=1), *x.sum(axis=0), x.sum()]
    names = ([("cell", (i, j)) for i in range(nr) for j in range(nc)]
             + [("row", i) for i in range(nr)] + [("col", j) for j in range(nc)] + [("all", 0)])
    pub = p.published
    if p.margins:
        shown = [*pub.iloc[:nr, :nc].to_numpy().ravel(), *pub.iloc[:nr, nc], *pub.iloc[nr, :nc],
                 pub.iloc[nr, nc]]
    else:
        shown = [*pub.to_numpy().ravel(), *[None] * (nr + nc + 1)]
    known = _known_entries(nr, nc, p)
    bounds = []
    for n, (t, s) in enumerate(zip(true, shown, strict=True)):
        if known[n]:
            bounds.append((float(t), float(t)))  # published elsewhere
        elif n >= nr * nc and not p.margins:
            bounds.append((0.0, None))  # a total that is not published
        else:
            bounds.append(_bounds_of(t, s, p.k, attacker))
    a_eq = []
    cell = np.arange(nr * nc).reshape(nr, nc)
    for i in range(nr):
        row = np.zeros(len(true))
        row[cell[i]] = 1
        row[nr * nc + i] = -1
        a_eq.append(row)
    for j in range(nc):
        row = np.zeros(len(true))
        row[cell[:, j]] = 1
        row[nr * nc + nr + j] = -1
        a_eq.append(row)
    for first, size in ((nr * nc, nr), (nr * nc + nr, nc)):
        row = np.zeros(len(true))
        row[first:first + size] = 1
        row[-1] = -1
        a_eq.append(row)
    unknown = [v for v, s in enumerate(shown)
               if pd.isna(s) and (v < nr * nc or p.margins) and not known[v]]
    for v, (lo, hi) in enumerate(bounds):  # the true table is feasible
        assert lo <= true[v] and (hi is None or true[v] <= hi)
    found = _ranges(np.array(a_eq), bounds, unknown)
    return {names[v]: (true[v], *found[v]) for v in unknown}


def series_ranges(x, ps, attacker):
    """Variables: the counts and the total; one equation, the counts add up to the total, which
    is free (>= 0) if it is neither published nor known."""
    x = np.asarray(x)
    n = len(x)
    true = [*x, x.sum()]
    shown = list(ps.published)
    bounds = [_bounds_of(t, s, ps.k, attacker) for t, s in zip(true[:n], shown[:n], strict=True)]
    if getattr(ps, "known_total", False):
        bounds.append((float(true[n]), float(true[n])))  # published elsewhere
    elif ps.total:
        bounds.append(_bounds_of(true[n], shown[n], ps.k, attacker))
    else:
        bounds.append((0.0, None))
    a_eq = np.array([[1.0] * n + [-1.0]])
    unknown = [v for v, s in enumerate(shown) if pd.isna(s)]
    found = _ranges(a_eq, bounds, unknown)
    return {v: (true[v], *found[v]) for v in unknown}


def assert_safe(x, p, attacker=None):
    """Properties (1)-(3) of a protected table, (2) checked by the LP above."""
    x = np.asarray(x)
    nr, nc = x.shape
    ext = np.zeros((nr + 1, nc + 1), dtype=int)
    ext[:nr, :nc], ext[:nr, nc], ext[nr, :nc], ext[nr, nc] = x, x.sum(1), x.sum(0), x.sum()
    true = ext if p.margins else x
    shown = p.published.to_numpy(dtype=float, na_value=np.nan)
    assert shown.shape == true.shape
    published = ~np.isnan(shown)
    # (1) nothing published in [1, k-1]; (3) what is published is true
    assert not ((true[published] >= 1) & (true[published] < p.k)).any()
    assert (shown[published] == true[published]).all()
    # the masks: primary are exactly the entries in [1, k-1], secondary ones are >= k
    assert (p.primary.to_numpy() == ((true >= 1) & (true < p.k))).all()
    assert (true[p.secondary.to_numpy()] >= p.k).all()
    assert (p.suppressed.to_numpy() == ~published).all()
    assert (true[~published] > 0).all()  # zeros are always published
    # totals published elsewhere are never suppressed here
    if p.margins and p.known_col_totals:
        assert not p.suppressed.iloc[-1].any()
    if p.margins and p.known_row_totals:
        assert not p.suppressed.iloc[:, -1].any()
    # (2) every suppressed entry's range is at least `protection` wide
    ranges = attacker_ranges(x, p, attacker or p.attacker)
    assert len(ranges) == (~published).sum()
    for name, (value, lo, hi) in ranges.items():
        assert lo - 1e-6 <= value <= hi + 1e-6, name
        assert hi - lo >= p.protection - 1e-6, (name, value, lo, hi)
    return ranges


# -- hand-made tables ---------------------------------------------------------------------------

T3 = pd.DataFrame([[3, 20, 30], [40, 12, 50], [60, 70, 15]], index=["a", "b", "c"],
                  columns=["X", "Y", "Z"])


def test_a_single_small_cell_forces_three_more_in_a_rectangle():
    p = protect(T3)
    assert p.primary.sum().sum() == 1 and p.primary.loc["a", "X"]
    secondary = {(r, c) for r in p.secondary.index for c in p.secondary.columns
                 if p.secondary.loc[r, c]}
    assert secondary == {("a", "Y"), ("b", "X"), ("b", "Y")}  # the cheapest rectangle
    assert p.row_totals.notna().all() and p.col_totals.notna().all()
    assert p.grand_total == 300
    ranges = assert_safe(T3, p)
    assert ranges[("cell", (0, 0))][1:] == pytest.approx((1, 22))
    informed = protect(T3, attacker="informed")
    assert informed.secondary.equals(p.secondary)
    assert assert_safe(T3, informed)[("cell", (0, 0))][1:] == pytest.approx((1, 9))


def test_exact_intervals_by_hand():
    # aX = t, aY = 23 - t, bX = 43 - t, bY = 9 + t; basic: t >= 1 and aY >= 1
    got = feasibility_intervals(T3, protect(T3))
    assert got[["lo", "hi"]].to_numpy().tolist() == [[1, 22], [1, 22], [21, 42], [10, 31]]
    # informed: t in [1, 9] and bY >= 10
    got = feasibility_intervals(T3, protect(T3, attacker="informed"))
    assert got[["lo", "hi"]].to_numpy().tolist() == [[1, 9], [14, 22], [34, 42], [10, 18]]


def test_a_small_row_total_is_suppressed_with_its_row():
    x = pd.DataFrame([[40, 35, 20, 50], [2, 3, 0, 1], [25, 30, 45, 60]],
                     index=["NL", "BES", "CW"], columns=["F", "M", "X", "U"])
    p = protect(x)
    assert pd.isna(p.row_totals["BES"])
    assert p.primary.loc["BES"].tolist() == [True, True, False, True, True]
    assert p.published.loc["BES", "X"] == 0
    assert_safe(x, p)


def test_a_small_column_total():
    x = pd.DataFrame([[40, 4], [35, 0], [20, 3]], index=[2022, 2023, 2024],
                     columns=["labour", "other"])
    p = protect(x)
    assert pd.isna(p.col_totals["other"])
    assert_safe(x, p)


def test_a_grand_total_below_k_suppresses_everything_but_zeros():
    x = pd.DataFrame([[1, 0], [2, 4]])
    p = protect(x)
    assert p.published.isna().to_numpy().sum() == 8
    assert p.published.iloc[0, 1] == 0
    assert_safe(x, p)


def test_k_is_configurable():
    x = pd.DataFrame([[10, 25], [30, 12]])
    assert not protect(x).suppressed.to_numpy().any()
    p11 = protect(x, k=11)  # CTDC: at least 11 persons
    assert p11.primary.iloc[0, 0] and not p11.primary.iloc[1, 1]
    assert p11.suppressed.to_numpy().sum() >= 4
    assert_safe(x, p11)
    p13 = protect(x, k=13)
    assert p13.primary.iloc[1, 1]
    assert_safe(x, p13)
    assert not protect(pd.DataFrame([[1, 2]]), k=1).suppressed.to_numpy().any()


def test_zeros_are_published_and_cannot_give_a_cell_away():
    # row a: 0 + 4 + 25 = 29; the zero is published, the 4 still cannot be recovered
    x = pd.DataFrame([[0, 4, 25], [0, 30, 12], [0, 0, 0]], index=list("abc"))
    p = protect(x)
    assert (p.published.iloc[:, 0] == 0).all()
    assert (p.published.loc["c"] == 0).all()  # an empty row is published as it is
    assert not p.suppressed.iloc[:, 0].any()
    assert_safe(x, p)


def test_zeros_force_the_totals_when_nothing_else_is_left():
    # the 5 is alone with zeros in its row and column: only totals can hide it
    x = pd.DataFrame([[5, 0, 0], [0, 20, 30], [0, 40, 50]])
    p = protect(x)
    assert pd.isna(p.row_totals.iloc[0]) and pd.isna(p.col_totals.iloc[0])
    assert_safe(x, p)


def test_a_safe_table_is_unchanged():
    x = pd.DataFrame([[10, 0, 25], [0, 0, 0], [11, 99, 1234]], index=[2021, 2022, 2023],
                     columns=pd.Index(["F", "M", "U"], name="sex"))
    x.index.name = "year"
    p = protect(x)
    assert not p.suppressed.to_numpy().any()
    assert p.table.astype(int).equals(x)
    assert p.row_totals.tolist() == [35, 0, 1344] and p.grand_total == 1379
    assert p.published.index.name == "year" and p.published.columns.name == "sex"
    assert feasibility_intervals(x, p).empty


def test_margins_false_needs_no_secondary_suppression():
    p = protect(T3, margins=False)
    assert p.published.shape == (3, 3)
    assert p.suppressed.to_numpy().sum() == 1 and p.row_totals is None
    assert_safe(T3, p)


def test_protection_level():
    p = protect(T3, protection=5)
    assert (feasibility_intervals(T3, p).eval("hi - lo") >= 5).all()
    assert_safe(T3, p)
    assert_safe(T3, protect(T3, protection=8, attacker="informed"))
    with pytest.raises(ValueError, match="informed attacker"):
        protect(T3, k=10, protection=9, attacker="informed")
    with pytest.raises(ValueError, match="informed attacker"):
        protect(T3, k=2, attacker="informed")
    assert not protect(T3, k=2).suppressed.to_numpy().any()
    assert_safe(T3, protect(T3, protection=100))


def test_the_informed_attacker_cannot_always_be_defeated():
    x = pd.DataFrame([[1] * 9 + [0], [30] * 10])  # nine ones, row total 9 = k - 1
    with pytest.raises(ValueError, match="not even by suppressing"):
        protect(x, attacker="informed")
    assert_safe(x, protect(x))
    assert_safe(x, protect(x, attacker="informed", k=11))


def test_the_same_input_gives_the_same_pattern():
    rng = np.random.default_rng(7)
    x = pd.DataFrame(rng.choice([0, 1, 3, 8, 12, 30, 70], size=(12, 9)))
    a, b = protect(x), protect(x.copy())
    assert a.published.equals(b.published) and a.secondary.equals(b.secondary)


def test_a_30_by_20_table():
    rng = np.random.default_rng(3)
    x = rng.choice([0, 1, 2, 4, 7, 11, 15, 25, 40, 80, 200], size=(30, 20),
                   p=[0.1, 0.03, 0.03, 0.02, 0.02] + [0.8 / 6] * 6)
    start = time.perf_counter()
    p = protect(pd.DataFrame(x))
    assert time.perf_counter() - start < 10  # about 0.1 s
    assert p.secondary.to_numpy().any()
    assert_safe(x, p)


def test_display_and_legend():
    x = pd.DataFrame([[3, 2000], [1500, 12]], index=["a", "b"], columns=["X", "Y"])
    p = protect(x)
    nl, en = p.display(), p.display("en")
    assert nl.loc["a", "X"] == "geheim" and en.loc["a", "X"] == "suppressed"
    assert nl.loc["Totaal", "Totaal"] == "3.515" and en.loc["Total", "Total"] == "3,515"
    assert p.display(marker="x", total="Alle").loc["Alle", "X"] in ("x", "1.503")
    assert "10" in p.legend() and "fewer than 10" in p.legend("en")


def test_bad_input():
    with pytest.raises(ValueError, match="non-negative"):
        protect(pd.DataFrame([[1, -2]]))
    with pytest.raises(ValueError, match="non-negative"):
        protect(pd.DataFrame([[1.5, 2]]))
    with pytest.raises(ValueError, match="missing"):
        protect(pd.DataFrame([[np.nan, 2]]))
    with pytest.raises(ValueError, match="total_label"):
        protect(pd.DataFrame([[1, 2]], columns=["total", "x"]))
    with pytest.raises(ValueError, match="unique"):
        protect(pd.DataFrame([[1, 2]], columns=["x", "x"]))
    with pytest.raises(ValueError, match="k must"):
        protect(T3, k=0)


def test_series():
    s = pd.Series([3, 20, 30], index=pd.Index(["F", "M", "U"], name="sex"), name="persons")
    p = protect_series(s)
    assert p.published.index.tolist() == ["F", "M", "U", "total"]
    assert p.published.isna().tolist() == [True, True, False, False]
    assert p.primary.tolist() == [True, False, False, False]
    assert p.display("en").tolist() == ["suppressed", "suppressed", "30", "53"]
    assert series_ranges(s, p, "basic")[0][1:] == pytest.approx((1, 22))
    got = feasibility_intervals(s, protect_series(s, attacker="informed"))
    assert got[["lo", "hi"]].to_numpy().tolist() == [[1, 9], [14, 22]]
    small = protect_series(pd.Series([2, 0, 3]))
    assert small.published.isna().tolist() == [True, False, True, True]
    bare = protect_series(pd.Series([2, 40, 30]), total=False)
    assert bare.published.isna().tolist() == [True, False, False]


def test_long_tables():
    long = pd.DataFrame({
        "year": [2023, 2023, 2023, 2024, 2024, 2024],
        "form": pd.Categorical(["labour", "sexual", "labour", "criminal", "labour", "sexual"],
                               categories=["sexual", "labour", "criminal", "other"]),
        "count": [10, 40, 5, 3, 30, 45],
    })
    out = protect_long(long, "year", "form")
    assert list(out.columns) == ["year", "form", "count", "suppressed"]
    assert out["form"].tolist()[:5] == ["sexual", "labour", "criminal", "other", "total"]
    rows = {(r.year, r.form): r.count for r in out.itertuples()}
    assert rows[(2023, "labour")] == 15  # repeated pairs are added
    assert rows[(2023, "other")] == 0 and rows[(2024, "other")] == 0  # missing pairs count 0
    assert pd.isna(rows[(2024, "criminal")]) and rows[("total", "total")] == 133
    wide = long.pivot_table(index="year", columns="form", values="count", aggfunc="sum",
                            fill_value=0, observed=False)
    assert out.equals(protect(wide).to_long("year", "form", "count"))
    assert_safe(wide.to_numpy(), protect(wide))


# -- totals published elsewhere ------------------------------------------------------------------

# years as columns: the persons per year (the column totals) are an indicator of their own
T_YEAR = pd.DataFrame([[20, 60, 0], [0, 60, 15], [15, 30, 4]], index=["F", "M", "X"],
                      columns=[2022, 2023, 2024])


def cells_of(mask):
    return {(r, c) for r in mask.index for c in mask.columns if mask.loc[r, c]}


def test_known_column_totals_keep_the_suppressions_inside_the_cells():
    plain = protect(T_YEAR)  # the cheapest protection hides two year totals
    assert pd.isna(plain.col_totals[2022]) and pd.isna(plain.col_totals[2024])
    p = protect(T_YEAR, known_col_totals=True)
    assert cells_of(p.primary) == {("X", 2024)}
    assert cells_of(p.secondary) == {("M", 2023), ("M", 2024), ("X", 2023)}
    assert p.col_totals.tolist() == T_YEAR.sum().tolist() == [35, 150, 19]
    assert p.row_totals.tolist() == [80, 75, 49] and p.grand_total == 204
    assert_safe(T_YEAR, p)
    # X2024 = t, X2023 = 34 - t, M2024 = 19 - t, M2023 = 56 + t; basic: t >= 1, M2024 >= 1
    got = feasibility_intervals(T_YEAR, p)
    assert got[["lo", "hi"]].to_numpy().tolist() == [[57, 74], [1, 18], [16, 33], [1, 18]]
    # informed: t in [1, 9], M2024 >= 10
    informed = protect(T_YEAR, known_col_totals=True, attacker="informed")
    assert informed.secondary.equals(p.secondary)
    got = feasibility_intervals(T_YEAR, informed)
    assert got[["lo", "hi"]].to_numpy().tolist() == [[57, 65], [10, 18], [25, 33], [1, 9]]
    assert_safe(T_YEAR, informed)
    both = protect(T_YEAR, known_col_totals=True, known_row_totals=True)
    assert both.published.equals(p.published)
    assert_safe(T_YEAR, both)


def joint_intervals(pa, pb):
    """The basic attacker of two published year tables (sex x year, age x year, margins) of the
    same persons: variables are the persons per sex x age x year; each published entry is an
    equation, each suppressed one a sum >= 1. {(table, row, col): (least, greatest)} of the
    suppressed entries."""
    ns, ny = pa.published.shape[0] - 1, pa.published.shape[1] - 1
    na = pb.published.shape[0] - 1
    z = np.arange(ns * na * ny).reshape(ns, na, ny)
    sums = {}
    for name, p in (("sex", pa), ("age", pb)):
        for r in range(p.published.shape[0]):
            for c in range(ny + 1):
                rs = slice(None) if r == p.published.shape[0] - 1 else r
                cs = slice(None) if c == ny else c
                cells = z[rs, :, cs] if name == "sex" else z[:, rs, cs]
                sums[(name, r, c)] = (cells.ravel(), p.published.iloc[r, c])
    a_eq, b_eq, a_ub = [], [], []
    for cells, shown in sums.values():
        row = np.zeros(z.size)
        row[cells] = 1.0
        if pd.isna(shown):
            a_ub.append(-row)
        else:
            a_eq.append(row)
            b_eq.append(float(shown))
    out = {}
    for key, (cells, shown) in sums.items():
        if pd.isna(shown):
            c = np.zeros(z.size)
            c[cells] = 1.0
            ends = [linprog(sign * c, A_ub=np.array(a_ub), b_ub=-np.ones(len(a_ub)),
                            A_eq=np.array(a_eq), b_eq=b_eq, method="highs") for sign in (1, -1)]
            assert ends[0].status == 0 and ends[1].status in (0, 3)
            out[key] = (ends[0].fun, np.inf if ends[1].status == 3 else -ends[1].fun)
    return out


def test_tables_that_share_their_year_totals():
    by_sex = T_YEAR
    by_age = pd.DataFrame([[5, 40, 10], [30, 90, 9], [0, 20, 0]], index=["<18", "18-64", "65+"],
                          columns=[2022, 2023, 2024])
    assert by_age.sum().equals(by_sex.sum())  # the same persons
    year_totals = by_sex.sum()
    protected = {}
    for name, x in (("sex", by_sex), ("age", by_age)):
        p = protected[name] = protect(x, known_col_totals=True)
        assert p.col_totals.astype(int).equals(year_totals)  # published alike everywhere
        assert not p.suppressed.iloc[-1].any()
        assert_safe(x, p)
    # the year totals are constants of both tables, so the attacker of both together, who
    # reasons on the persons per sex x age band x year, learns no more than from each alone
    joint = joint_intervals(protected["sex"], protected["age"])
    for name, x in (("sex", by_sex), ("age", by_age)):
        alone = feasibility_intervals(x, protected[name])
        rows, cols = np.nonzero(protected[name].suppressed.to_numpy())
        together = np.array([joint[(name, r, c)] for r, c in zip(rows, cols, strict=True)])
        assert together == pytest.approx(alone[["lo", "hi"]].to_numpy())
    # protected without the option, by sex hides the totals of 2022 and 2024, by age publishes
    # them: together they give the small count away
    plain = joint_intervals(protect(by_sex), protect(by_age))
    assert plain[("sex", 2, 2)] == pytest.approx((4, 4))  # X 2024 is 4


def test_known_totals_without_margins_need_secondary_cells():
    # without margins nothing but the small cell would be hidden; a known year total gives it
    # away unless another cell of its column goes too
    p = protect(T3, margins=False, known_col_totals=True)
    assert p.published.shape == (3, 3) and p.primary.loc["a", "X"]
    assert p.suppressed["X"].sum() >= 2
    assert_safe(T3, p)
    ranges = attacker_ranges(T3, protect(T3, margins=False), "basic")
    assert ranges[("cell", (0, 0))][2] == np.inf  # the totals unknown: unbounded


def test_a_small_known_total_is_refused():
    with pytest.raises(ValueError, match="column total of 0 is 5.*cannot be published elsewhere"):
        protect(pd.DataFrame([[5, 0, 0], [0, 20, 30], [0, 40, 50]]), known_col_totals=True)
    with pytest.raises(ValueError, match="row total of 'b' is 3.*cannot be published elsewhere"):
        protect(pd.DataFrame([[50, 20], [3, 0]], index=["a", "b"]), known_row_totals=True)
    with pytest.raises(ValueError, match="cannot be published elsewhere"):
        protect_series(pd.Series([3, 0, 4]), known_total=True, total=False)
    # the same tables without the option: the small totals are suppressed
    assert protect(pd.DataFrame([[50, 20], [3, 0]])).row_totals.isna().iloc[1]


def test_a_table_that_its_known_totals_give_away_is_refused():
    # row b is 20 alone and known; so is column 0 (25), leaving 5 for the small cell
    x = pd.DataFrame([[5, 30], [20, 0]], index=["a", "b"], columns=["X", "Y"])
    with pytest.raises(ValueError, match=r"cell \('a', 'X'\).*with the known totals"):
        protect(x, known_col_totals=True, known_row_totals=True)
    assert_safe(x, protect(x, known_col_totals=True))  # the row totals may still be hidden


def test_a_secondary_cell_its_known_totals_pin_is_published_after_all():
    # row 1 is a 9 and zeros, its total known: the 9 is pinned whatever is suppressed, so once
    # it has been taken as a secondary cell and everything else is suppressed, it is published
    x = np.array([[1, 9, 0], [9, 0, 0], [9, 0, 5], [0, 20, 10]])
    p = protect(pd.DataFrame(x), k=3, attacker="informed", known_col_totals=True,
                known_row_totals=True)
    assert p.published.iloc[1, 0] == 9
    assert p.primary.iloc[0, 0] and p.suppressed.to_numpy().sum() == 6
    assert_safe(x, p)
    assert not unprotectable(x, 3, 1, "informed", True, True, True)


def test_series_with_a_known_total():
    s = pd.Series([3, 0, 40, 50], index=["police", "police+ngo", "ngo", "other"])
    p = protect_series(s, known_total=True)
    assert p.published.isna().tolist() == [True, False, True, False, False]
    assert p.published.iloc[-1] == 93 and not p.suppressed.iloc[-1]
    bare = protect_series(s, known_total=True, total=False)
    assert bare.published.isna().tolist() == [True, False, True, False]
    for q in (p, bare):
        got = feasibility_intervals(s, q)
        assert got[["lo", "hi"]].to_numpy().tolist() == [[1, 42], [1, 42]]
        assert {v: r[1:] for v, r in series_ranges(s, q, "basic").items()} == {
            0: (1, 42), 2: (1, 42)}
    # without the known total a lone small count is enough to hide
    assert protect_series(s, total=False).suppressed.sum() == 1
    got = feasibility_intervals(s, protect_series(s, known_total=True, attacker="informed"))
    assert got[["lo", "hi"]].to_numpy().tolist() == [[1, 9], [34, 42]]


def test_long_tables_with_known_totals():
    long = T_YEAR.rename_axis(index="sex", columns="year").stack().rename("n").reset_index()
    out = protect_long(long, "sex", "year", "n", known_col_totals=True)
    totals = out[out["sex"] == "total"].set_index("year")["n"]
    assert totals.tolist() == [35, 150, 19, 204] and not out["n"].between(1, 9).any()


# -- random tables ------------------------------------------------------------------------------

COUNTS = st.one_of(st.just(0), st.integers(1, 9), st.integers(0, 15), st.integers(0, 60))


@st.composite
def tables(draw, max_side=8):
    nr, nc = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    values = draw(st.lists(COUNTS, min_size=nr * nc, max_size=nr * nc))
    return np.array(values, dtype=int).reshape(nr, nc)


@st.composite
def options(draw):
    k = draw(st.sampled_from([3, 5, 10, 11]))
    attacker = draw(st.sampled_from(["informed", "basic"]))
    top = k - 2 if attacker == "informed" else 4
    return k, draw(st.integers(1, min(top, 4))), attacker


def everything_suppressed(x, k, margins=True, known_col=False, known_row=False):
    """A stand-in publication with every non-zero count suppressed (but the known totals): the
    widest intervals."""
    x = np.asarray(x)
    shown = np.zeros((x.shape[0] + 1, x.shape[1] + 1))
    shown[:-1, :-1], shown[:-1, -1], shown[-1, :-1], shown[-1, -1] = (x, x.sum(1), x.sum(0),
                                                                      x.sum())
    keep = shown.copy()
    shown[shown > 0] = np.nan
    if known_col:
        shown[-1, :] = keep[-1, :]
    if known_row:
        shown[:, -1] = keep[:, -1]
    if not margins:
        shown = shown[:-1, :-1]
    return SimpleNamespace(published=pd.DataFrame(shown), margins=margins, k=k,
                           known_col_totals=known_col, known_row_totals=known_row)


def unprotectable(x, k, protection, attacker, margins=True, known_col=False, known_row=False):
    """Whether no suppression pattern protects ``x``: suppressing more only widens intervals, so
    a non-primary entry too narrow with everything suppressed must be published in every
    pattern; publish those until none is left, then look for a primary entry too narrow."""
    x = np.asarray(x)
    nr, nc = x.shape
    stand_in = everything_suppressed(x, k, margins, known_col, known_row)
    where = {"cell": lambda v: v, "row": lambda i: (i, nc), "col": lambda j: (nr, j),
             "all": lambda _: (nr, nc)}
    while True:
        ranges = attacker_ranges(x, stand_in, attacker)
        narrow = [(name, value) for name, (value, lo, hi) in ranges.items()
                  if hi - lo < protection - 1e-6]
        forced = [(name, value) for name, value in narrow if value >= k]
        if not forced:
            return bool(narrow)
        for (kind, index), value in forced:
            stand_in.published.iloc[where[kind](index)] = value


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=tables(), opts=options())
def test_random_tables_are_safe(x, opts):
    k, protection, attacker = opts
    try:
        p = protect(pd.DataFrame(x), k=k, protection=protection, attacker=attacker)
    except ValueError:
        # only if no suppression can do it: with every non-zero count suppressed a primary
        # entry is still too narrow for the informed attacker
        assert attacker == "informed"
        ranges = attacker_ranges(x, everything_suppressed(x, k), attacker)
        assert any(1 <= value < k and hi - lo < protection - 1e-6
                   for value, lo, hi in ranges.values())
        return
    assert_safe(x, p)
    if attacker == "informed":
        assert_safe(x, p, attacker="basic")  # the weaker attacker learns no more


def repair(x, k, known_col, known_row):
    """Raise the known totals in [1, k-1] to >= k (add k to a non-zero cell of theirs)."""
    x = x.copy()
    for axis, known in ((0, known_col), (1, known_row)):
        if known:
            for line in np.nonzero((x.sum(axis=axis) >= 1) & (x.sum(axis=axis) < k))[0]:
                cells = x[:, line] if axis == 0 else x[line]
                cells[np.nonzero(cells)[0][0]] += k
    return x


@settings(max_examples=examples(220), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=tables(max_side=6), opts=options(), margins=st.booleans(),
       known=st.sampled_from([(True, False), (False, True), (True, True)]),
       repaired=st.booleans())
def test_random_tables_with_known_totals_are_safe(x, opts, margins, known, repaired):
    k, protection, attacker = opts
    known_col, known_row = known
    if repaired:
        x = repair(x, k, known_col, known_row)
    ext = np.zeros((x.shape[0] + 1, x.shape[1] + 1), dtype=int)
    ext[:-1, :-1], ext[:-1, -1], ext[-1, :-1], ext[-1, -1] = x, x.sum(1), x.sum(0), x.sum()
    totals = [*(ext[-1] if known_col else []), *(ext[:, -1] if known_row else [])]
    small = any(1 <= t < k for t in totals)
    try:
        p = protect(pd.DataFrame(x), k=k, margins=margins, protection=protection,
                    attacker=attacker, known_col_totals=known_col, known_row_totals=known_row)
    except ValueError as exc:
        if small:
            assert "cannot be published elsewhere" in str(exc)
        else:  # only if no suppression pattern can do it
            assert unprotectable(x, k, protection, attacker, margins, known_col, known_row)
        return
    assert not small
    if margins:  # the known totals are published, and true
        shown = p.published.to_numpy(dtype=float, na_value=np.nan)
        if known_col:
            assert (shown[-1] == ext[-1]).all()
        if known_row:
            assert (shown[:, -1] == ext[:, -1]).all()
    assert_safe(x, p)


@settings(max_examples=examples(60), deadline=None)
@given(x=tables(), k=st.sampled_from([5, 10, 11]))
def test_random_tables_give_the_same_pattern_twice(x, k):
    a, b = protect(pd.DataFrame(x), k=k), protect(pd.DataFrame(x.copy()), k=k)
    assert a.published.equals(b.published) and a.secondary.equals(b.secondary)


@settings(max_examples=examples(40), deadline=None)
@given(x=tables(), k=st.sampled_from([5, 10]))
def test_random_tables_without_margins_only_lose_their_small_cells(x, k):
    p = protect(pd.DataFrame(x), k=k, margins=False)
    assert not p.secondary.to_numpy().any()
    assert_safe(x, p)


@settings(max_examples=examples(200), deadline=None)
@given(x=st.lists(COUNTS, min_size=1, max_size=12), k=st.sampled_from([3, 10, 11]),
       attacker=st.sampled_from(["informed", "basic"]), total=st.booleans(),
       known_total=st.booleans())
def test_random_series_are_safe(x, k, attacker, total, known_total):
    s = pd.Series(x)
    try:
        p = protect_series(s, k=k, attacker=attacker, total=total, known_total=known_total)
    except ValueError as exc:
        if known_total and 1 <= sum(x) < k:
            assert "cannot be published elsewhere" in str(exc)
            return
        assert attacker == "informed" or known_total
        # every count suppressed; a count too narrow then is published in every pattern
        shown = [np.nan if v else 0 for v in x] + ([sum(x) if known_total else np.nan] * total)
        while True:
            everything = SimpleNamespace(published=pd.Series(shown, dtype=float), total=total,
                                         known_total=known_total, k=k)
            ranges = series_ranges(x, everything, attacker)
            forced = [v for v, (value, lo, hi) in ranges.items()
                      if value >= k and hi - lo < 1 - 1e-6]
            if not forced:
                break
            for v in forced:
                shown[v] = ([*x, sum(x)])[v]
        assert any(1 <= value < k and hi - lo < 1 - 1e-6 for value, lo, hi in ranges.values())
        return
    assert not (known_total and 1 <= sum(x) < k)
    true = np.array([*x, sum(x)] if total else x)
    shown = p.published.to_numpy(dtype=float, na_value=np.nan)
    published = ~np.isnan(shown)
    if total and known_total:
        assert published[-1]
    assert not ((true[published] >= 1) & (true[published] < k)).any()
    assert (shown[published] == true[published]).all()
    assert (true[~published] > 0).all()
    for v, (value, lo, hi) in series_ranges(x, p, attacker).items():
        assert hi - lo >= 1 - 1e-6, (v, value, lo, hi)
