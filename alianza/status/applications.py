"""Regularisation applications on the node: register one, evaluate it by the rules, read
it. The service layer: every function takes the caller's session, authorizes first,
audits each act and never commits. A person's decision, the supervisor's sign-off and
the appeal are in ``decisions.py``.

Decisions:

- **The same checks as a file.** An application (a JSON object, or one row of an
  APPLICATIONS.csv) is written as a one-row file and checked by ``contract.parse``, the
  checks of ``alianza status evaluate``: a bad date, an unknown code, control characters
  in a name are refused here exactly as there, naming the field. At the node the names
  and the programme are required as well (a decision letter names the person and the
  programme).
- **The version in force on the application date** judges it, and the rules' evaluation
  date is that day too: a new decree, or the time the case waits, never changes the
  recommendation of an application already made (``rules.py``). The evaluation is the
  file evaluator's own (``evaluate.evaluate`` on that one row): the rules are never
  written twice.
- **Duplicates.** An applicant already in an open application, or in an open return case
  of the corridor, that the caller can see (same document number as written on the
  document, ``corridor.household.normal_document``; or the same folded given names, first
  surname and birth date, ``identity.names.fold``) is refused, naming the other case.
- **The workflow is a table** (``NEXT``): ``registered → evaluated → decided`` (a
  refusal waiting for a supervisor's sign-off) ``→ final``; a check's hit pauses an
  evaluated application (``evaluated → paused_hit → evaluated`` once a person reviewed
  it, ``checks.py``); a decision that needs no
  sign-off goes straight to ``final``; ``final → appealed → evaluated`` again. Every move
  leaves an ``Event`` (who, in which role, when, why) and an audit entry; nothing is
  deleted, so an appeal keeps the history it reopens.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal, authorize, visible
from alianza.codes.text import shown
from alianza.codes.text import storable_id as text_storable_id
from alianza.corridor import casework
from alianza.corridor.household import name_key, normal_document
from alianza.corridor.models import ReturnCase, ReturnMember
from alianza.errors import Conflict, InputError, NotFound
from alianza.node.context import Node
from alianza.status import rules
from alianza.status.contract import BOOLS, CODES, codes_of
from alianza.status.evaluate import evaluate
from alianza.status.intake import NAME, check_row, row_of
from alianza.status.models import Application, Decision, Evaluation, Event, Evidence

MANAGE = "manage_applications"
SIGN_OFF = "sign_off_refusals"
# The longest id an application, a check or an event is stored with (a UUID: 36).
MAX_ID = 36

# The workflow: status -> the statuses an application may move to next.
NEXT: dict[str, tuple[str, ...]] = {
    "registered": ("evaluated",),
    "evaluated": ("decided", "final", "paused_hit"),
    # A check's hit: a person reviews it before anyone decides (``checks.py``).
    "paused_hit": ("evaluated",),
    "decided": ("final",),
    "final": ("appealed",),
    "appealed": ("evaluated",),
}
STATUSES = tuple(NEXT)
# A final decision closes an application (its applicant may apply again; an appeal
# reopens it).
CLOSED = frozenset({"final"})
STATUS_LABELS = {
    "registered": "registrada",
    "evaluated": "evaluada (espera la decisión de una persona)",
    "paused_hit": "en revisión por coincidencia (una persona revisa la coincidencia antes "
    "de decidir)",
    "decided": "decidida (espera la firma de un supervisor)",
    "final": "decisión firme",
    "appealed": "recurrida",
}
OUTCOME_LABELS = {
    "eligible": "elegible",
    "not_eligible": "no elegible",
    "needs_review": "requiere la revisión de una persona",
}


def utcnow() -> datetime:
    """The time now, in UTC (every timestamp of an application)."""
    return datetime.now(UTC)


def _programme(row: dict[str, str], country: str) -> rules.Programme:
    wanted = row["programme"].strip()
    if not wanted:
        raise InputError.at(f"{NAME}.programme", "indique el programa al que postula")
    try:
        return rules.find(wanted, country=country)
    except InputError as exc:
        raise InputError.at(f"{NAME}.programme", exc.problems[0].message) from None


# ------------------------------------------------------------------ reading


def storable_id(value: str) -> bool:
    """Whether ``value`` could be an application's id (``codes.text.storable_id``)."""
    return text_storable_id(value, longest=MAX_ID)


