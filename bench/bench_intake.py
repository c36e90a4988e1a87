"""Intake throughput of the registry API: concurrent clients POSTing reports to `zicht serve`.

Run from the repository root (``make bench``)::

    .venv/bin/python bench/bench_intake.py [--backend sqlite|postgresql|both] [--workers 1,2]
        [--clients 50] [--seconds 30] [--json PATH]

For each backend (SQLite, PostgreSQL) and each uvicorn worker count this

1. measures the database's raw single-row insert rate, the ceiling: rows of the ``reports``
   table (built by the registry's own intake code, so every column is filled as the server
   fills it) inserted into a scratch copy of the schema, one ``INSERT`` + ``COMMIT`` per row,
   from this one Python process, with the raw DB-API driver (``sqlite3`` / ``psycopg`` 3, the
   headline figure) and with SQLAlchemy Core on zicht's own engine (``make_engine``: same
   pragmas, ``BEGIN IMMEDIATE`` on SQLite);
2. creates a fresh database, an organisation, a reporter system account and its API token with
   the ``zicht`` command line, and starts ``zicht serve --workers N`` in a child process;
3. runs ``--clients`` closed-loop clients (each sends its next report when the previous one
   is answered), every report with its own source reference, name and birth date, first for
   ``--warmup`` seconds (not counted) and then for ``--seconds``;
4. prints acknowledged reports per second (HTTP 201 only), p50/p99 latency of those, the error
   count by kind, the ratio achieved/raw, and the CPU used in the measured window by the server
   processes, the PostgreSQL backends serving them, this load generator, and the rest of the
   machine; then checks that every acknowledged report is in the database and that the audit
   chain verifies.

The load generator is a plain asyncio HTTP/1.1 client (keep-alive, one connection per client,
uvloop when installed), far cheaper per request than httpx; ``--client httpx`` uses an httpx
``AsyncClient`` with one shared connection pool instead, for comparison.  Its CPU share is
printed: on a 2-core machine every core-second it takes is one the server does not get.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import inspect
import itertools
import json
import os
import platform
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"  # maintenance DB: CREATE/DROP
ORG, USER = "BENCH", "sys"
TARGET_RATE, TARGET_P99_MS, TARGET_RATIO = 1000.0, 100.0, 0.5
REQUEST_TIMEOUT = 30.0

# -- report bodies --------------------------------------------------------------------------------
GIVEN = ("Maria", "Anna", "Olena", "Ioana", "Blessing", "Fatima", "Sofia", "Elena", "Joy", "Ewa",
         "Daria", "Mihaela", "Grace", "Amina", "Lotte", "Sanne", "Iryna", "Andrei", "Piotr",
         "Mohammed", "Jan", "Pieter", "Ahmed", "Vasile", "Tomasz", "Chinedu", "Oleksandr", "Daan",
         "Bram", "Yusuf", "Anna Maria", "Jan Willem")
SURNAMES = ("Janssen", "de Vries", "van den Berg", "Bakker", "Visser", "Kowalski", "Popescu",
            "Nowak", "Okafor", "Shevchenko", "Ivanova", "Smit", "Mulder", "de Boer", "Dimitrov",
            "Eze", "Kovalenko", "Meijer", "Bos", "van Dijk", "Wójcik", "Łukasik")
SYLLABLES = ("ka", "ro", "mi", "te", "lu", "sa", "no", "vi", "de", "ra", "po", "li", "ne", "ta",
             "go", "be")
NATIONALITIES = ("NLD", "POL", "ROU", "BGR", "NGA", "UKR", "Nederlandse", "PL")
FORMS = ("SEX", "LAB", "CRIM", "SEX;LAB")
RECEIVED = dt.date(2025, 3, 14)


def _syllables(n: int) -> str:
    out = []
    while True:
        n, r = divmod(n, len(SYLLABLES))
        out.append(SYLLABLES[r])
        if not n:
            return "".join(out)


def make_report(run: str, n: int) -> dict:
    """The ``n``-th report of a run: own source reference, name and birth date."""
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=(n * 37) % 15000)
    received = RECEIVED - dt.timedelta(days=n % 365)
    age = received.year - birth.year - ((received.month, received.day)
                                        < (birth.month, birth.day))
    return {"source_ref": f"bench-{run}-{n}", "received_date": received.isoformat(),
            "sex": "FM"[n % 2], "given_name": GIVEN[n % len(GIVEN)],
            "surname": f"{SURNAMES[(n // len(GIVEN)) % len(SURNAMES)]}-"
                       f"{_syllables(n).capitalize()}",
            "birth_date": birth.isoformat(), "nationality": NATIONALITIES[n % len(NATIONALITIES)],
            "exploitation_forms": FORMS[n % len(FORMS)], "age_at_report": age}


# -- CPU accounting (Linux /proc; None elsewhere) -----------------------------------------------
CLK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of a process, None when gone or unreadable."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = raw.rsplit(")", 1)[1].split()
    return int(rest[1]), (int(rest[11]) + int(rest[12])) / CLK


def tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds of ``root`` and all its descendants, by pid."""
    stats = {}
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else ():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = st
    out, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            out[pid] = stats[pid][1]
            todo.extend(p for p, (ppid, _) in stats.items() if ppid == pid)
    return out


