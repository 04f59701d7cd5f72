"""Witnessed audit: partners countersign each other's signed checkpoints.

A node holds its own key, so it could rewrite its log and re-sign it; it cannot make its
partners forget the heads they countersigned. During sync a node hands its newest signed
checkpoint to each peer, which verifies it, refuses a second, different head for the same
position (a fork), stores it and returns a countersignature. ``audit verify`` checks every
countersignature kept here, and with ``--witnesses`` asks each peer what it witnessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alianza.audit.models import AuditCheckpoint, AuditEntry
from alianza.audit.service import audit_act, checkpoint_message
from alianza.auth.permissions import Principal
from alianza.errors import Conflict, InputError, PermissionDenied
from alianza.exchange.models import CheckpointWitness, Peer, WitnessedCheckpoint
from alianza.node.context import Node
from alianza.node.keys import canonical, verify


def countersign_message(*, witness: str, node_id: str, seq: int, head: str) -> bytes:
    """What a witness signs about another node's checkpoint."""
    return canonical({"witness": witness, "node": node_id, "seq": seq, "head": head})


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    """Our newest signed checkpoint."""
    return session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc())).first()


def witness(session: Session, *, node: Node, peer: Peer, body: dict[str, Any]) -> dict[str, Any]:
    """Verify a peer's checkpoint, refuse a fork, store it, return our countersignature."""
    seq, head, signature = body.get("seq"), body.get("head"), body.get("signature")
    if not (isinstance(seq, int) and isinstance(head, str) and isinstance(signature, str)):
        raise InputError.at("body", "se esperaba {seq, head, signature}")
    if not verify(
        peer.public_key,
        checkpoint_message(node_id=peer.node_id, seq=seq, entry_hash=head),
        signature,
    ):
        raise PermissionDenied(f"Punto de control de {peer.node_id} con firma inválida.")
    seen = session.scalar(
        select(WitnessedCheckpoint).where(
            WitnessedCheckpoint.peer_node == peer.node_id, WitnessedCheckpoint.seq == seq
        )
    )
    if seen is not None and seen.head != head:
        audit_act(
            session,
            node,
            Principal.peer(node_id=peer.node_id, country=peer.country, agency=peer.agency),
            "audit.fork_detected",
            peer.node_id,
            {"seq": seq, "witnessed": seen.head, "presented": head},
        )
        # The refusal is logged with this message after the rollback: it carries the
        # evidence (both heads and the second signature) into the audit log.
        raise Conflict(
            f"Bifurcación: {peer.node_id} ya presentó otra cabeza para la entrada {seq} "
            f"(atestiguada {seen.head}, presentada {head}, firmada {signature})."
        )
    if seen is None:
        session.add(
            WitnessedCheckpoint(
                peer_node=peer.node_id,
                seq=seq,
                head=head,
                peer_signature=signature,
                witnessed_at=datetime.now(UTC),
            )
        )
        session.flush()
    countersignature = node.key.sign(
        countersign_message(witness=node.node_id, node_id=peer.node_id, seq=seq, head=head)
    )
    return {"seq": seq, "head": head, "countersignature": countersignature}


def store_countersignature(
    session: Session,
    *,
    node: Node,
    peer: Peer,
    body: dict[str, Any],
    sent: tuple[int, str],
) -> CheckpointWitness:
    """Keep a peer's countersignature on the checkpoint we sent it, after checking it."""
    seq, head, sig = body.get("seq"), body.get("head"), body.get("countersignature")
    if not (isinstance(seq, int) and isinstance(head, str) and isinstance(sig, str)):
        raise InputError.at("body", "contrafirma mal formada")
    if (seq, head) != sent:
        raise PermissionDenied(f"{peer.node_id} contrafirmó otro punto de control.")
    message = countersign_message(witness=peer.node_id, node_id=node.node_id, seq=seq, head=head)
    if not verify(peer.public_key, message, sig):
        raise PermissionDenied(f"Contrafirma inválida de {peer.node_id}.")
    row = session.scalar(
        select(CheckpointWitness).where(
            CheckpointWitness.seq == seq, CheckpointWitness.witness_node == peer.node_id
        )
    )
    if row is None:
        row = CheckpointWitness(
            seq=seq, head=head, witness_node=peer.node_id, signature=sig, at=datetime.now(UTC)
        )
        session.add(row)
        session.flush()
    return row


