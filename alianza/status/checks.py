"""Criminal-record and alert checks of an applicant: what was asked of which node, with
which purpose and legal basis, what it answered, and a person's review of a hit. The
service layer, as ``applications.py``: authorize first, audit each act, never commit.
The questions themselves cross the network and are asked by ``flows.run_checks``.

Decisions:

- **Two questions, hit/no-hit only**, asked of this node and of every active partner
  (``exchange``'s step 1: never a copy of anyone's records): ``criminal_record``, a
  person query by the applicant's names and birth date (the exchange's person query
  carries no more: nationality and document are not part of it), and
  ``document_alert``, a document query by the applicant's document number (a stolen,
  lost or forged document, or a person record carrying it). A question the application
  cannot ask (no birth date, no document) is kept as ``NOT_ASKED`` with the reason.
- **Purpose and legal basis** travel with each question and stay in each check's row:
  the purpose is always ``migration_status`` (purpose limitation: this channel answers
  nothing else); the legal basis is the country's (``LEGAL_BASIS``) unless a person
  writes another.
- **A hit never decides.** It pauses the application (``paused_hit``, no decision can be
  taken), a partner's hit opens a release request at that partner (step 2, decided by a
  person there), and a supervisor reviews every hit: ``cleared`` (not the same person)
  or ``confirmed``, always with a written reason. When no hit is left unreviewed the
  application is evaluated again for a person to decide; the rules' recommendation is
  unchanged, and a confirmed criminal record is what lets a person mark a refusal for
  removal (``decisions.decide``), never with a protection block.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal, authorize, visible
from alianza.codes.identifiers import normalize_document
from alianza.codes.text import clean_text, shown
from alianza.errors import Conflict, InputError, NotFound
from alianza.exchange.hits import Purpose
from alianza.node.context import Node
from alianza.status import applications as service
from alianza.status.models import Application, Check

CHECK = "check_applications"
REVIEW = "review_hits"
PURPOSE = Purpose.MIGRATION_STATUS.value
KINDS = {
    "criminal_record": "antecedentes penales (nombre y fecha de nacimiento)",
    "document_alert": "alertas sobre el documento",
}
REVIEWS = {
    "cleared": "descartada: no es la misma persona",
    "confirmed": "confirmada",
}
# The legal basis each country's agency states when it asks (verify against the text).
LEGAL_BASIS = {
    "CL": "Ley 21.325 de Migración y Extranjería, arts. 32 y 33 (prohibiciones de ingreso y "
    "de residencia); Ley 21.719 (a verificar con el texto oficial)",
    "EC": "Ley Orgánica de Movilidad Humana, art. 137 (inadmisión y requisitos de residencia); "
    "LOPDP art. 7 (a verificar con el texto oficial)",
}
# An application is checked while it waits for a person's decision (again while a hit of
# an earlier check is under review: a partner that was down is asked again).
CHECKABLE = ("evaluated", "paused_hit")


@dataclass(slots=True)
class Question:
    """One question the application asks of every node."""

    kind: str  # criminal_record | document_alert
    query_kind: str  # the exchange's query kind: person | document
    values: dict[str, str]
    missing: str = ""  # why it cannot be asked ("" when it can)


@dataclass(slots=True)
class Answer:
    """What one node answered to one question."""

    kind: str
    node_id: str
    node_country: str
    node_agency: str
    result: str  # HIT | NO_HIT | ERROR | NOT_ASKED
    refs: list[str] = field(default_factory=list)
    hit_kinds: list[str] = field(default_factory=list)
    note: str = ""
    here: bool = False  # this node's own records


def questions(found: Application) -> list[Question]:
    """The applicant's two questions, with the exchange's query values."""
    person = Question("criminal_record", "person", {})
    if found.birth_date is None:
        person.missing = "sin fecha de nacimiento: la consulta de persona la exige"
    else:
        person.values = {
            "given_names": found.given_names,
            "surname_1": found.surname_1,
            "surname_2": found.surname_2,
            "birth_date": found.birth_date.isoformat(),
        }
    document = Question("document_alert", "document", {})
    if found.document_number:
        document.values = {"number": _document(found.document_type, found.document_number)}
    else:
        document.missing = "sin número de documento"
    return [person, document]


def _document(kind: str, number: str) -> str:
    """The number as the records write it (a CI_VE as ``V12345678``), so the partner's
    key for it is found; as written when the type is unknown or the number does not pass."""
    try:
        return normalize_document(kind, number, field="documento")
    except InputError:
        return number


def legal_basis_for(country: str, written: str | None) -> str:
    """The legal basis a check states: the one a person wrote, or the country's."""
    if written is None or not written.strip():
        return LEGAL_BASIS.get(country, LEGAL_BASIS["CL"])
    text = clean_text(written.strip(), field="base legal")
    if not 3 <= len(text) <= 300:
        raise InputError.at("base legal", "entre 3 y 300 caracteres")
    return text


