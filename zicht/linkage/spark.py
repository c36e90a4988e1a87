"""Splink's Spark backend, for reports that outgrow one machine (``pip install zicht[spark]``).

The model is the same SQL as on DuckDB (:mod:`zicht.linkage.model`): the Bloom-filter Dice is
written with ``bit_count`` and ``&`` on 64-bit words, which Spark SQL has, so the Spark model
lacks no comparison level.  Spark needs Java 17; ``JAVA_HOME`` is used when set, else the
first Java 17 JDK under ``/usr/lib/jvm``.

:func:`spark_session` makes a local session sized for a test or a laptop (``local[*]``, few
shuffle partitions: the default 200 partitions made a small linkage twice as slow).  On a
cluster, pass your own ``SparkSession`` to :func:`zicht.linkage.run.link` instead.
"""

from __future__ import annotations

import glob
import os
import sys
import tempfile

__all__ = ["spark_api", "spark_session"]


def _java_home() -> None:
    if os.environ.get("JAVA_HOME"):
        return
    found = sorted(glob.glob("/usr/lib/jvm/java-17-openjdk*"))
    if found:
        os.environ["JAVA_HOME"] = found[0]


def spark_session(master: str = "local[*]", partitions: int = 4, memory: str = "2g"):
    """A local SparkSession with Splink's similarity functions on its class path."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ImportError("the Spark backend needs pyspark") from None
    from splink.backends.spark import similarity_jar_location

    _java_home()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    scratch = tempfile.mkdtemp(prefix="zicht-spark-")
    spark = (SparkSession.builder.master(master).appName("zicht-linkage")
             .config("spark.jars", similarity_jar_location())
             .config("spark.driver.memory", memory)
             .config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", str(partitions))
             .config("spark.default.parallelism", str(partitions))
             .config("spark.sql.execution.arrow.pyspark.enabled", "true")
             # the comparison CASE expressions outgrow Janino's 64 KB method limit: Spark
             # would try to compile them, fail, log a stack trace and fall back anyway
             .config("spark.sql.codegen.wholeStage", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
             .config("spark.local.dir", scratch)
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(os.path.join(scratch, "checkpoints"))
    return spark


def spark_api(spark=None):
    """Splink's database API on ``spark`` (a local session when None)."""
    from splink.backends.spark import SparkAPI

    return SparkAPI(spark_session=spark or spark_session(), break_lineage_method="persist")
