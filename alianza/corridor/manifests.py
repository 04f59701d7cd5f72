"""Manifests: for one departure and one country's leg, the persons on board with only the
fields that country needs (name, document, nationality, birth date: never a protection
flag, a medical need or a case's history), sent to that country's node as a one-off
signed disclosure and acknowledged by its signed receipt.

The release mechanism of Prüm's step 2 (``exchange.release``), pushed instead of asked
for: the manifest is never a record, so it is never in anyone's sync feed; the receiving
node keeps it apart (``ReceivedManifest``), for the agency it was addressed to, until its
retention date, then erases it (``expire_received``). Both sides keep the proof: the
sender its signed payload and the partner's signed receipt (hash of what arrived), the
receiver the sender's signature.

The receiving node checks a manifest as it checks any partner data: the sender's
signature over the payload, that it is addressed to this node from the node that sent
the envelope, and its shape, field by field, with the text gate. A field outside
``MANIFEST_FIELDS`` (a flag, a medical note) refuses the whole manifest, naming it: a
partner that over-shares is told so, and nothing of it is stored.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal, authorize, visible
from alianza.codes.text import clean_text, gate_line, shown
from alianza.corridor import casework
from alianza.corridor.contract import validated
from alianza.corridor.models import ReceivedManifest, ReturnCase, SentManifest
from alianza.errors import AuthenticationError, Conflict, InputError, NotFound, PermissionDenied
from alianza.exchange.models import Peer
from alianza.node.context import Node
from alianza.node.keys import canonical, verify

SEND = "send_manifests"
READ = "read_manifests"
PROTECT = "protect_data"
MESSAGE = "corridor.manifest"
# What a transit or receiving country needs for its leg, and nothing else. ``ref`` is the
# member's id on the sending node: opaque, so a check-in can name the person back.
MANIFEST_FIELDS = (
    "ref",
    "given_names",
    "surname_1",
    "surname_2",
    "document_number",
    "nationality",
    "birth_date",
)
# Who is on board: scheduled, or already on the road.
ON_BOARD = ("scheduled", "departed", "crossed")
# The receiving node keeps a manifest this long after its leg, then erases it (the sender
# may ask for less, never for more than MAX_RETAIN_DAYS).
RETAIN_DAYS = 30
MAX_RETAIN_DAYS = 90
MAX_PERSONS = 2000
EARLIEST_BIRTH = date(1900, 1, 1)
# A manifest is for a leg about to run (or just run): a year either way is plenty.
MAX_LEG_DAYS = 366

Line = Annotated[str, BeforeValidator(gate_line)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _born(value: date | None) -> date | None:
    if value is not None and not EARLIEST_BIRTH <= value <= date.today():
        raise ValueError(f"fecha de nacimiento inverosímil ({value.isoformat()})")
    return value


def _leg(value: date) -> date:
    if abs((value - date.today()).days) > MAX_LEG_DAYS:
        raise ValueError(f"fecha del tramo a más de {MAX_LEG_DAYS} días de hoy")
    return value


class ManifestPerson(_Strict):
    ref: Line = Field(min_length=1, max_length=64)
    given_names: Line = Field(min_length=1, max_length=200)
    surname_1: Line = Field(min_length=1, max_length=200)
    surname_2: Line | None = Field(None, max_length=200)
    document_number: Line | None = Field(None, max_length=64)
    nationality: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    birth_date: Annotated[date | None, AfterValidator(_born)] = None


class ManifestPayload(_Strict):
    kind: str = Field(pattern=r"^corridor\.manifest$")
    manifest_id: uuid.UUID
    from_node: Line = Field(min_length=1, max_length=64)
    from_country: str = Field(pattern=r"^[A-Z]{2}$")
    from_agency: Line = Field(min_length=1, max_length=80)
    to_node: Line = Field(min_length=1, max_length=64)
    to_country: str = Field(pattern=r"^[A-Z]{2}$")
    to_agency: Line = Field(min_length=1, max_length=80)
    departure: Line = Field(min_length=1, max_length=64)
    leg_date: Annotated[date, AfterValidator(_leg)]
    purpose: Line = Field(min_length=1, max_length=500)
    legal_basis: Line = Field(min_length=1, max_length=500)
    issued_at: datetime
    retain_until: date
    persons: list[ManifestPerson] = Field(min_length=1, max_length=MAX_PERSONS)


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(payload)).hexdigest()


def _text(value: str, field: str, limit: int) -> str:
    text = clean_text(value, field=field).strip()
    if not text:
        raise InputError.at(field, "no puede estar vacío")
    if len(text) > limit:
        raise InputError.at(field, f"más de {limit} caracteres")
    return text


def _person(member: Any) -> dict[str, Any]:
    entry = {
        "ref": member.id,
        "given_names": member.given_names,
        "surname_1": member.surname_1,
        "surname_2": member.surname_2,
        "document_number": member.document_number,
        "nationality": member.nationality,
        "birth_date": member.birth_date.isoformat() if member.birth_date else None,
    }
    assert tuple(entry) == MANIFEST_FIELDS
    return entry


def _peer(session: Session, node_id: str) -> Peer:
    peer = session.scalar(select(Peer).where(Peer.node_id == node_id))
    if peer is None or not peer.active:
        raise NotFound(f"No hay un nodo asociado activo '{shown(node_id)}'.")
    return peer


def prepare(
    session: Session,
    node: Node,
    principal: Principal,
    *,
    departure: str,
    peer_node: str,
    leg_date: date,
    purpose: str,
    legal_basis: str,
) -> SentManifest:
    """Build and sign the manifest of one departure for one partner node (not sent yet)."""
    authorize(principal, SEND)
    departure = _text(departure, "salida", 64)
    purpose = _text(purpose, "finalidad", 500)
    legal_basis = _text(legal_basis, "base legal", 500)
    peer = _peer(session, peer_node)
    found = list(
        session.scalars(
            select(ReturnCase)
            .where(
                visible(principal, SEND, ReturnCase),
                ReturnCase.departure == departure,
                ReturnCase.status.in_(ON_BOARD),
                ReturnCase.erased_at.is_(None),
            )
            .order_by(ReturnCase.id)
        )
    )
    if not found:
        raise InputError.at("salida", f"ningún caso de su institución va en '{departure}'")
    persons: list[dict[str, Any]] = []
    for case in found:
        authorize(principal, SEND, case)
        # Scheduling checked both; a case changed by hand since is caught here too.
        held = casework.case_blocks(session, case)
        if held:
            raise Conflict(f"El caso {case.id} tiene un bloqueo de protección: no viaja.")
        casework.check_consents(session, case)
        for m in casework.case_members(session, case.id):
            if not (m.given_names and m.surname_1):
                raise InputError.at(
                    f"caso {case.id}, integrante {shown(m.person_ref)}",
                    "sin nombre y apellido: complete el caso antes de enviar el manifiesto",
                )
            persons.append(_person(m))
    now = _now()
    manifest_id = str(uuid.uuid4())
    payload = {
        "kind": MESSAGE,
        "manifest_id": manifest_id,
        "from_node": node.node_id,
        "from_country": node.country,
        "from_agency": principal.agency,
        "to_node": peer.node_id,
        "to_country": peer.country,
        "to_agency": peer.agency,
        "departure": departure,
        "leg_date": leg_date.isoformat(),
        "purpose": purpose,
        "legal_basis": legal_basis,
        "issued_at": now.isoformat(),
        "retain_until": (leg_date + timedelta(days=RETAIN_DAYS)).isoformat(),
        "persons": persons,
    }
    # The payload is checked as the partner will check it: what we could not accept, we
    # do not send.
    validated(ManifestPayload, payload, prefix="manifiesto.")
    row = SentManifest(
        id=manifest_id,
        owner_country=principal.country,
        owner_agency=principal.agency,
        peer_node=peer.node_id,
        to_country=peer.country,
        to_agency=peer.agency,
        departure=departure,
        leg_date=leg_date,
        purpose=purpose,
        legal_basis=legal_basis,
        member_ids=json.dumps([p["ref"] for p in persons]),
        payload=canonical(payload).decode("utf-8"),
        signature=node.key.sign(canonical(payload)),
        sha256=_digest(payload),
        status="pending",
        created_by=principal.label,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit_act(
        session,
        node,
        principal,
        "corridor.manifest.prepared",
        manifest_id,
        {
            "to": peer.node_id,
            "departure": departure,
            "persons": len(persons),
            "fields": list(MANIFEST_FIELDS),
            "legal_basis": legal_basis,
        },
    )
    return row


def sent(session: Session, principal: Principal, manifest_id: str) -> SentManifest:
    """One manifest this node sent, if the principal's agency sent it."""
    authorize(principal, SEND)
    row = session.scalar(
        select(SentManifest).where(
            SentManifest.id == manifest_id, visible(principal, SEND, SentManifest)
        )
    )
    if row is None:
        raise NotFound(f"No existe el manifiesto {shown(manifest_id)}.")
    return row


