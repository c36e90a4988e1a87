"""Synthetic victims, detections and reports with known truth (issue 3).

The public API, for the stages that build on a simulation (the what-if, the simulation study,
the dashboard):

* :class:`Scenario`, :func:`load_scenario`, :func:`shipped_scenarios`, :class:`ScenarioError`
  - the truth a simulation starts from (:mod:`zicht.simulate.scenario`);
* :func:`calibrate` - a scenario fitted to one year of data;
* :func:`simulate_year` and :class:`SimulatedYear` - one year's victims, detections and capture
  histories, reproducible by seed (:mod:`zicht.simulate.year`);
* :func:`write_run` - a whole simulation written to a folder (:mod:`zicht.simulate.reports`).

The modules behind it (population, detection, reports, noise, names, chain) are internals.
"""

from .reports import write_run
from .scenario import Scenario, ScenarioError, calibrate, load_scenario, shipped_scenarios
from .year import SimulatedYear, simulate_year

__all__ = ["Scenario", "ScenarioError", "SimulatedYear", "calibrate", "load_scenario",
           "shipped_scenarios", "simulate_year", "write_run"]