def checkable(
    session: Session, principal: Principal, application_id: str, *, lock: bool = False
) -> Application:
    """An application the principal may check, in a state where checks are run."""
    authorize(principal, CHECK)
    found = service.visible_application(session, principal, application_id, lock=lock)
    authorize(principal, CHECK, found)
    if found.status not in CHECKABLE:
        raise Conflict(
            f"La solicitud {found.id} está {service.STATUS_LABELS[found.status]} "
            f"({found.status}): se consulta mientras espera la decisión de una persona."
        )
    return found


def record(
    session: Session,
    node: Node,
    principal: Principal,
    application_id: str,
    *,
    answers: list[Answer],
    legal_basis: str,
) -> list[Check]:
    """Keep the answers as checks; a hit pauses the application for a person's review."""
    found = checkable(session, principal, application_id, lock=True)
    now = service.utcnow()
    made = []
    for a in answers:
        row = Check(
            id=str(uuid.uuid4()),
            application_id=found.id,
            kind=a.kind,
            node_id=a.node_id,
            node_country=a.node_country,
            node_agency=a.node_agency,
            purpose=PURPOSE,
            legal_basis=legal_basis,
            result=a.result,
            refs=";".join(a.refs),
            note=a.note[:2000],
            release_request_id=None,
            asked_by=principal.label,
            asked_at=now,
            review=None,
            reviewed_by=None,
            reviewed_role=None,
            reviewed_at=None,
            review_reason=None,
        )
        session.add(row)
        made.append(row)
    session.flush()
    audit_act(
        session, node, principal, "status.application.checked", found.id,
        {"purpose": PURPOSE, "legal_basis": legal_basis,
         "results": [f"{a.node_id}:{a.kind}:{a.result}" for a in answers]},
    )  # fmt: skip
    hits = [a for a in answers if a.result == "HIT"]
    if hits and found.status == "evaluated":
        where = ", ".join(sorted({f"{a.node_agency} ({a.node_country})" for a in hits}))
        service.move(
            session, node, principal, found, "paused_hit",
            f"coincidencia en {where}: una persona la revisa antes de decidir (una "
            "coincidencia no decide por sí sola)",
        )  # fmt: skip
    return made


def set_release(session: Session, check_id: str, *, request_id: str | None, note: str) -> None:
    """Note the release request a partner's hit opened (or why it could not be filed)."""
    row = session.get(Check, check_id)
    if row is None:
        raise NotFound(f"No existe la consulta {shown(check_id)}.")
    row.release_request_id = request_id
    if note:
        row.note = f"{row.note}; {note}" if row.note else note
    session.flush()


def checks(session: Session, application_id: str) -> list[Check]:
    """An authorized application's checks, oldest first."""
    stmt = (
        select(Check)
        .where(Check.application_id == application_id)
        .order_by(Check.asked_at, Check.node_id, Check.kind, Check.id)
    )
    return list(session.scalars(stmt))


