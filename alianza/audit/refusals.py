"""Refused messages nobody can be held to: counted per hour, one audit entry per hour.

A refusal goes into the chain as an entry of its own only when the message was signed by
the registered peer it names (the peer answers for it). An unsigned envelope, a wrong
signature or an unknown sender could come from anyone: one entry each would let an
outsider fill the log (and the disk, and the checkpoints), so they are counted per hour,
claimed peer and HTTP status, and each closed hour becomes one entry
(``exchange.refused_unverified``) when the node's timer folds it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alianza.audit.models import RefusalCount
from alianza.audit.service import append

if TYPE_CHECKING:
    from alianza.node.context import Node

FOLDED_ACTION = "exchange.refused_unverified"


def _window(now: datetime) -> str:
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0).isoformat()


def count_refusal(session: Session, *, peer: str, status: int, now: datetime | None = None) -> None:
    """Count one refused, unverified message (``peer``: the registered peer it named, or '')."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(RefusalCount).values(
        window=_window(now or datetime.now(UTC)), sender=peer[:64], status=status, count=1
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[RefusalCount.window, RefusalCount.sender, RefusalCount.status],
            set_={"count": RefusalCount.count + 1},
        )
    )


def pending(session: Session) -> dict[tuple[str, str, int], int]:
    """Counts not yet folded into the log: (hour, peer, status) -> refused messages."""
    rows = session.execute(
        select(RefusalCount.window, RefusalCount.sender, RefusalCount.status, RefusalCount.count)
    )
    return {(str(r[0]), str(r[1]), int(r[2])): int(r[3]) for r in rows}


def fold_refusals(session: Session, node: Node, *, now: datetime | None = None) -> int:
    """Write one audit entry per closed hour of counts and drop those rows; entries written."""
    current = _window(now or datetime.now(UTC))
    rows = list(
        session.scalars(
            select(RefusalCount)
            .where(RefusalCount.window < current)
            .order_by(RefusalCount.window, RefusalCount.sender, RefusalCount.status)
            .with_for_update()
        )
    )
    by_window: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_window.setdefault(row.window, []).append(
            {"peer": row.sender or "desconocido", "status": row.status, "count": row.count}
        )
    for window, counts in by_window.items():
        append(
            session,
            key=node.key,
            node_id=node.node_id,
            actor=node.system.label,
            action=FOLDED_ACTION,
            target=window,
            detail={"hour": window, "total": sum(c["count"] for c in counts), "counts": counts},
            checkpoint_every=node.settings.checkpoint_every,
        )
    if by_window:
        session.execute(delete(RefusalCount).where(RefusalCount.window < current))
        session.flush()
    return len(by_window)
