"""The asking side of Prüm's step 2: a released copy, kept, erased and acknowledged.

An owner's signed answer is verified and stored on the outgoing request (``store_answer``).
An approved copy is a one-off disclosure to the asking agency: it lives only in that row,
never as a record. When the owner retracts it, the data is dropped and the node signs a
receipt (``erase_copy``) that goes back on the next poll; when the owner's review date
passes, the node erases it by itself (``expire_copies``). The owner's side is ``release``.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.codes.text import safe
from alianza.errors import InputError, PermissionDenied
from alianza.exchange.models import ConsentRequest, Peer, ReleaseRequest
from alianza.exchange.release import answer_payload
from alianza.node.context import Node
from alianza.node.keys import canonical, verify


def _short(value: Any, limit: int) -> str:
    """A partner's free text as stored: printable and cut to its column (never a DB error)."""
    return safe(str(value))[:limit]


def receipt_payload(*, request_id: str, node_id: str, owner: str, at: str) -> dict[str, Any]:
    """What the asking node signs once it erased a released copy."""
    return {"receipt": request_id, "erased_by": node_id, "owner": owner, "at": at}


def new_request_id() -> str:
    """A fresh request identifier shared by both sides."""
    return str(uuid.uuid4())


def store_answer(session: Session, *, node: Node, peer: Peer, answer: Any) -> str | None:
    """Verify an owner's signed answer and record it on our outgoing request."""
    if not isinstance(answer, dict) or not isinstance(answer.get("payload"), dict):
        raise InputError.at("answers", "respuesta mal formada")
    payload, signature = answer["payload"], answer.get("signature")
    if not isinstance(signature, str) or not verify(peer.public_key, canonical(payload), signature):
        raise PermissionDenied(f"Respuesta de {peer.node_id} con firma inválida: se descarta.")
    if payload.get("to") != node.node_id or payload.get("owner") != peer.node_id:
        raise PermissionDenied(f"Respuesta de {peer.node_id} dirigida a otro nodo: se descarta.")
    request_id = payload.get("request_id")
    release_row = session.scalar(
        select(ReleaseRequest).where(
            ReleaseRequest.request_id == request_id,
            ReleaseRequest.direction == "out",
            ReleaseRequest.peer_node == peer.node_id,
        )
    )
    consent_row = session.scalar(
        select(ConsentRequest).where(
            ConsentRequest.request_id == request_id,
            ConsentRequest.direction == "out",
            ConsentRequest.peer_node == peer.node_id,
        )
    )
    row = release_row or consent_row
    approved = release_row is not None and payload.get("status") == "approved"
    if approved and release_row is not None and payload.get("kind") != release_row.kind:
        # Shown only to roles that reach the kind asked for: a different kind is refused.
        raise InputError.at(
            "answers",
            f"la entrega de {peer.node_id} no es del tipo pedido ({release_row.kind})",
        )
    if (
        release_row is not None
        and release_row.status == "approved"
        and payload.get("status") == "retracted"
    ):
        erase_copy(release_row, node=node, owner=peer.node_id, answer=answer, status="retracted")
        session.flush()
        return str(request_id)
    if row is not None and row.status == "pending":
        status = str(payload.get("status"))
        if status not in ("approved", "refused"):
            raise InputError.at("answers", f"estado desconocido en la respuesta de {peer.node_id}")
        row.status = status
        row.decided_by = _short(payload.get("decided_by", ""), 120)
        row.reason = _short(payload.get("reason", ""), 500)
        row.answer = json.dumps(answer)
        if release_row is not None:
            removed = payload.get("removed_fields", [])
            if not isinstance(removed, list):
                raise InputError.at("answers", "removed_fields debe ser una lista")
            release_row.decided_at = datetime.now(UTC)
            release_row.removed_fields = _short(",".join(str(f) for f in removed), 500)
        session.flush()
        return str(request_id)
    return None


def erase_copy(row: ReleaseRequest, *, node: Node, owner: str, answer: Any, status: str) -> None:
    """Asking side: drop a released copy's data, keep why, and sign the receipt."""
    row.status = status
    row.answer = json.dumps(answer) if answer is not None else None
    if answer is not None:
        row.reason = _short(answer["payload"].get("reason", ""), 500)
    payload = receipt_payload(
        request_id=row.request_id,
        node_id=node.node_id,
        owner=owner,
        at=datetime.now(UTC).isoformat(),
    )
    row.receipt = json.dumps({"payload": payload, "signature": node.key.sign(canonical(payload))})


def expire_copies(session: Session, *, node: Node, today: date | None = None) -> list[str]:
    """Asking side: erase released copies whose owner's review date has passed."""
    day = today or datetime.now(UTC).date()
    expired: list[str] = []
    for row in session.scalars(
        select(ReleaseRequest).where(
            ReleaseRequest.direction == "out", ReleaseRequest.status == "approved"
        )
    ):
        review = (answer_payload(row) or {}).get("review_date")
        if isinstance(review, str) and review[:10] < day.isoformat():
            erase_copy(row, node=node, owner=row.peer_node, answer=None, status="expired")
            row.reason = f"fecha de revisión del dueño vencida ({review[:10]})"
            expired.append(row.request_id)
            audit_act(
                session,
                node,
                node.system,
                "release.expired",
                row.request_id,
                {"peer": row.peer_node, "review_date": review[:10]},
            )
    session.flush()
    return expired
