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
import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

from pydantic import Field, ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal, authorize, visible
from alianza.codes.text import shown
from alianza.corridor import contract
from alianza.corridor.blocks import Block, blocks, is_protection_block
from alianza.corridor.models import ReturnCase, ReturnConsent, ReturnEvent, ReturnMember
from alianza.errors import Conflict, InputError, NotFound
from alianza.identity.names import fold
from alianza.node.context import Node

MANAGE = "manage_returns"
APPROVE = "approve_returns"

ADULT_AGE = 18

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


# ------------------------------------------------------------------ the household file


class CaseMember(contract.Member):
    """A member as the planner's contract has it, plus what casework needs to tell one
    person from another (all optional: a file for the planner alone is accepted)."""

    given_names: str = Field("", max_length=200)
    surname_1: str = Field("", max_length=200)
    surname_2: str | None = Field(None, max_length=200)
    document_number: str | None = Field(None, max_length=64)
    nationality: str | None = Field(None, max_length=2)


class CaseHousehold(contract.Household):
    members: list[CaseMember] = Field(min_length=1, max_length=64)  # type: ignore[assignment]


_DOCUMENT_JUNK = re.compile(r"[\s.\-/]")
_ALPHA2 = re.compile(r"[A-Z]{2}")


def _document(raw: str | None) -> str | None:
    """A document number compared as written on the document: upper case, without the
    spaces, dots, dashes and slashes forms add."""
    if raw is None:
        return None
    text = _DOCUMENT_JUNK.sub("", raw).upper()
    return text or None


def parse_household(raw: Any) -> CaseHousehold:
    """The household JSON checked whole; the first problem is an ``InputError`` naming the
    field by its path (``members[1] (m2).birth_date``)."""
    try:
        household = CaseHousehold.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = contract.error_location(tuple(error["loc"]), raw) if error["loc"] else "hogar"
        message = contract.ERROR_MESSAGES.get(error["type"], error["msg"])
        raise InputError.at(where, message) from None
    seen: set[str] = set()
    for j, member in enumerate(household.members):
        at = f"members[{j}] ({shown(member.id)})"
        if member.id in seen:
            raise InputError.at(at, "identificador repetido en el hogar")
        seen.add(member.id)
        if member.nationality is not None:
            code = member.nationality.strip().upper()
            if not _ALPHA2.fullmatch(code):
                raise InputError.at(f"{at}.nationality", "código de país ISO alfa-2 (p. ej. VE)")
            member.nationality = code
        if member.birth_date is not None and member.birth_date > date.today():
            raise InputError.at(f"{at}.birth_date", "la fecha de nacimiento está en el futuro")
    return household


def _is_minor(birth: date | None, today: date) -> bool:
    if birth is None:
        return False
    years = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return years < ADULT_AGE


def _name_key(given: str, surname_1: str, birth: date | None) -> tuple[str, str, date] | None:
    g, s = fold(given), fold(surname_1)
    if not g or not s or birth is None:
        return None
    return g, s, birth


# ------------------------------------------------------------------ reading


def _now() -> datetime:
    return datetime.now(UTC)


def _visible_case(
    session: Session, principal: Principal, case_id: str, *, lock: bool = False
) -> ReturnCase:
    stmt = select(ReturnCase).where(
        ReturnCase.id == case_id, visible(principal, MANAGE, ReturnCase)
    )
    if lock:
        stmt = stmt.with_for_update()
    found = session.scalars(stmt).first()
    if found is None:
        raise NotFound(f"No existe el caso {case_id}.")
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
    return _visible_case(session, principal, case_id)


def members(session: Session, principal: Principal, case_id: str) -> list[ReturnMember]:
    """The members of a case, by their id in the household file."""
    found = case(session, principal, case_id)
    return _members(session, found.id)


def consents(session: Session, principal: Principal, case_id: str) -> list[ReturnConsent]:
    """Every consent recorded on a case, withdrawn ones included, oldest first."""
    found = case(session, principal, case_id)
    return _consents(session, found.id)


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


def _consents(session: Session, case_id: str) -> list[ReturnConsent]:
    stmt = (
        select(ReturnConsent)
        .where(ReturnConsent.case_id == case_id)
        .order_by(ReturnConsent.given_at, ReturnConsent.id)
    )
    return list(session.scalars(stmt))


def _active(consents: list[ReturnConsent], member_id: str) -> ReturnConsent | None:
    return next((c for c in consents if c.member_id == member_id and c.withdrawn_at is None), None)


