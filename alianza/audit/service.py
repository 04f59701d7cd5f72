"""Append to, checkpoint and verify the hash-chained audit log.

Each entry's hash covers its sequence number, time, actor, action, target, detail and the
previous entry's hash (Crosby & Wallach's hash chain). The node signs:

- the **head**, at every append (one signature per transaction) and on a timer, with the
  time of signing: entries added, edited or removed after the last signature, by anyone
  without the node's key, leave a head whose signature fails;
- a **checkpoint** (kept) at node creation, every ``checkpoint_every`` entries and on a
  timer (``checkpoint_if_due``); these are what partners witness at each sync.

``verify_chain`` requires node creation's entry and checkpoint, no gap of more than
``checkpoint_every`` entries between checkpoints (a deleted checkpoint), every signature,
and a head that matches the last entry; it names the first place that breaks. What it
cannot see alone (a rollback to a state that was once signed) is in the README's threat
model.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from alianza.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from alianza.node.keys import NodeKey, canonical, digest, verify

if TYPE_CHECKING:
    from alianza.auth.permissions import Principal
    from alianza.node.context import Node

GENESIS = "0" * 64
# Node creation writes ``node.init`` (entry 1) and ``node.key_created`` and signs them.
GENESIS_ACTION = "node.init"
GENESIS_SEQ = 2


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


def head_message(*, node_id: str, seq: int, entry_hash: str, signed_at: str) -> bytes:
    """The bytes the head's signature covers (never those of a checkpoint)."""
    return canonical(
        {"kind": "audit.head", "node": node_id, "seq": seq, "head": entry_hash, "at": signed_at}
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _head_values(*, key: NodeKey, node_id: str, seq: int, entry_hash: str) -> dict[str, Any]:
    signed_at = _now()
    message = head_message(node_id=node_id, seq=seq, entry_hash=entry_hash, signed_at=signed_at)
    return {"signed_at": signed_at, "signature": key.sign(message)}


def lock_head(session: Session) -> None:
    """Take the chain head's row lock before writing record versions.

    Writers then allocate version ids and commit in one order, so a peer's feed cursor can
    never pass a version that commits later (on PostgreSQL with several workers; SQLite
    writers are serial anyway and the dialect leaves out FOR UPDATE).
    """
    session.execute(select(AuditHead.id).where(AuditHead.id == 1).with_for_update())


def start_chain(session: Session) -> None:
    """Create the head row of an empty chain (node creation)."""
    session.add(
        AuditHead(id=1, seq=0, entry_hash=GENESIS, since_checkpoint=0, signed_at="", signature="")
    )
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
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(
            entry_hash=prev,
            since_checkpoint=pending,
            **_head_values(key=key, node_id=node_id, seq=last, entry_hash=prev),
        )
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
    seq, entry_hash = int(head[0]), str(head[1])
    cp = _sign_checkpoint(session, key=key, node_id=node_id, seq=seq, entry_hash=entry_hash)
    session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(**_head_values(key=key, node_id=node_id, seq=seq, entry_hash=entry_hash))
    )
    session.flush()
    return cp


def sign_head(session: Session, *, key: NodeKey, node_id: str) -> None:
    """Sign the current head again with the current time (the timer, when nothing moved)."""
    head = session.execute(
        select(AuditHead.seq, AuditHead.entry_hash).where(AuditHead.id == 1).with_for_update()
    ).one()
    session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(**_head_values(key=key, node_id=node_id, seq=int(head[0]), entry_hash=head[1]))
    )
    session.flush()


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def checkpoint_if_due(
    session: Session, node: Node, *, max_age: timedelta, now: datetime | None = None
) -> AuditCheckpoint | None:
    """The timer's job: a checkpoint if entries wait unsigned longer than ``max_age``.

    When nothing was appended, the head is only signed again (its ``signed_at`` is how a
    rollback to an older copy shows its age). Returns the new checkpoint, if any.
    """
    now = now or datetime.now(UTC)
    head = session.execute(
        select(AuditHead.seq, AuditHead.signed_at).where(AuditHead.id == 1).with_for_update()
    ).one()
    last = session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc(), AuditCheckpoint.id.desc())
    ).first()
    if last is None or (int(head[0]) > last.seq and now - _aware(last.at) >= max_age):
        return checkpoint(session, key=node.key, node_id=node.node_id)
    signed_at = _parse_time(str(head[1]))
    if signed_at is None or now - signed_at >= max_age:
        sign_head(session, key=node.key, node_id=node.node_id)
    return None


def _parse_time(text: str) -> datetime | None:
    try:
        return _aware(datetime.fromisoformat(text))
    except ValueError:
        return None


@dataclass(slots=True)
class ChainReport:
    """Result of a verification: entries and checkpoints checked, the first fault."""

    entries: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)
    # When the node last signed its head (ISO UTC): a restored older copy shows its age.
    head_signed_at: str = ""

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