def pids_cpu(pids) -> dict[int, float]:
    return {p: st[1] for p in pids if (st := _stat(p)) is not None}


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two snapshots; a process that appeared in between counts in full."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def cpu_probe() -> float:
    """CPU milliseconds of a fixed piece of pure-Python work (median of 3).  On a shared or
    throttled virtual machine the same work can take several times longer at times; the
    probe, taken before and after each configuration, shows when that happened."""
    times = []
    for _ in range(3):
        t0 = time.process_time()
        x = 0
        for i in range(200_000):
            x += (i * 7) % 13
        blob = json.dumps({"n": list(range(200)), "x": x}).encode()
        for _ in range(1000):
            hashlib.sha256(blob).hexdigest()
        times.append(1000 * (time.process_time() - t0))
    return statistics.median(times)


def machine_busy() -> tuple[float, float] | None:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return None
    total = sum(fields[:8])
    return total - fields[3] - fields[4], total


# -- databases -----------------------------------------------------------------------------------
def pg_admin(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


def pg_url(admin_url: str, dbname: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=dbname).render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as psycopg wants it (no ``+driver``)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class Database:
    backend: str
    url: str
    name: str  # file path (SQLite) or database name (PostgreSQL)
    admin_url: str | None = None

    @classmethod
    def create(cls, backend: str, label: str, tmp: Path, admin_url: str) -> Database:
        if backend == "sqlite":
            path = tmp / f"{label}.db"
            return cls(backend, f"sqlite:///{path}", str(path))
        name = f"zicht_bench_{os.getpid()}_{label}".lower().replace("-", "_")
        pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}"')
        pg_admin(admin_url, f'CREATE DATABASE "{name}"')
        return cls(backend, pg_url(admin_url, name), name, admin_url)

    def drop(self) -> None:
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(self.name + suffix).unlink(missing_ok=True)
        else:
            pg_admin(self.admin_url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def pg_backend_pids(url: str, dbname: str) -> set[int]:
    import psycopg

    with psycopg.connect(libpq_url(url), autocommit=True, connect_timeout=5) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                            "AND pid <> pg_backend_pid()", (dbname,)).fetchall()
    return {r[0] for r in rows}


def pg_settings(admin_url: str) -> dict[str, str]:
    import psycopg

    names = ("fsync", "synchronous_commit", "wal_sync_method", "commit_delay", "max_connections",
             "shared_buffers", "server_version")
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        rows = conn.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
                            (list(names),)).fetchall()
    return dict(rows)


# -- the ceiling: raw single-row inserts -----------------------------------------------------------
@dataclass
class RawResult:
    method: str
    rows: int = 0
    seconds: float = 0.0
    rate: float | None = None  # median of the rounds
    rate_min: float | None = None
    rate_max: float | None = None
    rounds: list[float] = field(default_factory=list)
    p50_ms: float | None = None  # over all rounds' inserts
    p99_ms: float | None = None
    error: str | None = None


def settings_for(url: str, key: str, sqlite_sync: str):
    from zicht.registry.settings import Settings

    env = {"ZICHT_DATABASE_URL": url, "ZICHT_PSEUDONYM_KEY": key, "ZICHT_SQLITE_SYNC": sqlite_sync}
    return Settings.from_env(env)


def report_rows(url: str, key: str, sqlite_sync: str, count: int) -> tuple[Any, list[dict]]:
    """Migrate a scratch database and build ``count`` rows of ``reports`` with the registry's
    own intake code (validation + pseudonymisation), as the server would insert them."""
    from zicht.registry import migrate
    from zicht.registry.audit import Actor
    from zicht.registry.models import Organisation, User
    from zicht.registry.service import Registry
    from zicht.tokens import Pseudonymiser

    reg = Registry(settings_for(url, key, sqlite_sync), Pseudonymiser(bytes.fromhex(key)))
    migrate.upgrade(reg.engine)
    with reg.sessions.begin() as s:
        org = Organisation(code=ORG, name=ORG, category="ZC")
        s.add(org)
        s.flush()
        user = User(username=USER, role="reporter", organisation_id=org.id)
        s.add(user)
        s.flush()
        actor = Actor(USER, "reporter", user.id, org.id, ORG, "127.0.0.1", "api")
    records = [make_report(secrets.token_hex(3), n) for n in range(count)]
    if "s" in inspect.signature(reg.prepare).parameters:  # older form: prepare(s, actor, ...)
        with reg.sessions.begin() as s:
            rows = reg.prepare(s, actor, records, "api", "en")
    else:
        rows = reg.prepare(actor, records, "api", "en")
    for row in rows:
        row.pop("_org", None)
        row.pop("_row", None)  # the row number prepare() keeps for error messages
        row["import_id"] = None
    return reg, rows