def visible_check(
    session: Session, principal: Principal, check_id: str, *, lock: bool = False
) -> tuple[Check, Application]:
    """A check of an application the principal may see (``NotFound`` otherwise)."""
    if not service.storable_id(check_id):
        raise NotFound(f"No existe la consulta {shown(check_id)}.")
    found = session.scalar(
        select(Check)
        .join(Application, Application.id == Check.application_id)
        .where(Check.id == check_id, visible(principal, service.MANAGE, Application))
    )
    if found is None:
        raise NotFound(f"No existe la consulta {shown(check_id)}.")
    application = service.visible_application(session, principal, found.application_id, lock=lock)
    return found, application


def review(
    session: Session,
    node: Node,
    principal: Principal,
    check_id: str,
    *,
    verdict: str,
    reason: str,
) -> Check:
    """A supervisor reviews a hit: ``cleared`` (not the same person) or ``confirmed``,
    with a reason; once no hit waits, the application goes back to a person's decision."""
    authorize(principal, REVIEW)
    wanted = verdict.strip().lower()
    if wanted not in REVIEWS:
        raise InputError.at(
            "veredicto", f"'{shown(verdict)}' no es un veredicto (use cleared o confirmed)"
        )
    text = clean_text(reason.strip(), field="motivo", multiline=True)
    if not text:
        raise InputError.at("motivo", "escriba el motivo de la revisión (es obligatorio)")
    if len(text) > 4000:
        raise InputError.at("motivo", "más de 4000 caracteres")
    row, found = visible_check(session, principal, check_id, lock=True)
    authorize(principal, REVIEW, found)
    if row.result != "HIT":
        raise Conflict(f"La consulta {row.id} no dio coincidencia ({row.result}): no se revisa.")
    if row.review is not None:
        raise Conflict(
            f"La consulta {row.id} ya fue revisada por {row.reviewed_by} ({REVIEWS[row.review]})."
        )
    row.review, row.review_reason = wanted, text
    row.reviewed_by, row.reviewed_role = principal.label, principal.role.value
    row.reviewed_at = service.utcnow()
    session.flush()
    audit_act(
        session, node, principal, "status.application.hit_reviewed", found.id,
        {"check": row.id, "node": row.node_id, "kind": row.kind, "review": wanted},
    )  # fmt: skip
    waiting = [c for c in checks(session, found.id) if c.result == "HIT" and c.review is None]
    if not waiting and found.status == "paused_hit":
        confirmed = [
            c for c in checks(session, found.id) if c.review == "confirmed"
        ]  # fmt: skip
        summary = (
            f"{len(confirmed)} coincidencia(s) confirmada(s)" if confirmed
            else "coincidencias descartadas"
        )  # fmt: skip
        service.move(
            session, node, principal, found, "evaluated",
            f"coincidencias revisadas ({summary}): vuelve a la decisión de una persona",
        )  # fmt: skip
    return row


def confirmed_criminal(session: Session, found: Application) -> Check | None:
    """A criminal-record hit a person confirmed, if the application has one."""
    for row in checks(session, found.id):
        if row.kind == "criminal_record" and row.result == "HIT" and row.review == "confirmed":
            return row
    return None


def as_json(row: Check) -> dict[str, Any]:
    """A check as JSON (references are opaque; no personal data)."""
    return {
        "id": row.id,
        "application_id": row.application_id,
        "kind": row.kind,
        "node": row.node_id,
        "country": row.node_country,
        "agency": row.node_agency,
        "purpose": row.purpose,
        "legal_basis": row.legal_basis,
        "result": row.result,
        "refs": row.refs.split(";") if row.refs else [],
        "note": row.note,
        "release_request_id": row.release_request_id,
        "asked_by": row.asked_by,
        "asked_at": row.asked_at.isoformat(),
        "review": row.review,
        "reviewed_by": row.reviewed_by,
        "reviewed_at": row.reviewed_at.isoformat() if row.reviewed_at else None,
        "review_reason": row.review_reason,
    }
