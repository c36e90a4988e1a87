"""A real ``zicht serve`` process for the tests that need one: what only a real server shows
(when a body is read off the socket, the server's own memory, other users' latency while an
import runs).

The database (SQLite, a fresh file) is prepared in this process: organisations, API-only users
of every role and their tokens, so no command-line round trip is needed; the server runs in a
process group of its own and is stopped by its own id.  Its memory is read from
``/proc/<pid>/status`` (one uvicorn worker: the server is that one process).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from zicht.registry.service import Registry, operator
from zicht.registry.settings import Settings

from .conftest import KEY

ZICHT = Path(sys.executable).with_name("zicht")  # the console script of this environment
CATEGORIES = ("ZC", "POL", "NGO", "KMAR", "GEM", "ZORG")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int, name: str) -> int:
    """A ``/proc/<pid>/status`` memory figure (VmRSS, VmHWM ...) in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(name)


@dataclass
class Served:
    base: str
    port: int
    pid: int
    log: Path
    database_url: str
    tokens: dict[str, str] = field(default_factory=dict)  # user name -> API token
    orgs: dict[str, str] = field(default_factory=dict)  # reporter -> organisation code

    def rss(self) -> int:
        return proc_status(self.pid, "VmRSS")

    def peak(self) -> int:
        return proc_status(self.pid, "VmHWM")

    def auth(self, user: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}", **extra}


@contextmanager
def serving(tmp: Path, env: dict | None = None, reporters: int = 2) -> Iterator[Served]:
    """``zicht serve`` on a fresh SQLite file in ``tmp``: reporters ``rep_1`` ... of
    organisations ``ORG-1`` ..., an ``analyst`` and an ``admin``, each with an API token."""
    url = f"sqlite:///{tmp / 'zicht.db'}"
    full = {**os.environ, "ZICHT_PSEUDONYM_KEY": KEY, "ZICHT_DATABASE_URL": url, **(env or {})}
    full.pop("ZICHT_PSEUDONYM_KEY_FILE", None)
    reg = Registry(Settings.from_env(full))
    tokens, orgs = {}, {}
    try:
        reg.upgrade()
        op = operator("test")
        for i in range(1, reporters + 1):
            code = f"ORG-{i}"
            reg.add_organisation(op, code, f"Organisatie {i}", CATEGORIES[i % len(CATEGORIES)])
            reg.add_user(op, f"rep_{i}", "reporter", None, code)
            orgs[f"rep_{i}"] = code
        reg.add_user(op, "analyst", "analyst", None, None)
        reg.add_user(op, "admin", "admin", None, None)
        for user in (*orgs, "analyst", "admin"):
            tokens[user] = reg.add_token(op, user, "test")["token"]
    finally:
        reg.dispose()
    port = free_port()
    log = tmp / "server.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen([str(ZICHT), "serve", "--port", str(port), "--log-level",
                                 "warning"], env=full, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=tmp)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield Served(base, port, proc.pid, log, url, tokens, orgs)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the group this function started
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def simulated_csv(tmp: Path, rows: int, organisation: str, category: str,
                  prefix: str = "IMP", seed: int = 7) -> bytes:
    """``rows`` reports in the import format, as ``zicht simulate`` writes them, for one
    organisation: the simulated reports (names, birth dates, codes) repeated with fresh
    source references (column ``report_id``) until there are ``rows``.  The simulator's
    deliberate slips (an age that does not fit the birth date) are put right, so every row
    is valid."""
    out = tmp / f"sim-{seed}"
    if not (out / "reports.csv").exists():
        victims = max(2000, min(rows, 20000) * 5)  # about one report per five victims
        done = subprocess.run([str(ZICHT), "simulate", "--scenario", "nl-baseline", "--years",
                               "2024", "--victims", str(victims), "--seed", str(seed),
                               "--out", str(out), "--formats", "csv"],
                              env={**os.environ, "ZICHT_PSEUDONYM_KEY": KEY},
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    with (out / "reports.csv").open(newline="") as fh:
        source = list(csv.DictReader(fh))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(source[0]))
    writer.writeheader()
    for i in range(rows):
        row = dict(source[i % len(source)])
        row.update(report_id=f"{prefix}{i:07d}", organisation=organisation,
                   reporter_category=category)
        if row["birth_date"] and row["age_at_report"]:
            born = dt.date.fromisoformat(row["birth_date"])
            seen = dt.date.fromisoformat(row["received_date"])
            row["age_at_report"] = str(seen.year - born.year
                                       - ((seen.month, seen.day) < (born.month, born.day)))
        writer.writerow(row)
    return buffer.getvalue().encode()
