"""Identity tests touch no database: they run once, with the default backend.

``make test`` runs the suite on SQLite and again on PostgreSQL; linkage (DuckDB, Spark)
and the name, document and MRZ models are the same either way, so the PostgreSQL pass
skips them rather than spend minutes (Spark's JVM among them) proving nothing new.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--db") != "postgresql":
        return
    skip = pytest.mark.skip(reason="sin base de datos: se prueba una vez, con SQLite")
    for item in items:
        if "tests/identity/" in str(item.fspath):
            item.add_marker(skip)
