"""Where the linkage model runs: DuckDB embedded (the default) or Spark.

Both are Splink backends behind one call, ``make_engine``; the model (``model.py``) is the
same SQL on each. DuckDB suits registries up to tens of millions of rows on one machine;
Spark (``pip install 'alianza[spark]'``, a JVM) is for registries that outgrow it. We
write no distributed code of our own.
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
def make_engine(name: str, *, workdir: Path | None = None) -> Iterator[Engine]:
    """A fresh engine for one run (its temporary files go when the run ends)."""
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
            yield from _spark(Path(tmp))


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


def _spark(tmp: Path) -> Iterator[Engine]:
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
    session = running or (
        SparkSession.builder.master("local[*]")
        .appName("alianza-link")
        .config("spark.jars", similarity_jar_location())  # Splink's jaro_winkler & co
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.local.dir", str(tmp))
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(str(tmp / "checkpoints"))
    try:
        api = SparkAPI(spark_session=session, num_partitions_on_repartition=4)  # type: ignore[no-untyped-call]
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
