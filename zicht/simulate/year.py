"""One simulated year with known truth, for studies that repeat it many times.

``simulate_year(scenario, seed)`` draws the year's victims and who detects them, the same way
for the same seed (the seed's sequence spawns one stream for the population, one for the
detections).  :class:`SimulatedYear` holds the truth (``persons``), the detections (``seen``,
persons x reporter categories) and gives the observed capture histories; ``redetect`` detects
the same victims under another scenario with the *same* random numbers (every (victim,
reporter) pair is decided by one uniform number, so a higher rate only adds detections) - the
paired comparison of the what-if.  The simulation study (:mod:`zicht.study`) and the what-if
(:mod:`zicht.monitor.whatif`) both build on it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .detection import detect
from .population import person_years
from .reports import capture_table
from .scenario import Scenario

if TYPE_CHECKING:
    from ..mse import CaptureHistories

YEAR = 2024


@dataclass(frozen=True)
class SimulatedYear:
    """A year's victims (``persons``, the truth) and their detections under ``scenario``."""

    scenario: Scenario
    year: int
    persons: pd.DataFrame
    seen: np.ndarray  # (persons, reporter categories) detections, in scenario.reporters order
    detection_seed: np.random.SeedSequence

    @property
    def truth(self) -> int:
        """The true number of victims."""
        return len(self.persons)

    @property
    def registered(self) -> int:
        """Victims detected by at least one reporter category."""
        return int(self.seen.any(axis=1).sum())

    def detected_by(self, category: str) -> int:
        """Victims one reporter category detected."""
        return int(self.seen[:, list(self.scenario.reporters).index(category)].sum())

    def capture_table(self, merged: bool = True) -> pd.DataFrame:
        """Observed capture patterns with their counts: by reporter category, or merged into
        the scenario's ``mse_lists``."""
        return capture_table(self.scenario, self.seen, merged)

    def histories(self) -> CaptureHistories | None:
        """The observed capture histories over the scenario's lists, as an analyst would take
        them: a list that saw nobody carries no information and is left out; None when fewer
        than two lists saw anyone."""
        from ..mse import CaptureHistories

        frame = self.capture_table(merged=True)
        lists = [c for c in frame.columns if c != "count" and frame[c].any()]
        if len(lists) < 2:
            return None
        return CaptureHistories.from_frame(frame.groupby(lists, as_index=False)["count"].sum())

    def redetect(self, scenario: Scenario) -> SimulatedYear:
        """The same victims detected under ``scenario`` (same reporter categories, other
        rates) with the same random numbers."""
        if list(scenario.reporters) != list(self.scenario.reporters):
            raise ValueError("redetect: the scenario must have the same reporter categories")
        seen = detect(scenario, self.persons, np.random.default_rng(self.detection_seed))
        return replace(self, scenario=scenario, seen=seen)


def simulate_year(scenario: Scenario, seed: int, year: int = YEAR) -> SimulatedYear:
    """Draw one year's victims from ``scenario`` and detect them (reproducible by ``seed``)."""
    pop_seq, det_seq = np.random.SeedSequence(seed).spawn(2)
    (_, persons), = person_years(scenario, [year], pop_seq)
    seen = detect(scenario, persons, np.random.default_rng(det_seq))
    return SimulatedYear(scenario, year, persons, seen, det_seq)
