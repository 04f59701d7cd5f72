"""A person decides: a caseworker confirms or overrides what the rules recommended, a
supervisor signs off a refusal, an appeal reopens a decided case. The service layer, as
``applications.py``: authorize first, audit each act, never commit.

Decisions:

- **A person decides, with a written reason**, confirming the rules' outcome or
  overriding it with another. ``needs_review`` is not a decision: when the rules leave
  it to a person (a protection flag, a missing document, an empty cell), the person
  must say eligible or not eligible, as an override, with the reason.
- **Four eyes on a refusal.** A final ``not_eligible``, and an override that turns the
  rules' ``not_eligible`` into ``eligible``, wait for a supervisor's sign-off
  (``sign_off_refusals``) before they are final; the supervisor who signs is never the
  person who decided.
- **Protection flags** (``alianza.corridor.blocks``, the corridor's own function) always
  send the case to a person (the rules say ``needs_review``) and make a removal
  impossible, whatever anyone decides.
- **Removal only for a confirmed criminal record.** ``removal=True`` marks a refusal for
  removal only when a check's criminal-record hit was confirmed by a person
  (``checks.review``) and no protection block is present; anything else is refused,
  naming why. The refusal still waits for a supervisor's sign-off.
- **A hit pauses the case**: while a check's hit waits for a person's review
  (``paused_hit``) nothing is decided.
- **An appeal reopens the case, keeping its history**: the final decision stays, the
  application goes to ``appealed`` and is evaluated again under the same version (the
  one in force on its application date), for a person to decide again. An appeal filed
  after its deadline (``appeals.deadline``, from the day the letter was first issued) is
  refused, naming the deadline; ``filed_on`` is the day it was filed (today by default:
  one received on paper is registered with its own date).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal, authorize
from alianza.codes.dates import earliest_today, latest_today
from alianza.codes.text import clean_text, shown
from alianza.corridor.blocks import Block, is_protection_block, member_blocks
from alianza.errors import Conflict, InputError
from alianza.node.context import Node
from alianza.status import applications as service
from alianza.status import checks
from alianza.status.appeals import APPEALS, deadline
from alianza.status.models import Application, Decision, Evaluation
from alianza.status.rules import Outcome, render

DECIDED = (Outcome.ELIGIBLE.value, Outcome.NOT_ELIGIBLE.value)
MAX_REASON = 4000


def protection_blocks(found: Application) -> list[Block]:
    """The applicant's protection blocks (the corridor's hard blocks)."""
    flags = [f for f in found.flags.split(";") if f]
    return [b for b in member_blocks(found.reference, flags) if is_protection_block(b)]


def _reason(text: str) -> str:
    cleaned = clean_text(text.strip(), field="motivo", multiline=True)
    if not cleaned:
        raise InputError.at("motivo", "escriba el motivo de la decisión (es obligatorio)")
    if len(cleaned) > MAX_REASON:
        raise InputError.at("motivo", f"más de {MAX_REASON} caracteres")
    return cleaned


def latest_evaluation(session: Session, found: Application) -> Evaluation:
    """The application's last evaluation (every application has one once registered)."""
    made = service.evaluations(session, found.id)
    if not made:
        raise Conflict(f"La solicitud {found.id} aún no tiene evaluación.")
    return made[-1]


def latest_decision(session: Session, found: Application) -> Decision | None:
    """The application's last decision, if any."""
    made = service.decisions(session, found.id)
    return made[-1] if made else None


def decide(
    session: Session,
    node: Node,
    principal: Principal,
    application_id: str,
    *,
    confirm: bool,
    outcome: str | None = None,
    reason: str,
    removal: bool = False,
) -> Decision:
    """Confirm the rules' outcome, or override it with ``outcome``, with a written
    reason; a refusal then waits for a supervisor's sign-off."""
    authorize(principal, service.MANAGE)
    if confirm == (outcome is not None):
        raise InputError.at("decisión", "confirme la recomendación o indique otro resultado")
    text = _reason(reason)
    found = service.visible_application(session, principal, application_id, lock=True)
    held = protection_blocks(found)
    if removal:
        if held:
            why = "; ".join(b.reason for b in held)
            raise Conflict(
                f"La solicitud {found.id} tiene un bloqueo de protección ({why}): nunca se "
                "marca para expulsión."
            )
        if checks.confirmed_criminal(session, found) is None:
            raise Conflict(
                f"La solicitud {found.id} no se marca para expulsión: hace falta un "
                "antecedente penal confirmado por una persona tras una coincidencia de las "
                "consultas del intercambio ('alianza status application review-hit')."
            )
    if found.status == "paused_hit":
        raise Conflict(
            f"La solicitud {found.id} está {service.STATUS_LABELS[found.status]}: una "
            "persona revisa primero cada coincidencia ('alianza status application "
            "review-hit'); una coincidencia no decide por sí sola."
        )
    if found.status != "evaluated":
        raise Conflict(
            f"La solicitud {found.id} está {service.STATUS_LABELS[found.status]} "
            f"({found.status}): solo se decide una solicitud evaluada."
        )
    evaluation = latest_evaluation(session, found)
    if confirm:
        if evaluation.outcome not in DECIDED:
            raise Conflict(
                f"Las reglas dejan la solicitud {found.id} a una persona "
                f"({service.OUTCOME_LABELS[evaluation.outcome]}): decida el resultado "
                "(elegible o no elegible) con su motivo, no se confirma."
            )
        final = evaluation.outcome
    else:
        final = (outcome or "").strip().lower()
        if final not in DECIDED:
            raise InputError.at(
                "resultado", f"'{shown(outcome)}' no es un resultado (use eligible o not_eligible)"
            )
        if final == evaluation.outcome:
            raise InputError.at(
                "resultado", f"es el resultado de las reglas ({final}): confírmelo en su lugar"
            )
    if removal and final != Outcome.NOT_ELIGIBLE:
        raise InputError.at(
            "expulsión", "solo se marca para expulsión una denegación (not_eligible)"
        )
    needs_sign_off = final == Outcome.NOT_ELIGIBLE or (
        evaluation.outcome == Outcome.NOT_ELIGIBLE and final == Outcome.ELIGIBLE
    )
    made = Decision(
        id=str(uuid.uuid4()),
        application_id=found.id,
        evaluation_id=evaluation.id,
        by=principal.label,
        role=principal.role.value,
        decision="confirm" if confirm else "override",
        outcome=final,
        reason=text,
        at=service.utcnow(),
        needs_sign_off=needs_sign_off,
        signed_off_by=None,
        signed_off_at=None,
        removal=removal,
        notified_at=None,
    )
    session.add(made)
    session.flush()
    audit_act(
        session, node, principal, "status.application.decide", found.id,
        {"decision": made.decision, "outcome": final, "rules": evaluation.outcome,
         "removal": removal},
    )  # fmt: skip
    how = "confirma" if confirm else f"cambia {evaluation.outcome} por"
    if removal:
        final_shown = f"{final} con marca de expulsión (antecedente penal confirmado)"
    else:
        final_shown = final
    if needs_sign_off:
        service.move(
            session, node, principal, found, "decided",
            f"{how} {final_shown}, espera la firma de un supervisor: {text}",
        )  # fmt: skip
    else:
        found.outcome = final
        service.move(session, node, principal, found, "final", f"{how} {final}: {text}")
    return made


