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


def test_a_new_node_is_at_alembic_heads(base_node: Node) -> None:
    from sqlalchemy import text

    from alianza.db import schema_heads

    with base_node.engine.connect() as conn:
        current = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    assert current == schema_heads()
    assert schema_heads()  # at least the core's head


def test_a_schema_newer_than_the_code_is_refused(fresh: FreshNode) -> None:
    import pytest
    from sqlalchemy import text

    from alianza.errors import NodeNotInitialised
    from alianza.node.context import open_node

    node = fresh.init()
    with node.engine.begin() as conn:
        # One unknown revision in place of the heads (a domain's branch makes them two).
        conn.execute(text("DELETE FROM alembic_version"))
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('9999')"))
    with pytest.raises(NodeNotInitialised, match="más nuevo"):
        open_node(node.settings)
    proc = fresh.cli("node", "info")
    assert proc.returncode == 7, proc.stderr
    assert "actualice alianza" in proc.stderr


def test_an_old_schema_is_refused_until_migrated(fresh: FreshNode) -> None:
    import pytest
    from alembic import command
    from sqlalchemy import inspect, text

    from alianza.db import alembic_config, schema_heads
    from alianza.errors import NodeNotInitialised
    from alianza.node.context import open_node

    node = fresh.init()
    node.engine.dispose()
    command.downgrade(alembic_config(node.settings.sqlalchemy_url), "0001")
    with pytest.raises(NodeNotInitialised, match="alianza node migrate"):
        open_node(node.settings)
    assert not inspect(node.engine).has_table("peers")
    proc = fresh.cli("node", "migrate")
    assert proc.returncode == 0, proc.stderr
    reopened = open_node(node.settings)
    with reopened.engine.connect() as conn:
        current = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    assert inspect(reopened.engine).has_table("peers")
    reopened.engine.dispose()
    assert current == schema_heads()


def test_upgrading_to_discoverable_reveals_nothing(fresh: FreshNode) -> None:
    """Migration 0005: old records become exactly as discoverable as they were shared."""
    from alembic import command
    from sqlalchemy import select, text

    from alianza.auth.permissions import Principal, Role
    from alianza.db import alembic_config, transaction
    from alianza.records import service as records
    from alianza.records.models import Record
    from alianza.records.rules import Rules
    from tests.conftest import RULES

    node = fresh.init()
    ana = Principal(username="ana", country="CL", agency="PDI", role=Role.ANALYST)
    made = {}
    for scope, countries in (("agency", []), ("partners", ["EC", "PE"]), ("members", [])):
        with transaction(node.sessions) as s:
            made[scope] = records.create_record(
                s,
                node=node,
                principal=ana,
                kind="person",
                data={
                    "category": "wanted",
                    "given_names": "Ana",
                    "surname_1": "Pérez",
                    "birth_date": "1980-01-02",
                },
                rules=Rules(**RULES, scope=scope, scope_countries=countries),
            ).record.id
    node.engine.dispose()
    url = node.settings.sqlalchemy_url
    command.downgrade(alembic_config(url), "0004")
    command.upgrade(alembic_config(url), "heads")
    with node.sessions() as s:
        rows = {r.id: (r.discoverable, r.discoverable_countries) for r in s.scalars(select(Record))}
        version = s.scalar(text("SELECT version_num FROM alembic_version"))
    assert version is not None
    assert rows[made["agency"]] == ("none", "")
    assert rows[made["partners"]] == ("partners", ",EC,PE,")
    assert rows[made["members"]] == ("members", "")


def test_upgrading_to_stored_features_computes_what_is_missing(fresh: FreshNode) -> None:
    """Migration 0006: versions written before it have no features; the watch list
    computes them, ``refresh_stored`` stores them, and redaction still takes them away."""
    from alembic import command
    from sqlalchemy import inspect, select, update

    from alianza.auth.permissions import Principal, Role
    from alianza.db import alembic_config, transaction
    from alianza.records import service as records
    from alianza.records.models import RecordFeatures, RecordVersion
    from alianza.records.rules import Rules
    from alianza.screening.index import WatchIndex
    from alianza.screening.stored import refresh_stored
    from tests.conftest import RULES

    node = fresh.init()
    url = node.settings.sqlalchemy_url
    node.engine.dispose()
    command.downgrade(alembic_config(url), "0005")
    assert not inspect(node.engine).has_table("record_features")
    command.upgrade(alembic_config(url), "heads")
    ana = Principal(username="ana", country="CL", agency="PDI", role=Role.ANALYST)
    data = {"category": "wanted", "given_names": "Ana", "surname_1": "Pérez"}
    with transaction(node.sessions) as s:
        rid = records.create_record(
            s, node=node, principal=ana, kind="person", data=data, rules=Rules(**RULES)
        ).record.id
        s.execute(update(RecordFeatures).values(revision="antigua"))  # as if written before
    index = WatchIndex()
    with node.sessions() as s:
        index.refresh(s)
    assert index.computed == 1 and len(index) == 1
    with transaction(node.sessions) as s:
        assert refresh_stored(s) == (1, 1)
    again = WatchIndex()
    with node.sessions() as s:
        again.refresh(s)
    assert again.computed == 0 and again.entry(0).features == index.entry(0).features
    with transaction(node.sessions) as s:
        s.execute(update(RecordVersion).where(RecordVersion.record_id == rid).values(data=None))
    with node.sessions() as s:
        assert s.scalars(select(RecordFeatures)).all() == []
    node.engine.dispose()
