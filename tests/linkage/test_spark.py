"""The same model on Splink's Spark backend (``zicht[spark]``, Java 17): on a small simulation
it finds the same persons as DuckDB.  About a minute, most of it Spark's job overhead."""

import shutil

import pytest

from zicht.linkage.evaluate import evaluate
from zicht.linkage.run import link
from zicht.registry.pseudonymise import Pseudonymiser

pyspark = pytest.importorskip("pyspark", reason="pip install zicht[spark]")
KEY = bytes(range(32))


def _java() -> bool:
    import glob
    import os

    return bool(os.environ.get("JAVA_HOME") or shutil.which("java")
                or glob.glob("/usr/lib/jvm/java-17-openjdk*"))


@pytest.mark.slow  # Spark's start and job overhead
@pytest.mark.skipif(not _java(), reason="the Spark backend needs Java 17")
def test_spark_backend_links_like_duckdb(tmp_path):
    from typer.testing import CliRunner

    from zicht.cli import app
    from zicht.linkage.spark import spark_session

    sim = tmp_path / "sim"
    result = CliRunner().invoke(app, ["simulate", "--years", "2024", "--victims", "2000",
                                      "--seed", "2", "--formats", "parquet", "--out", str(sim)])
    assert result.exit_code == 0, result.output
    key = Pseudonymiser(KEY)
    duck = link(sim, None, pseudonymiser=key, band_method="none")
    spark = spark_session(master="local[2]")
    try:
        on_spark = link(sim, tmp_path / "out", backend="spark", spark=spark, pseudonymiser=key,
                        band_method="none")
    finally:
        spark.stop()
    assert on_spark.summary["backend"] == "spark"
    assert (tmp_path / "out" / "capture_histories.csv").exists()
    # the same persons (u is estimated from different random pairs, so allow a pair or two)
    agreement = evaluate(on_spark.labels, duck.labels)
    assert agreement.pairwise_f1 >= 0.98, agreement
    assert abs(on_spark.summary["persons"] - duck.summary["persons"]) <= 2
    assert on_spark.evaluation.pairwise_f1 >= 0.95, on_spark.evaluation
    # the Bloom-filter level (bit_count on 64-bit words) was evaluated by Spark SQL
    levels = set(on_spark.pairs["level_name"])
    assert levels & {"one part equal, the other similar", "both parts similar (Dice >= 0.75)",
                     "all parts similar, order free (Dice >= 0.8)"}
