"""Tamper detection: edit, delete, insert and reorder rows straight in the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from alianza.audit import service as audit
from alianza.audit.service import audit_act
from alianza.db import transaction
from alianza.node.context import Node
from alianza.node.flows import init_node
from tests.conftest import FreshNode, PgDatabases, _settings


def _node_with_entries(fresh: FreshNode, n: int = 30) -> Node:
    node = fresh.init(country="EC", agency="Policía Nacional", checkpoint_every=10)
    with transaction(node.sessions) as session:
        for i in range(n):
            audit_act(session, node, node.system, "record.read", f"r{i}", {"i": i})
    return node


def _verify(node: Node) -> audit.ChainReport:
    with node.sessions() as session:
        return audit.verify_chain(
            session,
            public_key=node.key.public_hex,
            node_id=node.node_id,
            checkpoint_every=node.settings.checkpoint_every,
        )


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
            audit_act(session, node, node.system, "x", str(i), {})
    report = _verify(node)
    assert report.ok
    assert report.checkpoints == 1 + 6 // every


@pytest.mark.parametrize("every", [1, 3, 4])
def test_batched_append_equals_one_by_one(
    fresh: FreshNode, tmp_path: Path, pg: PgDatabases | None, every: int
) -> None:
    """``append_many`` (the hit desk's group commit) chains and checkpoints like appends."""
    acts = [
        audit.Act(actor="nodo@PDI.CL", action="x", target=str(i), detail={"i": i}) for i in range(7)
    ]
    one = fresh.init(checkpoint_every=every)
    with transaction(one.sessions) as session:
        for act in acts:
            audit_act(session, one, one.system, act.action, act.target, act.detail)
        audit_act(session, one, one.system, "after", "", {})
    settings = _settings(tmp_path / "por-lotes", pg, checkpoint_every=every)
    other = init_node(settings, country="CL", agency="PDI")
    fresh.opened.append(other)
    with transaction(other.sessions) as session:
        seqs = audit.append_many(
            session, key=other.key, node_id=other.node_id, acts=acts, checkpoint_every=every
        )
        audit_act(session, other, other.system, "after", "", {})
    assert seqs == list(range(3, 10))  # after node.init and node.key_created
    for node in (one, other):
        assert _verify(node).ok, _verify(node).problems

    def checkpoint_seqs(node: Node) -> list[int]:
        with node.sessions() as session:
            return list(session.scalars(text("SELECT seq FROM audit_checkpoints ORDER BY seq")))

    assert checkpoint_seqs(one) == checkpoint_seqs(other)
