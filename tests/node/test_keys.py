"""The node key lives apart from the database, readable by the node's user only."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import inspect, text

from alianza.errors import IntegrityFailure
from alianza.node.context import open_node
from tests.conftest import FreshNode


def _mode(path: os.PathLike[str]) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_key_file_is_0600_in_a_0700_folder(fresh: FreshNode) -> None:
    node = fresh.init()
    assert _mode(node.settings.key_path) == 0o600
    assert _mode(node.settings.key_path.parent) == 0o700


def test_a_key_file_others_can_read_is_refused(fresh: FreshNode) -> None:
    node = fresh.init()
    os.chmod(node.settings.key_path, 0o644)
    with pytest.raises(IntegrityFailure, match="chmod 600"):
        open_node(node.settings)


def test_a_key_folder_left_open_is_closed_on_opening(fresh: FreshNode) -> None:
    node = fresh.init()
    os.chmod(node.settings.key_path.parent, 0o755)
    reopened = open_node(node.settings)
    reopened.engine.dispose()
    assert _mode(node.settings.key_path.parent) == 0o700


def test_no_table_holds_the_private_key(fresh: FreshNode) -> None:
    node = fresh.init()
    secret = node.settings.key_path.read_text().splitlines()[1]
    with node.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                assert all(secret not in str(value) for value in row)
