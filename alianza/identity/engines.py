"""Where the linkage model runs: DuckDB embedded (the default) or Spark.

Both are Splink backends behind one call, ``make_engine``; the model (``model.py``) is the
same SQL on each. DuckDB suits registries up to tens of millions of rows on one machine;
Spark (``pip install 'alianza[spark]'``, a JVM) is for registries that outgrow it. We
write no distributed code of our own; Spark's local mode is sized to the run
(``spark_config``) and Splink keeps its intermediate tables in memory rather than in
Parquet files.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from alianza.errors import InputError

ENGINES = ("duckdb", "spark")


@dataclass(slots=True)
class Engine:
    """A Splink database API and how to hand it a pandas table."""

    name: str
    api: Any
    session: Any = None  # the SparkSession, on Spark

    def register(self, frame: pd.DataFrame, name: str) -> Any:
        """Register ``frame`` under ``name`` (becomes Splink's ``source_dataset``)."""
        table: Any = frame
        if self.session is not None:
            table = self.session.createDataFrame(frame.astype(object).where(frame.notna(), None))
        return self.api.register(table, table_name=name)


@contextmanager
def make_engine(name: str, *, workdir: Path | None = None, rows: int = 0) -> Iterator[Engine]:
    """A fresh engine for one run (its temporary files go when the run ends).

    ``rows``: how many records the run reads, all tables together (0: unknown), so that
    Spark sizes its partitions to the data.
    """
    if name not in ENGINES:
        raise InputError.at("--engine", f"motor desconocido '{name}'; se admite: duckdb, spark")
    with tempfile.TemporaryDirectory(prefix="alianza-link-", dir=workdir) as tmp, _quiet():
        if name == "duckdb":
            engine = _duckdb(Path(tmp))
            try:
                yield engine
            finally:
                engine.api.duckdb_con.close()  # before its spill directory goes
        else:
            yield from _spark(Path(tmp), rows=rows)


def _duckdb(tmp: Path) -> Engine:
    import duckdb
    from splink import DuckDBAPI

    con = duckdb.connect()
    # No progress bar on the terminal (ours is shown instead); spill to the run's own
    # temporary directory when a 1M x 1M linkage outgrows memory.
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET temp_directory = '{tmp}'")
    con.execute("SET preserve_insertion_order = false")
    # DuckDB takes 80% of the memory by default; the features and the pairs also live in
    # this Python process, so DuckDB gets half and spills the rest to disk.
    con.execute(f"SET memory_limit = '{_half_memory_mb()}MB'")
    return Engine(name="duckdb", api=DuckDBAPI(con))


def _half_memory_mb() -> int:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 4096
    return max(1024, total // 2 // (1024 * 1024))


# Records per shuffle partition: Splink's own SQL multiplies rows into pairs and levels,
# so a partition of ~20,000 input rows keeps each task at a few seconds.
_ROWS_PER_PARTITION = 20_000
# Below this many records a query is over before Spark's generated code is compiled
# (Janino took longer than the query on 13 x 14 records): Spark interprets instead.
_CODEGEN_MIN_ROWS = 50_000


def spark_config(rows: int, *, cores: int | None = None) -> dict[str, str]:
    """Spark local-mode settings for a run over ``rows`` records (0: unknown, as for 1M).

    Spark's defaults are for a cluster and big data: 200 shuffle partitions (each a task
    that starts, schedules and writes its files, for a few rows), a web UI, and Splink
    writing every intermediate table to Parquet. 13 x 14 records took 387 s that way.
    """
    cores = cores or os.cpu_count() or 1
    partitions = max(1, min(4 * cores, -(-(rows or 10**6) // _ROWS_PER_PARTITION)))
    small = 0 < rows < _CODEGEN_MIN_ROWS
    return {
        "spark.master": f"local[{cores}]",
        "spark.sql.shuffle.partitions": str(partitions),
        "spark.default.parallelism": str(partitions),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        # Tables of a few MB (one registry's features, term frequencies) are broadcast.
        "spark.sql.autoBroadcastJoinThreshold": str(64 * 1024 * 1024),
        "spark.sql.codegen.wholeStage": "false" if small else "true",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # Half of the machine, as DuckDB gets: with 4 GB the JVM spent its time collecting
        # garbage and stopped (GC overhead limit) after 28 min of a 100,000 x 100,000 run.
        "spark.driver.memory": f"{_half_memory_mb()}m",
        # A short run is over before the JIT's optimising compiler pays back; a long one
        # spends its time in DuckDB-like scans where C1 code is within ~10% of C2.
        "spark.driver.extraJavaOptions": "-XX:+UseParallelGC"
        + (" -XX:TieredStopAtLevel=1" if small else ""),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
    }


# Above this many records the intermediate tables go to Parquet files in the run's folder
# (Splink's default) rather than stay persisted in the JVM's memory, which they outgrew.
_PERSIST_MAX_ROWS = 50_000


def _lineage(rows: int) -> str:
    """How Splink breaks Spark's lineage between steps, by the size of the run."""
    return "persist" if 0 < rows <= _PERSIST_MAX_ROWS else "parquet"


def _spark(tmp: Path, *, rows: int = 0) -> Iterator[Engine]:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError.at(
            "--engine", "spark no está instalado: pip install 'alianza[spark]' (y Java 17)"
        ) from None
    from splink import SparkAPI
    from splink.backends.spark import similarity_jar_location

    # A session already running (a notebook's, a caller's) is used as it is and left
    # running; one made here is stopped at the end.
    running = SparkSession.getActiveSession()
    config = spark_config(rows)
    if running is None:
        builder = SparkSession.builder.appName("alianza-link")
        for key, value in config.items():
            builder = builder.config(key, value)
        builder = builder.config("spark.jars", similarity_jar_location())  # jaro_winkler & co
        session = builder.config("spark.local.dir", str(tmp)).getOrCreate()
    else:
        session = running
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(str(tmp / "checkpoints"))
    try:
        # Small runs keep the intermediate tables in memory rather than writing each to
        # Parquet and reading it back (one machine, one JVM); large ones write them.
        api = SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=session,
            break_lineage_method=_lineage(rows),
            num_partitions_on_repartition=int(config["spark.sql.shuffle.partitions"]),
        )
        yield Engine(name="spark", api=api, session=session)
    finally:
        if running is None:
            session.stop()


@contextmanager
def _quiet() -> Iterator[None]:
    # Splink logs its progress at INFO and its hints at WARNING on the "splink" logger;
    # the CLI shows its own progress, so both are held back for the run.
    logger = logging.getLogger("splink")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
