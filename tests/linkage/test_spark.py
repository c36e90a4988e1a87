"""The same model on Splink's Spark backend (``zicht[spark]``, Java 17), run as a user would:
``zicht link --backend spark`` against a real Spark standalone cluster (a master and two
workers from pyspark's own launcher, on loopback), giving the persons, the review queue and
the linkage band DuckDB gives on the same reports; the settings checked before Spark starts;
a driver too small for the work fails at once with a message that says what to raise."""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from zicht.cli import app
from zicht.linkage.evaluate import evaluate

pyspark = pytest.importorskip("pyspark", reason="pip install zicht[spark]")
KEY = "5c" * 32
ZICHT = str(Path(sys.executable).parent / "zicht")


def _java() -> bool:
    import glob

    return bool(os.environ.get("JAVA_HOME") or shutil.which("java")
                or glob.glob("/usr/lib/jvm/java-17-openjdk*"))


needs_java = pytest.mark.skipif(not _java(), reason="the Spark backend needs Java 17")


def _zicht(*args: str, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ZICHT_PSEUDONYM_KEY": KEY, **extra}
    return subprocess.run([ZICHT, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    sim = tmp_path_factory.mktemp("spark") / "sim"
    result = CliRunner().invoke(app, ["simulate", "--years", "2023-2024", "--victims", "1500",
                                      "--seed", "2", "--formats", "parquet", "--out", str(sim)])
    assert result.exit_code == 0, result.output
    return sim


def _pairs(path: Path) -> set[tuple[str, str]]:
    queue = pd.read_csv(path, dtype={"id_l": str, "id_r": str})
    return set(zip(queue["id_l"], queue["id_r"], strict=True))


@pytest.mark.slow  # a Spark cluster's start and job overhead
@needs_java
def test_a_standalone_cluster_links_like_duckdb(simulated, tmp_path):
    from zicht.linkage.spark import StandaloneCluster

    duck = _zicht("link", str(simulated), "--out", str(tmp_path / "duck"))
    assert duck.returncode == 0, duck.stderr
    with StandaloneCluster(workers=2, cores=1, memory="1g",
                           folder=str(tmp_path / "cluster")) as url:
        scratch = tmp_path / "tmp"
        scratch.mkdir()
        on_spark = _zicht("link", str(simulated), "--out", str(tmp_path / "spark"),
                          "--backend", "spark", "--spark-master", url,
                          "--spark-executor-memory", "768m", "--spark-partitions", "8",
                          TMPDIR=str(scratch))
        assert on_spark.returncode == 0, on_spark.stderr[-3000:]
        # Spark's scratch space and checkpoints are gone with the command
        assert not list(scratch.glob("zicht-spark-*")), list(scratch.iterdir())
        # the job ran on the cluster's executors, not in the driver
        workers = [p for p in (tmp_path / "cluster").glob("work-*/app-*/*/stderr")]
        assert len({p.parts[-4] for p in workers}) == 2, workers
    assert "FutureWarning" not in on_spark.stderr  # pyspark's pandas 3 warning, explained
    summary = json.loads((tmp_path / "spark" / "summary.json").read_text())
    assert summary["backend"] == "spark"
    persons = {}
    for name in ("duck", "spark"):
        rp = pd.read_parquet(tmp_path / name / "report_persons.parquet")
        persons[name] = rp.set_index("report_id")["person_id"]
    common = persons["duck"].index
    assert set(persons["spark"].index) == set(common)
    # u is estimated from different random pairs on the two engines, so the persons may
    # differ by a pair or two (docs/LINKAGE.md, "Spark": measured identical on this data)
    agreement = evaluate(persons["spark"].reindex(common).to_numpy(),
                         persons["duck"].to_numpy())
    assert agreement.pairwise_f1 >= 0.99, agreement
    assert abs(persons["spark"].nunique() - persons["duck"].nunique()) <= 3
    # the review queue and the band: the same pairs to review, the same band within a person
    duck_queue = _pairs(tmp_path / "duck" / "review_queue.csv")
    spark_queue = _pairs(tmp_path / "spark" / "review_queue.csv")
    assert len(duck_queue ^ spark_queue) <= max(3, len(duck_queue) // 20), (
        len(duck_queue), len(spark_queue), len(duck_queue & spark_queue))
    band = {name: pd.read_csv(tmp_path / name / "capture_histories_band.csv")
            .groupby(["label", "year"])["count"].sum() for name in ("duck", "spark")}
    assert band["duck"].index.equals(band["spark"].index)
    assert (band["duck"] - band["spark"]).abs().max() <= 3, pd.concat(band, axis=1)


@needs_java
def test_bad_spark_settings_are_refused_before_spark_starts(simulated, tmp_path):
    runner = CliRunner()
    env = {"ZICHT_PSEUDONYM_KEY": KEY}
    for args, message in ((["--spark-driver-memory", "lots"], "a number with a unit"),
                          (["--spark-master", "http://x"], "Spark master"),
                          (["--spark-partitions", "0"], "from 1 to 100,000"),
                          (["--spark-driver-memory", "256m"], "at least 512m")):
        result = runner.invoke(app, ["link", str(simulated), "--out", str(tmp_path / "o"),
                                     "--backend", "spark", *args], env=env)
        assert result.exit_code == 2, result.output
        assert message in result.output
    result = runner.invoke(app, ["link", str(simulated), "--out", str(tmp_path / "o"),
                                 "--spark-master", "local[2]"], env=env)
    assert result.exit_code == 2 and "need --backend spark" in result.output
    assert not (tmp_path / "o").exists()


@pytest.mark.slow  # starts Spark
@needs_java
def test_a_jvm_out_of_memory_exits_at_once_and_the_message_says_what_to_raise():
    """A JVM out of memory used to leave the command hanging (Spark's block manager and
    heartbeat threads dead, the job waiting on them); now the JVM exits (status 3) and zicht
    says which setting to raise.  A real OutOfMemoryError: 600 MB asked of a 512 MB heap."""
    from py4j.protocol import Py4JError

    from zicht.linkage.spark import SparkSettings, explain_failure, spark_session

    spark = spark_session(SparkSettings(master="local[1]", driver_memory="512m"))
    try:
        # an error that is not about memory is left alone while the JVM lives
        assert explain_failure(spark, ValueError("bad column")) is None
        start = time.monotonic()
        # py4j raises Py4JNetworkError, or ConnectionRefusedError when it tries again
        with pytest.raises((Py4JError, ConnectionError)) as caught:
            spark.sparkContext._jvm.java.nio.ByteBuffer.allocate(600 * 2**20)
        proc = spark.sparkContext._gateway.proc
        proc.wait(30)  # the JVM is gone, not hanging
        assert proc.returncode == 3 and time.monotonic() - start < 30
        failure = explain_failure(spark, caught.value)
        assert failure is not None
        assert "driver ran out of memory (driver memory 512m" in str(failure)
        assert "--spark-driver-memory" in str(failure)
    finally:
        with contextlib.suppress(Exception):
            spark.stop()


def test_settings_come_from_the_environment_with_the_options_on_top(monkeypatch):
    from zicht.linkage.spark import SparkSettings

    monkeypatch.setenv("ZICHT_SPARK_MASTER", "spark://10.0.0.5:7077")
    monkeypatch.setenv("ZICHT_SPARK_EXECUTOR_MEMORY", "6g")
    monkeypatch.setenv("ZICHT_SPARK_PARTITIONS", "64")
    s = SparkSettings.from_env(partitions=16)
    assert (s.master, s.executor_memory, s.partitions) == ("spark://10.0.0.5:7077", "6g", 16)
    resolved = s.resolved()
    assert resolved.partitions == 16 and resolved.driver_memory.endswith(("g", "m"))
    assert SparkSettings(master="spark://h:7077").resolved().partitions == 200
    local = SparkSettings(master="local[3]").resolved()
    assert local.partitions == 12 and local.driver_memory.endswith(("g", "m"))
    monkeypatch.setenv("ZICHT_SPARK_PARTITIONS", "many")
    with pytest.raises(ValueError, match="ZICHT_SPARK_PARTITIONS='many'"):
        SparkSettings.from_env()