def visible_application(
    session: Session, principal: Principal, application_id: str, *, lock: bool = False
) -> Application:
    """One application the principal may see (``NotFound`` otherwise: another agency's
    application is not said to exist)."""
    authorize(principal, MANAGE)
    if not storable_id(application_id):
        raise NotFound(f"No existe la solicitud {shown(application_id)}.")
    stmt = select(Application).where(
        Application.id == application_id, visible(principal, MANAGE, Application)
    )
    if lock:
        stmt = stmt.with_for_update()
    found = session.scalars(stmt).first()
    if found is None:
        raise NotFound(f"No existe la solicitud {shown(application_id)}.")
    authorize(principal, MANAGE, found)
    return found


def applications(session: Session, principal: Principal, *, limit: int = 100) -> list[Application]:
    """The applications the principal may see, newest first."""
    authorize(principal, MANAGE)
    stmt = (
        select(Application)
        .where(visible(principal, MANAGE, Application))
        .order_by(Application.created_at.desc(), Application.id)
        .limit(max(1, min(limit, 1000)))
    )
    return list(session.scalars(stmt))


def _children(session: Session, kind: Any, application_id: str, order: Any) -> list[Any]:
    stmt = select(kind).where(kind.application_id == application_id).order_by(order, kind.id)
    return list(session.scalars(stmt))


def evaluations(session: Session, application_id: str) -> list[Evaluation]:
    """An authorized application's evaluations, oldest first."""
    return _children(session, Evaluation, application_id, Evaluation.evaluated_at)


def decisions(session: Session, application_id: str) -> list[Decision]:
    """An authorized application's decisions, oldest first."""
    return _children(session, Decision, application_id, Decision.at)


def events(session: Session, application_id: str) -> list[Event]:
    """An authorized application's changes of status, oldest first."""
    return _children(session, Event, application_id, Event.at)


def evidence(session: Session, application_id: str) -> list[Evidence]:
    """An authorized application's evidence files (metadata), oldest first."""
    return _children(session, Evidence, application_id, Evidence.added_at)


# ------------------------------------------------------------------ registering


def register(
    session: Session, node: Node, principal: Principal, row: dict[str, str]
) -> Application:
    """Register an application (the cells of one APPLICATIONS.csv row, ``programme``
    given) and evaluate it by the version in force on its application date; refuse an
    applicant already in an open application or return case."""
    authorize(principal, MANAGE)
    now = utcnow()
    programme = _programme(row, principal.country)
    apps = check_row(row, on=now.date(), country=principal.country, programme=programme.id)
    for column in ("given_names", "surname_1"):
        if not row[column].strip():
            raise InputError.at(
                f"{NAME}.{column}", "obligatorio en el nodo (la carta nombra a la persona)"
            )
    applied = apps.dates["application_date"][0]
    assert applied is not None  # required by the contract
    try:
        version = programme.version_on(applied)
    except InputError as exc:
        raise InputError.at(f"{NAME}.application_date", exc.problems[0].message) from None
    document = normal_document(row["document_number"].strip() or None)
    birth = apps.dates["birth_date"][0]
    _refuse_duplicates(
        session, principal, document=document,
        key=name_key(row["given_names"], row["surname_1"], birth),
    )  # fmt: skip
    found = Application(
        id=str(uuid.uuid4()),
        reference=apps.ids[0],
        country=principal.country,
        programme=programme.id,
        programme_version=version.id,
        owner_country=principal.country,
        owner_agency=principal.agency,
        given_names=row["given_names"].strip(),
        surname_1=row["surname_1"].strip(),
        surname_2=row["surname_2"].strip(),
        birth_date=birth,
        nationality=apps.texts["nationality"][0],
        document_type=apps.texts["document_type"][0],
        document_number=document,
        document_expiry=apps.dates["document_expiry"][0],
        entry_date=apps.dates["entry_date"][0],
        application_date=applied,
        household_id=row["household_id"].strip(),
        status="registered",
        status_reason=None,
        outcome=None,
        created_by=principal.label,
        created_at=now,
        updated_at=now,
        **{c: apps.bools[c][0] for c in BOOLS},
        **{c: ";".join(codes_of(c, apps.codes[c][0])) for c in CODES},
    )
    session.add(found)
    session.add(_event(found, principal, "", "registered", "solicitud registrada", now))
    session.flush()
    audit_act(
        session, node, principal, "status.application.register", found.id,
        {"reference": found.reference, "programme": found.programme,
         "version": found.programme_version},
    )  # fmt: skip
    evaluate_application(session, node, principal, found, reason="evaluación al registrar")
    return found


