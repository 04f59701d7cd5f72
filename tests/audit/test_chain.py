"""Tamper detection: edit, delete, insert and reorder rows straight in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from alianza.audit import service as audit
from alianza.db import transaction
from alianza.node.context import Node
from alianza.records.service import audit_act
from tests.conftest import FreshNode


def _node_with_entries(fresh: FreshNode, n: int = 30) -> Node:
    node = fresh.init(country="EC", agency="Policía Nacional", checkpoint_every=10)
    with transaction(node.sessions) as session:
        for i in range(n):
            audit_act(session, node, "tester", "record.read", f"r{i}", {"i": i})
    return node


def _verify(node: Node) -> audit.ChainReport:
    with node.sessions() as session:
        return audit.verify_chain(session, public_key=node.key.public_hex, node_id=node.node_id)


def _sql(node: Node, statement: str) -> None:
    with node.engine.begin() as conn:
        conn.execute(text(statement))


def test_untouched_chain_verifies_with_signed_checkpoints(fresh: FreshNode) -> None:
    node = _node_with_entries(fresh)
    report = _verify(node)
    assert report.ok, report.problems
    assert report.entries == 32  # node.init + node.key_created + 30
    assert report.checkpoints >= 3


def test_node_creation_writes_the_first_entries(fresh: FreshNode) -> None:
    node = fresh.init()
    with node.sessions() as session:
        actions = list(session.scalars(text("SELECT action FROM audit_entries ORDER BY seq")))
    assert actions == ["node.init", "node.key_created"]


def test_edited_entry_is_named(fresh: FreshNode) -> None:
    node = _node_with_entries(fresh)
    _sql(node, "UPDATE audit_entries SET target = 'otro' WHERE seq = 17")
    report = _verify(node)
    assert not report.ok
    assert report.problems[0].startswith("entrada 17:")


def test_deleted_entry_is_named(fresh: FreshNode) -> None:
    node = _node_with_entries(fresh)
    _sql(node, "DELETE FROM audit_entries WHERE seq = 9")
    assert _verify(node).problems[0].startswith("entrada 9:")


def test_deleted_tail_is_detected(fresh: FreshNode) -> None:
    node = _node_with_entries(fresh)
    _sql(node, "DELETE FROM audit_entries WHERE seq >= 25")
    report = _verify(node)
    assert not report.ok
    assert "entrada 25" in report.problems[0]


def test_inserted_entry_is_detected(fresh: FreshNode) -> None:
    node = _node_with_entries(fresh)
    _sql(node, "UPDATE audit_entries SET seq = seq + 1000 WHERE seq > 12")
    _sql(node, "UPDATE audit_entries SET seq = seq - 999 WHERE seq > 1000")
    _sql(
        node,
        "INSERT INTO audit_entries (seq, at, actor, action, target, detail, prev_hash, entry_hash) "
        "SELECT 13, at, 'intruso', 'record.read', 'x', '{}', entry_hash, entry_hash "
        "FROM audit_entries WHERE seq = 12",
    )
    report = _verify(node)
    assert not report.ok
    assert report.problems[0].startswith("entrada 13:")


def test_reordered_entries_are_detected(fresh: FreshNode) -> None:
    node = _node_with_entries(fresh)
    _sql(node, "UPDATE audit_entries SET seq = -1 WHERE seq = 20")
    _sql(node, "UPDATE audit_entries SET seq = 20 WHERE seq = 21")
    _sql(node, "UPDATE audit_entries SET seq = 21 WHERE seq = -1")
    report = _verify(node)
    assert not report.ok
    assert report.problems[0].startswith("entrada 20:")


def test_forged_checkpoint_signature_is_detected(fresh: FreshNode) -> None:
    node = _node_with_entries(fresh)
    _sql(node, "UPDATE audit_checkpoints SET signature = '" + "00" * 64 + "' WHERE id = 2")
    assert any("firma inválida" in p for p in _verify(node).problems)


def test_rewritten_chain_still_fails_against_signed_checkpoint(fresh: FreshNode) -> None:
    """An attacker who recomputes every hash after an edit is caught by the signatures."""
    node = _node_with_entries(fresh)
    with node.sessions() as session:
        rows = session.execute(
            text("SELECT seq, at, actor, action, target, detail FROM audit_entries ORDER BY seq")
        ).all()
    prev = audit.GENESIS
    with node.engine.begin() as conn:
        for seq, at, actor, action, target, detail in rows:
            if seq == 5:
                target = "reescrito"
            h = audit._entry_hash(
                seq=seq, at=at, actor=actor, action=action, target=target, detail=detail, prev=prev
            )
            conn.execute(
                text(
                    "UPDATE audit_entries SET target=:t, prev_hash=:p, entry_hash=:h WHERE seq=:s"
                ),
                {"t": target, "p": prev, "h": h, "s": seq},
            )
            prev = h
        conn.execute(text("UPDATE audit_head SET entry_hash = :h"), {"h": prev})
    report = _verify(node)
    assert not report.ok
    assert "difiere de la firmada" in report.problems[0]


def test_cli_audit_verify_exits_non_zero_naming_the_entry(fresh: FreshNode) -> None:
    node = _node_with_entries(fresh)
    ok = fresh.cli("audit", "verify", "--dir", str(fresh.dir))
    assert ok.returncode == 0, ok.stderr
    assert "cadena íntegra" in ok.stdout
    _sql(node, "UPDATE audit_entries SET actor = 'nadie' WHERE seq = 7")
    bad = fresh.cli("audit", "verify", "--dir", str(fresh.dir))
    assert bad.returncode == 8
    assert "entrada 7" in bad.stderr


@pytest.mark.parametrize("every", [1, 3])
def test_checkpoints_follow_the_setting(fresh: FreshNode, every: int) -> None:
    node = fresh.init(checkpoint_every=every)
    with transaction(node.sessions) as session:
        for i in range(6):
            audit_act(session, node, "t", "x", str(i), {})
    report = _verify(node)
    assert report.ok
    assert report.checkpoints == 1 + 6 // every
