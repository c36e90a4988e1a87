"""The largest allowed import through a real server, and other users' reports meanwhile.

Run from the repository root (``make bench``)::

    .venv/bin/python bench/bench_import.py [--rows 100000] [--others 4]
        [--backend sqlite|postgresql|both] [--pg] [--alone] [--json PATH]

The security finding this measures: "a 100,000-row CSV used 1.23 GB; a 50,000-row import
blocked another organisation's single report for 12.5 s"; the targets are a peak under 300 MB
for the 100,000-row import and a p99 under 1 s for the other users' reports.

For each backend (SQLite; PostgreSQL too with ``--pg``, ``--backend postgresql|both`` or when
``ZICHT_TEST_PG_URL`` is set) this

1. writes a CSV of ``--rows`` reports in the import format: ``zicht simulate`` (nl-baseline,
   2024) repeated with fresh source references until there are enough rows, for one
   organisation (about 160 bytes a row: 100,000 rows are 16 MB);
2. creates a fresh database with that organisation's reporter and ``--others`` reporters of
   other organisations, each with an API token, and starts ``zicht serve`` (one worker, the
   default limits: ``ZICHT_IMPORT_MAX_ROWS`` 100,000, chunks of 2,000 rows);
3. has each other reporter post one report (connection, token cache), reads the server's
   resident memory (VmRSS), then imports the file with one ``POST /api/v1/imports`` while the
   other reporters post single reports one after the other (a plain asyncio HTTP/1.1 client,
   one keep-alive connection each, as bench_intake.py) until the import is answered;
4. prints the import's wall seconds (the whole request, upload included) and rows/s, the
   server's CPU seconds in that time, its RSS before and its peak (VmHWM, which also covers
   start-up), and the other reports: count, p50/p99/max latency, errors.

``--alone`` first runs the same import with no other users (its time and peak alone).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import http.client
import io
import json
import os
import platform
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench_intake import (
    Database,
    RawHttp,
    Server,
    child_env,
    f,
    make_report,
    pct,
    tree_cpu,
    zicht_cli,
)
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
ORG, CATEGORY = "IMPORTER", "NGO"
TARGET_PEAK_MB, TARGET_P99_MS = 300.0, 1000.0


# -- the file ------------------------------------------------------------------------------------
def simulated_csv(rows: int, tmp: Path, env: dict) -> bytes:
    """``rows`` simulated reports of organisation ORG in the import format."""
    out = tmp / "sim"
    victims = max(2000, min(rows, 20000) * 5)  # about one report per five victims
    zicht_cli("simulate", "--scenario", "nl-baseline", "--years", "2024", "--victims",
              str(victims), "--seed", "7", "--out", str(out), "--formats", "csv", env=env)
    with (out / "reports.csv").open(newline="") as fh:
        source = list(csv.DictReader(fh))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(source[0]))
    writer.writeheader()
    for i in range(rows):
        row = dict(source[i % len(source)])
        row.update(report_id=f"B{i:07d}", organisation=ORG, reporter_category=CATEGORY)
        if row["birth_date"] and row["age_at_report"]:  # the simulator's deliberate slips
            born = dt.date.fromisoformat(row["birth_date"])
            seen = dt.date.fromisoformat(row["received_date"])
            row["age_at_report"] = str(seen.year - born.year
                                       - ((seen.month, seen.day) < (born.month, born.day)))
        writer.writerow(row)
    return buffer.getvalue().encode()


# -- HTTP (the standard library's: `make bench` installs zicht without its dev tools) ------------
def post(port: int, path: str, token: str, body: bytes, content_type: str,
         timeout: float) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": content_type,
            "Accept-Language": "en"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n").encode() + data \
        + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


# -- the server's memory -------------------------------------------------------------------------
def status_mb(pid: int, name: str) -> float | None:
    """A /proc/<pid>/status memory figure (VmRSS, VmHWM) in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


# -- the run -------------------------------------------------------------------------------------
@dataclass
class Run:
    backend: str
    rows: int
    others: int
    with_others: bool = True
    file_mb: float = 0.0
    status: int | None = None
    created: int | None = None
    seconds: float | None = None
    rows_per_s: float | None = None
    server_cpu_s: float | None = None
    rss_before_mb: float | None = None
    rss_after_mb: float | None = None
    rss_max_sampled_mb: float | None = None
    peak_mb: float | None = None  # VmHWM: the process's peak since it started
    reports: int = 0
    p50_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    errors: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)
    error: str | None = None


async def _others(port: int, tokens: list[str], done: threading.Event,
                  latencies: list[float], errors: Counter) -> None:
    run = secrets.token_hex(3)

    async def client(k: int, token: str) -> None:
        conn = RawHttp("127.0.0.1", port, token)
        n = 0
        while not done.is_set():
            body = json.dumps(make_report(f"{run}-{k}", n)).encode()
            n += 1
            t0 = time.perf_counter()
            try:
                async with asyncio.timeout(60):
                    status = await conn.post(body)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                errors[type(exc).__name__] += 1
                await conn.close()
                continue
            if status == 201:
                latencies.append(time.perf_counter() - t0)
            else:
                errors[f"HTTP {status}"] += 1
        await conn.close()

    await asyncio.gather(*(client(k, t) for k, t in enumerate(tokens)))


