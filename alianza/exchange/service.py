"""Federation services: peers, sync, queries to partners, release and consent requests.

Network calls never happen inside a database transaction: each step opens its own short
transaction, so a slow or dead peer holds no lock and blocks no other peer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from sqlalchemy import select
from sqlalchemy.orm import Session

from alianza.audit import service as audit
from alianza.audit.models import AuditHead
from alianza.audit.service import audit_act
from alianza.auth.permissions import Action, Principal, authorize
from alianza.db import transaction
from alianza.errors import AlianzaError, Conflict, InputError, NotFound, PeerError
from alianza.exchange import client, feed, release, witness
from alianza.exchange.hits import parse_query
from alianza.exchange.models import ConsentRequest, Peer, PendingAck, ReleaseRequest
from alianza.node.context import Node
from alianza.records.countries import normalize_country
from alianza.records.models import Record


def get_peer(session: Session, node_id: str) -> Peer:
    """A registered peer, or ``NotFound``."""
    peer = session.scalar(select(Peer).where(Peer.node_id == node_id))
    if peer is None:
        raise NotFound(f"No hay un nodo asociado '{node_id}': 'alianza peer add' primero.")
    return peer


def add_peer(
    session: Session,
    *,
    node: Node,
    actor: Principal | str,
    node_id: str,
    country: str,
    agency: str,
    url: str,
    public_key: str,
) -> Peer:
    """Register a partner node (its key comes from the partner, out of band)."""
    if isinstance(actor, Principal):
        authorize(actor, Action.FEDERATE)
    if not url.startswith(("http://", "https://")):
        raise InputError.at("url", f"URL inválida '{url}' (http:// o https://)")
    try:
        key_bytes = bytes.fromhex(public_key)
    except ValueError:
        key_bytes = b""
    if len(key_bytes) != 32:
        raise InputError.at("public_key", "clave pública Ed25519 inválida (64 caracteres hex)")
    try:
        the_country = normalize_country(country)
    except ValueError as exc:
        raise InputError.at("country", str(exc)) from None
    if node_id == node.node_id:
        raise InputError.at("node_id", "un nodo no puede ser su propio asociado")
    if session.scalar(select(Peer).where(Peer.node_id == node_id)) is not None:
        raise Conflict(f"El nodo {node_id} ya está registrado.")
    peer = Peer(
        node_id=node_id,
        country=the_country,
        agency=agency.strip(),
        url=url.rstrip("/"),
        public_key=public_key.lower(),
        added_at=datetime.now(UTC),
        active=True,
        pull_cursor=0,
        served_cursor=0,
        last_error="",
    )
    session.add(peer)
    session.flush()
    audit_act(
        session,
        node,
        actor,
        "peer.add",
        node_id,
        {"country": the_country, "agency": agency, "url": url, "public_key": public_key},
    )
    return peer


def discover(url: str, *, timeout: float = 10.0) -> dict[str, Any]:
    """A node's public identity from its ``/api/v1/node`` page (checked against its key later)."""
    try:
        response = httpx2.get(url.rstrip("/") + "/api/v1/node", timeout=timeout)
        info = response.json()
    except (httpx2.HTTPError, ValueError) as exc:
        raise PeerError(f"No se pudo leer la identidad de {url}: {exc}") from None
    if not isinstance(info, dict) or not {"node_id", "country", "agency", "public_key"} <= set(
        info
    ):
        raise PeerError(f"{url} no parece un nodo alianza.")
    return info


@dataclass(slots=True)
class SyncReport:
    """What one sync with one peer did."""

    peer: str
    pages: int = 0
    received: int = 0
    deletions: int = 0
    answers: int = 0
    witnessed: bool = False
    error: str = ""


def _peer_snapshot(node: Node, node_id: str) -> Peer:
    with node.sessions() as session:
        peer = get_peer(session, node_id)
        session.expunge(peer)
        return peer


def sync_peer(
    node: Node, node_id: str, *, http: httpx2.Client | None = None, max_pages: int | None = None
) -> SyncReport:
    """Pull every change a peer has for us, then fetch answers and exchange witnesses."""
    report = SyncReport(peer=node_id)
    try:
        _pull(node, node_id, report, http=http, max_pages=max_pages)
        _poll_answers(node, node_id, report, http=http)
        _witness(node, node_id, report, http=http)
        error = ""
    except AlianzaError as exc:
        error = exc.message
        report.error = error
    except (ValueError, KeyError, TypeError) as exc:  # a peer's answer we cannot read
        error = f"respuesta ilegible de {node_id} ({type(exc).__name__})"
        report.error = error
    with transaction(node.sessions) as session:
        peer = get_peer(session, node_id)
        peer.last_sync_at, peer.last_error = datetime.now(UTC), error[:500]
        audit_act(
            session,
            node,
            "sync",
            "exchange.sync",
            node_id,
            {
                "received": report.received,
                "deletions": report.deletions,
                "answers": report.answers,
                "error": error,
            },
        )
    return report


