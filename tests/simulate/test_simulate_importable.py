"""Every simulated report is one the registry accepts (issue 20, bug 1): the README's
`zicht simulate ... --seed 7` then `zicht import sim/reports.csv` refused row 3690, whose
stated age (from the true birth date) lay more than a year from its recorded, mistyped one."""

import datetime as dt

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from zicht.registry.validation import validate_report
from zicht.simulate.reports import _stated_age, simulate_years
from zicht.simulate.scenario import load_scenario, shipped_scenarios


def refusals(scenario: str, seed: int, years: list[int], victims: int | None = None) -> list:
    sc = load_scenario(scenario, {"victims_per_year": victims} if victims else None)
    today = dt.date(max(years) + 1, 12, 31)
    out = []
    for batch in simulate_years(sc, years, seed):
        for record in batch.reports.to_dict("records"):
            _, errors = validate_report(record, lang="en", today=today)
            out += [(record["report_id"], e.message) for e in errors]
    return out


def test_the_readme_simulation_is_importable():
    """nl-baseline, 2015-2024, seed 7: the README's own commands."""
    assert refusals("nl-baseline", 7, list(range(2015, 2025))) == []


@given(scenario=st.sampled_from(shipped_scenarios()), seed=st.integers(0, 2**32 - 1),
       first=st.integers(2015, 2023), span=st.integers(1, 2))
def test_every_simulated_report_is_importable(scenario, seed, first, span):
    years = list(range(first, min(first + span, 2024) + 1))
    assert refusals(scenario, seed, years, victims=400) == []


def test_the_stated_age_follows_a_mistyped_year_only():
    received = np.array(["2018-05-07"] * 4, dtype="datetime64[D]")
    true_age = np.array([30, 30, 30, 30])
    recorded = np.array(["1986-04-12",   # year mistyped: the form's age is that date's (32)
                         "1988-04-13",   # a day off: the true age stands
                         "",             # no date: the true age
                         "2019-01-01"])  # after the report: no age can be stated
    assert _stated_age(true_age, recorded, received).tolist() == [32, 30, 30, -1]