def _refuse_duplicates(
    session: Session,
    principal: Principal,
    *,
    document: str | None,
    key: tuple[str, str, Any] | None,
) -> None:
    if document is None and key is None:
        return
    birth = key[2] if key is not None else None
    mine = [Application.document_number == document] if document else []
    if birth is not None:
        mine.append(Application.birth_date == birth)
    stmt = (
        select(Application)
        .where(
            visible(principal, MANAGE, Application),
            Application.status.not_in(CLOSED),
            or_(*mine),
        )
        .order_by(Application.created_at, Application.id)
    )
    for other in session.scalars(stmt):
        same = _same(document, key, other.document_number, other)
        if same:
            raise Conflict(
                f"{same} ya figura en la solicitud abierta {other.id} (referencia "
                f"{shown(other.reference)}); no se registra dos veces."
            )
    theirs = [ReturnMember.document_number == document] if document else []
    if birth is not None:
        theirs.append(ReturnMember.birth_date == birth)
    # The corridor's cases that the caller's agency keeps, by the corridor's own rule.
    cases = (
        select(ReturnMember, ReturnCase)
        .join(ReturnCase, ReturnCase.id == ReturnMember.case_id)
        .where(
            visible(principal, casework.MANAGE, ReturnCase),
            ReturnCase.status.not_in(casework.CLOSED),
            ReturnCase.erased_at.is_(None),
            or_(*theirs),
        )
        .order_by(ReturnCase.created_at, ReturnCase.id)
    )
    for member, case in session.execute(cases):
        same = _same(document, key, member.document_number, member)
        if same:
            raise Conflict(
                f"{same} ya figura en el caso de retorno abierto {case.id} (hogar "
                f"{shown(case.reference)}, integrante {shown(member.person_ref)}); revíselo "
                "antes de registrar la solicitud."
            )


def _same(document: str | None, key: Any, other_document: str | None, other: Any) -> str:
    """How the applicant matches another person ("" when they do not)."""
    if document is not None and other_document == document:
        return f"El documento {shown(document)}"
    if key is not None and name_key(other.given_names, other.surname_1, other.birth_date) == key:
        return "La misma persona (mismo nombre, primer apellido y fecha de nacimiento)"
    return ""


# ------------------------------------------------------------------ moving and evaluating


def _event(
    found: Application, principal: Principal, before: str, after: str, reason: str, at: datetime
) -> Event:
    return Event(
        id=str(uuid.uuid4()),
        application_id=found.id,
        from_status=before,
        to_status=after,
        by=principal.label,
        role=principal.role.value,
        at=at,
        reason=reason,
    )


def move(
    session: Session,
    node: Node,
    principal: Principal,
    found: Application,
    to_status: str,
    reason: str,
) -> None:
    """Move an authorized application one step of ``NEXT``, with its event and audit."""
    before = found.status
    if to_status not in NEXT[before]:
        allowed = ", ".join(NEXT[before]) or "ninguno"
        raise Conflict(
            f"La solicitud {found.id} está {STATUS_LABELS[before]} ({before}): no puede pasar "
            f"a {to_status}; los pasos permitidos son: {allowed}."
        )
    now = utcnow()
    session.add(_event(found, principal, before, to_status, reason, now))
    found.status = to_status
    found.status_reason = reason
    found.updated_at = now
    session.flush()
    audit_act(
        session, node, principal, "status.application.move", found.id,
        {"from": before, "to": to_status},
    )  # fmt: skip