def sign_off(
    session: Session, node: Node, principal: Principal, application_id: str, *, note: str = ""
) -> Decision:
    """A supervisor signs off the decision waiting on an application: it becomes final."""
    authorize(principal, service.SIGN_OFF)
    found = service.visible_application(session, principal, application_id, lock=True)
    authorize(principal, service.SIGN_OFF, found)
    made = latest_decision(session, found)
    if found.status != "decided" or made is None or not made.needs_sign_off:
        raise Conflict(
            f"La solicitud {found.id} está {service.STATUS_LABELS[found.status]} "
            f"({found.status}): no hay una decisión que espere firma."
        )
    if made.by == principal.label:
        raise Conflict(
            f"La decisión sobre {found.id} la tomó {principal.label}: la firma otro supervisor."
        )
    extra = clean_text(note.strip(), field="nota", multiline=True)
    if len(extra) > MAX_REASON:
        raise InputError.at("nota", f"más de {MAX_REASON} caracteres")
    made.signed_off_by = principal.label
    made.signed_off_at = service.utcnow()
    found.outcome = made.outcome
    reason = f"firma del supervisor: {made.outcome} es firme" + (f" ({extra})" if extra else "")
    service.move(session, node, principal, found, "final", reason)
    audit_act(
        session, node, principal, "status.application.sign_off", found.id,
        {"decision": made.id, "outcome": made.outcome},
    )  # fmt: skip
    return made


def _aware(moment: datetime) -> datetime:
    # SQLite gives back naive timestamps (written in UTC).
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def appeal(
    session: Session,
    node: Node,
    principal: Principal,
    application_id: str,
    *,
    reason: str,
    filed_on: date | None = None,
) -> Evaluation:
    """Register the applicant's appeal of a final decision, filed within its deadline: the
    case is reopened (its decisions and events kept) and evaluated again, for a person to
    decide again."""
    authorize(principal, service.MANAGE)
    text = _reason(reason)
    found = service.visible_application(session, principal, application_id, lock=True)
    if found.status != "final":
        raise Conflict(
            f"La solicitud {found.id} está {service.STATUS_LABELS[found.status]} "
            f"({found.status}): solo se recurre una decisión firme."
        )
    # Dates as the applicant's calendar has them, not UTC's: an appeal made now is dated
    # today where the day began last (UTC-12), so one made late in the evening in
    # Santiago is not dated the next day; a decision's day is the earliest it was anywhere.
    today = earliest_today()
    filed = filed_on or today
    made = latest_decision(session, found)
    if filed_on is not None:
        if filed_on > latest_today():
            raise InputError.at("fecha del recurso", f"{render(filed_on)} es posterior a hoy")
        if made is not None:
            decided = _aware(made.signed_off_at or made.at) - timedelta(hours=12)
            if filed_on < decided.date():
                raise InputError.at(
                    "fecha del recurso",
                    f"{render(filed_on)} es anterior a la decisión ({render(decided.date())})",
                )
    if made is not None and made.notified_at is not None:
        notified = made.notified_at.date()
        last = deadline(notified, country=found.country)
        if filed > last:
            rule = APPEALS[found.country]
            raise Conflict(
                f"El plazo para recurrir la decisión sobre {found.id} venció el {render(last)} "
                f"({rule.days} días hábiles desde la notificación del {render(notified)}; "
                f"{rule.source}): el recurso del {render(filed)} llega tarde y no se registra."
            )
    when = "" if filed == today else f" (presentado el {render(filed)})"
    service.move(session, node, principal, found, "appealed", f"recurso{when}: {text}")
    found.outcome = None
    return service.evaluate_application(
        session, node, principal, found, reason="nueva evaluación por el recurso"
    )
