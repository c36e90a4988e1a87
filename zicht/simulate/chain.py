"""Synthetic chain figures for a simulation: police cases to the prosecution, prosecutions,
convictions, dismissals, and capacity and budget per development line.

The registry does not hold these figures (they come from police, prosecution and programme
reports, ``zicht monitor chain``); a simulation has none either.  To let the demo and the tests
exercise the chain indicators end to end, :func:`chain_figures` draws them from the simulation's
truth with the illustrative probabilities below.  They are assumptions, not estimates of the
Dutch chain, and every row says so in its ``source`` column.

Per year, for the persons the obliged reporters (police, border police, labour inspectorate)
detected: a case goes to the prosecution with :data:`P_CASE`, a case is prosecuted with
:data:`P_PROSECUTE` (else dismissed), a prosecution ends in a conviction with
:data:`P_CONVICT` - independent binomial draws from a seeded generator, so the same seed gives
the same file.  Capacity (FTE) and budget per development line grow by :data:`GROWTH` a year
from :data:`FTE` and :data:`BUDGET_EUR`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..codes import OBLIGED
from ..tabular import write_csv

P_CASE = 0.25
P_PROSECUTE = 0.7
P_CONVICT = 0.75
FTE = {1: 6.0, 2: 12.0, 3: 9.0, 4: 4.0, 5: 3.0}
BUDGET_EUR = {1: 900_000, 2: 2_400_000, 3: 1_600_000, 4: 700_000, 5: 450_000}
GROWTH = 0.03
COLUMNS = ("year", "area", "measure", "value", "development_line", "source")


def chain_figures(truth_reports: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """Chain figures per year of ``truth_reports`` (a simulation's ``truth_reports`` table:
    report_id, person_id, year, reporter_category), in the ``zicht monitor chain`` format."""
    missing = {"person_id", "year", "reporter_category"} - set(truth_reports.columns)
    if missing:
        raise ValueError(f"truth reports lack column(s) {', '.join(sorted(missing))}")
    rng = np.random.default_rng(seed)
    source = f"zicht simulate: synthetic, illustrative (seed {seed})"
    obliged = truth_reports[truth_reports["reporter_category"].isin(OBLIGED)]
    persons = obliged.groupby("year")["person_id"].nunique()
    years = sorted(int(y) for y in truth_reports["year"].unique())
    rows = []
    for i, year in enumerate(years):
        cases = int(rng.binomial(int(persons.get(year, 0)), P_CASE))
        prosecutions = int(rng.binomial(cases, P_PROSECUTE))
        convictions = int(rng.binomial(prosecutions, P_CONVICT))
        for measure, value in (("police_cases_to_om", cases), ("prosecutions", prosecutions),
                               ("convictions", convictions),
                               ("dismissals", cases - prosecutions)):
            rows.append((year, "NL", measure, value, "", source))
        grow = (1 + GROWTH) ** i
        for line in FTE:
            rows.append((year, "NL", "fte", round(FTE[line] * grow, 1), str(line), source))
            rows.append((year, "NL", "budget_eur", round(BUDGET_EUR[line] * grow, -3),
                         str(line), source))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def write_chain(sim_dir: str | Path, out: str | Path, seed: int = 1) -> Path:
    """Read a simulation folder's truth reports and write its chain figures as CSV."""
    sim_dir = Path(sim_dir)
    for name in ("truth_reports.parquet", "truth_reports.csv"):
        path = sim_dir / name
        if path.is_file():
            truth = (pd.read_parquet(path) if path.suffix == ".parquet"
                     else pd.read_csv(path))
            break
    else:
        raise FileNotFoundError(f"{sim_dir}: no truth_reports.parquet or truth_reports.csv")
    out = Path(out)
    write_csv(chain_figures(truth, seed), out)
    return out
