"""Corridor work that crosses the network: deliver a manifest and keep its receipt; push a
post's check-ins to its national node. Each step commits on its own, and the network
call runs between transactions (never holding a row lock while a partner answers): a
partner that is down leaves the manifest pending, or the check-ins unsent, with the
reason, to be tried again; nothing is lost and nothing is sent twice in effect (the
receiving side stores each manifest and each check-in once, by its id).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal, authorize
from alianza.corridor import checkins, manifests
from alianza.corridor.models import SentManifest
from alianza.db import transaction
from alianza.errors import AlianzaError, Conflict, NotFound, PeerError
from alianza.exchange import client
from alianza.exchange.models import Peer
from alianza.node.context import Node


def deliver_manifest(node: Node, principal: Principal, *, manifest_id: str) -> SentManifest:
    """Send a prepared manifest (again, if it is still pending) and keep the receipt."""
    with transaction(node.sessions) as session:
        row = manifests.sent(session, principal, manifest_id)
        if row.status == "acknowledged":
            return row
        if "redacted" in json.loads(row.payload):
            # Its persons were erased after it was signed: what is left is proof, not a
            # manifest the partner could check against its signature.
            raise Conflict(
                f"El manifiesto {row.id} tiene datos borrados: no se reenvía; prepare uno nuevo."
            )
        peer = session.scalar(select(Peer).where(Peer.node_id == row.peer_node))
        if peer is None or not peer.active:
            raise NotFound(f"El nodo {row.peer_node} ya no es un nodo asociado activo.")
        body = manifests.message_body(row)
        session.expunge(peer)
    try:
        reply = client.send(node, peer, type=manifests.MESSAGE, body=body)
    except PeerError as exc:
        with transaction(node.sessions) as session:
            manifests.record_failure(manifests.sent(session, principal, manifest_id), exc.message)
        raise PeerError(
            f"{exc.message} El manifiesto {manifest_id} queda pendiente: "
            f"reintente con 'alianza corridor manifest send --retry {manifest_id}'."
        ) from None
    with transaction(node.sessions) as session:
        row = manifests.sent(session, principal, manifest_id)
        return manifests.store_receipt(session, node, principal, row=row, reply=reply.body)


@dataclass(slots=True)
class PushReport:
    """What one push of a post's check-ins did."""

    sent: int = 0
    accepted: int = 0
    refused: list[dict[str, str]] = field(default_factory=list)
    conflicts: int = 0
    pending: int = 0
    error: str | None = None


def push_checkins(node: Node, principal: Principal, *, peer_node: str) -> PushReport:
    """Push every check-in made here and not yet acknowledged, a page at a time.

    A link that drops leaves ``error`` set and the rest pending (what was acknowledged
    before stays acknowledged)."""
    authorize(principal, checkins.RECORD)
    report = PushReport()
    with node.sessions() as session:
        peer = session.scalar(select(Peer).where(Peer.node_id == peer_node))
        if peer is None or not peer.active:
            raise NotFound(f"No hay un nodo asociado activo '{peer_node}'.")
        session.expunge(peer)
    while True:
        with node.sessions() as session:
            page = checkins.pending(session, node)
            body = {"checkins": [checkins.outgoing(row) for row in page]}
        if not page:
            break
        try:
            reply = client.send(node, peer, type=checkins.MESSAGE, body=body)
        except PeerError as exc:
            report.error = exc.message
            break
        with transaction(node.sessions) as session:
            rows = checkins.pending(session, node)
            sent = [row for row in rows if row.id in {item["id"] for item in body["checkins"]}]
            try:
                checkins.mark_pushed(session, reply=reply.body, sent=sent)
            except AlianzaError as exc:
                report.error = f"respuesta ilegible de {peer.node_id}: {exc.message}"
                break
            audit_act(
                session,
                node,
                principal,
                "corridor.checkins.pushed",
                peer.node_id,
                {"sent": len(sent), "accepted": len(reply.body.get("accepted", []))},
            )
        answered = len(reply.body.get("accepted", [])) + len(reply.body.get("refused", []))
        report.sent += len(page)
        if answered == 0:
            # Nothing marked: the same page would go again forever.
            report.error = f"{peer.node_id} no confirmó ningún registro"
            break
        report.accepted += len(reply.body.get("accepted", []))
        report.refused.extend(reply.body.get("refused", []))
        report.conflicts += int(reply.body.get("conflicts", 0) or 0)
    with node.sessions() as session:
        report.pending = len(checkins.pending(session, node, limit=100_000))
    return report
