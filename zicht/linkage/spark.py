"""Splink's Spark backend, for reports that outgrow one machine (``pip install zicht[spark]``).

The model is the same SQL as on DuckDB (:mod:`zicht.linkage.model`): the Bloom-filter Dice is
written with ``bit_count`` and ``&`` on 64-bit words, which Spark SQL has, so the Spark model
lacks no comparison level.  Spark needs Java 17; ``JAVA_HOME`` is used when set, else the
first Java 17 JDK under ``/usr/lib/jvm``.

:class:`SparkSettings` says where and how large: the master (``local[*]``, or a cluster's
``spark://host:port``), the driver's and executors' memory and the shuffle partitions, from
``zicht link --spark-*`` options or the ``ZICHT_SPARK_*`` variables (docs/LINKAGE.md).
:func:`spark_session` starts a session from them:

- intermediate tables (the blocked pairs with their comparison vectors, the scored pairs) are
  written to parquet under the checkpoint folder and read back, not kept in the JVM's memory
  (Splink's ``persist`` kept every one of them there: 20,000 reports filled a 2 GB heap);
- a JVM that runs out of memory exits at once (``-XX:+ExitOnOutOfMemoryError``) instead of
  limping on with dead threads: :func:`explain_failure` turns that into a message that says
  which setting to raise.  Before, an ``OutOfMemoryError`` in Spark's block manager left the
  command hanging for good.

pyspark 4.3 warns on every conversion that it "does not yet fully support pandas >= 3.0.0".
zicht installs pandas 3 for everything else, and the Spark path hands pandas only plain
columns (strings, integers, floats) through Arrow, which the test on a standalone cluster
checks against DuckDB's persons; :func:`spark_session` silences that one warning (by its
text) for the process (docs/LINKAGE.md, "Spark").
"""

from __future__ import annotations

import atexit
import glob
import os
import re
import shutil
import sys
import tempfile
import warnings
from dataclasses import asdict, dataclass, fields, replace

__all__ = ["SparkFailure", "SparkSettings", "StandaloneCluster", "explain_failure", "spark_api",
           "spark_session"]

MEMORY = re.compile(r"[1-9][0-9]*[kKmMgGtT]")
# the JVM's exit status under -XX:+ExitOnOutOfMemoryError
OOM_EXIT = 3


class SparkFailure(RuntimeError):
    """Spark failed in a way a user can fix by a setting (the message says which)."""


def megabytes(memory: str) -> float:
    """A Spark memory setting ("512m", "4g") in megabytes."""
    return int(memory[:-1]) * {"k": 2**-10, "m": 1, "g": 2**10, "t": 2**20}[memory[-1].lower()]


def _total_memory_mb() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not Linux
        return 4096