def run_import(run: Run, server: Server, tokens: dict[str, str], data: bytes,
               console: Console) -> None:
    pid = server.proc.pid
    others = [t for user, t in tokens.items() if user != "importer"]
    for token in others:  # warm-up: each reporter's connection and validated token
        status, text = post(server.port, "/api/v1/reports", token, json.dumps(
            make_report(f"warm-{secrets.token_hex(3)}", 0)).encode(), "application/json", 30)
        if status != 201:
            raise RuntimeError(f"warm-up report: HTTP {status} {text[:200]!r}")
    body, content_type = multipart("bench.csv", data)
    run.rss_before_mb = status_mb(pid, "VmRSS")
    done, latencies, errors = threading.Event(), [], Counter()
    thread = None
    if run.with_others:
        thread = threading.Thread(target=asyncio.run, args=(
            _others(server.port, others, done, latencies, errors),), daemon=True)
        thread.start()
    sampled = [run.rss_before_mb or 0.0]

    def sample() -> None:
        while not done.is_set():
            if (mb := status_mb(pid, "VmRSS")) is not None:
                sampled.append(mb)
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu0 = tree_cpu(pid)
    t0 = time.perf_counter()
    try:
        status, answer = post(server.port, "/api/v1/imports", tokens["importer"], body,
                              content_type, 1800)
    finally:
        run.seconds = time.perf_counter() - t0
        cpu1 = tree_cpu(pid)
        done.set()
        if thread is not None:
            thread.join(120)
        sampler.join(5)
    run.status = status
    if status in (200, 201):
        run.created = json.loads(answer)["created"]
        run.rows_per_s = run.rows / run.seconds
    else:
        run.error = f"HTTP {status}: {answer[:200]!r}"
    run.server_cpu_s = sum(cpu1.values()) - sum(cpu0.get(p, 0.0) for p in cpu1)
    run.rss_after_mb = status_mb(pid, "VmRSS")
    run.rss_max_sampled_mb = max(sampled)
    run.peak_mb = status_mb(pid, "VmHWM")
    lat = sorted(latencies)
    run.reports = len(lat)
    run.p50_ms, run.p99_ms = pct(lat, 0.5), pct(lat, 0.99)
    run.max_ms = 1000 * lat[-1] if lat else None
    run.errors = dict(errors)
    run.targets = {f"peak < {TARGET_PEAK_MB:g} MB": (run.peak_mb or 1e9) < TARGET_PEAK_MB}
    if run.with_others:
        run.targets[f"others' p99 < {TARGET_P99_MS:g} ms"] = (
            run.p99_ms is not None and run.p99_ms < TARGET_P99_MS and not errors)
    console.print(f"[dim]  {run.backend}{'' if run.with_others else ' (alone)'}: HTTP "
                  f"{run.status}, {f(run.seconds, 1)} s, {f(run.rows_per_s)} rows/s, RSS "
                  f"{f(run.rss_before_mb)} -> peak {f(run.peak_mb)} MB, others "
                  f"{run.reports} reports p99 {f(run.p99_ms)} ms, errors {run.errors}[/dim]")


def one_backend(backend: str, rows: int, others: int, alone: bool, data: bytes, key: str,
                tmp: Path, pg_url: str, console: Console) -> list[Run]:
    from zicht.registry.service import Registry, operator
    from zicht.registry.settings import Settings

    runs = []
    for with_others in ([False] if alone else []) + [True]:
        run = Run(backend, rows, others, with_others, len(data) / 2**20)
        runs.append(run)
        db = server = None
        try:
            db = Database.create(backend, f"import_{int(with_others)}", tmp, pg_url)
            env = child_env(ZICHT_DATABASE_URL=db.url, ZICHT_PSEUDONYM_KEY=key)
            for name in [n for n in env if n.startswith(("ZICHT_LIMIT_", "ZICHT_IMPORT_"))]:
                del env[name]  # the default limits
            reg = Registry(Settings.from_env(env))
            tokens = {}
            try:
                reg.upgrade()
                op = operator("bench")
                reg.add_organisation(op, ORG, "Importer", CATEGORY)
                reg.add_user(op, "importer", "reporter", None, ORG)
                tokens["importer"] = reg.add_token(op, "importer", "bench")["token"]
                for i in range(others):
                    reg.add_organisation(op, f"OTHER-{i}", f"Other {i}", "ZC")
                    reg.add_user(op, f"other{i}", "reporter", None, f"OTHER-{i}")
                    tokens[f"other{i}"] = reg.add_token(op, f"other{i}", "bench")["token"]
            finally:
                reg.dispose()
            server = Server(env, 1, tmp / f"serve-{backend}-{int(with_others)}.log")
            server.wait_ready()
            run_import(run, server, tokens, data, console)
        except Exception as exc:  # report and go on
            run.error = f"{type(exc).__name__}: {exc}"
            console.print(f"[red]{backend}: {run.error}[/red]")
        finally:
            if server is not None:
                server.stop()
            if db is not None:
                db.drop()
    return runs


