"""Step 2 of Prüm: release requests, decided by a person at the owning node; and consent
requests for re-sharing a partner's record with a third country (never a copy).

Both sides keep a row with the same ``request_id``; the owner's decision is a signed
answer the asking side fetches (``requests.poll``) and verifies with the owner's key.

A released copy is a one-off disclosure to the asking agency: it lives only in that
request's row on the asking node (never a record, so never in anyone's sync feed), keeps
the owner's handling code, purpose, legal basis and review date, and is erased there when
the owner retracts it (the asking node answers with a signed receipt the owner keeps) or
when the owner's review date passes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Action, Principal, allowed, authorize
from alianza.errors import Conflict, InputError, NotFound, PermissionDenied
from alianza.exchange.models import ConsentRequest, HitReference, Peer, ReleaseRequest
from alianza.exchange.policy import either
from alianza.node.context import Node
from alianza.node.keys import canonical, verify
from alianza.records import service as records
from alianza.records.models import Record, RecordVersion
from alianza.records.rules import Rules, Scope

RELEASE_HOURS = 48
REQUEST_MODELS: tuple[type[ReleaseRequest] | type[ConsentRequest], ...] = (
    ReleaseRequest,
    ConsentRequest,
)  # Prüm II: core data within 48 hours of a confirmed match


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def hours_left(request: ReleaseRequest, now: datetime | None = None) -> float:
    """Hours until the 48-hour deadline (negative when overdue)."""
    moment = now or datetime.now(UTC)
    return (_aware(request.due_at) - moment).total_seconds() / 3600


def is_overdue(request: ReleaseRequest, now: datetime | None = None) -> bool:
    """A pending request past its deadline."""
    return request.status == "pending" and hours_left(request, now) < 0


def answer_payload(row: ReleaseRequest) -> dict[str, Any] | None:
    """The owner's signed answer to a request (verified when it was stored), or None."""
    if not row.answer:
        return None
    payload = json.loads(row.answer).get("payload")
    return payload if isinstance(payload, dict) else None


OWNER_RULES = (
    "handling_code",
    "handling_note",
    "source_grade",
    "info_grade",
    "purpose",
    "legal_basis",
    "review_date",
)