def witnessed_for(session: Session, *, peer: Peer) -> dict[str, Any]:
    """Every head of ``peer`` that this node witnessed."""
    rows = session.scalars(
        select(WitnessedCheckpoint)
        .where(WitnessedCheckpoint.peer_node == peer.node_id)
        .order_by(WitnessedCheckpoint.seq)
    )
    return {"checkpoints": [{"seq": r.seq, "head": r.head} for r in rows]}


@dataclass(slots=True)
class WitnessReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)


def remote_heads(node: Node) -> dict[str, list[dict[str, Any]]]:
    """Ask every peer which of our heads it witnessed (a peer that is down is reported)."""
    from alianza.exchange import client

    with node.sessions() as session:
        peers = list(session.scalars(select(Peer).where(Peer.active.is_(True))))
        for p in peers:
            session.expunge(p)
    heads: dict[str, list[dict[str, Any]]] = {}
    for peer in peers:
        answer = client.send(
            node, peer, type="audit.witnessed", body={}, timeout=node.settings.peer_timeout
        )
        items = answer.body.get("checkpoints", [])
        if not isinstance(items, list):
            raise InputError.at("checkpoints", f"respuesta ilegible de {peer.node_id}")
        heads[peer.node_id] = items
    return heads


def check_witnesses(
    session: Session, *, node: Node, remote: dict[str, list[dict[str, Any]]] | None = None
) -> WitnessReport:
    """Countersignatures kept here, and heads peers say they witnessed, against our chain.

    A witnessed entry that is missing here means the log was cut back (shorter than what a
    partner saw); one with another hash means it was rewritten (a fork). Either fails.
    """
    peers = {p.node_id: p for p in session.scalars(select(Peer))}
    problems: list[str] = []
    checked = 0
    last_seq = session.scalar(select(func.max(AuditEntry.seq))) or 0

    def mismatch(witness_node: str, seq: int, head: str) -> str | None:
        ours = session.scalar(select(AuditEntry.entry_hash).where(AuditEntry.seq == seq))
        if ours is None:
            return (
                f"registro recortado: {witness_node} atestiguó la entrada {seq} y el "
                f"registro termina en la {last_seq}"
            )
        if ours != head:
            return f"bifurcación: {witness_node} atestiguó otra historia en la entrada {seq}"
        return None

    for cw in session.scalars(select(CheckpointWitness).order_by(CheckpointWitness.seq)):
        checked += 1
        peer = peers.get(cw.witness_node)
        message = countersign_message(
            witness=cw.witness_node, node_id=node.node_id, seq=cw.seq, head=cw.head
        )
        if peer is None or not verify(peer.public_key, message, cw.signature):
            problems.append(f"testigo {cw.witness_node}, entrada {cw.seq}: contrafirma inválida")
        elif (problem := mismatch(cw.witness_node, cw.seq, cw.head)) is not None:
            problems.append(problem)
    for witness_node, heads in (remote or {}).items():
        for item in heads:
            checked += 1
            if not (
                isinstance(item, dict)
                and isinstance(item.get("seq"), int)
                and isinstance(item.get("head"), str)
            ):
                problems.append(f"respuesta ilegible de {witness_node}")
                continue
            if (problem := mismatch(witness_node, item["seq"], item["head"])) is not None:
                problems.append(problem)
    return WitnessReport(checked=checked, problems=problems)


@dataclass(slots=True)
class WitnessSummary:
    """What one partner has countersigned of our log."""

    node_id: str
    checkpoints: int
    last_seq: int
    last_at: datetime


def witnesses(session: Session) -> list[WitnessSummary]:
    """Per partner, how many of our checkpoints it countersigned and up to which entry."""
    rows = session.execute(
        select(
            CheckpointWitness.witness_node,
            func.count(),
            func.max(CheckpointWitness.seq),
            func.max(CheckpointWitness.at),
        )
        .group_by(CheckpointWitness.witness_node)
        .order_by(CheckpointWitness.witness_node)
    ).all()
    return [WitnessSummary(node_id=w, checkpoints=n, last_seq=s, last_at=a) for w, n, s, a in rows]
