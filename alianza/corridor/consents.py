"""Informed consent for a return: recorded per member after counselling (a minor's through
an adult of the same household), withdrawn up to boarding (which withdraws the whole
case: a household is not split), and confirmed again at the door of the bus or plane.
No consent, no seat: ``casework.move`` refuses ``consented`` without every consent and
``departed`` without every adult's confirmation. The service layer: authorizes, audits,
never commits.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal, authorize
from alianza.codes.text import clean_text, shown
from alianza.corridor import casework
from alianza.corridor.models import ReturnCase, ReturnConsent, ReturnMember
from alianza.errors import Conflict, InputError
from alianza.node.context import Node


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
    authorize(principal, casework.MANAGE)
    found = casework.visible_case(session, principal, case_id, lock=True)
    if found.status in casework.CLOSED or found.status in casework.BOARDED:
        raise Conflict(
            f"El caso {found.id} está {casework.STATUS_LABELS[found.status]}: ya no se registran "
            "consentimientos."
        )
    fields = {
        "--sheet": (sheet_version, 40),
        "--language": (language, 16),
        "--counsellor": (counsellor, 120),
    }
    cleaned: dict[str, str] = {}
    for name, (value, most) in fields.items():
        cleaned[name] = clean_text(value, field=name)
        if not cleaned[name]:
            raise InputError.at(name, "no puede estar vacío")
        if len(cleaned[name]) > most:
            raise InputError.at(name, "texto demasiado largo")
    member = casework.member_of(session, found, member_id)
    recorded = casework.consents_of(session, found.id)
    if casework.active_consent(recorded, member.id) is not None:
        raise Conflict(
            f"{shown(member.person_ref)} ya tiene un consentimiento vigente en el caso {found.id}."
        )
    guardian: ReturnMember | None = None
    if member.is_minor:
        if guardian_member_id is None:
            raise InputError.at(
                "--guardian", f"{shown(member.person_ref)} es menor: indique su tutor adulto"
            )
        guardian = casework.member_of(session, found, guardian_member_id)
        if guardian.is_minor or guardian.id == member.id:
            raise InputError.at("--guardian", "el tutor debe ser un adulto del mismo hogar")
    elif guardian_member_id is not None:
        raise InputError.at("--guardian", "un adulto da su propio consentimiento, sin tutor")
    consent = ReturnConsent(
        id=str(uuid.uuid4()),
        case_id=found.id,
        member_id=member.id,
        sheet_version=cleaned["--sheet"],
        language=cleaned["--language"],
        counsellor=cleaned["--counsellor"],
        witness=clean_text(witness or "", field="--witness").strip()[:120] or None,
        guardian_member_id=guardian.id if guardian is not None else None,
        given_at=casework.utcnow(),
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
    authorize(principal, casework.MANAGE)
    text = clean_text(reason, field="motivo", multiline=True).strip()
    if not text:
        raise InputError.at("motivo", "indique el motivo del desistimiento")
    found = casework.visible_case(session, principal, case_id, lock=True)
    if found.status in casework.BOARDED:
        raise Conflict(
            f"El caso {found.id} ya salió ({found.status}): el consentimiento se retira hasta "
            "el embarque."
        )
    member = casework.member_of(session, found, member_id)
    active = casework.active_consent(casework.consents_of(session, found.id), member.id)
    if active is None:
        raise Conflict(
            f"{shown(member.person_ref)} no tiene un consentimiento vigente en el caso {found.id}."
        )
    active.withdrawn_at = casework.utcnow()
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
        casework.record_move(
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
    authorize(principal, casework.MANAGE)
    found = casework.visible_case(session, principal, case_id, lock=True)
    if found.status != "scheduled":
        raise Conflict(
            f"El caso {found.id} está {casework.STATUS_LABELS[found.status]} ({found.status}): el "
            "embarque se confirma cuando está programado (scheduled)."
        )
    member = casework.member_of(session, found, member_id)
    active = casework.active_consent(casework.consents_of(session, found.id), member.id)
    if active is None:
        raise Conflict(
            f"{shown(member.person_ref)} no tiene un consentimiento vigente en el caso {found.id}."
        )
    if active.confirmed_at_boarding is None:
        active.confirmed_at_boarding = casework.utcnow()
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
