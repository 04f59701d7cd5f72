"""Witnessed audit: countersigned checkpoints, and forks caught by the witnesses."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import delete, select, text

from alianza.audit import service as audit
from alianza.audit.models import AuditCheckpoint
from alianza.db import transaction
from alianza.errors import PeerError
from alianza.exchange import client
from alianza.exchange import flows as exchange
from alianza.exchange import service as exchange_service
from alianza.exchange.models import CheckpointWitness, WitnessedCheckpoint
from alianza.exchange.witness import check_witnesses, remote_heads
from tests.exchange.conftest import Running


def _cli(r: Running, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alianza.cli", *args],
        env=r.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _rewrite_history(r: Running) -> None:
    """What a node that holds its own key could do: edit, rehash, re-sign, hide witnesses."""
    node = r.node
    with node.engine.begin() as conn:
        rows = conn.execute(
            text("SELECT seq, at, actor, action, target, detail FROM audit_entries ORDER BY seq")
        ).all()
        prev = audit.GENESIS
        heads = {}
        for seq, at, actor, action, target, detail in rows:
            if seq == 3:
                actor = "alguien-más"
            h = audit._entry_hash(
                seq=seq, at=at, actor=actor, action=action, target=target, detail=detail, prev=prev
            )
            conn.execute(
                text("UPDATE audit_entries SET actor=:a, prev_hash=:p, entry_hash=:h WHERE seq=:s"),
                {"a": actor, "p": prev, "h": h, "s": seq},
            )
            heads[seq] = prev = h
        conn.execute(text("UPDATE audit_head SET entry_hash=:h"), {"h": prev})
    with transaction(node.sessions) as s:
        for cp in s.scalars(select(AuditCheckpoint)):
            cp.entry_hash = heads[cp.seq]
            cp.signature = node.key.sign(
                audit.checkpoint_message(node_id=node.node_id, seq=cp.seq, entry_hash=cp.entry_hash)
            )
        s.execute(delete(CheckpointWitness))
        audit.sign_head(s, key=node.key, node_id=node.node_id)


def test_sync_exchanges_countersigned_checkpoints(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    assert exchange.sync_all(cl.node)[0].witnessed
    with cl.node.sessions() as s:
        assert s.scalar(select(CheckpointWitness.witness_node)) == ec.node.node_id
        assert check_witnesses(s, node=cl.node).problems == []
    with ec.node.sessions() as s:
        assert s.scalar(select(WitnessedCheckpoint.peer_node)) == cl.node.node_id
    ok = _cli(cl, "audit", "verify", "--witnesses")
    assert ok.returncode == 0, ok.stderr
    assert "atestiguaciones" in ok.stdout


def test_rewritten_history_is_a_fork_the_witness_reports(pair: tuple[Running, Running]) -> None:
    cl, _ = pair
    exchange.sync_all(cl.node)
    _rewrite_history(cl)
    with cl.node.sessions() as s:
        # Locally everything is consistent again: chain, checkpoints, no witnesses left.
        assert audit.verify_chain(s, public_key=cl.node.key.public_hex, node_id=cl.node.node_id).ok
    bad = _cli(cl, "audit", "verify", "--witnesses")
    assert bad.returncode == 8
    assert "bifurcación" in bad.stderr
    with cl.node.sessions() as s:
        report = check_witnesses(s, node=cl.node, remote=remote_heads(cl.node))
    assert report.problems and "bifurcación" in report.problems[0]


def test_witness_refuses_a_second_head_for_the_same_entry(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    exchange.sync_all(cl.node)
    with ec.node.sessions() as es:
        witnessed = es.scalar(select(WitnessedCheckpoint.seq))
    _rewrite_history(cl)
    with cl.node.sessions() as s:
        forged = s.scalar(select(AuditCheckpoint).where(AuditCheckpoint.seq == witnessed))
        assert forged is not None
        body = {"seq": forged.seq, "head": forged.entry_hash, "signature": forged.signature}
        me = exchange_service.get_peer(s, ec.node.node_id)
        s.expunge(me)
    with pytest.raises(PeerError, match="Bifurcación"):
        client.send(cl.node, me, type="audit.witness", body=body)
    with ec.node.sessions() as s:
        refusals = list(
            s.scalars(text("SELECT target FROM audit_entries WHERE action = 'exchange.refused'"))
        )
    assert refusals == ["audit.witness"]
