"""What the simulation studies of issue 21 share (``protection_study.py``, ``modus_study.py``):
the seeds from the command line, and a simulated registry linked as a user makes one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def seeds(text: str) -> list[int]:
    """``1-5`` or ``1,3,7``."""
    if "-" in text:
        first, last = (int(x) for x in text.split("-"))
        return list(range(first, last + 1))
    return [int(x) for x in text.split(",")]


def zicht(*args: str, env: dict) -> None:
    """Run the command line as a user does (a subprocess); stop with its error."""
    done = subprocess.run([sys.executable, "-m", "zicht.cli", *args], env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"zicht {' '.join(args)} exited {done.returncode}:\n{done.stderr}")


def simulate_and_link(folder: Path, scenario: str, seed: int, years: str,
                      victims: int | None, env: dict) -> None:
    """``zicht simulate`` into ``folder/sim`` and ``zicht link`` into ``folder/linked``."""
    extra = ["--victims", str(victims)] if victims else []
    zicht("simulate", "--scenario", scenario, "--years", years, "--seed", str(seed), "--out",
          str(folder / "sim"), *extra, env=env)
    zicht("link", str(folder / "sim"), "--out", str(folder / "linked"), env=env)
