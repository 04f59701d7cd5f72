"""Exchange API: the signed node-to-node endpoint, and the routes people use to federate."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from alianza.audit import service as audit
from alianza.audit.service import audit_act
from alianza.auth.permissions import Action, Principal, authorize
from alianza.errors import AlianzaError
from alianza.exchange import feed, handlers, release, service
from alianza.exchange.desk import QueryDesk, ReplayRefused
from alianza.exchange.hits import RateLimiter
from alianza.exchange.models import ConsentRequest, Peer, ReleaseRequest
from alianza.node.context import Node
from alianza.web.deps import NodeDep, PrincipalDep, unit
from alianza.web.errors import problem_response

router = APIRouter(tags=["intercambio"])
log = logging.getLogger("alianza.exchange")


@router.post("/api/v1/exchange", summary="Mensaje firmado de un nodo asociado")
async def exchange(request: Request, node: NodeDep, message: Annotated[Any, Body()]) -> Response:
    envelope = message.get("envelope") if isinstance(message, dict) else None
    sender = str(envelope.get("sender", "?")) if isinstance(envelope, dict) else "?"
    kind = str(envelope.get("type", "?")) if isinstance(envelope, dict) else "?"
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
        await run_in_threadpool(_audit_refusal, node, sender, kind, exc)
        return problem_response(exc)


def _handle(node: Node, message: Any, limiter: RateLimiter) -> dict[str, Any]:
    with unit(node) as session:
        return handlers.handle(session, node=node, message=message, limiter=limiter)


def _audit_refusal(node: Node, sender: str, kind: str, exc: AlianzaError) -> None:
    # Into the audit chain (its own transaction: the refused one rolled back) only when
    # the claimed sender is a registered peer: strangers must not be able to fill it.
    with unit(node) as session:
        if session.scalar(select(Peer.id).where(Peer.node_id == sender)) is not None:
            audit.append(
                session,
                key=node.key,
                node_id=node.node_id,
                actor=f"nodo:{sender}"[:120],
                action="exchange.refused",
                target=kind[:200],
                detail={"reason": exc.message[:500], "status": exc.http_status},
                checkpoint_every=node.settings.checkpoint_every,
            )


class PeerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    node_id: str = Field(min_length=3, max_length=64)
    country: str
    agency: str = Field(min_length=1, max_length=80)
    url: str
    public_key: str


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


@router.get("/api/v1/peers", response_model=list[PeerRead], summary="Nodos asociados")
def list_peers(node: NodeDep, principal: PrincipalDep) -> list[PeerRead]:
    authorize(principal, Action.FEDERATE)
    with unit(node) as session:
        return [_peer(p) for p in session.scalars(select(Peer).order_by(Peer.node_id))]


@router.post("/api/v1/peers", response_model=PeerRead, status_code=201, summary="Registrar nodo")
def add_peer(body: PeerIn, node: NodeDep, principal: PrincipalDep) -> PeerRead:
    with unit(node) as session:
        return _peer(service.add_peer(session, node=node, actor=principal, **body.model_dump()))


@router.get("/api/v1/peers/pending-receipts", summary="Eliminaciones sin acuse de recibo")
def pending_receipts(node: NodeDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    authorize(principal, Action.FEDERATE)
    with unit(node) as session:
        return feed.pending_acknowledgements(session, node=node)


@router.post("/api/v1/sync", summary="Sincronizar con los nodos asociados")
def sync(node: NodeDep, principal: PrincipalDep, peer: str | None = None) -> list[dict[str, Any]]:
    authorize(principal, Action.FEDERATE)
    reports = service.sync_all(node, only=peer)
    return [
        {
            "peer": r.peer,
            "pages": r.pages,
            "received": r.received,
            "deletions": r.deletions,
            "answers": r.answers,
            "witnessed": r.witnessed,
            "error": r.error,
        }
        for r in reports
    ]


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="person, document, vehicle, container, vessel")
    values: dict[str, str]
    purpose: str = Field(description="crime_prevention, investigation, border_control, ...")
    peer: str | None = None


@router.post("/api/v1/queries", summary="Consulta hit/no-hit a los nodos asociados")
def query(body: QueryIn, node: NodeDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    return service.query_peers(
        node,
        principal=principal,
        kind=body.kind,
        values=body.values,
        purpose=body.purpose,
        only=body.peer,
    )


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    peer: str
    ref: str
    kind: str = ""
    purpose: str = Field(min_length=3, max_length=200)
    legal_basis: str = Field(min_length=3, max_length=300)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    remove_fields: list[str] = Field(default_factory=list)
    reason: str = ""


def release_view(row: ReleaseRequest, now: datetime | None = None) -> dict[str, Any]:
    """A release request as shown to people, with its 48-hour clock."""
    import json

    answer = json.loads(row.answer)["payload"] if row.answer else None
    return {
        "request_id": row.request_id,
        "direction": row.direction,
        "peer": row.peer_node,
        "kind": row.kind,
        "purpose": row.purpose,
        "legal_basis": row.legal_basis,
        "requested_by": row.requested_by,
        "requested_at": row.requested_at.isoformat(),
        "due_at": row.due_at.isoformat(),
        "hours_left": round(release.hours_left(row, now), 1),
        "overdue": release.is_overdue(row, now),
        "status": row.status,
        "decided_by": row.decided_by,
        "reason": row.reason,
        "removed_fields": [f for f in row.removed_fields.split(",") if f],
        "data": answer.get("data") if answer and row.direction == "out" else None,
        "handling_code": answer.get("handling_code") if answer else None,
    }


@router.get("/api/v1/releases", summary="Solicitudes de entrega (reloj de 48 horas)")
def list_releases(
    node: NodeDep, principal: PrincipalDep, overdue: Annotated[bool, Query()] = False
) -> list[dict[str, Any]]:
    authorize(principal, Action.QUERY_PEERS)
    now = datetime.now(UTC)
    with unit(node) as session:
        rows = session.scalars(select(ReleaseRequest).order_by(ReleaseRequest.requested_at))
        shown = [release_view(r, now) for r in release.visible_releases(rows, principal)]
        if overdue:
            shown = [s for s in shown if s["overdue"]]
        audit_act(
            session,
            node,
            principal,
            "release.list",
            "",
            {"requests": [s["request_id"] for s in shown]},
        )
    return shown


@router.post("/api/v1/releases", status_code=201, summary="Pedir la entrega de un HIT")
def request_release(body: ReleaseIn, node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    row = service.request_release(
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
) -> dict[str, Any]:
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


@router.post("/api/v1/releases/{request_id}/approve", summary="Aprobar (con campos quitados)")
def approve_release(
    request_id: str, body: DecisionIn, node: NodeDep, principal: PrincipalDep
) -> dict[str, Any]:
    return _decide(request_id, body, node, principal, approve=True)


@router.post("/api/v1/releases/{request_id}/refuse", summary="Negar con motivo")
def refuse_release(
    request_id: str, body: DecisionIn, node: NodeDep, principal: PrincipalDep
) -> dict[str, Any]:
    return _decide(request_id, body, node, principal, approve=False)


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record_id: str
    third_country: str
    purpose: str = Field(min_length=3, max_length=200)


def consent_view(row: ConsentRequest) -> dict[str, Any]:
    """A consent request as shown to people."""
    return {
        "request_id": row.request_id,
        "direction": row.direction,
        "peer": row.peer_node,
        "record_id": row.record_id,
        "third_country": row.third_country,
        "purpose": row.purpose,
        "status": row.status,
        "decided_by": row.decided_by,
        "reason": row.reason,
    }


@router.post("/api/v1/consents", status_code=201, summary="Pedir consentimiento para compartir")
def request_consent(body: ConsentIn, node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    row = service.request_consent(
        node,
        principal=principal,
        record_id=body.record_id,
        third_country=body.third_country,
        purpose=body.purpose,
    )
    return consent_view(row)


@router.get("/api/v1/consents", summary="Solicitudes de consentimiento")
def list_consents(node: NodeDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    authorize(principal, Action.QUERY_PEERS)
    with unit(node) as session:
        return [consent_view(r) for r in session.scalars(select(ConsentRequest))]


@router.post("/api/v1/consents/{request_id}/{decision}", summary="Aprobar o negar")
def decide_consent(
    request_id: str, decision: str, body: DecisionIn, node: NodeDep, principal: PrincipalDep
) -> dict[str, Any]:
    if decision not in ("approve", "refuse"):
        from alianza.errors import InputError

        raise InputError.at("decision", "use approve o refuse")
    with unit(node) as session:
        row = release.decide_consent(
            session,
            node=node,
            principal=principal,
            request_id=request_id,
            approve=decision == "approve",
            reason=body.reason,
        )
        return consent_view(row)
