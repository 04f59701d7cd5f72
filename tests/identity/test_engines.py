"""Spark local mode sized to the run: a few hundred records must not cost minutes.

13 x 14 records took 387 s with Spark's cluster defaults (200-way shuffles, whole-stage
code generation compiled for every one of Splink's queries, each intermediate table
written to Parquet). The settings are a pure function of the input size, checked here
without a JVM; ``test_commands.py`` runs the engine itself.
"""

from __future__ import annotations

from alianza.identity.engines import spark_config


def test_small_runs_use_few_partitions_and_no_code_generation() -> None:
    config = spark_config(27, cores=2)
    assert config["spark.sql.shuffle.partitions"] == "1"
    assert config["spark.default.parallelism"] == "1"
    assert config["spark.sql.codegen.wholeStage"] == "false"
    assert "-XX:TieredStopAtLevel=1" in config["spark.driver.extraJavaOptions"]
    assert config["spark.ui.enabled"] == "false"
    assert config["spark.driver.bindAddress"] == "127.0.0.1"


def test_large_runs_keep_every_core_busy_and_compile() -> None:
    config = spark_config(200_000, cores=2)
    assert config["spark.sql.shuffle.partitions"] == "8"
    assert config["spark.master"] == "local[2]"
    assert config["spark.sql.codegen.wholeStage"] == "true"
    assert "TieredStopAtLevel" not in config["spark.driver.extraJavaOptions"]
    # Unknown size: sized as for a large run, not a small one.
    assert spark_config(0, cores=2) == config


def test_large_runs_get_half_the_memory_and_write_intermediate_tables() -> None:
    # 100,000 x 100,000 with a 4 GB driver and every table persisted in the JVM stopped
    # after 28 minutes (GC overhead limit exceeded).
    from alianza.identity.engines import _half_memory_mb, _lineage

    assert spark_config(200_000, cores=2)["spark.driver.memory"] == f"{_half_memory_mb()}m"
    assert _half_memory_mb() >= 1024
    assert _lineage(300) == "persist"
    assert _lineage(200_000) == "parquet"
    assert _lineage(0) == "parquet"  # unknown size: as for a large run