def _member(session: Session, found: ReturnCase, member: str) -> ReturnMember:
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


def register(
    session: Session, node: Node, principal: Principal, household: dict[str, Any]
) -> ReturnCase:
    """Open a case for a household (the JSON of ``contract.Household``, with names and
    documents per member), refusing one whose member is already in an open case."""
    authorize(principal, MANAGE)
    data = parse_household(household)
    _refuse_duplicates(session, principal, data)
    now = _now()
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
                document_number=_document(m.document_number),
                nationality=m.nationality,
                flags=json.dumps(sorted({f.strip().lower() for f in m.flags}), ensure_ascii=False),
                is_minor=_is_minor(m.birth_date, today),
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


def _refuse_duplicates(session: Session, principal: Principal, data: CaseHousehold) -> None:
    documents = {d for m in data.members if (d := _document(m.document_number))}
    names = {
        k: m.id
        for m in data.members
        if (k := _name_key(m.given_names, m.surname_1, m.birth_date)) is not None
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
        key = _name_key(member.given_names, member.surname_1, member.birth_date)
        if key is not None and key in names:
            raise Conflict(
                f"La persona {shown(names[key])} (mismo nombre, primer apellido y fecha de "
                f"nacimiento) ya figura en el caso abierto {other.id} (hogar "
                f"{shown(other.reference)}); no se registra dos veces."
            )


# ------------------------------------------------------------------ moving


def _record_move(
    session: Session,
    node: Node,
    principal: Principal,
    found: ReturnCase,
    to_status: str,
    reason: str,
    *,
    status_reason: str | None = None,
) -> None:
    now = _now()
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
) -> ReturnCase:
    """Move a case one step along the workflow, or out of it, with a reason.

    Screening a case with a protection block puts it on hold instead (and says so in its
    status reason and its event); the case is returned either way, so the caller reads
    ``status`` to see where it went."""
    authorize(principal, MANAGE)
    target = to_status.strip().lower()
    if target not in NEXT:
        raise InputError.at("estado", f"estado desconocido '{shown(to_status)}'; se admite: "
                            + ", ".join(STATUSES))  # fmt: skip
    text = reason.strip()
    if not text:
        raise InputError.at("motivo", "indique el motivo del cambio de estado")
    found = _visible_case(session, principal, case_id, lock=True)
    if target not in NEXT[found.status]:
        raise Conflict(
            f"El caso {found.id} está {STATUS_LABELS[found.status]} ({found.status}): no puede "
            f"pasar a {target}; {_allowed_text(found.status)}."
        )
    if target == "approved":
        authorize(principal, APPROVE, found)
    elif target == "consented":
        _check_consents(session, found)
    elif target == "screened":
        held = case_blocks(session, found)
        if held:
            why = _describe(held)
            _record_move(
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
    elif target == "departed":
        _check_boarding(session, found)
    _record_move(session, node, principal, found, target, text)
    return found


def _check_consents(session: Session, found: ReturnCase) -> None:
    people = _members(session, found.id)
    adults = {m.id for m in people if not m.is_minor}
    recorded = _consents(session, found.id)
    missing: list[str] = []
    for m in people:
        active = _active(recorded, m.id)
        if active is None:
            missing.append(f"{shown(m.person_ref)} (sin consentimiento vigente)")
        elif m.is_minor and active.guardian_member_id not in adults:
            missing.append(f"{shown(m.person_ref)} (menor: falta un tutor adulto del hogar)")
    if missing:
        raise Conflict(f"El caso {found.id} no pasa a consented: " + "; ".join(missing) + ".")


def _check_boarding(session: Session, found: ReturnCase) -> None:
    recorded = _consents(session, found.id)
    missing = []
    for m in _members(session, found.id):
        if m.is_minor:
            continue
        active = _active(recorded, m.id)
        if active is None or active.confirmed_at_boarding is None:
            missing.append(shown(m.person_ref))
    if missing:
        raise Conflict(
            f"El caso {found.id} no sale: falta confirmar el consentimiento al embarcar de "
            + ", ".join(missing)
            + "."
        )


# ------------------------------------------------------------------ consents


def record_consent(
    session: Session,
    node: Node,
    principal: Principal,
    case_id: str,
    member_id: str,
    *,
    sheet_version: str,
    language: str,
    counsellor: str,
    witness: str | None = None,
    guardian_member_id: str | None = None,
) -> ReturnConsent:
    """Record a member's informed consent (a minor's through an adult of the case)."""
    authorize(principal, MANAGE)
    found = _visible_case(session, principal, case_id, lock=True)
    if found.status in CLOSED or found.status in BOARDED:
        raise Conflict(
            f"El caso {found.id} está {STATUS_LABELS[found.status]}: ya no se registran "
            "consentimientos."
        )
    fields = {
        "--sheet": (sheet_version, 40),
        "--language": (language, 16),
        "--counsellor": (counsellor, 120),
    }
    for name, (value, most) in fields.items():
        if not value.strip():
            raise InputError.at(name, "no puede estar vacío")
        if len(value.strip()) > most:
            raise InputError.at(name, "texto demasiado largo")
    member = _member(session, found, member_id)
    recorded = _consents(session, found.id)
    if _active(recorded, member.id) is not None:
        raise Conflict(
            f"{shown(member.person_ref)} ya tiene un consentimiento vigente en el caso {found.id}."
        )
    guardian: ReturnMember | None = None
    if member.is_minor:
        if guardian_member_id is None:
            raise InputError.at(
                "--guardian", f"{shown(member.person_ref)} es menor: indique su tutor adulto"
            )
        guardian = _member(session, found, guardian_member_id)
        if guardian.is_minor or guardian.id == member.id:
            raise InputError.at("--guardian", "el tutor debe ser un adulto del mismo hogar")
    elif guardian_member_id is not None:
        raise InputError.at("--guardian", "un adulto da su propio consentimiento, sin tutor")
    consent = ReturnConsent(
        id=str(uuid.uuid4()),
        case_id=found.id,
        member_id=member.id,
        sheet_version=sheet_version.strip(),
        language=language.strip(),
        counsellor=counsellor.strip(),
        witness=(witness or "").strip()[:120] or None,
        guardian_member_id=guardian.id if guardian is not None else None,
        given_at=_now(),
    )
    session.add(consent)
    session.flush()
    audit_act(
        session,
        node,
        principal,
        "corridor.consent.record",
        found.id,
        {"member": member.person_ref, "sheet": consent.sheet_version, "minor": member.is_minor},
    )
    return consent


def withdraw_consent(
    session: Session,
    node: Node,
    principal: Principal,
    case_id: str,
    member_id: str,
    reason: str,
) -> ReturnCase:
    """Withdraw a member's consent, up to boarding; the whole case is withdrawn with it
    (a household is not split)."""
    authorize(principal, MANAGE)
    text = reason.strip()
    if not text:
        raise InputError.at("motivo", "indique el motivo del desistimiento")
    found = _visible_case(session, principal, case_id, lock=True)
    if found.status in BOARDED:
        raise Conflict(
            f"El caso {found.id} ya salió ({found.status}): el consentimiento se retira hasta "
            "el embarque."
        )
    member = _member(session, found, member_id)
    active = _active(_consents(session, found.id), member.id)
    if active is None:
        raise Conflict(
            f"{shown(member.person_ref)} no tiene un consentimiento vigente en el caso {found.id}."
        )
    active.withdrawn_at = _now()
    active.withdrawn_reason = text
    session.flush()
    audit_act(
        session,
        node,
        principal,
        "corridor.consent.withdraw",
        found.id,
        {"member": member.person_ref},
    )
    if found.status not in ("withdrawn", "referred"):
        _record_move(
            session,
            node,
            principal,
            found,
            "withdrawn",
            f"{shown(member.person_ref)} retiró su consentimiento: {text}",
        )
    return found


def confirm_boarding(
    session: Session, node: Node, principal: Principal, case_id: str, member_id: str
) -> ReturnConsent:
    """A member confirms, at the door of the bus or plane, the consent they gave."""
    authorize(principal, MANAGE)
    found = _visible_case(session, principal, case_id, lock=True)
    if found.status != "scheduled":
        raise Conflict(
            f"El caso {found.id} está {STATUS_LABELS[found.status]} ({found.status}): el "
            "embarque se confirma cuando está programado (scheduled)."
        )
    member = _member(session, found, member_id)
    active = _active(_consents(session, found.id), member.id)
    if active is None:
        raise Conflict(
            f"{shown(member.person_ref)} no tiene un consentimiento vigente en el caso {found.id}."
        )
    if active.confirmed_at_boarding is None:
        active.confirmed_at_boarding = _now()
        session.flush()
    audit_act(
        session,
        node,
        principal,
        "corridor.consent.board",
        found.id,
        {"member": member.person_ref},
    )
    return active


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
        "created_by": found.created_by,
        "created_at": found.created_at.isoformat(),
        "updated_at": found.updated_at.isoformat(),
    }