def _row_stream(rows: list[dict]) -> Iterator[dict]:
    """Endless rows: the prepared ones again and again, each with a new id and source_ref."""
    from zicht.registry.models import utcnow

    for n in itertools.count():
        row = dict(rows[n % len(rows)])
        row.update(id=str(uuid.uuid4()), source_ref=f"raw-{n}", created_at=utcnow())
        yield row


def _timed(insert_one: Callable[[dict], None], stream: Iterator[dict], seconds: float,
           result: RawResult) -> list[float]:
    """One round of single-row inserts for ``seconds``, counted in ``result``; the latencies."""
    lat = []
    for _ in range(20):  # warm-up: connection, statement cache, first pages
        insert_one(next(stream))
    t0 = time.perf_counter()
    end = t0 + seconds
    now = t0
    while now < end:
        row = next(stream)
        a = time.perf_counter()
        insert_one(row)
        now = time.perf_counter()
        lat.append(now - a)
    result.rows += len(lat)
    result.seconds += now - t0
    result.rounds.append(len(lat) / (now - t0))
    return lat


def raw_driver_inserter(db: Database, cols: list[str],
                        sqlite_sync: str) -> tuple[Callable[[dict], None], Callable[[], None]]:
    """(insert one row and commit, close) with the DB-API driver itself."""
    def values(row: dict) -> tuple:  # what SQLAlchemy would bind: ISO text on SQLite
        if db.backend != "sqlite":
            return tuple(row[c] for c in cols)
        return tuple(v.isoformat(" ") if isinstance(v, dt.datetime)
                     else v.isoformat() if isinstance(v, dt.date) else v
                     for v in (row[c] for c in cols))

    if db.backend == "sqlite":
        conn = sqlite3.connect(db.name, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", f"synchronous={sqlite_sync}", "foreign_keys=ON",
                       "busy_timeout=30000"):
            conn.execute(f"PRAGMA {pragma}")
        sql = f"INSERT INTO reports ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"

        def insert_one(row: dict) -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql, values(row))
            conn.execute("COMMIT")
    else:
        import psycopg

        conn = psycopg.connect(libpq_url(db.url))
        sql = f"INSERT INTO reports ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"

        def insert_one(row: dict) -> None:
            conn.execute(sql, values(row))
            conn.commit()
    return insert_one, conn.close


def core_inserter(engine) -> tuple[Callable[[dict], None], Callable[[], None]]:
    """(insert one row and commit, close) with SQLAlchemy Core on zicht's engine."""
    from zicht.registry.models import Report

    ins = Report.__table__.insert()
    conn = engine.connect()

    def insert_one(row: dict) -> None:
        conn.execute(ins, row)
        conn.commit()

    return insert_one, conn.close


def measure_raw(backend: str, tmp: Path, admin_url: str, key: str, seconds: float,
                sqlite_sync: str, console: Console, rounds: int = 3) -> list[RawResult]:
    """Both methods, each into its own scratch database, in ``rounds`` interleaved rounds (the
    machine's load changes; the median round is reported)."""
    driver = "sqlite3" if backend == "sqlite" else "psycopg 3"
    results = [RawResult(f"raw driver ({driver})"),
               RawResult("SQLAlchemy Core (zicht make_engine)")]
    dbs: list[Database] = []
    regs, closers, inserters, streams = [], [], [], []
    latencies: list[list[float]] = [[], []]
    try:
        for method in ("driver", "core"):
            db = Database.create(backend, f"raw_{method}", tmp, admin_url)
            dbs.append(db)
            reg, rows = report_rows(db.url, key, sqlite_sync, 1000)
            regs.append(reg)
            if method == "driver":
                cols = list(rows[0].keys() | {"id", "source_ref", "created_at"})
                insert_one, close = raw_driver_inserter(db, cols, sqlite_sync)
            else:
                insert_one, close = core_inserter(reg.engine)
            inserters.append(insert_one)
            closers.append(close)
            streams.append(_row_stream(rows))
        for _ in range(rounds):
            for i, (insert_one, stream) in enumerate(zip(inserters, streams, strict=True)):
                latencies[i] += _timed(insert_one, stream, seconds / rounds, results[i])
    except Exception as exc:  # report and go on
        for r in results:
            r.error = r.error or f"{type(exc).__name__}: {exc}"
    finally:
        for close in closers:
            close()
        for reg in regs:
            reg.dispose()
        for db in dbs:
            db.drop()
    for r, lat in zip(results, latencies, strict=True):
        if r.rounds:
            lat.sort()
            r.rate = statistics.median(r.rounds)
            r.rate_min, r.rate_max = min(r.rounds), max(r.rounds)
            r.p50_ms, r.p99_ms = pct(lat, 0.5), pct(lat, 0.99)
        console.print(f"[dim]  raw inserts, {r.method}: "
                      + (f"{r.rate:,.0f} rows/s (rounds {r.rate_min:,.0f}-{r.rate_max:,.0f}), "
                         f"p50 {r.p50_ms:.2f} ms, p99 {r.p99_ms:.2f} ms"
                         if r.error is None else f"[red]{r.error}[/red]") + "[/dim]")
    return results


