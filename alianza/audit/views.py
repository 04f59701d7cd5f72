"""Audit API: read the log (each agency its own entries, ``audit.policy``) and verify it."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from alianza.audit import service as audit
from alianza.audit.models import AuditEntry
from alianza.audit.service import audit_act
from alianza.auth.permissions import Action, authorize, visible
from alianza.web.deps import NodeDep, PrincipalDep, unit

router = APIRouter(prefix="/api/v1/audit", tags=["auditoría"])


class EntryRead(BaseModel):
    seq: int
    at: str
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    entry_hash: str


class VerifyRead(BaseModel):
    ok: bool
    entries: int
    checkpoints: int
    problems: list[str]
    head_signed_at: str  # when the node last signed its head (ISO UTC)


@router.get("", response_model=list[EntryRead], summary="Entradas del registro de auditoría")
def entries(
    node: NodeDep,
    principal: PrincipalDep,
    after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[EntryRead]:
    authorize(principal, Action.AUDIT)
    with unit(node) as session:
        rows = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.seq > after, visible(principal, Action.AUDIT, AuditEntry))
                .order_by(AuditEntry.seq)
                .limit(limit)
            )
        )
        result = [
            EntryRead(
                seq=r.seq,
                at=r.at,
                actor=r.actor,
                action=r.action,
                target=r.target,
                detail=json.loads(r.detail),
                entry_hash=r.entry_hash,
            )
            for r in rows
        ]
        audit_act(session, node, principal, "audit.read", "", {"after": after, "count": len(rows)})
        return result


@router.get("/verify", response_model=VerifyRead, summary="Verificar la cadena y las firmas")
def verify(node: NodeDep, principal: PrincipalDep) -> VerifyRead:
    authorize(principal, Action.AUDIT)
    with unit(node) as session:
        report = audit.verify_chain(
            session,
            public_key=node.key.public_hex,
            node_id=node.node_id,
            checkpoint_every=node.settings.checkpoint_every,
        )
        audit_act(session, node, principal, "audit.verify", "", {"ok": report.ok})
        return VerifyRead(
            ok=report.ok,
            entries=report.entries,
            checkpoints=report.checkpoints,
            problems=report.problems,
            head_signed_at=report.head_signed_at,
        )