def version_of(found: Application) -> tuple[rules.Programme, rules.Version]:
    """The programme and the version an application was registered under."""
    programme = rules.programmes().get(found.programme)
    version = next(
        (v for v in programme.versions if v.id == found.programme_version), None
    ) if programme is not None else None  # fmt: skip
    if programme is None or version is None:
        raise Conflict(
            f"La solicitud {found.id} se registró con {found.programme} versión "
            f"{found.programme_version}, que este nodo ya no tiene: no se evalúa con otra."
        )
    return programme, version


def evaluate_application(
    session: Session, node: Node, principal: Principal, found: Application, *, reason: str
) -> Evaluation:
    """Evaluate an authorized application by its version, as of its application date."""
    programme, version = version_of(found)
    apps = check_row(
        row_of(found),
        on=found.application_date,
        country=found.country,
        programme=found.programme,
        fields=version.fields,
    )
    results = evaluate(apps, programme=programme, version=version)
    made = Evaluation(
        id=str(uuid.uuid4()),
        application_id=found.id,
        programme_version=version.id,
        outcome=results.outcomes[0],
        failed_conditions=results.failed[0],
        explanation=results.explanations[0],
        evaluated_at=utcnow(),
    )
    session.add(made)
    move(
        session, node, principal, found, "evaluated",
        f"{reason}: {OUTCOME_LABELS[made.outcome]} (recomendación; decide una persona)",
    )  # fmt: skip
    return made


# ------------------------------------------------------------------ as JSON


def summary(found: Application) -> dict[str, Any]:
    """An application as JSON, without the applicant's personal data."""
    return {
        "id": found.id,
        "reference": found.reference,
        "country": found.country,
        "programme": found.programme,
        "programme_version": found.programme_version,
        "application_date": found.application_date.isoformat(),
        "status": found.status,
        "status_reason": found.status_reason,
        "outcome": found.outcome,
        "created_by": found.created_by,
        "created_at": found.created_at.isoformat(),
        "updated_at": found.updated_at.isoformat(),
    }


def detail(
    session: Session, node: Node, principal: Principal, application_id: str
) -> dict[str, Any]:
    """An application as a person looks at it (the look is audited): the applicant's row,
    its evaluations, decisions, events and evidence."""
    found = visible_application(session, principal, application_id)
    audit_act(session, node, principal, "status.application.viewed", found.id, {})
    body = summary(found)
    body["applicant"] = row_of(found)
    body["evaluations"] = [
        {"id": e.id, "programme_version": e.programme_version, "outcome": e.outcome,
         "failed_conditions": e.failed_conditions.split(";") if e.failed_conditions else [],
         "explanation": e.explanation, "evaluated_at": e.evaluated_at.isoformat()}
        for e in evaluations(session, found.id)
    ]  # fmt: skip
    body["decisions"] = [
        {"id": d.id, "evaluation_id": d.evaluation_id, "by": d.by, "role": d.role,
         "decision": d.decision, "outcome": d.outcome, "reason": d.reason,
         "removal": d.removal,
         "at": d.at.isoformat(), "needs_sign_off": d.needs_sign_off,
         "signed_off_by": d.signed_off_by,
         "signed_off_at": d.signed_off_at.isoformat() if d.signed_off_at else None}
        for d in decisions(session, found.id)
    ]  # fmt: skip
    body["events"] = [
        {"from": e.from_status, "to": e.to_status, "by": e.by, "role": e.role,
         "at": e.at.isoformat(), "reason": e.reason}
        for e in events(session, found.id)
    ]  # fmt: skip
    from alianza.status import checks  # checks.py builds on this module

    body["checks"] = [checks.as_json(c) for c in checks.checks(session, found.id)]
    body["evidence"] = [
        {"id": x.id, "kind": x.kind, "filename": x.filename, "media_type": x.media_type,
         "size": x.size, "sha256": x.sha256, "added_by": x.added_by,
         "added_at": x.added_at.isoformat()}
        for x in evidence(session, found.id)
    ]  # fmt: skip
    return body
