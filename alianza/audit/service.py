"""Append to, checkpoint and verify the hash-chained audit log.

Each entry's hash covers its sequence number, time, actor, action, target, detail and the
previous entry's hash (Crosby & Wallach's hash chain); every ``checkpoint_every`` entries
the node signs the chain head. Editing, removing, inserting or reordering any row breaks
either a hash, the sequence or a signed checkpoint, and ``verify_chain`` names where.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from alianza.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from alianza.node.keys import NodeKey, canonical, digest, verify

if TYPE_CHECKING:
    from alianza.auth.permissions import Principal
    from alianza.node.context import Node

GENESIS = "0" * 64


def _entry_hash(
    *, seq: int, at: str, actor: str, action: str, target: str, detail: str, prev: str
) -> str:
    return digest(
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "target": target,
            "detail": detail,
            "prev": prev,
        }
    )


def checkpoint_message(*, node_id: str, seq: int, entry_hash: str) -> bytes:
    """The bytes a checkpoint signature covers."""
    return canonical({"node": node_id, "seq": seq, "head": entry_hash})


def lock_head(session: Session) -> None:
    """Take the chain head's row lock before writing record versions.

    Writers then allocate version ids and commit in one order, so a peer's feed cursor can
    never pass a version that commits later (on PostgreSQL with several workers; SQLite
    writers are serial anyway and the dialect leaves out FOR UPDATE).
    """
    session.execute(select(AuditHead.id).where(AuditHead.id == 1).with_for_update())


def start_chain(session: Session) -> None:
    """Create the head row of an empty chain (node creation)."""
    session.add(AuditHead(id=1, seq=0, entry_hash=GENESIS, since_checkpoint=0))
    session.flush()


@dataclass(slots=True, frozen=True)
class Act:
    """One act to write to the log (``append_many`` writes several in one go)."""

    actor: str
    action: str
    target: str = ""
    detail: dict[str, Any] | None = None


def append(
    session: Session,
    *,
    key: NodeKey,
    node_id: str,
    actor: str,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    checkpoint_every: int = 100,
) -> int:
    """Append one entry (its sequence number); sign a checkpoint when one is due."""
    act = Act(actor=actor, action=action, target=target, detail=detail)
    return append_many(
        session, key=key, node_id=node_id, acts=[act], checkpoint_every=checkpoint_every
    )[0]


def append_many(
    session: Session,
    *,
    key: NodeKey,
    node_id: str,
    acts: Sequence[Act],
    checkpoint_every: int = 100,
) -> list[int]:
    """Append ``acts`` in order as consecutive entries; sign each checkpoint that falls due.

    One head update and one multi-row insert whatever the number of acts: the hit/no-hit
    desk writes the acts of many queries per transaction (group commit) through here.
    """
    if not acts:
        return []
    # The UPDATE takes the head row's lock (PostgreSQL) or the write lock (SQLite), so
    # concurrent appends queue here and the chain never forks.
    row = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + len(acts))
        .returning(AuditHead.seq, AuditHead.entry_hash, AuditHead.since_checkpoint)
    ).one()
    last, prev, pending = int(row[0]), str(row[1]), int(row[2])
    seq = last - len(acts)
    rows: list[dict[str, Any]] = []
    checkpoints: list[tuple[int, str]] = []
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    for act in acts:
        seq += 1
        pending += 1
        detail_text = canonical(act.detail or {}).decode()
        actor, target = act.actor[:120], act.target[:200]
        entry_hash = _entry_hash(
            seq=seq,
            at=at,
            actor=actor,
            action=act.action,
            target=target,
            detail=detail_text,
            prev=prev,
        )
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "action": act.action,
                "target": target,
                "detail": detail_text,
                "prev_hash": prev,
                "entry_hash": entry_hash,
            }
        )
        prev = entry_hash
        if pending >= checkpoint_every:
            checkpoints.append((seq, entry_hash))
            pending = 0
    session.execute(insert(AuditEntry), rows)
    for cp_seq, cp_hash in checkpoints:
        _sign_checkpoint(session, key=key, node_id=node_id, seq=cp_seq, entry_hash=cp_hash)
    session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(entry_hash=prev, since_checkpoint=pending)
    )
    session.flush()
    return [r["seq"] for r in rows]


def _sign_checkpoint(
    session: Session, *, key: NodeKey, node_id: str, seq: int, entry_hash: str
) -> AuditCheckpoint:
    message = checkpoint_message(node_id=node_id, seq=seq, entry_hash=entry_hash)
    cp = AuditCheckpoint(
        seq=seq, entry_hash=entry_hash, at=datetime.now(UTC), signature=key.sign(message)
    )
    session.add(cp)
    return cp


def checkpoint(session: Session, *, key: NodeKey, node_id: str) -> AuditCheckpoint:
    """Sign the current head now (end of an import, before a backup, on demand)."""
    head = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(since_checkpoint=0)
        .returning(AuditHead.seq, AuditHead.entry_hash)
    ).one()
    cp = _sign_checkpoint(
        session, key=key, node_id=node_id, seq=int(head[0]), entry_hash=str(head[1])
    )
    session.flush()
    return cp


@dataclass(slots=True)
class ChainReport:
    """Result of a verification: entries and checkpoints checked, the first fault."""

    entries: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _entries(session: Session) -> Generator[AuditEntry, None, None]:
    result = session.scalars(
        select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=5000)
    )
    try:
        yield from result
    finally:
        result.close()  # a server-side cursor on PostgreSQL: close it even on early exit


def verify_chain(session: Session, *, public_key: str, node_id: str) -> ChainReport:
    """Recompute the chain and check every signed checkpoint; report the first break."""
    report = ChainReport()
    prev = GENESIS
    hashes: dict[int, str] = {}
    expected_seq = 1
    entries = _entries(session)
    for entry in entries:
        if entry.seq != expected_seq:
            report.problems.append(
                f"entrada {expected_seq}: falta o fue eliminada (la siguiente es {entry.seq})"
            )
            break
        if entry.prev_hash != prev:
            report.problems.append(
                f"entrada {entry.seq}: no encadena con la anterior (reordenada o insertada)"
            )
            break
        recomputed = _entry_hash(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            target=entry.target,
            detail=entry.detail,
            prev=entry.prev_hash,
        )
        if recomputed != entry.entry_hash:
            report.problems.append(f"entrada {entry.seq}: su contenido fue modificado")
            break
        try:
            json.loads(entry.detail)
        except ValueError:
            report.problems.append(f"entrada {entry.seq}: detalle ilegible")
            break
        hashes[entry.seq] = entry.entry_hash
        prev = entry.entry_hash
        expected_seq += 1
        report.entries += 1
    entries.close()
    last_seq = expected_seq - 1
    for cp in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)):
        report.checkpoints += 1
        message = checkpoint_message(node_id=node_id, seq=cp.seq, entry_hash=cp.entry_hash)
        if not verify(public_key, message, cp.signature):
            report.problems.append(f"punto de control en {cp.seq}: firma inválida")
        elif cp.seq > last_seq and not report.problems:
            report.problems.append(
                f"entrada {last_seq + 1}: falta (el punto de control firmado llega a {cp.seq})"
            )
        elif cp.seq in hashes and hashes[cp.seq] != cp.entry_hash:
            report.problems.append(
                f"entrada {cp.seq}: difiere de la firmada en el punto de control"
            )
    head = session.get(AuditHead, 1)
    if (
        not report.problems
        and head is not None
        and (head.seq, head.entry_hash)
        != (
            last_seq,
            prev,
        )
    ):
        report.problems.append(
            f"entrada {min(head.seq, last_seq) + 1}: la cabeza de la cadena no coincide "
            "(entradas finales eliminadas)"
        )
    return report


def audit_act(
    session: Session,
    node: Node,
    principal: Principal | str,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one act of ``principal`` (a user, or a named actor such as 'consola')."""
    actor = principal if isinstance(principal, str) else principal.label
    append(
        session,
        key=node.key,
        node_id=node.node_id,
        actor=actor,
        action=action,
        target=target,
        detail=detail,
        checkpoint_every=node.settings.checkpoint_every,
    )


def count_entries(session: Session) -> int:
    """Number of entries in the log."""
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