def sent_list(session: Session, principal: Principal, *, limit: int = 100) -> list[SentManifest]:
    """The manifests the principal's agency sent, newest first."""
    authorize(principal, SEND)
    stmt = (
        select(SentManifest)
        .where(visible(principal, SEND, SentManifest))
        .order_by(SentManifest.created_at.desc(), SentManifest.id)
        .limit(max(1, min(limit, 1000)))
    )
    return list(session.scalars(stmt))


def message_body(row: SentManifest) -> dict[str, Any]:
    """What goes in the signed envelope: the payload as signed, and its signature."""
    return {"payload": json.loads(row.payload), "signature": row.signature}


def record_failure(row: SentManifest, error: str) -> None:
    """The delivery failed (partner down or refusing): kept pending, with why."""
    row.error = error[:1000]


def store_receipt(
    session: Session, node: Node, principal: Principal, *, row: SentManifest, reply: Any
) -> SentManifest:
    """Verify the partner's signed receipt and keep it; the manifest is acknowledged."""
    peer = _peer(session, row.peer_node)
    if not isinstance(reply, dict) or not isinstance(reply.get("receipt"), dict):
        raise InputError.at("receipt", "respuesta sin acuse de recibo")
    receipt, signature = reply["receipt"], reply.get("signature")
    if not isinstance(signature, str) or not verify(peer.public_key, canonical(receipt), signature):
        raise AuthenticationError(f"Acuse de {peer.node_id} con firma inválida: se descarta.")
    if receipt.get("receipt") != row.id or receipt.get("sha256") != row.sha256:
        raise AuthenticationError(
            f"El acuse de {peer.node_id} no corresponde al manifiesto {row.id} enviado."
        )
    if receipt.get("received_by") != peer.node_id:
        raise AuthenticationError(f"El acuse dice venir de otro nodo, no de {peer.node_id}.")
    row.receipt = canonical({"receipt": receipt, "signature": signature}).decode("utf-8")
    row.status = "acknowledged"
    row.error = None
    row.acknowledged_at = _now()
    audit_act(
        session,
        node,
        principal,
        "corridor.manifest.acknowledged",
        row.id,
        {"by": peer.node_id, "sha256": row.sha256, "at": receipt.get("at")},
    )
    return row