def _pull(
    node: Node,
    node_id: str,
    report: SyncReport,
    *,
    http: httpx2.Client | None,
    max_pages: int | None,
) -> None:
    while max_pages is None or report.pages < max_pages:
        peer = _peer_snapshot(node, node_id)
        with node.sessions() as session:
            acks = [
                {"record_id": a.record_id, "version": a.version}
                for a in session.scalars(select(PendingAck).where(PendingAck.peer_node == node_id))
            ]
        answer = client.send(
            node,
            peer,
            type="sync.pull",
            body={"cursor": peer.pull_cursor, "limit": node.settings.sync_page, "acks": acks},
            client=http,
            timeout=node.settings.peer_timeout,
        )
        with transaction(node.sessions) as session:
            # Locked: two syncs with the same peer (two workers, API and CLI) take turns.
            live = session.scalar(select(Peer).where(Peer.node_id == node_id).with_for_update())
            if live is None:
                raise NotFound(f"No hay un nodo asociado '{node_id}'.")
            if live.pull_cursor != peer.pull_cursor:
                continue  # another sync moved on meanwhile: ask again from its cursor
            sent = {(a["record_id"], a["version"]) for a in acks}
            if sent:
                for row in session.scalars(
                    select(PendingAck).where(PendingAck.peer_node == node_id)
                ):
                    if (row.record_id, row.version) in sent:
                        session.delete(row)
            new_acks = feed.apply_changes(session, node=node, peer=live, page=answer.body)
            for ack in new_acks:
                session.merge(
                    PendingAck(
                        peer_node=node_id, record_id=ack["record_id"], version=ack["version"]
                    )
                )
            received = len(answer.body["entries"])
            if received:
                audit_act(
                    session,
                    node,
                    f"nodo:{node_id}",
                    "exchange.sync_page",
                    node_id,
                    {"entries": received, "cursor": live.pull_cursor},
                )
        report.pages += 1
        report.received += received
        report.deletions += len(new_acks)
        # One more (empty) pull delivers the receipts of deletions applied in the last page.
        if not answer.body.get("more") and not (new_acks and not acks):
            break


def _poll_answers(
    node: Node, node_id: str, report: SyncReport, *, http: httpx2.Client | None
) -> None:
    with node.sessions() as session:
        ids = [
            request_id
            for model in release.REQUEST_MODELS
            for request_id in session.scalars(
                select(model.request_id).where(
                    model.peer_node == node_id, model.direction == "out", model.status == "pending"
                )
            )
        ]
    if not ids:
        return
    peer = _peer_snapshot(node, node_id)
    answer = client.send(
        node,
        peer,
        type="requests.poll",
        body={"request_ids": ids[:500]},
        client=http,
        timeout=node.settings.peer_timeout,
    )
    with transaction(node.sessions) as session:
        live = get_peer(session, node_id)
        for item in answer.body.get("answers", []):
            request_id = release.store_answer(session, node=node, peer=live, answer=item)
            if request_id:
                report.answers += 1
                audit_act(
                    session,
                    node,
                    f"nodo:{node_id}",
                    "exchange.answer_received",
                    request_id,
                    {"status": item["payload"].get("status")},
                )


def _witness(node: Node, node_id: str, report: SyncReport, *, http: httpx2.Client | None) -> None:
    # Witnesses see the log as it is now: sign the current head first if it moved on.
    with transaction(node.sessions) as session:
        cp = witness.latest_checkpoint(session)
        head = session.get(AuditHead, 1)
        if head is not None and (cp is None or head.seq > cp.seq):
            cp = audit.checkpoint(session, key=node.key, node_id=node.node_id)
        if cp is None:
            return
        sent = (cp.seq, cp.entry_hash)
        body = {"seq": cp.seq, "head": cp.entry_hash, "signature": cp.signature}
    peer = _peer_snapshot(node, node_id)
    answer = client.send(
        node, peer, type="audit.witness", body=body, client=http, timeout=node.settings.peer_timeout
    )
    with transaction(node.sessions) as session:
        witness.store_countersignature(
            session,
            node=node,
            peer=get_peer(session, node_id),
            body=answer.body,
            sent=sent,
        )
    report.witnessed = True


def sync_all(node: Node, *, only: str | None = None) -> list[SyncReport]:
    """Sync with every active peer (or one); a peer that is down does not stop the others."""
    with node.sessions() as session:
        ids = [
            p.node_id
            for p in session.scalars(
                select(Peer).where(Peer.active.is_(True)).order_by(Peer.node_id)
            )
        ]
    if only is not None:
        if only not in ids:
            raise NotFound(f"No hay un nodo asociado activo '{only}'.")
        ids = [only]
    with httpx2.Client(timeout=node.settings.peer_timeout) as http:
        return [sync_peer(node, node_id, http=http) for node_id in ids]


