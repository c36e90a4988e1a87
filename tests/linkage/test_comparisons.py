"""The token comparisons: each level's SQL, evaluated by DuckDB on pairs of pseudonymised
reports written the ways real forms write them, lands the pair in the intended level; Dice in
SQL equals Dice in Python."""

import duckdb
import numpy as np
import pandas as pd
import pytest

from zicht.linkage.model import (
    approx_year_comparison,
    birth_date_comparison,
    dice_sql,
    name_comparison,
    year_gap_comparison,
)
from zicht.linkage.prepare import prepare
from zicht.registry.pseudonymise import Pseudonymiser, dice, pseudonymise_frame

P = Pseudonymiser(bytes(range(32)))


def reports(*rows: dict) -> pd.DataFrame:
    base = {"given_name": "", "surname_prefix": "", "surname": "", "birth_date": "",
            "birth_year": "", "reference_year": 2024, "age_at_report": None}
    frame = pd.DataFrame([{**base, **row, "report_id": f"R{i}"} for i, row in enumerate(rows)])
    return prepare(pseudonymise_frame(frame, P))


def pair_table(left: dict, right: dict) -> pd.DataFrame:
    table = reports(left, right)
    first, second = (table.iloc[[i]].reset_index(drop=True) for i in (0, 1))
    return pd.concat([first.add_suffix("_l"), second.add_suffix("_r")], axis=1)


def level(comparison: dict, left: dict, right: dict) -> str:
    """The label of the first level whose condition holds (Splink's CASE WHEN order)."""
    pair = pair_table(left, right)
    con = duckdb.connect()
    con.register("pair", pair)
    for lvl in comparison["comparison_levels"]:
        if lvl["sql_condition"] == "ELSE":
            return lvl["label_for_charts"]
        (hit,) = con.execute(f"SELECT coalesce({lvl['sql_condition']}, false) FROM pair") \
            .fetchall()[0]
        if hit:
            return lvl["label_for_charts"]
    raise AssertionError("no ELSE level")


ANNA = {"given_name": "Anna", "surname": "Kowalska", "birth_date": "1990-04-07"}


@pytest.mark.parametrize("right,expected", [
    ({**ANNA}, "all name parts equal (order free)"),
    ({**ANNA, "given_name": "Kowalska", "surname": "Anna"}, "all name parts equal (order free)"),
    ({**ANNA, "surname": "Kowalzka"}, "one part equal, the other similar"),
    ({**ANNA, "given_name": "Ana", "surname": "Kowalsak"}, "both parts similar (Dice >= 0.75)"),
    ({**ANNA, "given_name": "Kowalksa", "surname": "Anna"},
     "all parts similar, order free (Dice >= 0.8)"),
    ({**ANNA, "given_name": ""}, "surname equal, given name missing"),
    ({**ANNA, "surname": ""}, "given name equal, surname missing"),
    ({**ANNA, "given_name": "", "surname": "Kowalzka"}, "one part missing, the other similar"),
    ({**ANNA, "given_name": "Maria"}, "surname equal"),
    ({**ANNA, "surname": "Nowak"}, "given name equal"),
    ({**ANNA, "given_name": "Pieter", "surname": "de Vries"}, "different"),
    ({**ANNA, "given_name": "", "surname": ""}, "no name to compare"),
])
def test_name_levels(right, expected):
    assert level(name_comparison(), ANNA, right) == expected


@pytest.mark.parametrize("left,right,expected", [
    ({"birth_date": "1990-04-07"}, {"birth_date": "1990-04-07"}, "date equal"),
    ({"birth_date": "1990-04-07"}, {"birth_date": "1990-07-04"}, "day and month swapped"),
    ({"birth_date": "1990-04-07"}, {"birth_date": "1990-04-17"}, "year and month equal"),
    ({"birth_date": "1990-04-07"}, {"birth_date": "1991-04-07"},
     "day and month equal, year differs"),
    ({"birth_date": "1990-04-07"}, {"birth_year": "1990"},
     "year equal, date known on one side only"),
    ({"birth_date": "1990-04-07"}, {"birth_date": "1990-11-23"}, "year equal, date differs"),
    ({"birth_date": "1990-04-07"}, {"birth_date": "1985-02-01"}, "different"),
    ({"birth_date": "1990-04-07"}, {}, "birth year unknown"),
])
def test_birth_date_levels(left, right, expected):
    name = {"given_name": "Anna", "surname": "Kowalska"}
    assert level(birth_date_comparison(), {**name, **left}, {**name, **right}) == expected


