"""What the test packages share: the Hypothesis profiles and the linked simulation built once
per test session (see docs/TESTING.md).

Hypothesis profiles, chosen by ``HYPOTHESIS_PROFILE``:

- ``ci``: Hypothesis' own CI profile (derandomized, no deadline, no example database) with every
  test's own ``max_examples``; ``make test`` uses it, and Hypothesis loads it by itself where it
  sees a CI (the ``CI`` variable);
- ``dev`` (the default elsewhere): at most ``DEV_EXAMPLES`` examples a test, also where a test
  asks for more through ``tests.support.examples(n)``, for a quick loop; a failure found there
  is as real as one found in ``ci``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support import PROFILE, build_once, snapshot

settings.load_profile(PROFILE)


def pytest_report_header(config):
    return f"hypothesis profile: {PROFILE} (HYPOTHESIS_PROFILE; see docs/TESTING.md)"


# -- one linked simulation per session ---------------------------------------------------------
KEY = bytes(range(32))  # the pseudonymisation key of the linkage tests


@dataclass(frozen=True)
class LinkedSimulation:
    """A ``zicht simulate`` folder and the ``zicht link`` folder made from it (read only: copy
    a folder before changing it), with what ``zicht link`` printed."""

    sim: Path
    linked: Path
    output: str
    years: tuple[int, ...] = (2023, 2024)
    key: bytes = KEY


def _simulate_and_link(folder: Path) -> str:
    from typer.testing import CliRunner

    from zicht.cli import app

    runner = CliRunner()
    env = {"ZICHT_PSEUDONYM_KEY": KEY.hex()}
    result = runner.invoke(app, ["simulate", "--formats", "csv,parquet", "--out",
                                 str(folder / "sim"), "--years", "2023-2024", "--victims", "2500",
                                 "--seed", "3"], env=env)
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["link", str(folder / "sim"), "--out", str(folder / "linked")],
                           env=env)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="session")
def linked_simulation(tmp_path_factory) -> LinkedSimulation:
    """Two years (2023-2024) of nl-baseline, 2,500 victims a year, seed 3, written as CSV and
    Parquet, linked by ``zicht link`` with its defaults (threshold 0.5, the threshold band) under
    ``KEY``: built once per session, shared by the xdist workers.  A test that writes into
    either folder fails the session (checked at its end)."""
    folder, output = build_once(tmp_path_factory, "linked-simulation", _simulate_and_link)
    shared = LinkedSimulation(folder / "sim", folder / "linked", output)
    before = snapshot(folder)
    yield shared
    assert snapshot(folder) == before, (
        f"a test wrote into the shared linked simulation {folder}; copy it first")
