"""Other organisations' reports stay fast while the largest allowed import runs (security
finding: "a 50,000-row import blocked another organisation's single report for 12.5 s").

A real ``zicht serve`` (SQLite, one worker) with ``ZICHT_IMPORT_MAX_ROWS`` = 20,000, so that a
20,000-row import of simulated reports is the largest one allowed; while it goes through the
API, four reporters of other organisations post single reports one after the other, each
with its own token.  The import must succeed, every single report must be acknowledged (201)
and their p99 latency must stay under 1 s; the server's peak memory (VmHWM) may exceed its
resident memory before the import by less than 160 MB.  The figures are printed (``-s``) and
recorded as test properties.

Marked ``slow`` (about 30 s on 2 cores): still part of the default run; ``-m "not slow"``
leaves it out.  ``bench/bench_import.py`` measures the same at the default 100,000 rows.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from .conftest import report
from .served import CATEGORIES, serving, simulated_csv

pytestmark = pytest.mark.slow

ROWS = 20_000
OTHERS = 4  # reporters of other organisations
P99_LIMIT = 1.0  # seconds
GROWTH_LIMIT = 160 * 2**20  # bytes of peak over the resident memory before (measured: ~80 MB)


def test_other_reporters_stay_fast_during_the_largest_allowed_import(tmp_path, record_property):
    data = simulated_csv(tmp_path, ROWS, "ORG-1", CATEGORIES[1])
    with serving(tmp_path, {"ZICHT_IMPORT_MAX_ROWS": str(ROWS)},
                 reporters=1 + OTHERS) as server:
        others = [f"rep_{i}" for i in range(2, 2 + OTHERS)]
        done = threading.Event()
        results: dict[str, list[tuple[float, int]]] = {user: [] for user in others}
        failures: list[BaseException] = []

        def reporter(user: str) -> None:
            try:
                with httpx.Client(base_url=server.base, headers=server.auth(user),
                                  timeout=30) as client:
                    n = 0
                    while not done.is_set():
                        body = report(source_ref=f"{user}-{n}", surname=f"Jansen{'e' * (n % 7)}")
                        t0 = time.perf_counter()
                        r = client.post("/api/v1/reports", json=body)
                        results[user].append((time.perf_counter() - t0, r.status_code))
                        n += 1
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                failures.append(exc)

        for user in others:  # warm-up: a connection and a validated token per reporter
            r = httpx.post(f"{server.base}/api/v1/reports", headers=server.auth(user),
                           json=report(source_ref=f"{user}-warm"), timeout=30)
            assert r.status_code == 201, r.text
        rss_before = server.rss()
        threads = [threading.Thread(target=reporter, args=(u,)) for u in others]
        for t in threads:
            t.start()
        t0 = time.perf_counter()
        try:
            imported = httpx.post(f"{server.base}/api/v1/imports", headers=server.auth("rep_1"),
                                  files={"file": ("largest.csv", data, "text/csv")}, timeout=600)
        finally:
            seconds = time.perf_counter() - t0
            done.set()
            for t in threads:
                t.join(60)
        peak = server.peak()
        total = httpx.get(f"{server.base}/api/v1/reports", params={"limit": 1}, timeout=30,
                          headers=server.auth("analyst")).json()["total"]

    assert not failures, failures
    assert imported.status_code == 201, imported.text[:1000]
    assert imported.json()["rows"] == imported.json()["created"] == ROWS
    latencies = sorted(lat for user in others for lat, _ in results[user])
    statuses = {status for user in others for _, status in results[user]}
    assert statuses == {201}, statuses
    assert total == ROWS + OTHERS + len(latencies)  # every acknowledged report is there
    assert all(len(results[user]) >= 5 for user in others), {u: len(v) for u, v in
                                                             results.items()}
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    summary = {"import_seconds": round(seconds, 1), "rows_per_s": round(ROWS / seconds),
               "rss_before_mb": round(rss_before / 2**20), "peak_rss_mb": round(peak / 2**20),
               "other_reports": len(latencies), "p50_ms": round(1000 * p50),
               "p99_ms": round(1000 * p99), "max_ms": round(1000 * latencies[-1])}
    for key, value in summary.items():
        record_property(key, value)
    print(f"\n{ROWS:,}-row import: {summary}")
    assert p99 < P99_LIMIT, summary
    # the import is read, validated and staged in chunks: before the fix this import alone
    # took the server from 177 MB to 460 MB
    assert peak - rss_before < GROWTH_LIMIT, summary