@pytest.mark.parametrize("left,right,expected", [
    ({"age_at_report": 30}, {"age_at_report": 30}, "same implied birth year"),
    ({"age_at_report": 30}, {"age_at_report": 31, "reference_year": 2024},
     "implied birth years 1 apart"),
    ({"age_at_report": 30}, {"age_at_report": 30, "reference_year": 2021},
     "implied birth years 2-3 apart"),
    ({"age_at_report": 30}, {"age_at_report": 45}, "different"),
    ({"age_at_report": 30}, {}, "age unknown, or birth years compared"),
    # with a birth year on both sides the birth-date comparison speaks: no double counting
    ({"age_at_report": 30, "birth_year": "1994"}, {"age_at_report": 30, "birth_year": "1994"},
     "age unknown, or birth years compared"),
])
def test_implied_birth_year_levels(left, right, expected):
    assert level(approx_year_comparison(), left, right) == expected


@pytest.mark.parametrize("years,expected", [((2020, 2020), "same year"),
                                            ((2020, 2021), "1 year apart"),
                                            ((2024, 2021), "2-3 years apart"),
                                            ((2015, 2024), "further apart")])
def test_year_gap_levels(years, expected):
    left, right = ({**ANNA, "reference_year": y} for y in years)
    assert level(year_gap_comparison(), left, right) == expected


def test_dice_in_sql_equals_dice_in_python():
    rng = np.random.default_rng(5)
    letters = list("abcdefghijklmnopqrstuvwxyz")
    first = ["".join(rng.choice(letters, size=rng.integers(3, 12))) for _ in range(30)]
    # the second half: each name with 0-3 letters replaced, so that Dice spreads over (0, 1]
    second = []
    for name in first:
        chars = list(name)
        for i in rng.choice(len(chars), size=min(len(chars), rng.integers(0, 4)), replace=False):
            chars[i] = rng.choice(letters)
        second.append("".join(chars))
    names = first + second
    frame = pd.DataFrame({"report_id": [f"R{i}" for i in range(60)], "given_name": names,
                          "surname_prefix": "", "surname": names, "birth_date": "",
                          "birth_year": ""})
    tokens = pseudonymise_frame(frame, P)
    table = prepare(tokens)
    left, right = table.iloc[:30].reset_index(drop=True), table.iloc[30:].reset_index(drop=True)
    pairs = pd.concat([left.add_suffix("_l"), right.add_suffix("_r")], axis=1)
    expected = [dice(a, b) for a, b in zip(tokens.bf_given.iloc[:30], tokens.bf_given.iloc[30:],
                                           strict=True)]
    con = duckdb.connect()
    con.register("pairs", pairs)
    for t in (0.3, 0.45, 0.6, 0.75):
        got = [row[0] for row in con.execute(f"SELECT {dice_sql('bf_given', t)} FROM pairs")
               .fetchall()]
        assert got == [d >= t for d in expected]
    assert 0 < sum(d >= 0.75 for d in expected) < 30  # the thresholds split the pairs
    assert 0 < sum(d < 0.6 for d in expected) < 30


def test_no_clear_identifier_and_no_string_token_reaches_the_model():
    table = reports(ANNA, {**ANNA, "given_name": "Ana"})
    text_columns = [c for c in table.columns if table[c].dtype == object]
    assert not any(c.startswith(("tok_", "bf_")) for c in text_columns)
    for value in ("Anna", "anna", "Kowalska", "kowalska", "1990-04-07"):
        assert not table.astype(str).apply(lambda col, v=value: col.str.contains(v)).any().any()


def _fake_model(levels_by_comparison):
    from types import SimpleNamespace

    from zicht.linkage.model import LinkageModel

    model = object.__new__(LinkageModel)
    comparisons = [SimpleNamespace(output_column_name=name, comparison_levels=[
        SimpleNamespace(label_for_charts=label, m_probability=m, u_probability=0.1,
                        is_null_level=False) for label, m in levels])
        for name, levels in levels_by_comparison.items()]
    model.linker = SimpleNamespace(_settings_obj=SimpleNamespace(comparisons=comparisons))
    model._bound_warnings = []
    return model, comparisons


def test_m_bounds_hold_both_ways_and_keep_m_a_distribution():
    model, comparisons = _fake_model({
        "birth_date": [("date equal", 0.6), ("year and month equal", 0.07),
                       ("year equal, date differs", 0.05), ("different", 0.28)],
        "name": [("all name parts equal (order free)", 0.99989), ("different", 0.00011)]})
    model._bound_m_probabilities()
    date, name = ({lv.label_for_charts: lv.m_probability for lv in c.comparison_levels}
                  for c in comparisons)
    assert date["different"] == pytest.approx(0.05)
    assert date["year equal, date differs"] == pytest.approx(0.05)  # not pushed past its bound
    assert sum(date.values()) == pytest.approx(1.0)
    assert date["date equal"] / date["year and month equal"] == pytest.approx(0.6 / 0.07)
    assert name["different"] == pytest.approx(0.01) and sum(name.values()) == pytest.approx(1)
    assert len(model._bound_warnings) == 2
    assert "above its bound" in model._bound_warnings[0]
    assert "below its bound" in model._bound_warnings[1]
