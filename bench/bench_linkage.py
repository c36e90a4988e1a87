"""Linkage at scale (run by ``make bench``): zicht's token model vs plain Splink on clear names.

1. Simulate about 1,000,000 reports (nl-baseline, 520,000 victims a year, 2015-2024) and
   pseudonymise them with the registry's function (timed: intake's share of the work).
2. In two child processes, each measured alone (wall seconds and peak resident memory):
   - **zicht**: ``zicht.linkage.run.link`` on the tokens (DuckDB): training, scoring,
     clustering at the default threshold;
   - **plain Splink**: Splink 5 on the *clear* names and birth dates with its standard
     comparisons (``NameComparison`` on both names, ``DateOfBirthComparison``), blocking on
     full name, birth date and surname + birth year, trained the same way (random-sample u,
     deterministic prior, EM on birth date and on name), clustered at its best threshold on
     the truth (a favour to the baseline: a real user cannot pick it).
3. Pairwise and cluster F1 and the persons counted against the truth; the time ratio.

Targets (issue 5): zicht <= 1.1 x plain Splink's time, <= 4 GB, higher F1.

Usage: ``.venv/bin/python bench/bench_linkage.py [--quick] [--data DIR] [--json PATH]``
(``--quick``: 100,000 reports; ``--data``: reuse a ``zicht simulate`` folder).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY = "6b" * 32  # a benchmark key (the tokens never leave the temporary folder)


def pseudonymise(sim: Path, out: Path) -> dict:
    """Tokens of every report (the registry's function), written for the zicht child."""
    import pandas as pd

    from zicht.registry.pseudonymise import Pseudonymiser, pseudonymise_frame

    reports = pd.read_parquet(sim / "reports.parquet")
    t0 = time.perf_counter()
    tokens = pseudonymise_frame(reports, Pseudonymiser(bytes.fromhex(KEY)))
    seconds = time.perf_counter() - t0
    tokens.to_parquet(out)
    return {"reports": len(reports), "seconds": seconds}


# -- children -------------------------------------------------------------------------------------
def child_zicht(sim: Path, tokens: Path) -> dict:
    import logging

    import pandas as pd

    from zicht.linkage.inputs import Reports
    from zicht.linkage.run import link
    from zicht.registry.pseudonymise import Pseudonymiser

    logging.getLogger("splink").setLevel(logging.ERROR)
    frame = pd.read_parquet(tokens)
    truth = pd.read_parquet(sim / "truth_reports.parquet")[["report_id", "person_id"]]
    reports = Reports(frame, Pseudonymiser(bytes.fromhex(KEY)).fingerprint, "simulation", truth)
    t0 = time.perf_counter()
    result = link(reports, None, band_method="none")
    seconds = time.perf_counter() - t0
    e = result.evaluation
    return {"seconds": seconds, "pairs": len(result.pairs), "steps": result.summary["seconds"],
            "threshold": result.summary["threshold"], "pairwise_f1": e.pairwise_f1,
            "cluster_f1": e.cluster_f1, "persons_error": e.persons_error}


def plain_splink_pairs(raw):
    """Plain Splink 5 on clear names and birth dates (standard comparisons, blocking and
    training): the peer of every linkage figure.  ``raw`` has report_id, given_name, surname
    and birth_date; returns (the input table, scored pairs >= 0.01 with id_l/id_r)."""
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    df = pd.DataFrame({"unique_id": raw["report_id"],
                       "first_name": raw["given_name"].replace("", None).str.lower(),
                       "surname": raw["surname"].replace("", None).str.lower(),
                       "dob": raw["birth_date"].replace("", None)})
    df["birth_year"] = df["dob"].str[:4]
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.NameComparison("first_name"), cl.NameComparison("surname"),
                     cl.DateOfBirthComparison("dob", input_is_string=True)],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"), block_on("dob"),
            block_on("surname", "birth_year")],
        retain_matching_columns=False, retain_intermediate_calculation_columns=False)
    linker = Linker(DuckDBAPI().register(df), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname"))
    pairs = linker.inference.predict(threshold_match_probability=0.01).as_pandas_dataframe()
    return df, pairs.rename(columns={"unique_id_l": "id_l", "unique_id_r": "id_r"})


def child_plain(sim: Path) -> dict:
    import logging

    import pandas as pd

    from zicht.linkage.cluster import Graph
    from zicht.linkage.evaluate import evaluate

    logging.getLogger("splink").setLevel(logging.ERROR)
    raw = pd.read_parquet(sim / "reports.parquet",
                          columns=["report_id", "given_name", "surname", "birth_date"])
    truth = pd.read_parquet(sim / "truth_reports.parquet")[["report_id", "person_id"]]
    t0 = time.perf_counter()
    df, pairs = plain_splink_pairs(raw)
    graph = Graph(df["unique_id"], pairs[["id_l", "id_r", "match_probability"]])
    seconds = time.perf_counter() - t0
    true = truth.set_index("report_id")["person_id"].reindex(df["unique_id"]).to_numpy()
    best = None
    for threshold in (0.5, 0.7, 0.8, 0.9, 0.95, 0.99):
        t1 = time.perf_counter()
        # plain connected components, as Splink's own clusterer (no chain splitting)
        e = evaluate(graph.labels(threshold, max_reports=None), true)
        if threshold == 0.9:
            seconds += time.perf_counter() - t1  # one clustering counts in the time
        if best is None or e.pairwise_f1 > best[1].pairwise_f1:
            best = (threshold, e)
    threshold, e = best
    return {"seconds": seconds, "pairs": len(pairs), "threshold": threshold,
            "pairwise_f1": e.pairwise_f1, "cluster_f1": e.cluster_f1,
            "persons_error": e.persons_error}


def run_child(kind: str, sim: Path, tokens: Path) -> dict:
    """One measurement in a fresh process: its own peak memory, nothing shared."""
    code = (f"import json,resource,sys; sys.path.insert(0,{str(ROOT)!r}); "
            f"from bench.bench_linkage import child_{kind} as f; from pathlib import Path; "
            f"r=f(*[Path(a) for a in sys.argv[1:]]); "
            f"r['peak_mb']=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024; "
            f"print('RESULT'+json.dumps(r))")
    args = [str(sim)] + ([str(tokens)] if kind == "zicht" else [])
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    wall = time.perf_counter() - t0
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT")), None)
    if proc.returncode != 0 or line is None:
        return {"error": (proc.stderr or proc.stdout)[-2000:], "wall_s": wall}
    return {**json.loads(line[len("RESULT"):]), "wall_s": wall}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="about 100,000 reports")
    ap.add_argument("--data", type=Path, default=None, help="a zicht simulate folder to reuse")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from rich.console import Console
    from rich.table import Table

    from bench.bench_simulate import generate

    con = Console(highlight=False, width=140)
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        sim = args.data
        if sim is None:
            sim = Path(tmp) / "sim"
            con.print("simulating ...")
            generate(52_000 if args.quick else 520_000, "2015-2024", sim)
        tokens = Path(tmp) / "tokens.parquet"
        con.print("pseudonymising ...")
        results["pseudonymise"] = pseudonymise(sim, tokens)
        n = results["pseudonymise"]["reports"]
        for kind in ("plain", "zicht"):
            con.print(f"linking: {kind} ...")
            results[kind] = run_child(kind, sim, tokens)
    ps = results["pseudonymise"]
    con.print(f"{n:,} reports; pseudonymisation (intake's share, not in the linkage time): "
              f"{ps['seconds']:.1f} s ({n / ps['seconds']:,.0f} reports/s)")
    t = Table(title=f"Linking {n:,} simulated reports (DuckDB, 2 cores), one run each")
    for col in ("linker", "seconds", "peak MB", "threshold", "pairs scored", "pairwise F1",
                "cluster F1", "persons counted"):
        t.add_column(col, justify="left" if col == "linker" else "right")
    for kind, label in (("plain", "plain Splink, clear names (best threshold)"),
                        ("zicht", "zicht, tokens (default threshold)")):
        r = results[kind]
        if "error" in r:
            t.add_row(label, "error", r["error"][-200:], "", "", "", "", "")
            continue
        t.add_row(label, f"{r['seconds']:.1f}", f"{r['peak_mb']:,.0f}", f"{r['threshold']:g}",
                  f"{r['pairs']:,}", f"{r['pairwise_f1']:.4f}", f"{r['cluster_f1']:.4f}",
                  f"{r['persons_error']:+.2%}")
    con.print(t)
    if "error" not in results["plain"] and "error" not in results["zicht"]:
        ratio = results["zicht"]["seconds"] / results["plain"]["seconds"]
        results["time_ratio"] = ratio
        con.print(f"time ratio zicht / plain Splink: {ratio:.2f} (target <= 1.1); zicht peak "
                  f"{results['zicht']['peak_mb']:,.0f} MB (target <= 4,096)")
        con.print(f"zicht steps: {results['zicht']['steps']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