def query_peers(
    node: Node,
    *,
    principal: Principal,
    kind: str,
    values: dict[str, str],
    purpose: str,
    only: str | None = None,
    log_values: bool = True,
) -> list[dict[str, Any]]:
    """Hit/no-hit at each peer; answers carry references, never data (audited both sides).

    ``log_values=False`` (screening at a border post) keeps only the names of the fields
    asked in this node's audit log, not the traveller's data.
    """
    authorize(principal, Action.QUERY_PEERS)
    body = {"kind": kind, "values": values, "purpose": purpose, "requested_by": principal.label}
    the_kind, _, _ = parse_query(body)
    with node.sessions() as session:
        peers = [
            p
            for p in session.scalars(
                select(Peer).where(Peer.active.is_(True)).order_by(Peer.node_id)
            )
            if only is None or p.node_id == only
        ]
        for p in peers:
            session.expunge(p)
    if only is not None and not peers:
        raise NotFound(f"No hay un nodo asociado activo '{only}'.")
    results: list[dict[str, Any]] = []
    for peer in peers:
        try:
            answer = client.send(
                node, peer, type="query.hit", body=body, timeout=node.settings.peer_timeout
            )
            result = {
                "peer": peer.node_id,
                "country": peer.country,
                "agency": peer.agency,
                "result": answer.body.get("result"),
                "hits": answer.body.get("hits", []),
            }
        except AlianzaError as exc:
            result = {
                "peer": peer.node_id,
                "country": peer.country,
                "agency": peer.agency,
                "result": "ERROR",
                "hits": [],
                "error": exc.message,
            }
        results.append(result)
    with transaction(node.sessions) as session:
        audit_act(
            session,
            node,
            principal,
            "exchange.query_sent",
            the_kind.value,
            {
                "values": values if log_values else sorted(k for k, v in values.items() if v),
                "purpose": purpose,
                "results": {r["peer"]: r["result"] for r in results},
            },
        )
    return results


def request_release(
    node: Node,
    *,
    principal: Principal,
    peer_node: str,
    ref: str,
    kind: str,
    purpose: str,
    legal_basis: str,
) -> ReleaseRequest:
    """File a release request for a HIT at a partner (its 48-hour clock starts there)."""
    authorize(principal, Action.QUERY_PEERS)
    request_id = release.new_request_id()
    peer = _peer_snapshot(node, peer_node)
    body = {
        "request_id": request_id,
        "ref": ref,
        "purpose": purpose,
        "legal_basis": legal_basis,
        "requested_by": principal.label,
    }
    client.send(node, peer, type="release.request", body=body, timeout=node.settings.peer_timeout)
    now = datetime.now(UTC)
    with transaction(node.sessions) as session:
        row = ReleaseRequest(
            request_id=request_id,
            direction="out",
            peer_node=peer_node,
            ref=ref,
            kind=kind,
            purpose=purpose,
            legal_basis=legal_basis,
            requested_by=principal.label,
            requested_at=now,
            # Our own clock: the owner's answer is not trusted to set our deadline.
            due_at=now + timedelta(hours=release.RELEASE_HOURS),
            status="pending",
        )
        session.add(row)
        audit_act(
            session,
            node,
            principal,
            "release.requested",
            request_id,
            {"peer": peer_node, "ref": ref, "purpose": purpose, "legal_basis": legal_basis},
        )
        session.flush()
        session.expunge(row)
    return row


def request_consent(
    node: Node, *, principal: Principal, record_id: str, third_country: str, purpose: str
) -> ConsentRequest:
    """Ask a record's owner to let a third country see it (we never forward the copy)."""
    authorize(principal, Action.QUERY_PEERS)
    try:
        third = normalize_country(third_country)
    except ValueError as exc:
        raise InputError.at("third_country", str(exc)) from None
    with node.sessions() as session:
        record = session.get(Record, record_id)
        if record is None or record.origin == node.node_id:
            raise NotFound(
                f"No hay una copia recibida {record_id}: solo se piden "
                "consentimientos para registros de otros nodos."
            )
        authorize(principal, Action.READ, record=record)
        owner = record.origin
    peer = _peer_snapshot(node, owner)
    request_id = release.new_request_id()
    client.send(
        node,
        peer,
        type="consent.request",
        body={
            "request_id": request_id,
            "record_id": record_id,
            "third_country": third,
            "purpose": purpose,
            "requested_by": principal.label,
        },
        timeout=node.settings.peer_timeout,
    )
    with transaction(node.sessions) as session:
        row = ConsentRequest(
            request_id=request_id,
            direction="out",
            peer_node=owner,
            record_id=record_id,
            third_country=third,
            purpose=purpose,
            requested_by=principal.label,
            requested_at=datetime.now(UTC),
            status="pending",
        )
        session.add(row)
        audit_act(
            session,
            node,
            principal,
            "consent.requested",
            request_id,
            {"peer": owner, "record": record_id, "third": third},
        )
        session.flush()
        session.expunge(row)
    return row