def owner_rules(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The owner's rules carried by an approved answer (None when nothing was released)."""
    if payload.get("status") != "approved":
        return None
    return {k: payload.get(k) for k in OWNER_RULES}


def _text(body: dict[str, Any], field: str, *, minimum: int = 3, maximum: int = 300) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not minimum <= len(value.strip()) <= maximum:
        raise InputError.at(field, f"texto de {minimum} a {maximum} caracteres obligatorio")
    return value.strip()


# ------------------------------------------------------------------ owner side


def receive_release_request(
    session: Session, *, peer: Peer, body: dict[str, Any]
) -> dict[str, Any]:
    """Store a partner's release request against a reference we handed to that partner."""
    request_id = _text(body, "request_id", minimum=36, maximum=36)
    ref = _text(body, "ref", minimum=8, maximum=64)
    hit = session.get(HitReference, ref)
    if hit is None or hit.peer_node != peer.node_id:
        raise NotFound("Referencia desconocida para este nodo.")
    existing = session.scalar(
        select(ReleaseRequest).where(
            ReleaseRequest.request_id == request_id, ReleaseRequest.direction == "in"
        )
    )
    if existing is not None:
        return {"request_id": request_id, "due_at": _aware(existing.due_at).isoformat()}
    record = session.get(Record, hit.record_id)
    now = datetime.now(UTC)
    row = ReleaseRequest(
        request_id=request_id,
        direction="in",
        peer_node=peer.node_id,
        ref=ref,
        record_id=hit.record_id,
        kind=record.kind if record else "",
        purpose=_text(body, "purpose", maximum=200),
        legal_basis=_text(body, "legal_basis"),
        requested_by=_text(body, "requested_by", minimum=1, maximum=120),
        requested_at=now,
        due_at=now + timedelta(hours=RELEASE_HOURS),
        status="pending",
    )
    session.add(row)
    session.flush()
    return {"request_id": request_id, "due_at": row.due_at.isoformat()}


def _incoming(session: Session, *, principal: Principal, request_id: str) -> ReleaseRequest:
    """A partner's request on one of our records that ``principal`` may decide."""
    row = session.scalar(
        select(ReleaseRequest).where(
            ReleaseRequest.request_id == request_id, ReleaseRequest.direction == "in"
        )
    )
    if row is None or row.record is None or not allowed(principal, Action.RELEASE, row):
        # Not ours to decide looks exactly like absent.
        authorize(principal, Action.RELEASE)
        raise NotFound(f"No existe la solicitud de entrega {request_id}.")
    return row


def decide_release(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    request_id: str,
    approve: bool,
    remove_fields: list[str] | None = None,
    reason: str = "",
) -> ReleaseRequest:
    """A person approves (all fields or some removed) or refuses a partner's request."""
    row = _incoming(session, principal=principal, request_id=request_id)
    record = row.record
    assert record is not None  # _incoming found it
    if row.status != "pending":
        raise Conflict(f"La solicitud {request_id} ya fue resuelta ({row.status}).")
    now = datetime.now(UTC)
    payload: dict[str, Any] = {
        "request_id": request_id,
        "owner": node.node_id,
        "to": row.peer_node,  # the answer is bound to the partner that asked
        "decided_by": principal.label,
        "decided_at": now.isoformat(),
    }
    if approve and not record.deleted:
        version = session.scalar(
            select(RecordVersion).where(
                RecordVersion.record_id == record.id, RecordVersion.version == record.version
            )
        )
        data = json.loads(version.data) if version and version.data else {}
        removed = sorted(set(remove_fields or []))
        unknown = [f for f in removed if f not in data]
        if unknown:
            raise InputError.at(
                "remove_fields", f"campos que el registro no tiene: {', '.join(unknown)}"
            )
        rules = json.loads(version.rules) if version else {}
        payload.update(
            {
                "status": "approved",
                "kind": record.kind,
                "owner_country": record.owner_country,
                "owner_agency": record.owner_agency,
                "handling_code": rules.get("handling_code"),
                "handling_note": rules.get("handling_note"),
                "source_grade": rules.get("source_grade"),
                "info_grade": rules.get("info_grade"),
                # The owner's rules travel with the copy: what it may be used for, on what
                # basis, and until when (the asking node erases it after that date).
                "purpose": rules.get("purpose"),
                "legal_basis": rules.get("legal_basis"),
                "review_date": rules.get("review_date"),
                "data": {k: v for k, v in data.items() if k not in removed},
                "removed_fields": removed,
            }
        )
        row.removed_fields = ",".join(removed)
    else:
        if not reason.strip():
            raise InputError.at("reason", "indique el motivo de la negativa")
        payload.update({"status": "refused", "reason": reason.strip()})
    row.status = payload["status"]
    row.decided_by, row.decided_at, row.reason = principal.label, now, reason.strip()
    row.answer = json.dumps({"payload": payload, "signature": node.key.sign(canonical(payload))})
    audit_act(
        session,
        node,
        principal,
        f"release.{row.status}",
        row.request_id,
        {
            "peer": row.peer_node,
            "record": row.record_id,
            "removed_fields": payload.get("removed_fields", []),
        },
    )
    session.flush()
    return row


def retract_release(
    session: Session, *, node: Node, principal: Principal, request_id: str, reason: str
) -> ReleaseRequest:
    """The owner withdraws an approved release: the asking node must erase its copy."""
    row = _incoming(session, principal=principal, request_id=request_id)
    if row.status != "approved":
        raise Conflict(f"Solo se retira una entrega aprobada ({request_id}: {row.status}).")
    if not reason.strip():
        raise InputError.at("reason", "indique por qué se retira la entrega")
    now = datetime.now(UTC)
    payload = {
        "request_id": row.request_id,
        "owner": node.node_id,
        "to": row.peer_node,
        "status": "retracted",
        "decided_by": principal.label,
        "decided_at": now.isoformat(),
        "reason": reason.strip(),
    }
    row.status, row.reason = "retracted", reason.strip()
    row.answer = json.dumps({"payload": payload, "signature": node.key.sign(canonical(payload))})
    audit_act(
        session,
        node,
        principal,
        "release.retracted",
        row.request_id,
        {"peer": row.peer_node, "record": row.record_id},
    )
    session.flush()
    return row


def store_receipts(session: Session, *, node: Node, peer: Peer, receipts: Any) -> list[str]:
    """Owner side: keep each partner's signed receipt for a retracted release (audited once);
    the ids confirmed (a receipt sent again is confirmed again, not stored twice)."""
    if not isinstance(receipts, list) or len(receipts) > 500:
        raise InputError.at("receipts", "se esperaba una lista de hasta 500 recibos")
    stored: list[str] = []
    for item in receipts:
        payload = item.get("payload") if isinstance(item, dict) else None
        signature = item.get("signature") if isinstance(item, dict) else None
        if not isinstance(payload, dict) or not isinstance(signature, str):
            raise InputError.at("receipts", "recibo mal formado")
        if not verify(peer.public_key, canonical(payload), signature):
            raise PermissionDenied(f"Recibo de {peer.node_id} con firma inválida: se descarta.")
        request_id = payload.get("receipt")
        if payload.get("erased_by") != peer.node_id or not isinstance(request_id, str):
            raise PermissionDenied(f"Recibo de {peer.node_id} a nombre de otro nodo.")
        row = session.scalar(
            select(ReleaseRequest).where(
                ReleaseRequest.request_id == request_id,
                ReleaseRequest.direction == "in",
                ReleaseRequest.peer_node == peer.node_id,
            )
        )
        if row is None or row.status not in ("retracted", "erased"):
            continue  # nothing of ours to confirm; an old duplicate is harmless
        if row.status == "retracted":
            row.status, row.receipt = "erased", json.dumps(item)
            audit_act(
                session,
                node,
                Principal.peer(node_id=peer.node_id, country=peer.country, agency=peer.agency),
                "release.erasure_receipt",
                request_id,
                {"record": row.record_id},
            )
        stored.append(request_id)
    session.flush()
    return stored


def receive_consent_request(
    session: Session, *, node: Node, peer: Peer, body: dict[str, Any]
) -> dict[str, Any]:
    """Store a partner's request to re-share one of our records with a third country."""
    request_id = _text(body, "request_id", minimum=36, maximum=36)
    record_id = _text(body, "record_id", minimum=36, maximum=36)
    record = session.get(Record, record_id)
    # Only a record this partner may see can be the subject of its request; anything else
    # gets the same answer as a record that does not exist.
    if (
        record is None
        or record.deleted
        or record.origin != node.node_id
        or not allowed(
            Principal.peer(node_id=peer.node_id, country=peer.country, agency=peer.agency),
            Action.READ,
            record,
        )
    ):
        raise NotFound("Registro desconocido.")
    third = _text(body, "third_country", minimum=2, maximum=2).upper()
    if (
        session.scalar(
            select(ConsentRequest.id).where(
                ConsentRequest.request_id == request_id, ConsentRequest.direction == "in"
            )
        )
        is None
    ):
        session.add(
            ConsentRequest(
                request_id=request_id,
                direction="in",
                peer_node=peer.node_id,
                record_id=record_id,
                third_country=third,
                purpose=_text(body, "purpose", maximum=200),
                requested_by=_text(body, "requested_by", minimum=1, maximum=120),
                requested_at=datetime.now(UTC),
                status="pending",
            )
        )
        session.flush()
    return {"request_id": request_id}


def decide_consent(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    request_id: str,
    approve: bool,
    reason: str = "",
) -> ConsentRequest:
    """The owner lets a third country see its record (by widening its scope) or refuses."""
    row = session.scalar(
        select(ConsentRequest).where(
            ConsentRequest.request_id == request_id, ConsentRequest.direction == "in"
        )
    )
    if row is None or not allowed(principal, Action.RELEASE, row):
        authorize(principal, Action.RELEASE)
        raise NotFound(f"No existe la solicitud de consentimiento {request_id}.")
    if row.status != "pending":
        raise Conflict(f"La solicitud {request_id} ya fue resuelta ({row.status}).")
    view = records.get_record(session, node=node, principal=principal, record_id=row.record_id)
    now = datetime.now(UTC)
    payload: dict[str, Any] = {
        "request_id": request_id,
        "owner": node.node_id,
        "to": row.peer_node,  # the answer is bound to the partner that asked
        "decided_by": principal.label,
        "decided_at": now.isoformat(),
    }
    if approve:
        rules = dict(view.as_dict()["rules"])
        if rules["scope"] == Scope.PARTNERS.value:
            countries = set(rules.get("scope_countries") or []) | {row.third_country}
            rules.update(scope_countries=sorted(countries))
        elif rules["scope"] != Scope.MEMBERS.value:
            # Narrowed since it was asked: approving must not widen it to the whole country.
            raise Conflict(
                f"El registro {row.record_id} ya no se comparte con {row.peer_node}; "
                "niegue la solicitud o cambie primero su alcance."
            )
        # The owner shares directly, by its own sync: the asking partner never forwards a copy.
        records.update_record(
            session,
            node=node,
            principal=principal,
            record_id=row.record_id,
            data=view.as_dict()["data"],
            rules=Rules.model_validate(rules),
            reason=f"consentimiento para {row.third_country}: {row.purpose}",
        )
        payload.update({"status": "approved", "third_country": row.third_country})
    else:
        if not reason.strip():
            raise InputError.at("reason", "indique el motivo de la negativa")
        payload.update({"status": "refused", "reason": reason.strip()})
    row.status, row.decided_by, row.reason = payload["status"], principal.label, reason.strip()
    row.answer = json.dumps({"payload": payload, "signature": node.key.sign(canonical(payload))})
    audit_act(
        session,
        node,
        principal,
        f"consent.{row.status}",
        request_id,
        {"peer": row.peer_node, "record": row.record_id, "third": row.third_country},
    )
    session.flush()
    return row


def answers_for(
    session: Session, *, node: Node, peer: Peer, body: dict[str, Any]
) -> dict[str, Any]:
    """Signed answers to a partner's decided requests (release and consent), retractions of
    the copies it holds (``approved_ids``: only those withdrawn since, so released data is
    never sent twice), and the receipts of erased copies it sends, confirmed by id."""
    stored = store_receipts(session, node=node, peer=peer, receipts=body.get("receipts", []))
    ids = _id_list(body, "request_ids")
    held = _id_list(body, "approved_ids")
    answers: list[dict[str, Any]] = []
    if held:
        texts = session.scalars(
            select(ReleaseRequest.answer).where(
                ReleaseRequest.request_id.in_(held),
                ReleaseRequest.direction == "in",
                ReleaseRequest.peer_node == peer.node_id,
                ReleaseRequest.status.in_(("retracted", "erased")),
                ReleaseRequest.answer.is_not(None),
            )
        )
        answers.extend(json.loads(t) for t in texts if t)
    for model in REQUEST_MODELS:
        texts = session.scalars(
            select(model.answer).where(
                model.request_id.in_(ids),
                model.direction == "in",
                model.peer_node == peer.node_id,
                model.answer.is_not(None),
            )
        )
        answers.extend(json.loads(t) for t in texts if t)
    return {"answers": answers, "receipts_stored": stored}


def _id_list(body: dict[str, Any], field: str) -> list[str]:
    ids = body.get(field, [])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or len(ids) > 500:
        raise InputError.at(field, "se esperaba una lista de hasta 500 identificadores")
    return ids


def list_releases(
    session: Session, *, node: Node, principal: Principal, overdue: bool = False
) -> list[ReleaseRequest]:
    """Release requests the principal may see (``exchange.policy``), oldest first; audited."""
    rows = list(
        session.scalars(
            select(ReleaseRequest)
            .where(either(principal, ReleaseRequest))
            .order_by(ReleaseRequest.requested_at, ReleaseRequest.id)
        )
    )
    if overdue:
        rows = [r for r in rows if is_overdue(r)]
    audit_act(
        session, node, principal, "release.list", "", {"requests": [r.request_id for r in rows]}
    )
    return rows


def list_consents(session: Session, *, node: Node, principal: Principal) -> list[ConsentRequest]:
    """Consent requests the principal may see (``exchange.policy``); audited."""
    rows = list(
        session.scalars(
            select(ConsentRequest)
            .where(either(principal, ConsentRequest))
            .order_by(ConsentRequest.requested_at, ConsentRequest.id)
        )
    )
    audit_act(
        session, node, principal, "consent.list", "", {"requests": [r.request_id for r in rows]}
    )
    return rows