# -- the server ----------------------------------------------------------------------------------
def child_env(**extra: str) -> dict:
    """The environment of the ``zicht`` child processes: they import the same ``zicht`` as this
    script (its parent directory first on PYTHONPATH; they also run in a neutral directory, as
    ``python -c`` would otherwise put the current directory first on ``sys.path``)."""
    import zicht

    env = dict(os.environ, **extra)
    env.pop("ZICHT_PSEUDONYM_KEY_FILE", None)
    root = str(Path(zicht.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in env.get("PYTHONPATH", "").split(
        os.pathsep) if p and p != root])
    return env


def zicht_cli(*args: str, env: dict) -> str:
    cmd = [sys.executable, "-c", "from zicht.cli import main; main()", *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120,
                          cwd=tempfile.gettempdir())
    if proc.returncode != 0:
        raise RuntimeError(f"zicht {' '.join(args)} failed ({proc.returncode}): "
                           f"{proc.stderr.strip()[-500:]}")
    return proc.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``zicht serve`` in a child process (its own process group), log to a file."""

    def __init__(self, env: dict, workers: int, log: Path):
        self.port = free_port()
        self.log = log
        cmd = [sys.executable, "-c", "from zicht.cli import main; main()", "serve",
               "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
               "--log-level", "warning"]
        self._fh = log.open("w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._fh, stderr=subprocess.STDOUT,
                                     start_new_session=True, cwd=log.parent)

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"zicht serve exited ({self.proc.returncode}): "
                                   f"{self.log.read_text()[-800:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz",
                                            timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"zicht serve not ready after {timeout:.0f} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # uvicorn shuts its workers down on SIGTERM
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)  # the group this script created for it
                self.proc.wait(5)
        self._fh.close()


# -- the load generator ----------------------------------------------------------------------------
class RawHttp:
    """One keep-alive HTTP/1.1 connection; POSTs JSON, returns the status code.  With
    ``per_connection`` > 0 the connection is closed after that many requests and the next
    request opens a new one."""

    def __init__(self, host: str, port: int, token: str, per_connection: int = 0):
        self.host, self.port = host, port
        self.per_connection, self.used = per_connection, 0
        self.head = (f"POST /api/v1/reports HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                     "Accept-Language: en\r\nContent-Length: ").encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.used = 0
        self.writer.write(b"%s%d\r\n\r\n%s" % (self.head, len(body), body))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked, close = 0, False, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        self.used += 1
        if close or (self.per_connection and self.used >= self.per_connection):
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


class HttpxHttp:
    """The same through one shared httpx.AsyncClient (connection pool of ``clients``)."""

    pool = None

    def __init__(self, host: str, port: int, token: str, clients: int):
        import httpx

        if HttpxHttp.pool is None:
            HttpxHttp.pool = httpx.AsyncClient(
                base_url=f"http://{host}:{port}", timeout=REQUEST_TIMEOUT,
                limits=httpx.Limits(max_connections=clients, max_keepalive_connections=clients),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                         "Accept-Language": "en"})

    async def post(self, body: bytes) -> int:
        return (await HttpxHttp.pool.post("/api/v1/reports", content=body)).status_code

    async def close(self) -> None:
        pass


@dataclass
class Phase:
    ok: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    elapsed: float = 0.0


async def _client(conn, run: str, counter: Iterator[int], stop_at: float, phase: Phase) -> None:
    while time.perf_counter() < stop_at:
        body = json.dumps(make_report(run, next(counter))).encode()
        t0 = time.perf_counter()
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                status = await conn.post(body)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                TimeoutError, ValueError) as exc:
            phase.errors[type(exc).__name__] += 1
            await conn.close()
            continue
        except Exception as exc:  # httpx's own exceptions
            phase.errors[type(exc).__name__] += 1
            continue
        if status == 201:
            phase.ok += 1
            phase.latencies.append(time.perf_counter() - t0)
        else:
            phase.errors[f"HTTP {status}"] += 1


async def _load(port: int, token: str, clients: int, warmup: float, seconds: float,
                kind: str, on_measure: Callable[[], None],
                per_connection: int = 0) -> tuple[Phase, Phase, float]:
    """Warm-up phase, then the measured phase; returns both and the generator's CPU seconds in
    the measured phase."""
    HttpxHttp.pool = None
    if kind == "httpx":
        conns = [HttpxHttp("127.0.0.1", port, token, clients) for _ in range(clients)]
    else:
        conns = [RawHttp("127.0.0.1", port, token, per_connection) for _ in range(clients)]
    run, counter = secrets.token_hex(4), itertools.count()
    phases = []
    cpu = 0.0
    for seconds_i, measured in ((warmup, False), (seconds, True)):
        phase = Phase()
        if measured:
            on_measure()
            c0 = time.process_time()
        t0 = time.perf_counter()
        await asyncio.gather(*(_client(c, run, counter, t0 + seconds_i, phase) for c in conns))
        phase.elapsed = time.perf_counter() - t0
        if measured:
            cpu = time.process_time() - c0
        phases.append(phase)
    for c in conns:
        await c.close()
    if HttpxHttp.pool is not None:
        await HttpxHttp.pool.aclose()
    return phases[0], phases[1], cpu


def run_load(*args) -> tuple[Phase, Phase, float]:
    try:
        import uvloop
        factory = uvloop.new_event_loop
    except ImportError:
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(_load(*args))


# -- one configuration -----------------------------------------------------------------------------
@dataclass
class Config:
    backend: str
    workers: int
    clients: int
    seconds: float
    client: str
    warmup: float = 0.0
    requests_per_connection: int = 0  # 0: one keep-alive connection per client throughout
    sqlite_sync: str | None = None
    reports_per_s: float | None = None
    acknowledged: int = 0
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    errors: int = 0
    error_kinds: dict = field(default_factory=dict)
    elapsed: float = 0.0
    warmup_acknowledged: int = 0
    warmup_errors: int = 0
    raw: list[RawResult] = field(default_factory=list)
    ratio_raw_driver: float | None = None
    ratio_core: float | None = None
    cpu_server: float | None = None  # core-seconds in the measured window
    cpu_db: float | None = None
    cpu_generator: float | None = None
    cpu_machine: float | None = None
    server_cpu_ms_per_report: float | None = None
    db_cpu_ms_per_report: float | None = None
    generator_cpu_ms_per_request: float | None = None
    cpu_server_by_process: list[float] = field(default_factory=list)  # cores, busiest first
    cpu_probe_ms: tuple[float, float] | None = None  # before, after (see cpu_probe)
    persisted: int | None = None
    audit_ok: bool | None = None
    audit_entries: int | None = None
    targets: dict = field(default_factory=dict)
    error: str | None = None


def pct(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    return 1000 * sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def run_config(cfg: Config, db: Database, key: str, tmp: Path, console: Console) -> None:
    env = child_env(ZICHT_DATABASE_URL=db.url, ZICHT_PSEUDONYM_KEY=key)
    if cfg.sqlite_sync:
        env["ZICHT_SQLITE_SYNC"] = cfg.sqlite_sync
    zicht_cli("orgs", "add", ORG, "--category", "ZC", env=env)
    zicht_cli("users", "add", USER, "--role", "reporter", "--org", ORG, "--no-password", env=env)
    token = zicht_cli("tokens", "add", USER, env=env).strip().splitlines()[-1]
    server = Server(env, cfg.workers, tmp / f"serve-{db.backend}-{cfg.workers}.log")
    snaps: dict[str, Any] = {}

    def on_measure() -> None:  # CPU snapshots at the start of the measured window
        snaps["server"] = tree_cpu(server.proc.pid)
        snaps["db_pids"] = pg_backend_pids(db.url, db.name) if db.backend != "sqlite" else set()
        snaps["db"] = pids_cpu(snaps["db_pids"])
        snaps["machine"] = machine_busy()

    probe_before = cpu_probe()
    try:
        server.wait_ready()
        warm, phase, gen_cpu = run_load(server.port, token, cfg.clients, cfg.warmup,
                                        cfg.seconds, cfg.client, on_measure,
                                        cfg.requests_per_connection)
        server_after = tree_cpu(server.proc.pid)
        db_after = (pids_cpu(snaps["db_pids"] | pg_backend_pids(db.url, db.name))
                    if db.backend != "sqlite" else {})
        machine_after = machine_busy()
    finally:
        server.stop()
    cfg.cpu_probe_ms = (probe_before, cpu_probe())
    lat = sorted(phase.latencies)
    cfg.acknowledged, cfg.elapsed = phase.ok, phase.elapsed
    cfg.reports_per_s = phase.ok / phase.elapsed if phase.elapsed else None
    cfg.p50_ms, cfg.p90_ms, cfg.p99_ms = pct(lat, 0.5), pct(lat, 0.9), pct(lat, 0.99)
    cfg.max_ms = 1000 * lat[-1] if lat else None
    cfg.errors, cfg.error_kinds = sum(phase.errors.values()), dict(phase.errors)
    cfg.warmup_acknowledged, cfg.warmup_errors = warm.ok, sum(warm.errors.values())
    requests = phase.ok + cfg.errors
    if snaps.get("server"):
        cfg.cpu_server = cpu_delta(snaps["server"], server_after)
        cfg.cpu_server_by_process = sorted(
            (round((cpu - snaps["server"].get(pid, 0.0)) / phase.elapsed, 3)
             for pid, cpu in server_after.items()), reverse=True)
        cfg.cpu_db = cpu_delta(snaps["db"], db_after) if db.backend != "sqlite" else 0.0
    cfg.cpu_generator = gen_cpu
    if snaps.get("machine") and machine_after:
        busy = machine_after[0] - snaps["machine"][0]
        total = machine_after[1] - snaps["machine"][1]
        cfg.cpu_machine = busy / total * (os.cpu_count() or 1) * phase.elapsed if total else None
    if phase.ok and cfg.cpu_server is not None:
        cfg.server_cpu_ms_per_report = 1000 * cfg.cpu_server / phase.ok
        cfg.db_cpu_ms_per_report = 1000 * cfg.cpu_db / phase.ok
    if requests:
        cfg.generator_cpu_ms_per_request = 1000 * gen_cpu / requests
    check_database(cfg, db, key)


def check_database(cfg: Config, db: Database, key: str) -> None:
    """Every acknowledged report is stored; the audit chain still verifies."""
    from sqlalchemy import func, select

    from zicht.registry import audit
    from zicht.registry.db import make_engine, session_factory
    from zicht.registry.models import Report

    engine = make_engine(settings_for(db.url, key, cfg.sqlite_sync or "FULL"))
    try:
        with session_factory(engine)() as s:
            cfg.persisted = s.scalar(select(func.count(Report.id)))
            result = audit.verify(s)
        cfg.audit_ok, cfg.audit_entries = result.ok, result.entries
    finally:
        engine.dispose()


def judge(cfg: Config) -> None:
    cfg.targets = {
        f"reports/s >= {TARGET_RATE:,.0f}": (cfg.reports_per_s or 0) >= TARGET_RATE,
        f"p99 < {TARGET_P99_MS:g} ms": cfg.p99_ms is not None and cfg.p99_ms < TARGET_P99_MS,
        f"achieved/raw > {TARGET_RATIO:g}": (cfg.ratio_raw_driver or 0) > TARGET_RATIO,
    }


# -- presentation ----------------------------------------------------------------------------------
def f(x: float | None, digits: int = 0, suffix: str = "") -> str:
    return "-" if x is None else f"{x:,.{digits}f}{suffix}"


def render(configs: list[Config], console: Console) -> None:
    table = Table(title="zicht serve: report intake (POST /api/v1/reports, one report each)",
                  show_lines=True)
    for name, just in (("backend", "left"), ("workers", "right"), ("clients", "right"),
                       ("reports/s\n(201s)", "right"), ("p50 ms", "right"), ("p99 ms", "right"),
                       ("errors", "right"), ("raw inserts/s\ndriver | Core", "right"),
                       ("achieved/raw\ndriver | Core", "right"),
                       ("CPU cores used\nserver|db|gen|rest", "right"),
                       ("CPU ms/report\nserver | db", "right"), ("stored / audit", "left"),
                       ("targets", "left")):
        table.add_column(name, justify=just, no_wrap=True)
    for c in configs:
        if c.error:
            table.add_row(c.backend, str(c.workers), str(c.clients),
                          f"[red]{c.error[:60]}[/red]", *["-"] * 9)
            continue
        raw = {r.method.split(" ")[0]: r for r in c.raw}
        drv, core = raw.get("raw"), raw.get("SQLAlchemy")
        w = c.elapsed or 1
        cores = "-"
        if c.cpu_server is not None:
            rest = None if c.cpu_machine is None else max(
                0.0, c.cpu_machine - c.cpu_server - c.cpu_db - (c.cpu_generator or 0))
            cores = (f"{c.cpu_server / w:.2f}|{c.cpu_db / w:.2f}|{(c.cpu_generator or 0) / w:.2f}"
                     f"|{f(None if rest is None else rest / w, 2)}")
        stored = (f"{c.persisted:,} of {c.warmup_acknowledged + c.acknowledged:,} acked"
                  if c.persisted is not None else "-")
        stored += "\naudit " + ("ok" if c.audit_ok else "[red]BROKEN[/red]"
                                if c.audit_ok is not None else "-")
        errors = str(c.errors) + ("".join(f"\n{k}: {n}" for k, n in c.error_kinds.items())
                                  if c.errors else "")
        table.add_row(
            c.backend + (f"\nsync={c.sqlite_sync}" if c.backend == "sqlite" else ""),
            str(c.workers), str(c.clients), f(c.reports_per_s, 1), f(c.p50_ms, 1),
            f(c.p99_ms, 1), errors,
            f"{f(drv.rate if drv else None)} | {f(core.rate if core else None)}",
            f"{f(c.ratio_raw_driver, 2)} | {f(c.ratio_core, 2)}", cores,
            f"{f(c.server_cpu_ms_per_report, 2)} | {f(c.db_cpu_ms_per_report, 2)}", stored,
            "\n".join(("[green]met[/green] " if ok else "[red]missed[/red] ") + k
                      for k, ok in c.targets.items()))
    console.print(table)
    probes = [p for c in configs if c.cpu_probe_ms for p in c.cpu_probe_ms]
    for c in configs:
        if c.cpu_probe_ms and max(c.cpu_probe_ms) > 1.5 * min(probes):
            console.print(f"[yellow]{c.backend}, {c.workers} worker(s): the CPU probe took "
                          f"{c.cpu_probe_ms[0]:.0f} / {c.cpu_probe_ms[1]:.0f} ms before / after "
                          f"(fastest in this run {min(probes):.0f} ms): the machine was slower "
                          "then; repeat the run.[/yellow]")
        if c.cpu_machine is not None and c.elapsed and c.cpu_server is not None:
            rest = (c.cpu_machine - c.cpu_server - c.cpu_db - (c.cpu_generator or 0)) / c.elapsed
            if rest > 0.3:
                console.print(f"[yellow]{c.backend}, {c.workers} worker(s): other processes used "
                              f"{rest:.2f} cores during the run; its rate is lower than on a "
                              "quiet machine (CPU ms/report is the steadier figure).[/yellow]")
    for line in (
        "reports/s: acknowledged (HTTP 201) reports / wall seconds of the measured window; "
        "p50/p99 over those requests.",
        "raw inserts/s: one INSERT + COMMIT per row from one process into a scratch copy of the "
        "schema; 'driver' = sqlite3 / psycopg 3 directly (the ceiling the ratio uses), 'Core' = "
        "SQLAlchemy Core on zicht's engine.",
        "CPU cores used: core-seconds / wall seconds in the window. server = `zicht serve` and "
        "its workers; db = the PostgreSQL backends of the bench database; gen = this load "
        "generator; rest = everything else on the machine (PostgreSQL WAL writer, kernel, "
        "other jobs).",
    ):
        console.print(line)


def environment(args) -> dict[str, Any]:
    import zicht

    env = {"python": platform.python_version(), "platform": platform.platform(),
           "cpu_count": os.cpu_count(), "zicht": str(Path(zicht.__file__).parent),
           "loadavg_1min_at_start": round(os.getloadavg()[0], 2)
           if hasattr(os, "getloadavg") else None,
           "client": args.client, "clients": args.clients, "seconds": args.seconds,
           "warmup": args.warmup, "raw_seconds": args.raw_seconds,
           "cpu_probe_ms_at_start": round(cpu_probe(), 1)}
    try:  # the code measured: the checkout's commit, "+dirty" with uncommitted changes
        where = Path(zicht.__file__).parent
        rev = subprocess.run(["git", "-C", str(where), "describe", "--always", "--dirty=+dirty"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        env["zicht_revision"] = rev or None
    except (OSError, subprocess.SubprocessError):
        env["zicht_revision"] = None
    for mod in ("uvicorn", "uvloop", "httptools", "fastapi", "starlette", "pydantic",
                "sqlalchemy", "psycopg"):
        try:
            env[mod] = __import__(mod).__version__
        except (ImportError, AttributeError):
            env[mod] = None
    return env


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--workers", default="1,2",
                    help="uvicorn worker counts, comma-separated (default 1,2)")
    ap.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    ap.add_argument("--seconds", type=float, default=30.0, help="measured seconds (default 30)")
    ap.add_argument("--warmup", type=float, default=3.0, help="uncounted seconds first")
    ap.add_argument("--raw-seconds", type=float, default=6.0,
                    help="seconds of each raw-insert method, in 3 interleaved rounds (default 6)")
    ap.add_argument("--client", choices=("raw", "httpx"), default="raw",
                    help="load generator: plain asyncio HTTP/1.1 (default) or httpx")
    ap.add_argument("--requests-per-connection", type=int, default=0, metavar="N",
                    help="raw client: reconnect after N requests (default 0: never). uvicorn "
                         "workers share one listening socket, and 50 connections opened at "
                         "once mostly land on one worker; reconnecting spreads them")
    ap.add_argument("--sqlite-sync", choices=("FULL", "NORMAL", "EXTRA"),
                    default=os.environ.get("ZICHT_SQLITE_SYNC", "FULL").upper(),
                    help="ZICHT_SQLITE_SYNC for the SQLite runs (default FULL, the server's)")
    ap.add_argument("--pg-url", default=os.environ.get("ZICHT_BENCH_PG_URL", DEFAULT_PG),
                    help="PostgreSQL maintenance URL; bench databases are created and dropped "
                         f"through it (default $ZICHT_BENCH_PG_URL or {DEFAULT_PG})")
    ap.add_argument("--json", metavar="PATH", type=Path,
                    help="results file (default bench/results/intake-<time>.json)")
    args = ap.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]

    console = Console(width=None if sys.stdout.isatty() else 200)
    env = environment(args)
    console.print(f"Python {env['python']}, {env['cpu_count']} CPUs, load average "
                  f"{env['loadavg_1min_at_start']}, uvicorn {env['uvicorn']} (uvloop "
                  f"{env['uvloop']}, httptools {env['httptools']}), SQLAlchemy "
                  f"{env['sqlalchemy']}, psycopg {env['psycopg']}; zicht from {env['zicht']} "
                  f"({env['zicht_revision'] or 'no git revision'})")
    console.print(f"{args.clients} clients ({args.client}), {args.warmup:g} s warm-up + "
                  f"{args.seconds:g} s measured per configuration; CPU probe "
                  f"{env['cpu_probe_ms_at_start']:.0f} ms.")
    if "postgresql" in backends:
        try:
            env["postgresql"] = pg_settings(args.pg_url)
            console.print(f"PostgreSQL {env['postgresql']}")
        except Exception as exc:
            console.print(f"[yellow]PostgreSQL at {args.pg_url} not reachable ({exc}); "
                          "skipping it.[/yellow]")
            backends.remove("postgresql")

    key = secrets.token_hex(32)
    configs: list[Config] = []
    with tempfile.TemporaryDirectory(prefix="zicht-bench-intake-") as tmpname:
        tmp = Path(tmpname)
        for backend in backends:
            sync = args.sqlite_sync if backend == "sqlite" else None
            console.print(f"[bold]{backend}[/bold]" + (f" (synchronous={sync})" if sync else ""))
            raw = measure_raw(backend, tmp, args.pg_url, key, args.raw_seconds, sync or "FULL",
                              console)
            rates = {r.method.split(" ")[0]: r.rate for r in raw}
            for n in workers:
                cfg = Config(backend, n, args.clients, args.seconds, args.client, args.warmup,
                             args.requests_per_connection, sync, raw=raw)
                db = None
                try:
                    db = Database.create(backend, f"serve_w{n}", tmp, args.pg_url)
                    run_config(cfg, db, key, tmp, console)
                except Exception as exc:  # report and go on with the next configuration
                    cfg.error = f"{type(exc).__name__}: {exc}"
                finally:
                    if db is not None:
                        db.drop()
                if cfg.reports_per_s:
                    if rates.get("raw"):
                        cfg.ratio_raw_driver = cfg.reports_per_s / rates["raw"]
                    if rates.get("SQLAlchemy"):
                        cfg.ratio_core = cfg.reports_per_s / rates["SQLAlchemy"]
                judge(cfg)
                configs.append(cfg)
                console.print(
                    f"[dim]  workers={n}: {f(cfg.reports_per_s, 1)} reports/s, p50 "
                    f"{f(cfg.p50_ms, 1)} ms, p99 {f(cfg.p99_ms, 1)} ms, {cfg.errors} errors, "
                    f"server {f(cfg.server_cpu_ms_per_report, 2)} CPU ms/report (cores by "
                    f"process {', '.join(f'{c:.2f}' for c in cfg.cpu_server_by_process)}), "
                    "generator "
                    f"{f(cfg.cpu_generator and cfg.cpu_generator / cfg.elapsed, 2)} cores, "
                    f"CPU probe {'/'.join(f'{p:.0f}' for p in cfg.cpu_probe_ms or ())} ms"
                    f"{' ' + cfg.error if cfg.error else ''}[/dim]")

    render(configs, console)
    path = args.json or RESULTS / f"intake-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    payload = {"environment": env, "targets": {"reports_per_s": TARGET_RATE,
                                               "p99_ms": TARGET_P99_MS,
                                               "ratio_raw": TARGET_RATIO},
               "configs": [asdict(c) for c in configs]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    console.print(f"results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
