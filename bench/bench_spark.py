"""Linkage on Spark beside DuckDB (issue 19): ``zicht link`` as a user runs it, one engine at a
time on the same reports, measured from outside (what a user waits for).

Engines: ``duckdb`` (the default backend), ``local`` (``--backend spark`` with its defaults,
``local[*]``) and ``cluster`` (``--backend spark --spark-master spark://...`` against a
standalone cluster on this machine: a master and ``--workers`` workers from pyspark's own
launcher, :class:`zicht.linkage.spark.StandaloneCluster`).

Per engine: the wall time of the whole ``zicht link`` process, the peak resident memory of each
process taking part (sampled from /proc every 0.25 s: the Python driver, Spark's driver JVM,
each executor JVM, the cluster's master and workers), the persons, the pairwise F1 against the
simulation's truth, and the agreement with DuckDB's persons (pairwise F1 of one against the
other: 1.0 is the same persons).

Usage::

    .venv/bin/python bench/bench_spark.py --reports 100000            # all three engines
    .venv/bin/python bench/bench_spark.py --reports 20000 --engines duckdb,local
    .venv/bin/python bench/bench_spark.py --data DIR --json results.json

Reports come from ``zicht simulate --years 2020-2024 --victims N --seed 5`` (about N reports
over the five years), or ``--data`` (a simulate folder).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ZICHT = str(Path(sys.executable).parent / "zicht")
KEY = "6b" * 32  # a benchmark key (the tokens never leave the temporary folder)
PAGE = os.sysconf("SC_PAGE_SIZE")


def _processes() -> dict[int, tuple[int, str, int]]:
    """pid -> (parent pid, command line, resident bytes) of every process."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/statm") as f:
                rss = int(f.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        out[int(entry)] = (parent, command, rss)
    return out


def _role(command: str) -> str:
    for marker, role in (("CoarseGrainedExecutorBackend", "executor"),
                         ("deploy.master.Master", "master"), ("deploy.worker.Worker", "worker"),
                         ("SparkSubmit", "driver JVM"), ("zicht link", "python driver")):
        if marker in command:
            return role
    return ""


class PeakMemory:
    """Peak resident memory per process of ``roots``' trees (and of the cluster's processes)."""

    def __init__(self, roots: list[int], every: float = 0.25):
        self.roots, self.every = roots, every
        self.peak: dict[str, int] = {}  # "role pid" -> bytes
        self.total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            procs = _processes()
            children: dict[int, list[int]] = {}
            for pid, (parent, _, _) in procs.items():
                children.setdefault(parent, []).append(pid)
            seen, todo = set(), list(self.roots)
            while todo:
                pid = todo.pop()
                if pid in seen or pid not in procs:
                    continue
                seen.add(pid)
                todo.extend(children.get(pid, []))
            total = 0
            for pid in seen:
                role = _role(procs[pid][1])
                # a JVM that starts a process (the Python workers) forks first: until the
                # child's exec it shows its parent's command line and memory; not a process
                # of its own
                if role and procs.get(procs[pid][0], (0, ""))[1] != procs[pid][1]:
                    key = f"{role} {pid}"
                    self.peak[key] = max(self.peak.get(key, 0), procs[pid][2])
                    total += procs[pid][2]
            self.total = max(self.total, total)
            self._stop.wait(self.every)


def _link(sim: Path, out: Path, extra: list[str], roots: list[int], timeout: float) -> dict:
    env = {**os.environ, "ZICHT_PSEUDONYM_KEY": KEY}
    t0 = time.perf_counter()
    proc = subprocess.Popen([ZICHT, "link", str(sim), "--out", str(out), *extra], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    with PeakMemory([proc.pid, *roots]) as memory:
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()
            return {"error": f"no result within {timeout:.0f} s"}
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"error": stderr.strip().splitlines()[-1] if stderr.strip() else "failed",
                "seconds": round(seconds, 1)}
    summary = json.loads((out / "summary.json").read_text())
    return {"seconds": round(seconds, 1), "persons": summary["persons"],
            "reports": summary["reports"],
            "pairwise_f1": summary.get("evaluation", {}).get("pairwise_f1"),
            "stages_seconds": summary.get("seconds"),
            "peak_mb": {k: round(v / 2**20) for k, v in sorted(memory.peak.items())},
            "peak_total_mb": round(memory.total / 2**20)}


def _agreement(a: Path, b: Path) -> float:
    import pandas as pd

    from zicht.linkage.evaluate import evaluate

    pa = pd.read_parquet(a / "report_persons.parquet").set_index("report_id")["person_id"]
    pb = pd.read_parquet(b / "report_persons.parquet").set_index("report_id")["person_id"]
    return round(evaluate(pb.reindex(pa.index).to_numpy(), pa.to_numpy()).pairwise_f1, 5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--data", type=Path, help="a zicht simulate folder to link")
    parser.add_argument("--engines", default="duckdb,local,cluster")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-memory", default="4g")
    parser.add_argument("--timeout", type=float, default=6 * 3600)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    engines = args.engines.split(",")
    with tempfile.TemporaryDirectory(prefix="zicht-bench-spark-") as tmp:
        work = Path(tmp)
        sim = args.data
        if sim is None:
            sim = work / "sim"
            subprocess.run([ZICHT, "simulate", "--years", "2020-2024", "--victims",
                            str(args.reports), "--seed", "5", "--formats", "parquet", "--out",
                            str(sim)], check=True, capture_output=True,
                           env={**os.environ, "ZICHT_PSEUDONYM_KEY": KEY})
        results: dict[str, dict] = {}
        for engine in engines:
            out = work / engine
            print(f"{engine} ...", flush=True)
            if engine == "duckdb":
                results[engine] = _link(sim, out, [], [], args.timeout)
            elif engine == "local":
                results[engine] = _link(sim, out, ["--backend", "spark"], [], args.timeout)
            elif engine == "cluster":
                from zicht.linkage.spark import StandaloneCluster, megabytes

                cluster = StandaloneCluster(args.workers, cores=1, memory=args.worker_memory,
                                            folder=str(work / "cluster"))
                with cluster as url:
                    roots = [p.pid for p in cluster._procs]
                    memory = f"{max(512, int(megabytes(args.worker_memory) * 0.8))}m"
                    results[engine] = _link(sim, out, [
                        "--backend", "spark", "--spark-master", url,
                        "--spark-executor-memory", memory], roots, args.timeout)
            else:
                raise SystemExit(f"unknown engine {engine!r}: duckdb, local or cluster")
            if "duckdb" in results and engine != "duckdb" and "error" not in results[engine] \
                    and "error" not in results["duckdb"]:
                results[engine]["agreement_with_duckdb"] = _agreement(work / "duckdb", out)
            print(json.dumps({engine: results[engine]}, indent=1), flush=True)
    report = {"reports": next((r.get("reports") for r in results.values() if "reports" in r),
                              None), "cores": os.cpu_count(), "results": results}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    print(f"\n{'engine':8} {'seconds':>8} {'persons':>8} {'F1':>7} {'= duckdb':>8} "
          f"{'peak MB (all)':>13}")
    for engine, r in results.items():
        if "error" in r:
            print(f"{engine:8} error: {r['error']}")
            continue
        print(f"{engine:8} {r['seconds']:8.1f} {r['persons']:8,} {r['pairwise_f1'] or 0:7.4f} "
              f"{r.get('agreement_with_duckdb', 1.0):8.4f} {r['peak_total_mb']:13,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
