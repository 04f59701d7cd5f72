"""Port targeting tests touch no database: they run once, with the default backend
(except ``test_store.py``, the node's tables, on both).

- ``declarations``  (session) four months of synthetic declarations (about 20,000 rows,
                    generator seed 7), with the generator's truth columns.
- ``train_frame``   (session) the first three months as the contract reads them.
- ``day_frame``     (session) the last month, without labels (a file to score).
- ``trained``       (session) a model trained on ``train_frame`` (a few seconds).
- ``write``         writes a frame as a contract CSV under the test's tmp_path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from alianza.ports import model as models
from alianza.ports.contract import SCORE_HEADER, read_declarations
from alianza.ports.synthetic import generate, write_csv

CUT = "2024-04-01"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--db") != "postgresql":
        return
    skip = pytest.mark.skip(reason="sin base de datos: se prueba una vez, con SQLite")
    for item in items:
        # test_store.py holds the node's tables: it runs on both databases.
        path = str(item.fspath)
        if "tests/ports/" in path and not path.endswith("test_store.py"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def declarations() -> pd.DataFrame:
    return generate(seed=7, days=120, per_year=60_000)


@pytest.fixture(scope="session")
def files(declarations: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ports")
    write_csv(declarations[declarations["date"] < CUT], folder / "train.csv")
    write_csv(declarations[declarations["date"] >= CUT], folder / "day.csv", labels=False)
    return folder


@pytest.fixture(scope="session")
def train_frame(files: Path) -> pd.DataFrame:
    return read_declarations(files / "train.csv", labels=True).frame


@pytest.fixture(scope="session")
def day_frame(files: Path) -> pd.DataFrame:
    frame = read_declarations(files / "day.csv", labels=False).frame
    assert list(frame.columns) == list(SCORE_HEADER)
    return frame


@pytest.fixture(scope="session")
def trained(train_frame: pd.DataFrame) -> models.RiskModel:
    return models.train(train_frame, seed=11)


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    def _write(frame: pd.DataFrame, name: str = "in.csv", *, labels: bool = True) -> Path:
        path = tmp_path / name
        write_csv(frame, path, labels=labels)
        return path

    return _write
