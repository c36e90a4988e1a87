"""Synthetic chain figures: valid for `zicht monitor chain`, drawn from the obliged reporters'
persons with the documented probabilities, reproducible by seed."""

import numpy as np
import pandas as pd
import pytest

from zicht.monitor.chain import read_chain_csv
from zicht.simulate import chain


def _truth(persons_per_year: dict[int, int], others: int = 500) -> pd.DataFrame:
    rows, pid = [], 0
    for year, n in persons_per_year.items():
        for _ in range(n):  # each obliged person reported twice (by POL and NLA): counted once
            rows += [(pid, year, "POL"), (pid, year, "NLA")]
            pid += 1
        for _ in range(others):  # not obliged: never a police case here
            rows.append((pid, year, "ZC"))
            pid += 1
    return pd.DataFrame(rows, columns=["person_id", "year", "reporter_category"])


def test_figures_are_valid_chain_input_and_follow_the_probabilities(tmp_path):
    truth = _truth({2023: 20_000, 2024: 20_000})
    path = tmp_path / "chain.csv"
    chain.chain_figures(truth, seed=3).to_csv(path, index=False)
    figures = read_chain_csv(path)  # raises on anything the importer would refuse
    counts = figures[figures.development_line == 0].pivot(index="year", columns="measure",
                                                           values="value")
    assert list(counts.index) == [2023, 2024]
    for _, r in counts.iterrows():
        n, p = 20_000, chain.P_CASE
        assert abs(r.police_cases_to_om - n * p) < 4 * np.sqrt(n * p * (1 - p))
        assert r.prosecutions + r.dismissals == r.police_cases_to_om
        q = chain.P_PROSECUTE
        cases = r.police_cases_to_om
        assert abs(r.prosecutions - cases * q) < 4 * np.sqrt(cases * q * (1 - q))
        assert r.convictions <= r.prosecutions
    lines = figures[figures.measure == "fte"]
    assert sorted(lines.development_line.unique()) == [1, 2, 3, 4, 5]
    fte_1 = lines[lines.development_line == 1].set_index("year").value
    assert fte_1[2024] == pytest.approx(chain.FTE[1] * (1 + chain.GROWTH), abs=0.05)
    assert figures.source.str.contains("synthetic").all()


def test_same_seed_same_figures_and_no_obliged_persons_no_cases(tmp_path):
    truth = _truth({2024: 300})
    a, b = chain.chain_figures(truth, seed=1), chain.chain_figures(truth, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(chain.chain_figures(truth, seed=2))
    none = chain.chain_figures(_truth({2024: 0}), seed=1)
    assert (none[none.measure == "police_cases_to_om"].value == 0).all()
    with pytest.raises(ValueError, match="reporter_category"):
        chain.chain_figures(truth.drop(columns="reporter_category"))


def test_write_chain_reads_a_simulation_folder(tmp_path):
    _truth({2024: 100}).to_csv(tmp_path / "truth_reports.csv", index=False)
    out = chain.write_chain(tmp_path, tmp_path / "chain.csv", seed=1)
    assert len(read_chain_csv(out)) == 4 + 10
    with pytest.raises(FileNotFoundError):
        chain.write_chain(tmp_path / "nowhere", tmp_path / "x.csv")
