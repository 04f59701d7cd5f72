"""The Alembic migrations and the SQLAlchemy models describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from alianza.db import Base
from alianza.node.context import Node
from tests.conftest import FreshNode


def test_migrations_match_models(base_node: Node) -> None:
    with base_node.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_schema_revision_is_alembic_head() -> None:
    from alembic.script import ScriptDirectory

    from alianza.db import SCHEMA_REVISION, alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head == SCHEMA_REVISION


def test_an_old_schema_is_refused_until_migrated(fresh: FreshNode) -> None:
    from sqlalchemy import text

    from alianza.db import SCHEMA_REVISION
    from alianza.errors import NodeNotInitialised
    from alianza.node.context import open_node

    node = fresh.init()
    with node.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        conn.execute(text("DROP TABLE peers"))
    import pytest

    with pytest.raises(NodeNotInitialised, match="alianza node migrate"):
        open_node(node.settings)
    with node.engine.begin() as conn:  # 0002 re-creates what it adds
        for table in (
            "seen_nonces",
            "feed_retractions",
            "deletion_receipts",
            "pending_acks",
            "hit_references",
            "release_requests",
            "consent_requests",
            "witnessed_checkpoints",
            "checkpoint_witnesses",
        ):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("ALTER TABLE records DROP COLUMN origin"))
    proc = fresh.cli("node", "migrate")
    assert proc.returncode == 0, proc.stderr
    reopened = open_node(node.settings)
    reopened.engine.dispose()
    assert SCHEMA_REVISION == "0002"
