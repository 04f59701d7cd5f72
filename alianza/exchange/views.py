"""Exchange API: the signed node-to-node endpoint, and the routes people use to federate."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from alianza.audit import service as audit
from alianza.auth.permissions import Action, Principal
from alianza.codes.text import safe
from alianza.errors import AlianzaError
from alianza.exchange import flows, handlers, pull, release, service
from alianza.exchange.desk import QueryDesk, ReplayRefused
from alianza.exchange.hits import RateLimiter
from alianza.exchange.models import ConsentRequest, Peer, ReleaseRequest
from alianza.node.context import Node
from alianza.web.deps import NodeDep, require, unit
from alianza.web.errors import problem_response

router = APIRouter(tags=["intercambio"])

Federator = Annotated[Principal, require(Action.FEDERATE)]
Syncer = Annotated[Principal, require(Action.SYNC)]
Asker = Annotated[Principal, require(Action.QUERY_PEERS)]
Releaser = Annotated[Principal, require(Action.RELEASE)]
log = logging.getLogger("alianza.exchange")


@router.post("/api/v1/exchange", summary="Mensaje firmado de un nodo asociado")
async def exchange(request: Request, node: NodeDep, message: Annotated[Any, Body()]) -> Response:
    envelope = message.get("envelope") if isinstance(message, dict) else None
    # Unchecked yet (logged and audited before the envelope is parsed): made printable.
    sender = safe(str(envelope.get("sender", "?")))[:64] if isinstance(envelope, dict) else "?"
    kind = safe(str(envelope.get("type", "?")))[:64] if isinstance(envelope, dict) else "?"
    desk: QueryDesk = request.app.state.desk
    try:
        if kind == "query.hit":
            try:
                reply = await desk.answer(message)
            except ReplayRefused as exc:
                # Found at commit: the desk wrote the refusal to the audit log already.
                log.warning("mensaje rechazado de %s (%s): %s", sender[:64], kind, exc.message)
                return problem_response(exc)
        else:
            reply = await run_in_threadpool(_handle, node, message, request.app.state.limiter)
        return Response(orjson.dumps(reply), media_type="application/json")
    except AlianzaError as exc:
        log.warning("mensaje rechazado de %s (%s): %s", sender[:64], kind[:60], exc.message)
        await run_in_threadpool(_audit_refusal, node, sender, kind, exc, message)
        return problem_response(exc)


def _handle(node: Node, message: Any, limiter: RateLimiter) -> dict[str, Any]:
    with unit(node) as session:
        return handlers.handle(session, node=node, message=message, limiter=limiter)


def _audit_refusal(
    node: Node, sender: str, kind: str, exc: AlianzaError, message: Any = None
) -> None:
    # Its own transaction: the refused one rolled back. An entry of its own only when the
    # registered peer it names signed the message (it answers for it); anything anyone
    # could have sent is counted per hour instead, so outsiders cannot fill the chain
    # (audit.refusals; the process log above keeps every line).
    from alianza.audit.refusals import count_refusal
    from alianza.exchange.envelope import check_signature

    with unit(node) as session:
        peer = session.scalar(select(Peer).where(Peer.node_id == sender))
        try:
            signed = peer is not None and bool(check_signature(message, peer=peer))
        except AlianzaError:
            signed = False
        if peer is None or not signed:
            count_refusal(session, peer=peer.node_id if peer else "", status=exc.http_status)
            return
        audit.audit_act(
            session,
            node,
            Principal.peer(node_id=peer.node_id, country=peer.country, agency=peer.agency),
            "exchange.refused",
            kind[:200],
            {"reason": exc.message[:500], "status": exc.http_status},
        )


class PeerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    node_id: str = Field(min_length=3, max_length=64)
    country: str = Field(min_length=2, max_length=2)
    agency: str = Field(min_length=1, max_length=80)
    url: str = Field(min_length=8, max_length=300)
    public_key: str = Field(min_length=64, max_length=64)


class PeerRead(BaseModel):
    node_id: str
    country: str
    agency: str
    url: str
    public_key: str
    active: bool
    last_sync_at: datetime | None
    last_error: str


def _peer(p: Peer) -> PeerRead:
    return PeerRead(
        node_id=p.node_id,
        country=p.country,
        agency=p.agency,
        url=p.url,
        public_key=p.public_key,
        active=p.active,
        last_sync_at=p.last_sync_at,
        last_error=p.last_error,
    )


class PendingReceipt(BaseModel):
    peer: str
    record_id: str
    version: int
    kind: str  # tombstone or retraction


class SyncRead(BaseModel):
    peer: str
    pages: int
    received: int
    deletions: int
    answers: int
    witnessed: bool
    refused: int
    error: str


class HitRead(BaseModel):
    ref: str
    kind: str


class QueryResultRead(BaseModel):
    peer: str
    country: str
    agency: str
    result: str
    hits: list[HitRead]
    error: str = ""


@router.get("/api/v1/peers", response_model=list[PeerRead], summary="Nodos asociados")
def list_peers(node: NodeDep, principal: Federator) -> list[PeerRead]:
    with unit(node) as session:
        return [_peer(p) for p in service.list_peers(session, node=node, principal=principal)]


@router.post("/api/v1/peers", response_model=PeerRead, status_code=201, summary="Registrar nodo")
def add_peer(body: PeerIn, node: NodeDep, principal: Federator) -> PeerRead:
    with unit(node) as session:
        return _peer(service.add_peer(session, node=node, actor=principal, **body.model_dump()))


@router.get(
    "/api/v1/peers/pending-receipts",
    response_model=list[PendingReceipt],
    summary="Eliminaciones sin acuse de recibo",
)
def pending_receipts(node: NodeDep, principal: Syncer) -> list[PendingReceipt]:
    with unit(node) as session:
        rows = pull.pending_acknowledgements(session, node=node)
    return [PendingReceipt.model_validate(r) for r in rows]


@router.post("/api/v1/sync", response_model=list[SyncRead], summary="Sincronizar con los nodos")
def sync(
    node: NodeDep,
    principal: Syncer,
    peer: Annotated[str | None, Query(max_length=64)] = None,
) -> list[SyncRead]:
    reports = flows.sync_all(node, principal=principal, only=peer)
    return [
        SyncRead(
            peer=r.peer,
            pages=r.pages,
            received=r.received,
            deletions=r.deletions,
            answers=r.answers,
            witnessed=r.witnessed,
            refused=r.refused,
            error=r.error,
        )
        for r in reports
    ]


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="person, document, vehicle, container, vessel", max_length=20)
    values: dict[str, str] = Field(max_length=8)
    purpose: str = Field(
        description="crime_prevention, investigation, border_control, ...", max_length=40
    )
    peer: str | None = Field(default=None, max_length=64)


@router.post(
    "/api/v1/queries",
    response_model=list[QueryResultRead],
    summary="Consulta hit/no-hit a los nodos asociados",
)
def query(body: QueryIn, node: NodeDep, principal: Asker) -> list[QueryResultRead]:
    results = flows.query_peers(
        node,
        principal=principal,
        kind=body.kind,
        values=body.values,
        purpose=body.purpose,
        only=body.peer,
    )
    return [QueryResultRead.model_validate(r) for r in results]


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    peer: str = Field(max_length=64)
    ref: str = Field(min_length=8, max_length=64)
    kind: str = Field(description="el tipo que dio la respuesta HIT", max_length=20)
    purpose: str = Field(min_length=3, max_length=200)
    legal_basis: str = Field(min_length=3, max_length=300)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    remove_fields: list[str] = Field(default_factory=list, max_length=100)
    reason: str = Field(default="", max_length=500)


class ReleaseRead(BaseModel):
    request_id: str
    direction: str
    peer: str
    kind: str
    purpose: str
    legal_basis: str
    requested_by: str
    requested_at: datetime
    due_at: datetime
    hours_left: float
    overdue: bool
    status: str
    decided_by: str
    reason: str
    removed_fields: list[str]
    # The released fields, on the asking side, once approved (gone once retracted/expired).
    data: dict[str, Any] | None
    handling_code: str | None
    # The owner's rules that travel with a released copy (asking side).
    owner_rules: dict[str, Any] | None = None


def release_view(row: ReleaseRequest, now: datetime | None = None) -> ReleaseRead:
    """A release request as shown to people, with its 48-hour clock."""
    answer = release.answer_payload(row)
    return ReleaseRead(
        request_id=row.request_id,
        direction=row.direction,
        peer=row.peer_node,
        kind=row.kind,
        purpose=row.purpose,
        legal_basis=row.legal_basis,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        due_at=row.due_at,
        hours_left=round(release.hours_left(row, now), 1),
        overdue=release.is_overdue(row, now),
        status=row.status,
        decided_by=row.decided_by,
        reason=row.reason,
        removed_fields=[f for f in row.removed_fields.split(",") if f],
        data=answer.get("data") if answer and row.direction == "out" else None,
        handling_code=answer.get("handling_code") if answer else None,
        owner_rules=release.owner_rules(answer) if answer and row.direction == "out" else None,
    )


@router.get(
    "/api/v1/releases",
    response_model=list[ReleaseRead],
    summary="Solicitudes de entrega (reloj de 48 horas)",
)
def list_releases(
    node: NodeDep, principal: Asker, overdue: Annotated[bool, Query()] = False
) -> list[ReleaseRead]:
    now = datetime.now(UTC)
    with unit(node) as session:
        rows = release.list_releases(session, node=node, principal=principal, overdue=overdue)
        return [release_view(r, now) for r in rows]


@router.post(
    "/api/v1/releases",
    response_model=ReleaseRead,
    status_code=201,
    summary="Pedir la entrega de un HIT",
)
def request_release(body: ReleaseIn, node: NodeDep, principal: Asker) -> ReleaseRead:
    row = flows.request_release(
        node,
        principal=principal,
        peer_node=body.peer,
        ref=body.ref,
        kind=body.kind,
        purpose=body.purpose,
        legal_basis=body.legal_basis,
    )
    return release_view(row)


def _decide(
    request_id: str, body: DecisionIn, node: Node, principal: Principal, *, approve: bool
) -> ReleaseRead:
    with unit(node) as session:
        row = release.decide_release(
            session,
            node=node,
            principal=principal,
            request_id=request_id,
            approve=approve,
            remove_fields=body.remove_fields,
            reason=body.reason,
        )
        return release_view(row)


@router.post(
    "/api/v1/releases/{request_id}/approve",
    response_model=ReleaseRead,
    summary="Aprobar (con campos quitados)",
)
def approve_release(
    request_id: Annotated[str, Path(max_length=36)],
    body: DecisionIn,
    node: NodeDep,
    principal: Releaser,
) -> ReleaseRead:
    return _decide(request_id, body, node, principal, approve=True)


@router.post(
    "/api/v1/releases/{request_id}/refuse", response_model=ReleaseRead, summary="Negar con motivo"
)
def refuse_release(
    request_id: Annotated[str, Path(max_length=36)],
    body: DecisionIn,
    node: NodeDep,
    principal: Releaser,
) -> ReleaseRead:
    return _decide(request_id, body, node, principal, approve=False)


class RetractIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=500)


@router.post(
    "/api/v1/releases/{request_id}/retract",
    response_model=ReleaseRead,
    summary="Retirar una entrega aprobada (el otro nodo borra su copia y firma un recibo)",
)
def retract_release(
    request_id: Annotated[str, Path(max_length=36)],
    body: RetractIn,
    node: NodeDep,
    principal: Releaser,
) -> ReleaseRead:
    with unit(node) as session:
        row = release.retract_release(
            session, node=node, principal=principal, request_id=request_id, reason=body.reason
        )
        return release_view(row)


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record_id: str = Field(max_length=36)
    third_country: str = Field(max_length=2)
    purpose: str = Field(min_length=3, max_length=200)


class ConsentRead(BaseModel):
    request_id: str
    direction: str
    peer: str
    record_id: str
    third_country: str
    purpose: str
    status: str
    decided_by: str
    reason: str


def consent_view(row: ConsentRequest) -> ConsentRead:
    """A consent request as shown to people."""
    return ConsentRead(
        request_id=row.request_id,
        direction=row.direction,
        peer=row.peer_node,
        record_id=row.record_id,
        third_country=row.third_country,
        purpose=row.purpose,
        status=row.status,
        decided_by=row.decided_by,
        reason=row.reason,
    )


@router.post(
    "/api/v1/consents",
    response_model=ConsentRead,
    status_code=201,
    summary="Pedir consentimiento para compartir",
)
def request_consent(body: ConsentIn, node: NodeDep, principal: Asker) -> ConsentRead:
    row = flows.request_consent(
        node,
        principal=principal,
        record_id=body.record_id,
        third_country=body.third_country,
        purpose=body.purpose,
    )
    return consent_view(row)


@router.get(
    "/api/v1/consents", response_model=list[ConsentRead], summary="Solicitudes de consentimiento"
)
def list_consents(node: NodeDep, principal: Asker) -> list[ConsentRead]:
    with unit(node) as session:
        rows = release.list_consents(session, node=node, principal=principal)
        return [consent_view(r) for r in rows]


class Decision(StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"


@router.post(
    "/api/v1/consents/{request_id}/{decision}",
    response_model=ConsentRead,
    summary="Aprobar o negar",
)
def decide_consent(
    request_id: Annotated[str, Path(max_length=36)],
    decision: Decision,
    body: DecisionIn,
    node: NodeDep,
    principal: Releaser,
) -> ConsentRead:
    with unit(node) as session:
        row = release.decide_consent(
            session,
            node=node,
            principal=principal,
            request_id=request_id,
            approve=decision is Decision.APPROVE,
            reason=body.reason,
        )
        return consent_view(row)