# ------------------------------------------------------------------ the receiving side


def _receipt(node: Node, row: ReceivedManifest) -> dict[str, Any]:
    receipt = {
        "receipt": row.id,
        "sha256": row.sha256,
        "received_by": node.node_id,
        "agency": row.owner_agency,
        "persons": row.persons,
        "at": row.received_at.isoformat(),
    }
    return {"receipt": receipt, "signature": node.key.sign(canonical(receipt))}


def receive(session: Session, node: Node, *, peer: Peer, body: dict[str, Any]) -> dict[str, Any]:
    """Check a partner's manifest, keep it apart from records, answer a signed receipt."""
    raw, signature = body.get("payload"), body.get("signature")
    if not isinstance(raw, dict) or not isinstance(signature, str):
        raise InputError.at("body", "se esperaba {payload, signature}")
    if len(signature) > 256 or not verify(peer.public_key, canonical(raw), signature):
        raise AuthenticationError(f"Manifiesto de {peer.node_id} con firma inválida.")
    data = validated(ManifestPayload, raw, prefix="manifiesto.")
    if data.from_node != peer.node_id or data.to_node != node.node_id:
        raise PermissionDenied("El manifiesto no viene de quien lo envía o va a otro nodo.")
    if (data.from_country, data.from_agency) != (peer.country, peer.agency):
        raise PermissionDenied(f"El manifiesto dice venir de otra institución que {peer.agency}.")
    if data.to_country != node.country:
        raise PermissionDenied("El manifiesto va dirigido a otro país.")
    refs = [p.ref for p in data.persons]
    if len(set(refs)) != len(refs):
        raise InputError.at("manifiesto.persons", "una persona figura dos veces")
    if not data.leg_date <= data.retain_until <= data.leg_date + timedelta(days=MAX_RETAIN_DAYS):
        raise InputError.at(
            "manifiesto.retain_until",
            f"entre la fecha del tramo y {MAX_RETAIN_DAYS} días después",
        )
    digest = _digest(raw)
    row = session.get(ReceivedManifest, str(data.manifest_id))
    if row is not None:
        if row.sha256 != digest or row.from_node != peer.node_id:
            raise Conflict(f"El manifiesto {data.manifest_id} ya llegó con otro contenido.")
        return _receipt(node, row)  # sent again after a lost reply: same receipt
    row = ReceivedManifest(
        id=str(data.manifest_id),
        owner_country=node.country,
        owner_agency=data.to_agency,
        from_node=peer.node_id,
        from_country=peer.country,
        from_agency=peer.agency,
        departure=data.departure,
        leg_date=data.leg_date,
        purpose=data.purpose,
        legal_basis=data.legal_basis,
        persons=len(data.persons),
        payload=canonical(raw).decode("utf-8"),
        signature=signature,
        sha256=digest,
        received_at=_now(),
        retain_until=data.retain_until,
    )
    if row.owner_agency != node.agency:
        raise PermissionDenied(f"El manifiesto va a {shown(data.to_agency)}, no a {node.agency}.")
    session.add(row)
    session.flush()
    return _receipt(node, row)


