"""Return casework on the node: register a household, counsel it, record consents, screen
it, approve, schedule, board and follow it up. The service layer: every function takes
the caller's session, authorizes first, audits each act and never commits.

Decisions:

- **One case per household.** A household is never split: a member who withdraws consent
  withdraws the whole case (its caseworker can register again those who still want to
  go).
- **The workflow is a table** (``NEXT``): ``registered → counselled → consented →
  screened → approved → scheduled → departed → crossed → arrived → followed_up``, with the
  side exits ``withdrawn``, ``referred`` and ``on_hold`` open until boarding. A move not in
  the table is a ``Conflict`` naming the steps that are allowed. Every move needs a
  reason and leaves a ``ReturnEvent`` (who, in which role, when, why) and an audit entry.
- **Protection blocks are not overridable** (``blocks.py``, non-refoulement). Screening
  runs them: a blocked case goes to ``on_hold`` instead, its status reason naming the
  blocks, and is referred. ``scheduled`` runs them again whatever the status says, so no
  path through the table (a hold lifted, a status set by hand in the database) schedules
  a blocked person.
- **Consent is recorded, not inferred.** The ``consent`` boolean of the household file is
  what the planner reads; here a consent is a row naming the sheet version, language and
  counsellor. Every adult consents in person; a minor (under 18 when registered, fixed
  then so the rule does not shift as the case ages) through an adult member of the same
  case as guardian. A member without a birth date is treated as an adult: they must give
  their own consent, the stricter of the two. Consent may be withdrawn until boarding;
  every adult confirms it again at boarding before the case may depart.
- **Only a supervisor approves** (``approve_returns``); caseworkers and supervisors hold
  ``manage_returns``; police roles hold neither and are refused every call.
- **Cases stay with their agency** (``policy.CASE_RULE``): another agency's case is
  ``NotFound``, not ``PermissionDenied``, so its existence is not revealed.
- **Duplicates.** A household whose member already appears in another open case the
  caller can see (same document number, or the same folded given names, first surname
  and birth date: ``identity.names.fold``) is refused, naming that case. Only visible
  cases are compared: a duplicate at another agency is theirs to find.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal, authorize, visible
from alianza.codes.text import clean_text, shown, storable_id
from alianza.corridor import household
from alianza.corridor.blocks import Block, blocks, is_protection_block
from alianza.corridor.models import ReturnCase, ReturnConsent, ReturnEvent, ReturnMember
from alianza.errors import Conflict, InputError, NotFound
from alianza.node.context import Node

MANAGE = "manage_returns"
APPROVE = "approve_returns"


# The workflow: status -> the statuses a case may move to next.
_EXITS = ("withdrawn", "referred", "on_hold")
NEXT: dict[str, tuple[str, ...]] = {
    "registered": ("counselled", *_EXITS),
    "counselled": ("consented", *_EXITS),
    "consented": ("screened", *_EXITS),
    "screened": ("approved", *_EXITS),
    "approved": ("scheduled", *_EXITS),
    "scheduled": ("departed", *_EXITS),
    "departed": ("crossed",),
    "crossed": ("arrived",),
    "arrived": ("followed_up",),
    "followed_up": (),
    "withdrawn": (),
    "referred": (),
    # A hold is lifted back to the start: the case is counselled and screened again.
    "on_hold": ("registered", "withdrawn", "referred"),
}
STATUSES = tuple(NEXT)
# From here on the household has left: consent can no longer be withdrawn.
BOARDED = frozenset({"departed", "crossed", "arrived", "followed_up"})
# Cases no longer open (not compared for duplicates, no consent recorded).
CLOSED = frozenset({"withdrawn", "referred", "followed_up"})

STATUS_LABELS = {
    "registered": "registrado",
    "counselled": "orientado",
    "consented": "con consentimiento",
    "screened": "evaluado",
    "approved": "aprobado",
    "scheduled": "programado",
    "departed": "salió",
    "crossed": "cruzó la frontera",
    "arrived": "llegó",
    "followed_up": "con seguimiento",
    "withdrawn": "desistido",
    "referred": "derivado",
    "on_hold": "en espera",
}


# ------------------------------------------------------------------ reading


def utcnow() -> datetime:
    """The time now, in UTC (every casework timestamp)."""
    return datetime.now(UTC)


def visible_case(
    session: Session, principal: Principal, case_id: str, *, lock: bool = False
) -> ReturnCase:
    if not storable_id(case_id):
        raise NotFound(f"No existe el caso {shown(case_id)}.")
    stmt = select(ReturnCase).where(
        ReturnCase.id == case_id, visible(principal, MANAGE, ReturnCase)
    )
    if lock:
        stmt = stmt.with_for_update()
    found = session.scalars(stmt).first()
    if found is None:
        raise NotFound(f"No existe el caso {shown(case_id)}.")
    authorize(principal, MANAGE, found)
    return found


def cases(session: Session, principal: Principal, *, limit: int = 100) -> list[ReturnCase]:
    """The cases the principal may see, newest first."""
    authorize(principal, MANAGE)
    stmt = (
        select(ReturnCase)
        .where(visible(principal, MANAGE, ReturnCase))
        .order_by(ReturnCase.created_at.desc(), ReturnCase.id)
        .limit(max(1, min(limit, 1000)))
    )
    return list(session.scalars(stmt))


def case(session: Session, principal: Principal, case_id: str) -> ReturnCase:
    """One case the principal may see; ``NotFound`` otherwise (another agency's case is
    not said to exist)."""
    authorize(principal, MANAGE)
    return visible_case(session, principal, case_id)


def view(session: Session, node: Node, principal: Principal, case_id: str) -> ReturnCase:
    """``case`` for a person who looks at it: the look is audited (a subject access report
    lists who saw a household's data)."""
    found = case(session, principal, case_id)
    audit_act(session, node, principal, "corridor.case.viewed", found.id, {})
    return found


def members(session: Session, principal: Principal, case_id: str) -> list[ReturnMember]:
    """The members of a case, by their id in the household file."""
    found = case(session, principal, case_id)
    return _members(session, found.id)


def consents(session: Session, principal: Principal, case_id: str) -> list[ReturnConsent]:
    """Every consent recorded on a case, withdrawn ones included, oldest first."""
    found = case(session, principal, case_id)
    return consents_of(session, found.id)


def history(session: Session, principal: Principal, case_id: str) -> list[ReturnEvent]:
    """The case's changes of status, oldest first."""
    found = case(session, principal, case_id)
    stmt = (
        select(ReturnEvent)
        .where(ReturnEvent.case_id == found.id)
        .order_by(ReturnEvent.at, ReturnEvent.id)
    )
    return list(session.scalars(stmt))


def _members(session: Session, case_id: str) -> list[ReturnMember]:
    stmt = select(ReturnMember).where(ReturnMember.case_id == case_id)
    rows = list(session.scalars(stmt))
    return sorted(rows, key=lambda m: m.person_ref)


def case_members(session: Session, case_id: str) -> list[ReturnMember]:
    """The members of a case already authorized by the caller (for manifests, reports)."""
    return _members(session, case_id)


def consents_of(session: Session, case_id: str) -> list[ReturnConsent]:
    stmt = (
        select(ReturnConsent)
        .where(ReturnConsent.case_id == case_id)
        .order_by(ReturnConsent.given_at, ReturnConsent.id)
    )
    return list(session.scalars(stmt))


def active_consent(consents: list[ReturnConsent], member_id: str) -> ReturnConsent | None:
    return next((c for c in consents if c.member_id == member_id and c.withdrawn_at is None), None)


def member_of(session: Session, found: ReturnCase, member: str) -> ReturnMember:
    """A member of the case by its id or by its id in the household file."""
    for m in _members(session, found.id):
        if member in (m.id, m.person_ref):
            return m
    raise NotFound(f"El caso {found.id} no tiene el integrante {shown(member)}.")


def case_blocks(session: Session, found: ReturnCase) -> list[Block]:
    """The case's protection blocks (consent is checked by the workflow, not here)."""
    found_blocks = blocks(
        (m.person_ref, json.loads(m.flags), True) for m in _members(session, found.id)
    )
    return [b for b in found_blocks if is_protection_block(b)]


def _describe(found_blocks: list[Block]) -> str:
    return "; ".join(f"{shown(b.member)}: {b.reason}" for b in found_blocks)


# ------------------------------------------------------------------ registering


def register(session: Session, node: Node, principal: Principal, raw: dict[str, Any]) -> ReturnCase:
    """Open a case for a household (the JSON of ``contract.Household``, with names and
    documents per member), refusing one whose member is already in an open case."""
    authorize(principal, MANAGE)
    data = household.parse_household(raw)
    _refuse_duplicates(session, principal, data)
    now = utcnow()
    found = ReturnCase(
        id=str(uuid.uuid4()),
        reference=data.id,
        origin=data.origin,
        ready_date=data.ready_date,
        priority=data.priority,
        status="registered",
        status_reason=None,
        owner_country=principal.country,
        owner_agency=principal.agency,
        created_by=principal.label,
        created_at=now,
        updated_at=now,
    )
    session.add(found)
    session.flush()
    today = now.date()
    for m in data.members:
        session.add(
            ReturnMember(
                id=str(uuid.uuid4()),
                case_id=found.id,
                person_ref=m.id,
                given_names=m.given_names,
                surname_1=m.surname_1,
                surname_2=m.surname_2 or None,
                birth_date=m.birth_date,
                document_number=household.normal_document(m.document_number),
                nationality=m.nationality,
                flags=json.dumps(sorted({f.strip().lower() for f in m.flags}), ensure_ascii=False),
                is_minor=household.is_minor(m.birth_date, today),
            )
        )
    session.add(
        ReturnEvent(
            id=str(uuid.uuid4()),
            case_id=found.id,
            from_status="",
            to_status="registered",
            by=principal.label,
            role=principal.role.value,
            at=now,
            reason="caso registrado",
        )
    )
    session.flush()
    audit_act(
        session,
        node,
        principal,
        "corridor.case.register",
        found.id,
        {"reference": found.reference, "members": len(data.members)},
    )
    return found


def _refuse_duplicates(
    session: Session, principal: Principal, data: household.CaseHousehold
) -> None:
    documents = {d for m in data.members if (d := household.normal_document(m.document_number))}
    names = {
        k: m.id
        for m in data.members
        if (k := household.name_key(m.given_names, m.surname_1, m.birth_date)) is not None
    }
    if not documents and not names:
        return
    births = {k[2] for k in names}
    matches = []
    if documents:
        matches.append(ReturnMember.document_number.in_(documents))
    if births:
        matches.append(ReturnMember.birth_date.in_(births))
    stmt = (
        select(ReturnMember, ReturnCase)
        .join(ReturnCase, ReturnCase.id == ReturnMember.case_id)
        .where(
            visible(principal, MANAGE, ReturnCase),
            ReturnCase.status.not_in(CLOSED),
            or_(*matches),
        )
        .order_by(ReturnCase.created_at, ReturnCase.id)
    )
    for member, other in session.execute(stmt):
        if member.document_number is not None and member.document_number in documents:
            raise Conflict(
                f"El documento {shown(member.document_number)} ya figura en el caso abierto "
                f"{other.id} (hogar {shown(other.reference)}); no se registra dos veces."
            )
        key = household.name_key(member.given_names, member.surname_1, member.birth_date)
        if key is not None and key in names:
            raise Conflict(
                f"La persona {shown(names[key])} (mismo nombre, primer apellido y fecha de "
                f"nacimiento) ya figura en el caso abierto {other.id} (hogar "
                f"{shown(other.reference)}); no se registra dos veces."
            )


# ------------------------------------------------------------------ moving


def record_move(
    session: Session,
    node: Node,
    principal: Principal,
    found: ReturnCase,
    to_status: str,
    reason: str,
    *,
    status_reason: str | None = None,
) -> None:
    now = utcnow()
    before = found.status
    session.add(
        ReturnEvent(
            id=str(uuid.uuid4()),
            case_id=found.id,
            from_status=before,
            to_status=to_status,
            by=principal.label,
            role=principal.role.value,
            at=now,
            reason=reason,
        )
    )
    found.status = to_status
    found.status_reason = status_reason if status_reason is not None else reason
    found.updated_at = now
    session.flush()
    audit_act(
        session,
        node,
        principal,
        "corridor.case.move",
        found.id,
        {"from": before, "to": to_status},
    )


def _allowed_text(status: str) -> str:
    steps = NEXT[status]
    if not steps:
        return f"el caso está {STATUS_LABELS[status]} ({status}) y ya no cambia de estado"
    return "los pasos permitidos son: " + ", ".join(steps)


def move(
    session: Session,
    node: Node,
    principal: Principal,
    case_id: str,
    to_status: str,
    reason: str,
    *,
    departure: str | None = None,
) -> ReturnCase:
    """Move a case one step along the workflow, or out of it, with a reason (scheduling
    names the departure, the id of a plan's bus run or flight, that its manifests list).

    Screening a case with a protection block puts it on hold instead (and says so in its
    status reason and its event); the case is returned either way, so the caller reads
    ``status`` to see where it went."""
    authorize(principal, MANAGE)
    target = to_status.strip().lower()
    if target not in NEXT:
        raise InputError.at("estado", f"estado desconocido '{shown(to_status)}'; se admite: "
                            + ", ".join(STATUSES))  # fmt: skip
    text = clean_text(reason, field="motivo", multiline=True).strip()
    if not text:
        raise InputError.at("motivo", "indique el motivo del cambio de estado")
    found = visible_case(session, principal, case_id, lock=True)
    if found.erased_at is not None:
        raise Conflict(f"El caso {found.id} fue borrado: ya no cambia de estado.")
    if target not in NEXT[found.status]:
        raise Conflict(
            f"El caso {found.id} está {STATUS_LABELS[found.status]} ({found.status}): no puede "
            f"pasar a {target}; {_allowed_text(found.status)}."
        )
    if target == "approved":
        authorize(principal, APPROVE, found)
    elif target == "consented":
        check_consents(session, found)
    elif target == "screened":
        held = case_blocks(session, found)
        if held:
            why = _describe(held)
            record_move(
                session,
                node,
                principal,
                found,
                "on_hold",
                f"en espera y derivado a protección por bloqueo ({why}); motivo: {text}",
                status_reason=f"Bloqueo de protección: {why}",
            )
            return found
    elif target == "scheduled":
        held = case_blocks(session, found)
        if held:
            raise Conflict(
                f"El caso {found.id} no se programa: tiene un bloqueo de protección "
                f"({_describe(held)}). Debe quedar en espera y derivarse."
            )
        found.departure = _departure(departure)
    elif target == "departed":
        _check_boarding(session, found)
    record_move(session, node, principal, found, target, text)
    return found


def _departure(raw: str | None) -> str:
    text = clean_text(raw or "", field="salida").strip()
    if not text:
        raise InputError.at("salida", "indique la salida (bus o vuelo del plan) del caso")
    if len(text) > 64:
        raise InputError.at("salida", "más de 64 caracteres")
    return text


def check_consents(session: Session, found: ReturnCase) -> None:
    """``Conflict`` naming each member without a valid consent (a minor: by a guardian)."""
    people = _members(session, found.id)
    adults = {m.id for m in people if not m.is_minor}
    recorded = consents_of(session, found.id)
    missing: list[str] = []
    for m in people:
        active = active_consent(recorded, m.id)
        if active is None:
            missing.append(f"{shown(m.person_ref)} (sin consentimiento vigente)")
        elif m.is_minor and active.guardian_member_id not in adults:
            missing.append(f"{shown(m.person_ref)} (menor: falta un tutor adulto del hogar)")
    if missing:
        raise Conflict(f"El caso {found.id} no pasa a consented: " + "; ".join(missing) + ".")


def _check_boarding(session: Session, found: ReturnCase) -> None:
    recorded = consents_of(session, found.id)
    missing = []
    for m in _members(session, found.id):
        if m.is_minor:
            continue
        active = active_consent(recorded, m.id)
        if active is None or active.confirmed_at_boarding is None:
            missing.append(shown(m.person_ref))
    if missing:
        raise Conflict(
            f"El caso {found.id} no sale: falta confirmar el consentimiento al embarcar de "
            + ", ".join(missing)
            + "."
        )


def summary(found: ReturnCase) -> dict[str, Any]:
    """A case as JSON (no personal data: the members are listed apart)."""
    return {
        "id": found.id,
        "reference": found.reference,
        "origin": found.origin,
        "ready_date": found.ready_date.isoformat(),
        "priority": found.priority,
        "status": found.status,
        "status_reason": found.status_reason,
        "departure": found.departure,
        "created_by": found.created_by,
        "created_at": found.created_at.isoformat(),
        "updated_at": found.updated_at.isoformat(),
    }


def detail(session: Session, node: Node, principal: Principal, case_id: str) -> dict[str, Any]:
    """A case as a person looks at it (audited): its summary, members (with the member id
    that manifests, check-ins and the subject access report use), consents and history."""
    body = summary(view(session, node, principal, case_id))
    people = members(session, principal, case_id)
    refs = {m.id: m.person_ref for m in people}
    body["members"] = [
        {
            "id": m.person_ref,
            "member_id": m.id,
            "given_names": m.given_names,
            "surname_1": m.surname_1,
            "surname_2": m.surname_2,
            "birth_date": m.birth_date.isoformat() if m.birth_date else None,
            "document_number": m.document_number,
            "nationality": m.nationality,
            "flags": json.loads(m.flags),
            "is_minor": m.is_minor,
        }
        for m in people
    ]
    body["consents"] = [
        {
            "member": refs.get(c.member_id, c.member_id),
            "sheet_version": c.sheet_version,
            "language": c.language,
            "counsellor": c.counsellor,
            "witness": c.witness,
            "guardian": refs.get(c.guardian_member_id) if c.guardian_member_id else None,
            "given_at": c.given_at.isoformat(),
            "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
            "withdrawn_reason": c.withdrawn_reason,
            "confirmed_at_boarding": (
                c.confirmed_at_boarding.isoformat() if c.confirmed_at_boarding else None
            ),
        }
        for c in consents(session, principal, case_id)
    ]
    body["events"] = [
        {
            "from": e.from_status,
            "to": e.to_status,
            "by": e.by,
            "role": e.role,
            "at": e.at.isoformat(),
            "reason": e.reason,
        }
        for e in history(session, principal, case_id)
    ]
    return body
