"""Revision 0003 (the login counters) goes up and down and matches the model."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from alianza.db import Base, alembic_config
from tests.conftest import FreshNode


def test_0003_goes_down_and_up_and_matches_the_model(fresh: FreshNode) -> None:
    node = fresh.init()
    url = node.settings.sqlalchemy_url
    node.engine.dispose()
    command.downgrade(alembic_config(url), "0002")
    assert not inspect(node.engine).has_table("login_throttles")
    assert inspect(node.engine).has_table("users")
    node.engine.dispose()
    command.upgrade(alembic_config(url), "heads")
    with node.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if "login_throttles" in repr(d)] == []
    assert inspect(node.engine).has_table("login_throttles")
