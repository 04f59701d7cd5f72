"""Data protection for the return corridor: what a person may ask for, what the node must
forget, and what it must tell the authority. The service layer: every function takes the
caller's session, authorizes first, audits each act and never commits.

Decisions:

- **Subject access report** (``subject_report``, ``manage_returns``): for one member,
  everything the case's agency holds: the data as stored, the case and its history, the
  consents, the check-ins, every manifest that carried the person abroad (to whom, on
  which legal basis, which fields) and who saw or touched it (the audit log's entries
  about the case, the member and those manifests). Another agency's member is
  ``NotFound``, as everywhere in casework.
- **Erasure** (``erase_case``, ``protect_data``): only a case that is over (closed, or
  arrived). The case stays as a counted shell: its members' names, documents, dates,
  nationality and flags go; a sent manifest keeps its hash, signature and the partner's
  receipt (the proof of what was disclosed, to whom) but loses the person's entry, and
  says so in a ``redacted`` note that names only the fields that had been sent.
  Consents keep their counsellor and witness: staff, not the subject.
- **Retention** (``apply_retention``): a closed case is kept ``RETENTION_DAYS`` after its
  last change, then erased; received manifests go at their own retention date
  (``manifests.expire_received``).
- **Breach register**: ``breaches.py``.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alianza.audit.models import AuditEntry
from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal, authorize, visible
from alianza.codes.text import clean_text, shown
from alianza.corridor import casework, manifests
from alianza.corridor.models import (
    Checkin,
    ReturnCase,
    ReturnConsent,
    ReturnMember,
    SentManifest,
)
from alianza.errors import Conflict, InputError, NotFound
from alianza.node.context import Node
from alianza.node.keys import canonical

MANAGE = casework.MANAGE
PROTECT = "protect_data"

# A closed case is kept a year after its last change: long enough for the reintegration
# follow-up in the country of return and for a complaint about how the return was run
# (both need the case as it was); after that nothing justifies holding the household's data.
RETENTION_DAYS = 365
# Fewer days would erase a case whose follow-up or complaint window is still open.
MIN_KEEP_DAYS = 30
MAX_KEEP_DAYS = 3650
# Over: the household has left the workflow, or reached the country of return.
ERASABLE = casework.CLOSED | {"arrived"}
# What an erased member's given names read: the name is gone, the row says why (a
# placeholder without brackets, which the console would read as markup).
ERASED = "(borrado)"
REDACTION_NOTE = (
    "Datos personales borrados después del envío; el sha256, la firma y el acuse de recibo "
    "prueban lo que se envió."
)


def now_utc() -> datetime:
    """The time now, in UTC."""
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """``moment`` with its time zone (UTC when the database dropped it)."""
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def iso(moment: datetime | date | None) -> str | None:
    """ISO 8601 text of a date or time (None stays None)."""
    if moment is None:
        return None
    return aware(moment).isoformat() if isinstance(moment, datetime) else moment.isoformat()


def columns_of(row: Any, names: str) -> dict[str, Any]:
    """The named columns of a row as JSON values (dates in ISO 8601)."""
    values = {n: getattr(row, n) for n in names.split()}
    return {n: iso(v) if isinstance(v, date) else v for n, v in values.items()}


def field_text(value: str, field: str, limit: int, *, multiline: bool = False) -> str:
    """A required text through the text gate, at most ``limit`` characters."""
    text = clean_text(value, field=field, multiline=multiline)
    if not text:
        raise InputError.at(field, "no puede estar vacío")
    if len(text) > limit:
        raise InputError.at(field, f"más de {limit} caracteres")
    return text


def _sent_with(session: Session, principal: Principal, action: str, ids: set[str]) -> list[Any]:
    # ``member_ids`` is JSON text: LIKE narrows the rows on both backends, the list decides.
    stmt = (
        select(SentManifest)
        .where(
            visible(principal, action, SentManifest),
            or_(*(SentManifest.member_ids.contains(f'"{i}"', autoescape=True) for i in ids)),
        )
        .order_by(SentManifest.created_at, SentManifest.id)
    )
    return [row for row in session.scalars(stmt) if ids & set(json.loads(row.member_ids))]


# ------------------------------------------------------------------ subject access report


def _find_member(
    session: Session, principal: Principal, member_id: str
) -> tuple[ReturnMember, ReturnCase]:
    text = member_id.strip()
    if not text:
        raise InputError.at("MEMBER", "indique el id del integrante")
    if len(text) > 128:  # longer than any id or person_ref stored: nobody's
        raise NotFound(f"No existe el integrante {shown(text)}.")
    stmt = (
        select(ReturnMember, ReturnCase)
        .join(ReturnCase, ReturnCase.id == ReturnMember.case_id)
        .where(
            visible(principal, MANAGE, ReturnCase),
            or_(ReturnMember.id == text, ReturnMember.person_ref == text),
        )
        .order_by(ReturnCase.created_at, ReturnMember.id)
    )
    rows = [(m, c) for m, c in session.execute(stmt)]
    exact = [(m, c) for m, c in rows if m.id == text]
    if exact:
        return exact[0]
    if not rows:
        raise NotFound(f"No existe el integrante {shown(text)}.")
    if len(rows) > 1:
        listed = ", ".join(f"{m.id} (caso {c.id})" for m, c in rows[:10])
        raise InputError.at(
            "MEMBER",
            f"'{shown(text)}' es el id en el archivo de varios integrantes: {listed}; "
            "indique el id del integrante",
        )
    return rows[0]


_MEMBER = "id person_ref given_names surname_1 surname_2 birth_date document_number nationality"
_CONSENT = (
    "sheet_version language counsellor witness given_at withdrawn_at withdrawn_reason "
    "confirmed_at_boarding"
)
_EVENT = "from_status to_status by role at reason"
_CHECKIN = "id kind stop at note recorded_by made_at_node manifest_id"
_SENT = (
    "id peer_node to_country to_agency departure leg_date purpose legal_basis status "
    "created_by created_at acknowledged_at"
)


def _consent_data(c: ReturnConsent, member: ReturnMember, refs: dict[str, str]) -> dict[str, Any]:
    guardian = c.guardian_member_id
    return {
        "as": "propio" if c.member_id == member.id else "tutor",
        "member": refs.get(c.member_id, c.member_id),
        "guardian": refs.get(guardian, guardian) if guardian else None,
        **columns_of(c, _CONSENT),
    }


def _sent_fields(row: SentManifest, member_id: str) -> tuple[list[str], bool]:
    """The fields of the person's entry in what was sent, and whether the entry has since
    been erased (its ``redacted`` note keeps the field names, never the values)."""
    body = json.loads(row.payload)
    for person in body.get("persons", []):
        if person.get("ref") == member_id:
            return sorted(person), False
    for person in body.get("redacted", {}).get("persons", []):
        if person.get("ref") == member_id:
            return sorted(person["fields"]), True
    return [], False


def _manifest_data(row: SentManifest, member_id: str) -> dict[str, Any]:
    fields, redacted = _sent_fields(row, member_id)
    return {
        **columns_of(row, _SENT),
        "fields": fields,
        "payload_redacted": redacted,
        "receipt_held": row.receipt is not None,
    }


def subject_report(
    session: Session, node: Node, principal: Principal, *, member_id: str
) -> dict[str, Any]:
    """Everything held about one member (by member id, or by id in the household file when
    that names one person among the caller's cases), and who saw it and where it went."""
    authorize(principal, MANAGE)
    member, found = _find_member(session, principal, member_id)
    authorize(principal, MANAGE, found)
    people = casework.case_members(session, found.id)
    refs = {m.id: m.person_ref for m in people}
    consents = [
        _consent_data(c, member, refs)
        for c in casework.consents(session, principal, found.id)
        if member.id in (c.member_id, c.guardian_member_id)
    ]
    # Each related table through the same casework action and the same owner rule: the
    # report shows what the case's agency holds, and the agency is the one answering.
    checkins = session.scalars(
        select(Checkin)
        .where(Checkin.person == member.id, visible(principal, MANAGE, Checkin))
        .order_by(Checkin.at, Checkin.id)
    )
    manifests = _sent_with(session, principal, MANAGE, {member.id})
    kinds = {found.id: "caso", member.id: "persona"} | {m.id: "manifiesto" for m in manifests}
    # Every act on the case, the person or a manifest that carried them, whoever the actor
    # (the subject is owed them all; reading them needs no ``audit`` grant).
    entries = session.execute(
        select(AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.target)
        .where(AuditEntry.target.in_(list(kinds)))
        .order_by(AuditEntry.seq)
    ).all()
    report: dict[str, Any] = {
        "generated_at": iso(now_utc()),
        "generated_by": principal.label,
        "node": node.node_id,
        "erased": found.erased_at is not None,
        "erased_at": iso(found.erased_at),
        "member": {
            **columns_of(member, _MEMBER),
            "flags": json.loads(member.flags),
            "is_minor": member.is_minor,
        },
        "case": casework.summary(found),
        "history": [columns_of(e, _EVENT) for e in casework.history(session, principal, found.id)],
        "consents": consents,
        "checkins": [columns_of(c, _CHECKIN) for c in checkins],
        "manifests": [_manifest_data(m, member.id) for m in manifests],
        "accesses": [
            {"at": at, "actor": actor, "action": action, "about": kinds.get(target, target)}
            for at, actor, action, target in entries
        ],
    }
    if found.erased_at is not None:
        report["notice"] = (
            f"Los datos personales de esta persona se borraron el {iso(found.erased_at)}; "
            "el caso se conserva sin ellos."
        )
    detail = {"case": found.id, "manifests": len(manifests), "accesses": len(entries)}
    audit_act(session, node, principal, "corridor.subject_report", member.id, detail)
    return report


# ------------------------------------------------------------------ erasure and retention


def _erase(
    session: Session, principal: Principal, found: ReturnCase, now: datetime
) -> dict[str, int]:
    people = casework.case_members(session, found.id)
    ids = {m.id for m in people}
    for m in people:
        m.given_names, m.surname_1, m.surname_2 = ERASED, "", None
        m.birth_date = m.document_number = m.nationality = None
        m.flags = "[]"
    redacted = 0
    for row in _sent_with(session, principal, PROTECT, ids) if ids else []:
        body = json.loads(row.payload)
        persons = body.get("persons", [])
        gone = [p for p in persons if p.get("ref") in ids]
        if not gone:
            continue
        noted = body.get("redacted", {}).get("persons", [])
        noted += [{"ref": p["ref"], "fields": sorted(p), "at": now.isoformat()} for p in gone]
        body["persons"] = [p for p in persons if p.get("ref") not in ids]
        body["redacted"] = {"note": REDACTION_NOTE, "persons": noted}
        row.payload = canonical(body).decode("utf-8")
        redacted += 1
    # ``updated_at`` stays the last change of status: erasure is not a step of the workflow.
    found.erased_at = now
    session.flush()
    return {"members": len(people), "manifests": redacted}


def erase_case(
    session: Session, node: Node, principal: Principal, *, case_id: str, reason: str
) -> dict[str, Any]:
    """Erase the personal data of a case that is over (closed or arrived), on request."""
    authorize(principal, PROTECT)
    text = field_text(reason, "--reason", 1000)
    found = session.scalars(
        select(ReturnCase)
        .where(ReturnCase.id == case_id, visible(principal, PROTECT, ReturnCase))
        .with_for_update()
    ).first()
    if found is None:
        raise NotFound(f"No existe el caso {shown(case_id)}.")
    authorize(principal, PROTECT, found)
    if found.erased_at is not None:
        raise Conflict(
            f"El caso {found.id}: ya borrado el {iso(found.erased_at)}; no queda nada que borrar."
        )
    if found.status not in ERASABLE:
        label = casework.STATUS_LABELS.get(found.status, found.status)
        raise Conflict(
            f"El caso {found.id} está {label} ({found.status}): solo se borra un caso cerrado "
            f"({', '.join(sorted(ERASABLE))})."
        )
    now = now_utc()
    counts = _erase(session, principal, found, now)
    detail = {"reason": text, **counts}
    audit_act(session, node, principal, "corridor.case.erased", found.id, detail)
    return {"case": found.id, "erased_at": now.isoformat(), **counts}


def apply_retention(
    session: Session,
    node: Node,
    principal: Principal,
    *,
    today: date,
    keep_days: int = RETENTION_DAYS,
) -> dict[str, Any]:
    """Erase every closed case untouched for ``keep_days`` (``RETENTION_DAYS``: the time a
    reintegration follow-up and a complaint need), and received manifests past their date."""
    authorize(principal, PROTECT)
    if not MIN_KEEP_DAYS <= keep_days <= MAX_KEEP_DAYS:
        raise InputError.at("--keep-days", f"entre {MIN_KEEP_DAYS} y {MAX_KEEP_DAYS} días")
    cutoff = datetime.combine(today - timedelta(days=keep_days), time.min, tzinfo=UTC)
    due = session.scalars(
        select(ReturnCase)
        .where(
            visible(principal, PROTECT, ReturnCase),
            ReturnCase.erased_at.is_(None),
            ReturnCase.status.in_(ERASABLE),
            ReturnCase.updated_at < cutoff,
        )
        .order_by(ReturnCase.updated_at, ReturnCase.id)
        .with_for_update()
    ).all()
    now, erased = now_utc(), []
    why = f"retención: cerrado hace más de {keep_days} días"
    for found in due:
        authorize(principal, PROTECT, found)
        counts = _erase(session, principal, found, now)
        audit_act(
            session, node, principal, "corridor.case.erased", found.id, {"reason": why, **counts}
        )
        erased.append(counts)
    result: dict[str, Any] = {
        "cases": len(erased),
        "members": sum(c["members"] for c in erased),
        "manifests": sum(c["manifests"] for c in erased),
        "received_manifests": manifests.expire_received(session, node, principal, today=today),
        "cutoff": cutoff.date().isoformat(),
    }
    detail = {"today": today.isoformat(), "keep_days": keep_days, **result}
    audit_act(session, node, principal, "corridor.retention.applied", "", detail)
    return result