def _walk(
    session: Session, report: ChainReport, wanted: set[int]
) -> tuple[int, str, dict[int, str]]:
    """Recompute the chain; the last good entry, its hash, and the hashes at ``wanted``."""
    prev, expected_seq = GENESIS, 1
    at_checkpoints: dict[int, str] = {}
    entries = _entries(session)
    for entry in entries:
        if entry.seq != expected_seq:
            report.problems.append(
                f"entrada {expected_seq}: falta o fue eliminada (la siguiente es {entry.seq})"
            )
            break
        if entry.seq == 1 and entry.action != GENESIS_ACTION:
            report.problems.append("entrada 1: no es la creación del nodo (node.init)")
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
        if entry.seq in wanted:
            at_checkpoints[entry.seq] = entry.entry_hash
        prev = entry.entry_hash
        expected_seq += 1
        report.entries += 1
    entries.close()
    return expected_seq - 1, prev, at_checkpoints


def verify_chain(
    session: Session,
    *,
    public_key: str,
    node_id: str,
    checkpoint_every: int = 100,
    max_head_age: timedelta | None = None,
) -> ChainReport:
    """Recompute the chain, check every signature and the checkpoint rhythm; the first break.

    ``checkpoint_every`` must be the node's setting (a smaller value than the one the log
    was written with reports gaps that are not there). ``max_head_age``, if given, also
    fails a head signed longer ago than that (a copy restored from before).
    """
    report = ChainReport()
    signed: list[tuple[int, str]] = []
    for cp in session.execute(
        select(AuditCheckpoint.seq, AuditCheckpoint.entry_hash, AuditCheckpoint.signature).order_by(
            AuditCheckpoint.seq, AuditCheckpoint.id
        )
    ):
        report.checkpoints += 1
        message = checkpoint_message(node_id=node_id, seq=cp.seq, entry_hash=cp.entry_hash)
        if verify(public_key, message, cp.signature):
            signed.append((cp.seq, cp.entry_hash))
        else:
            report.problems.append(f"punto de control en {cp.seq}: firma inválida")
    last_seq, last_hash, chain_at = _walk(session, report, {seq for seq, _ in signed})
    intact = not report.problems
    if report.entries == 0 and intact:
        report.problems.append(
            "entrada 1: falta: el registro está vacío (la creación del nodo es obligatoria)"
        )
        return report
    good: list[int] = []
    for seq, entry_hash in signed:
        if seq > last_seq:
            if intact:
                report.problems.append(
                    f"entrada {last_seq + 1}: falta (el punto de control firmado llega a {seq})"
                )
        elif chain_at.get(seq) != entry_hash:
            report.problems.append(f"entrada {seq}: difiere de la firmada en el punto de control")
        else:
            good.append(seq)
    if report.problems:
        return report
    _check_rhythm(report, good=good, last_seq=last_seq, every=checkpoint_every)
    _check_head(
        session,
        report,
        public_key=public_key,
        node_id=node_id,
        last=(last_seq, last_hash),
        max_age=max_head_age,
    )
    return report


def _check_rhythm(report: ChainReport, *, good: list[int], last_seq: int, every: int) -> None:
    """Node creation's checkpoint, then one at least every ``every`` entries."""
    if not good or good[0] > GENESIS_SEQ:
        report.problems.append(
            f"entrada {GENESIS_SEQ}: falta el punto de control firmado de la creación del nodo"
        )
        return
    prev = good[0]
    for seq in [*good[1:], None]:
        end = last_seq if seq is None else seq
        # After the last checkpoint fewer than ``every`` entries may wait (the next append
        # signs one); between two checkpoints at most ``every``.
        if end - prev > every or (seq is None and end - prev >= every):
            report.problems.append(
                f"entrada {prev + every}: falta su punto de control firmado (se firma uno "
                f"cada {every} entradas; entre {prev} y {end} no hay ninguno)"
            )
            return
        if seq is not None:
            prev = seq


def _check_head(
    session: Session,
    report: ChainReport,
    *,
    public_key: str,
    node_id: str,
    last: tuple[int, str],
    max_age: timedelta | None,
) -> None:
    head = session.get(AuditHead, 1)
    last_seq, last_hash = last
    if head is None:
        report.problems.append("la cabeza de la cadena falta (fila borrada)")
        return
    report.head_signed_at = head.signed_at
    if (head.seq, head.entry_hash) != (last_seq, last_hash):
        report.problems.append(
            f"entrada {min(head.seq, last_seq) + 1}: la cabeza de la cadena no coincide "
            "(entradas finales añadidas o eliminadas)"
        )
        return
    if not head.signature:
        report.problems.append(
            "la cabeza de la cadena no está firmada ('alianza audit checkpoint' la firma)"
        )
        return
    message = head_message(
        node_id=node_id, seq=head.seq, entry_hash=head.entry_hash, signed_at=head.signed_at
    )
    if not verify(public_key, message, head.signature):
        report.problems.append(
            f"entrada {head.seq}: la firma de la cabeza no es válida (entradas añadidas, "
            "editadas o eliminadas después de la última firma del nodo)"
        )
        return
    signed_at = _parse_time(head.signed_at)
    if max_age is not None and (signed_at is None or datetime.now(UTC) - signed_at > max_age):
        report.problems.append(
            f"la cabeza se firmó por última vez el {head.signed_at}: más antigua que lo "
            "admitido (¿una copia anterior restaurada?)"
        )


def audit_act(
    session: Session,
    node: Node,
    principal: Principal,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one act of ``principal`` (a user, a partner node, or the node itself)."""
    actor = principal.label
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
