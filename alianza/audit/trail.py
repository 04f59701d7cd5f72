"""Who touched one thing: the audit entries that name it, for the people who audit.

A record's trail is every entry whose target is the record or whose detail lists it (a
search or a screening that returned it, a release of it), newest first, limited by the
audit rule (``audit.policy``: each agency its own users' entries). Reading a trail is
itself audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alianza.audit.models import AuditEntry
from alianza.audit.service import audit_act
from alianza.auth.permissions import Action, Principal, authorize, visible
from alianza.errors import InputError
from alianza.node.context import Node

MAX_TRAIL = 500


@dataclass(slots=True)
class TrailEntry:
    """One act on the thing: when, who, what."""

    seq: int
    at: str
    actor: str
    action: str
    detail: dict[str, Any]


def trail(
    session: Session, *, node: Node, principal: Principal, target: str, limit: int = 200
) -> list[TrailEntry]:
    """The entries the principal may audit that name ``target``, newest first."""
    authorize(principal, Action.AUDIT)
    if not target or len(target) > 200:
        raise InputError.at("target", "indique qué buscar (hasta 200 caracteres)")
    if not 1 <= limit <= MAX_TRAIL:
        raise InputError.at("limit", f"debe estar entre 1 y {MAX_TRAIL}")
    named = or_(
        AuditEntry.target == target,
        AuditEntry.detail.contains(json.dumps(target), autoescape=True),
    )
    rows = session.scalars(
        select(AuditEntry)
        .where(named, visible(principal, Action.AUDIT, AuditEntry))
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )
    found = [
        TrailEntry(seq=r.seq, at=r.at, actor=r.actor, action=r.action, detail=json.loads(r.detail))
        for r in rows
    ]
    audit_act(session, node, principal, "audit.trail", target, {"count": len(found)})
    return found


def acts(
    session: Session, *, node: Node, principal: Principal, action: str, limit: int = 100
) -> list[TrailEntry]:
    """The entries of one kind of act (``exchange.query_received``: partners' hit/no-hit
    queries) that the principal may audit, newest first; reading them is audited."""
    authorize(principal, Action.AUDIT)
    if not action or len(action) > 100:
        raise InputError.at("action", "indique el acto (hasta 100 caracteres)")
    if not 1 <= limit <= MAX_TRAIL:
        raise InputError.at("limit", f"debe estar entre 1 y {MAX_TRAIL}")
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == action, visible(principal, Action.AUDIT, AuditEntry))
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )
    found = [
        TrailEntry(seq=r.seq, at=r.at, actor=r.actor, action=r.action, detail=json.loads(r.detail))
        for r in rows
    ]
    audit_act(session, node, principal, "audit.acts", action, {"count": len(found)})
    return found