def received_list(
    session: Session, principal: Principal, *, limit: int = 100
) -> list[ReceivedManifest]:
    """The manifests addressed to the principal's agency, newest first."""
    authorize(principal, READ)
    stmt = (
        select(ReceivedManifest)
        .where(visible(principal, READ, ReceivedManifest))
        .order_by(ReceivedManifest.received_at.desc(), ReceivedManifest.id)
        .limit(max(1, min(limit, 1000)))
    )
    return list(session.scalars(stmt))


def received(
    session: Session, node: Node, principal: Principal, manifest_id: str
) -> ReceivedManifest:
    """One received manifest with its persons; the look is audited (who saw what)."""
    authorize(principal, READ)
    row = session.scalar(
        select(ReceivedManifest).where(
            ReceivedManifest.id == manifest_id, visible(principal, READ, ReceivedManifest)
        )
    )
    if row is None:
        raise NotFound(f"No existe el manifiesto {shown(manifest_id)}.")
    audit_act(session, node, principal, "corridor.manifest.viewed", row.id, {})
    return row


def persons_of(row: ReceivedManifest) -> list[dict[str, Any]]:
    """The persons of a received manifest (none once erased)."""
    if row.payload is None:
        return []
    persons = json.loads(row.payload).get("persons", [])
    return [p for p in persons if isinstance(p, dict)]


def roster(session: Session, node: Node) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every person of a manifest this node holds: ref -> (manifest id, person)."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    rows = session.scalars(
        select(ReceivedManifest).where(
            ReceivedManifest.erased_at.is_(None), ReceivedManifest.owner_country == node.country
        )
    )
    for row in rows:
        for person in persons_of(row):
            found[str(person.get("ref"))] = (row.id, person)
    return found


def expire_received(session: Session, node: Node, principal: Principal, *, today: date) -> int:
    """Erase the persons of every received manifest past its retention date."""
    authorize(principal, PROTECT)
    rows = list(
        session.scalars(
            select(ReceivedManifest).where(
                visible(principal, PROTECT, ReceivedManifest),
                ReceivedManifest.erased_at.is_(None),
                ReceivedManifest.retain_until < today,
            )
        )
    )
    now = _now()
    for row in rows:
        row.payload = None
        row.erased_at = now
        audit_act(
            session,
            node,
            principal,
            "corridor.manifest.erased",
            row.id,
            {"retain_until": row.retain_until.isoformat(), "persons": row.persons},
        )
    return len(rows)


def view(row: SentManifest | ReceivedManifest) -> dict[str, Any]:
    """A manifest as JSON (persons only for a received one that is still held)."""
    body: dict[str, Any] = {
        "id": row.id,
        "departure": row.departure,
        "leg_date": row.leg_date.isoformat(),
        "purpose": row.purpose,
        "legal_basis": row.legal_basis,
    }
    if isinstance(row, SentManifest):
        body.update(
            to=row.peer_node,
            to_country=row.to_country,
            to_agency=row.to_agency,
            persons=len(json.loads(row.member_ids)),
            status=row.status,
            error=row.error,
            created_by=row.created_by,
            created_at=row.created_at.isoformat(),
            acknowledged_at=row.acknowledged_at.isoformat() if row.acknowledged_at else None,
            receipt=json.loads(row.receipt) if row.receipt else None,
        )
    else:
        body.update(
            sender=row.from_node,
            from_country=row.from_country,
            from_agency=row.from_agency,
            persons=row.persons,
            received_at=row.received_at.isoformat(),
            retain_until=row.retain_until.isoformat(),
            erased_at=row.erased_at.isoformat() if row.erased_at else None,
        )
    return body