def render(runs: list[Run], console: Console) -> None:
    table = Table(title="zicht serve: one import (POST /api/v1/imports) while other "
                        "organisations post single reports", show_lines=True)
    for name in ("backend", "rows\n(file MB)", "HTTP", "import s\n(wall)", "rows/s",
                 "server CPU s", "RSS MB\nbefore | after", "peak MB\n(VmHWM)",
                 "others' reports\n(errors)", "p50 | p99 | max\nms", "targets"):
        table.add_column(name, justify="left" if name in ("backend", "targets") else "right",
                         no_wrap=True)
    for r in runs:
        table.add_row(
            r.backend + ("" if r.with_others else "\n(alone)"),
            f"{r.rows:,}\n({r.file_mb:.1f})", str(r.status or "-"), f(r.seconds, 1),
            f(r.rows_per_s), f(r.server_cpu_s, 1),
            f"{f(r.rss_before_mb)} | {f(r.rss_after_mb)}", f(r.peak_mb),
            f"{r.reports:,}" + (f"\n({sum(r.errors.values())})" if r.errors else ""),
            f"{f(r.p50_ms)} | {f(r.p99_ms)} | {f(r.max_ms)}" if r.with_others else "-",
            "\n".join(("[green]met[/green] " if ok else "[red]missed[/red] ") + k
                      for k, ok in r.targets.items()) or (r.error or "-"))
    console.print(table)
    console.print("import s: the whole request (upload, parsing, validation, pseudonymisation, "
                  "staging in chunks, commit) as the client saw it.  peak: the server "
                  "process's VmHWM, start-up included; RSS after: once the import answered.  "
                  "others: reports acknowledged (201) while the import ran, one client per "
                  "organisation, each posting the next report when the last was answered.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000, help="rows of the file (default "
                    "100,000, the default ZICHT_IMPORT_MAX_ROWS)")
    ap.add_argument("--others", type=int, default=4, help="other organisations' reporters "
                    "posting single reports during the import (default 4)")
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default=None,
                    help="default: sqlite, and PostgreSQL too with --pg or ZICHT_TEST_PG_URL")
    ap.add_argument("--pg", action="store_true", help="PostgreSQL as well as SQLite")
    ap.add_argument("--pg-url", default=os.environ.get("ZICHT_TEST_PG_URL")
                    or os.environ.get("ZICHT_BENCH_PG_URL") or DEFAULT_PG,
                    help="PostgreSQL maintenance URL (bench databases are created and dropped "
                         "through it; default $ZICHT_TEST_PG_URL or $ZICHT_BENCH_PG_URL or "
                         f"{DEFAULT_PG})")
    ap.add_argument("--alone", action="store_true",
                    help="also the import with no other users, first")
    ap.add_argument("--json", type=Path, metavar="PATH",
                    help="results file (default bench/results/import-<time>.json)")
    args = ap.parse_args(argv)
    backend = args.backend or ("both" if args.pg or os.environ.get("ZICHT_TEST_PG_URL")
                               else "sqlite")
    backends = ["sqlite", "postgresql"] if backend == "both" else [backend]

    console = Console(width=None if sys.stdout.isatty() else 200)
    env = {"python": platform.python_version(), "cpu_count": os.cpu_count(),
           "loadavg_1min_at_start": round(os.getloadavg()[0], 2), "rows": args.rows,
           "others": args.others}
    console.print(f"Python {env['python']}, {env['cpu_count']} CPUs, load average "
                  f"{env['loadavg_1min_at_start']}; {args.rows:,} rows, {args.others} other "
                  f"reporters; backends {', '.join(backends)}")
    key = secrets.token_hex(32)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="zicht-bench-import-") as tmpname:
        tmp = Path(tmpname)
        data = simulated_csv(args.rows, tmp, child_env(ZICHT_PSEUDONYM_KEY=key))
        console.print(f"[dim]  file: {len(data) / 2**20:.1f} MB, {args.rows:,} rows[/dim]")
        for b in backends:
            runs += one_backend(b, args.rows, args.others, args.alone, data, key, tmp,
                                args.pg_url, console)
    render(runs, console)
    path = args.json or RESULTS / f"import-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"environment": env,
                                "targets": {"peak_mb": TARGET_PEAK_MB,
                                            "p99_ms": TARGET_P99_MS},
                                "runs": [asdict(r) for r in runs]}, indent=2) + "\n")
    console.print(f"results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