def default_driver_memory() -> str:
    """Half the machine's memory, at least 1 GB and at most 32 GB: in local mode the driver's
    JVM does all the work (the executors live in it)."""
    mb = min(max(_total_memory_mb() // 2, 1024), 32 * 1024)
    return f"{mb // 1024}g" if mb >= 1024 else f"{mb}m"


@dataclass(frozen=True)
class SparkSettings:
    """Where Spark runs and how large (None: Spark's own default, or ours for local mode)."""

    master: str = "local[*]"
    driver_memory: str | None = None  # default_driver_memory()
    executor_memory: str | None = None  # a cluster's executors (Spark's default: 1g)
    partitions: int | None = None  # shuffle partitions; default 4 per core (local) or 200
    checkpoint_dir: str | None = None  # a folder every executor can write (cluster: shared)

    ENV = {"master": "ZICHT_SPARK_MASTER", "driver_memory": "ZICHT_SPARK_DRIVER_MEMORY",
           "executor_memory": "ZICHT_SPARK_EXECUTOR_MEMORY",
           "partitions": "ZICHT_SPARK_PARTITIONS", "checkpoint_dir": "ZICHT_SPARK_CHECKPOINT_DIR"}

    def __post_init__(self):
        for name in ("driver_memory", "executor_memory"):
            value = getattr(self, name)
            if value is None:
                continue
            if not MEMORY.fullmatch(value):
                raise ValueError(f"Spark {name.replace('_', ' ')} {value!r}: a number with a "
                                 "unit, such as 4g or 512m")
            if megabytes(value) < 512:  # Spark refuses to start below about 450 MB
                raise ValueError(f"Spark {name.replace('_', ' ')} {value}: at least 512m")
        if self.partitions is not None and not 1 <= self.partitions <= 100_000:
            raise ValueError(f"Spark partitions {self.partitions}: from 1 to 100,000")
        if not self.master or not re.fullmatch(r"local(\[(\*|[1-9][0-9]*)\])?|"
                                               r"(spark|yarn|k8s|mesos)[:\w/.\-\[\]@]*",
                                               self.master):
            raise ValueError(f"Spark master {self.master!r}: local[*], local[N] or a cluster "
                             "URL such as spark://host:7077")

    @classmethod
    def from_env(cls, **given) -> SparkSettings:
        """Settings from the ``ZICHT_SPARK_*`` variables, with ``given`` (not None) on top."""
        values: dict = {}
        for f in fields(cls):
            raw = os.environ.get(cls.ENV[f.name])
            if raw:
                try:
                    values[f.name] = int(raw) if f.name == "partitions" else raw
                except ValueError:
                    raise ValueError(f"{cls.ENV[f.name]}={raw!r}: a whole number") from None
        values.update({k: v for k, v in given.items() if v is not None})
        return cls(**values)

    @property
    def local(self) -> bool:
        return self.master.startswith("local")

    def resolved(self) -> SparkSettings:
        """The settings with the defaults filled in (what the session is started with)."""
        cores = os.cpu_count() or 2
        # the driver holds the reports it hands Spark and the scored pairs it gets back, on a
        # cluster too: Spark's 1g ran out on 20,000 reports against a standalone cluster
        driver = self.driver_memory or default_driver_memory()
        if self.local:
            n = cores if self.master in ("local", "local[*]") else int(self.master[6:-1] or 1)
            return replace(self, driver_memory=driver, partitions=self.partitions or max(4, 4 * n))
        return replace(self, driver_memory=driver, partitions=self.partitions or 200)


def _java_home() -> None:
    if os.environ.get("JAVA_HOME"):
        return
    found = sorted(glob.glob("/usr/lib/jvm/java-17-openjdk*"))
    if found:
        os.environ["JAVA_HOME"] = found[0]


def spark_session(settings: SparkSettings | None = None):
    """A SparkSession on ``settings`` (local mode by default) with Splink's similarity
    functions on its class path.  An active session is stopped first: Spark keeps one per
    process and would otherwise ignore the settings."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ImportError("the Spark backend needs pyspark") from None
    from splink.backends.spark import similarity_jar_location

    s = (settings or SparkSettings()).resolved()
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                            category=FutureWarning)
    _java_home()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
    scratch = tempfile.mkdtemp(prefix="zicht-spark-")
    # Spark's scratch space and the default checkpoints (gigabytes at a million reports) go
    # when the process ends, however it ends short of a kill
    atexit.register(shutil.rmtree, scratch, True)
    exit_on_oom = "-XX:+ExitOnOutOfMemoryError"
    builder = (SparkSession.builder.master(s.master).appName("zicht-linkage")
               .config("spark.jars", similarity_jar_location())
               .config("spark.driver.extraJavaOptions", exit_on_oom)
               .config("spark.executor.extraJavaOptions", exit_on_oom)
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", str(s.partitions))
               .config("spark.default.parallelism", str(s.partitions))
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               # the comparison CASE expressions outgrow Janino's 64 KB method limit: Spark
               # would try to compile them, fail, log a stack trace and fall back anyway
               .config("spark.sql.codegen.wholeStage", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
               .config("spark.local.dir", scratch))
    if s.driver_memory:
        builder = builder.config("spark.driver.memory", s.driver_memory)
    if s.executor_memory:
        builder = builder.config("spark.executor.memory", s.executor_memory)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(s.checkpoint_dir or os.path.join(scratch, "checkpoints"))
    spark._zicht_settings = s  # for explain_failure's message (the JVM may be gone by then)
    return spark


def spark_api(spark=None):
    """Splink's database API on ``spark`` (a local session when None); intermediate tables go
    to parquet in the checkpoint folder (see the module's text)."""
    from splink.backends.spark import SparkAPI

    return SparkAPI(spark_session=spark or spark_session(), break_lineage_method="parquet")


def explain_failure(spark, exc: BaseException) -> SparkFailure | None:
    """A :class:`SparkFailure` saying what to change when ``exc`` came from Spark running out
    of memory (the driver's JVM gone with status 3, or an executor lost to an
    ``OutOfMemoryError``) or from a result too large for the driver; None otherwise."""
    text = f"{type(exc).__name__}: {exc}"
    proc = getattr(getattr(getattr(spark, "sparkContext", None), "_gateway", None), "proc", None)
    status = proc.poll() if proc is not None else None
    settings = _settings_of(spark)
    if status == OOM_EXIT or (status is not None and "OutOfMemoryError" in text):
        local = str(settings.get("master", "local")).startswith("local")
        return SparkFailure(
            f"Spark's driver ran out of memory (driver memory {settings.get('driver_memory')}"
            f", master {settings.get('master')}): raise --spark-driver-memory "
            "(ZICHT_SPARK_DRIVER_MEMORY)" + (", or run on a cluster with --spark-master"
                                              if local else ""))
    if "OutOfMemoryError" in text or re.search(r"exit(ed with)? (code|status):? 3\b", text):
        return SparkFailure(
            "a Spark executor ran out of memory (executor memory "
            f"{settings.get('executor_memory') or 'Spark default'}): raise "
            "--spark-executor-memory (ZICHT_SPARK_EXECUTOR_MEMORY) or --spark-partitions")
    if "maxResultSize" in text:
        return SparkFailure("the scored pairs are larger than Spark lets the driver collect: "
                            "raise --spark-driver-memory, or a higher threshold keeps fewer")
    return None


def _settings_of(spark) -> dict:
    settings = getattr(spark, "_zicht_settings", None)
    return {} if settings is None else asdict(settings)


class StandaloneCluster:
    """A Spark standalone cluster on this machine's loopback: a master and ``workers`` workers
    started with pyspark's own launcher (``bin/spark-class``), each with ``cores`` cores and
    ``memory``; for trying ``--spark-master`` out, the tests and the benchmarks.  A context
    manager: ``with StandaloneCluster(2) as url: ...`` (``spark://127.0.0.1:PORT``); the
    processes are stopped on leaving it."""

    def __init__(self, workers: int = 2, cores: int = 1, memory: str = "1g",
                 folder: str | None = None, timeout: float = 60.0):
        if not MEMORY.fullmatch(memory):
            raise ValueError(f"worker memory {memory!r}: a number with a unit, such as 1g")
        self.workers, self.cores, self.memory, self.timeout = workers, cores, memory, timeout
        self.folder = folder or tempfile.mkdtemp(prefix="zicht-spark-cluster-")
        self.url = ""
        self._procs: list = []

    def __enter__(self) -> str:
        import json
        import socket
        import subprocess
        import time
        import urllib.request

        def free_port() -> int:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                return sock.getsockname()[1]

        import pyspark

        _java_home()
        os.makedirs(self.folder, exist_ok=True)
        launcher = os.path.join(os.path.dirname(pyspark.__file__), "bin", "spark-class")
        port, ui = free_port(), free_port()
        env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_WORKER_DIR": self.folder,
               "SPARK_LOG_DIR": self.folder, "PYSPARK_PYTHON": sys.executable}

        def start(name: str, *args: str):
            log = open(os.path.join(self.folder, f"{name}.log"), "wb")  # noqa: SIM115
            self._procs.append(subprocess.Popen([launcher, *args], env=env, stdout=log,
                                                stderr=subprocess.STDOUT,
                                                start_new_session=True))

        self.url = f"spark://127.0.0.1:{port}"
        try:
            start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                  "--port", str(port), "--webui-port", str(ui))
            for i in range(self.workers):
                start(f"worker-{i}", "org.apache.spark.deploy.worker.Worker", "--host",
                      "127.0.0.1", "--cores", str(self.cores), "--memory", self.memory,
                      "--webui-port", str(free_port()), "--work-dir",
                      os.path.join(self.folder, f"work-{i}"), self.url)
            deadline = time.monotonic() + self.timeout
            while True:  # the master's status page lists the workers once they registered
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=2) as r:
                        if json.load(r).get("aliveworkers", 0) >= self.workers:
                            return self.url
                except OSError:
                    pass
                dead = [p.args[1] for p in self._procs if p.poll() is not None]
                if dead or time.monotonic() > deadline:
                    raise SparkFailure(f"the standalone cluster did not start ({dead or 'time'}"
                                       f"; logs in {self.folder})")
                time.sleep(0.5)
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exc) -> None:
        import signal

        for proc in reversed(self._procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self._procs:
            try:
                proc.wait(15)
            except Exception:  # noqa: BLE001 - a worker that does not stop is killed
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self._procs.clear()
