"""Issue 9, E1: tampering that ``audit verify`` used to miss.

An attacker here holds the database (every table, read and write) but not the node's
key: every test rewrites rows straight in SQL, recomputing every hash it can.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from alianza.audit import service as audit
from alianza.audit.service import audit_act
from alianza.db import transaction
from alianza.exchange.witness import check_witnesses
from alianza.node.context import Node
from tests.conftest import FreshNode


def _node(fresh: FreshNode, n: int = 33, every: int = 10) -> Node:
    node = fresh.init(country="EC", agency="Policía Nacional", checkpoint_every=every)
    _append(node, n)
    return node


def _append(node: Node, n: int) -> None:
    with transaction(node.sessions) as session:
        for i in range(n):
            audit_act(session, node, node.system, "record.read", f"r{i}", {"i": i})


def _verify(node: Node, **kwargs: Any) -> audit.ChainReport:
    with node.sessions() as session:
        return audit.verify_chain(
            session,
            public_key=node.key.public_hex,
            node_id=node.node_id,
            checkpoint_every=node.settings.checkpoint_every,
            **kwargs,
        )


def _sql(node: Node, statement: str, **params: Any) -> None:
    with node.engine.begin() as conn:
        conn.execute(text(statement), params)


def _rehash_from(node: Node, first: int, *, edit: dict[str, Any] | None = None) -> str:
    """Recompute every hash from entry ``first`` on (after ``edit``), and the head row."""
    with node.engine.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT seq, at, actor, action, target, detail, prev_hash FROM audit_entries "
                "WHERE seq >= :f ORDER BY seq"
            ),
            {"f": first},
        ).all()
        prev = rows[0].prev_hash
        for seq, at, actor, action, target, detail, _ in rows:
            if seq == first and edit:
                target = edit.get("target", target)
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
        last = rows[-1].seq
        conn.execute(text("UPDATE audit_head SET seq=:s, entry_hash=:h"), {"s": last, "h": prev})
    return prev


def _hash_at(node: Node, seq: int) -> str:
    with node.sessions() as session:
        return str(
            session.scalar(text("SELECT entry_hash FROM audit_entries WHERE seq = :s"), {"s": seq})
        )


def test_the_untouched_log_verifies_with_a_signed_head(fresh: FreshNode) -> None:
    node = _node(fresh)
    report = _verify(node)
    assert report.ok, report.problems
    assert report.entries == 35
    assert datetime.fromisoformat(report.head_signed_at) > datetime.now(UTC) - timedelta(minutes=1)


def test_an_appended_entry_with_recomputed_hash_and_head_is_caught(fresh: FreshNode) -> None:
    node = _node(fresh)
    with node.sessions() as session:
        last = session.execute(
            text("SELECT seq, at, entry_hash FROM audit_entries ORDER BY seq DESC")
        ).first()
    assert last is not None
    seq, at, prev = last.seq + 1, last.at, last.entry_hash
    h = audit._entry_hash(
        seq=seq, at=at, actor="intruso", action="record.read", target="x", detail="{}", prev=prev
    )
    _sql(
        node,
        "INSERT INTO audit_entries (seq, at, actor, action, target, detail, prev_hash, entry_hash)"
        " VALUES (:s, :a, 'intruso', 'record.read', 'x', '{}', :p, :h)",
        s=seq,
        a=at,
        p=prev,
        h=h,
    )
    _sql(
        node,
        "UPDATE audit_head SET seq=:s, entry_hash=:h, since_checkpoint=since_checkpoint+1",
        s=seq,
        h=h,
    )
    report = _verify(node)
    assert not report.ok
    assert f"entrada {seq}: la firma de la cabeza no es válida" in report.problems[0]


def test_an_edit_after_the_last_checkpoint_with_recomputed_hashes_is_caught(
    fresh: FreshNode,
) -> None:
    node = _node(fresh)  # checkpoints at 2, 12, 22, 32; entries up to 35
    _rehash_from(node, 34, edit={"target": "otro"})
    report = _verify(node)
    assert not report.ok
    assert "firma de la cabeza no es válida" in report.problems[0]


def test_a_tail_cut_after_the_last_checkpoint_is_caught(fresh: FreshNode) -> None:
    node = _node(fresh)
    _sql(node, "DELETE FROM audit_entries WHERE seq > 33")
    _sql(node, "UPDATE audit_head SET seq=33, entry_hash=:h", h=_hash_at(node, 33))
    report = _verify(node)
    assert not report.ok
    assert "entrada 33: la firma de la cabeza no es válida" in report.problems[0]


def test_a_deleted_checkpoint_row_is_caught(fresh: FreshNode) -> None:
    node = _node(fresh)
    _sql(node, "DELETE FROM audit_checkpoints WHERE seq = 22")
    report = _verify(node)
    assert not report.ok
    assert "entrada 22: falta su punto de control firmado" in report.problems[0]


def test_the_deleted_checkpoint_of_node_creation_is_caught(fresh: FreshNode) -> None:
    node = _node(fresh, n=5)  # fewer entries than checkpoint_every: only creation's
    _sql(node, "DELETE FROM audit_checkpoints")
    report = _verify(node)
    assert not report.ok
    assert "entrada 2: falta el punto de control firmado de la creación" in report.problems[0]


def test_a_wiped_log_is_caught(fresh: FreshNode) -> None:
    node = _node(fresh)
    _sql(node, "DELETE FROM audit_entries")
    _sql(node, "DELETE FROM audit_checkpoints")
    _sql(node, "UPDATE audit_head SET seq=0, entry_hash=:h, since_checkpoint=0", h=audit.GENESIS)
    report = _verify(node)
    assert not report.ok
    assert "el registro está vacío" in report.problems[0]
    bad = fresh.cli("audit", "verify", "--dir", str(fresh.dir))
    assert bad.returncode == 8
    assert "vacío" in bad.stderr


def test_a_log_restarted_without_node_creation_is_caught(fresh: FreshNode) -> None:
    node = _node(fresh, n=3)
    _sql(node, "UPDATE audit_entries SET action='record.read' WHERE seq = 1")
    _rehash_from(node, 1)
    assert _verify(node).problems[0].startswith("entrada 1: no es la creación del nodo")


def test_rewriting_from_400_past_a_witness_at_347_is_caught(fresh: FreshNode) -> None:
    """The partner saw 347; entries from 400 are rewritten and their checkpoints deleted."""
    node = fresh.init(checkpoint_every=50)
    _append(node, 345)
    with transaction(node.sessions) as session:  # what a sync does: sign and hand over
        witnessed = audit.checkpoint(session, key=node.key, node_id=node.node_id)
    assert witnessed.seq == 347
    _append(node, 120)
    _rehash_from(node, 400, edit={"target": "reescrito"})
    _sql(node, "DELETE FROM audit_checkpoints WHERE seq >= 400")
    report = _verify(node)
    assert not report.ok
    assert "falta su punto de control firmado" in report.problems[0]
    # The partner's head is still ours (the prefix up to 347 was not touched): the
    # node's signatures are what catches this, not the witness.
    remote = {"ec-testigo": [{"seq": 347, "head": witnessed.entry_hash}]}
    with node.sessions() as session:
        assert check_witnesses(session, node=node, remote=remote).problems == []


def test_a_log_shorter_than_what_a_partner_witnessed_fails(fresh: FreshNode) -> None:
    node = _node(fresh)
    seen = _hash_at(node, 32)
    _sql(node, "DELETE FROM audit_entries WHERE seq > 30")
    remote = {"ec-testigo": [{"seq": 32, "head": seen}]}
    with node.sessions() as session:
        problems = check_witnesses(session, node=node, remote=remote).problems
    assert problems == [
        "registro recortado: ec-testigo atestiguó la entrada 32 y el registro termina en la 30"
    ]


def test_a_log_diverging_from_what_a_partner_witnessed_fails(fresh: FreshNode) -> None:
    node = _node(fresh)
    remote = {"ec-testigo": [{"seq": 32, "head": "f" * 64}]}
    with node.sessions() as session:
        problems = check_witnesses(session, node=node, remote=remote).problems
    assert problems and problems[0].startswith("bifurcación: ec-testigo")


def test_an_old_head_restored_passes_alone_but_not_a_freshness_bound(fresh: FreshNode) -> None:
    """The documented limit: a copy of an earlier signed state verifies on its own.

    Its head's signing time gives it away once the node signs its head on a timer.
    """
    node = _node(fresh, n=5)
    with node.sessions() as session:
        saved = session.execute(text("SELECT * FROM audit_head")).one()._asdict()
    time.sleep(1.1)
    _append(node, 3)
    assert _verify(node, max_head_age=timedelta(seconds=1)).ok  # just signed
    _sql(node, "DELETE FROM audit_entries WHERE seq > :s", s=saved["seq"])
    _sql(
        node,
        "UPDATE audit_head SET seq=:seq, entry_hash=:entry_hash, signed_at=:signed_at, "
        "signature=:signature, since_checkpoint=:since_checkpoint",
        **{
            k: saved[k] for k in ("seq", "entry_hash", "signed_at", "signature", "since_checkpoint")
        },
    )
    assert _verify(node).ok
    report = _verify(node, max_head_age=timedelta(seconds=1))
    assert not report.ok
    assert "¿una copia anterior restaurada?" in report.problems[0]


def test_the_timer_checkpoints_pending_entries_and_refreshes_an_idle_head(
    fresh: FreshNode,
) -> None:
    node = _node(fresh, n=3)  # entries 3..5 wait after creation's checkpoint at 2
    later = datetime.now(UTC) + timedelta(minutes=6)
    with transaction(node.sessions) as session:
        made = audit.checkpoint_if_due(session, node, max_age=timedelta(minutes=5), now=later)
    assert made is not None and made.seq == 5
    with node.sessions() as session:
        before = session.scalar(text("SELECT signed_at FROM audit_head"))
    with transaction(node.sessions) as session:
        again = audit.checkpoint_if_due(session, node, max_age=timedelta(0))
    assert again is None  # nothing appended: no new checkpoint, only a fresh head signature
    with node.sessions() as session:
        assert session.scalar(text("SELECT signed_at FROM audit_head")) > before
    assert _verify(node).ok
