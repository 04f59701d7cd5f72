"""The decision letter (PDF) for the applicant: the decision, every condition with its
legal source, the person who decided (and the supervisor who signed a refusal), and how
to appeal: where and by when.

Written with fpdf2 (pure Python, maintained). Its built-in Helvetica covers Latin-1, so
Spanish (á, é, ñ, ü, ¿, «») is written as is; a character outside Latin-1 (a name in
another script, a typographic dash) is written by its closest Latin-1 form. The letter is
written uncompressed: it is a few kilobytes, and its text can then be checked and
searched as written.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import ROLE_LABELS, Principal, Role
from alianza.errors import Conflict
from alianza.node.context import Node
from alianza.status import applications as service
from alianza.status.appeals import APPEALS, deadline
from alianza.status.decisions import latest_decision, latest_evaluation
from alianza.status.explain import HUMAN_DECISION, condition_state
from alianza.status.models import Application, Decision, Evaluation
from alianza.status.rules import PROTECTION, render

_TYPOGRAPHY = str.maketrans({"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"',
                             "…": "...", "•": "-", "≥": ">=", "≤": "<="})  # fmt: skip


def latin1(text: str) -> str:
    """``text`` as Helvetica can write it: Latin-1 kept, anything else by its closest
    Latin-1 form (its base letter), or ``?``."""
    out = []
    for char in text.translate(_TYPOGRAPHY):
        if ord(char) < 256:
            out.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) < 256)
        out.append(base or "?")
    return "".join(out)


_STATE_WORDS = {
    "met": "cumple",
    "unknown": "sin datos (lo revisó una persona)",
    "failed": "no cumple",
}


def _state(condition_id: str, evaluation: Evaluation) -> str:
    failed = set(filter(None, evaluation.failed_conditions.split(";")))
    return _STATE_WORDS[condition_state(condition_id, failed, evaluation.explanation)]


def _who(label: str, role: str) -> str:
    try:
        return f"{label} ({ROLE_LABELS[Role(role)]})"
    except ValueError:
        return label


def render_letter(
    found: Application, evaluation: Evaluation, decision: Decision, *, notified: date
) -> bytes:
    """The letter's PDF bytes for a final decision notified on ``notified``."""
    from fpdf import FPDF  # loads with the first letter, not with the application

    programme, version = service.version_of(found)
    appeal = APPEALS[found.country]

    pdf = FPDF(format="A4")
    pdf.set_compression(False)
    pdf.set_title(latin1(f"Decisión sobre la solicitud {found.reference}"))
    pdf.set_author(latin1(decision.by))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()

    def heading(text: str) -> None:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 6, latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)

    def para(text: str) -> None:
        pdf.multi_cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, latin1("Resolución sobre su solicitud de regularización migratoria"),
                   new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_font("Helvetica", "", 10)
    name = " ".join(p for p in (found.given_names, found.surname_1, found.surname_2) if p)
    para(f"Solicitante: {name}")
    if found.document_number:
        para(f"Documento: {found.document_type or 'documento'} {found.document_number}")
    para(f"Referencia: {found.reference} (expediente {found.id})")
    para(f"Programa: {programme.name}, versión {version.id} ({version.legal_basis})")
    para(f"Fecha de la solicitud: {render(found.application_date)}")
    outcome = service.OUTCOME_LABELS[decision.outcome].upper()
    heading(f"Decisión: {outcome}")
    when = render(decision.at.date())
    para(f"Decidió: {_who(decision.by, decision.role)}, el {when}.")
    if decision.decision == "confirm":
        para("La persona que decidió confirmó la recomendación de las reglas del programa.")
    else:
        para(
            "Las reglas del programa recomendaban "
            f"«{service.OUTCOME_LABELS[evaluation.outcome]}»; la persona que decidió resolvió "
            "otro resultado por el motivo que sigue."
        )
    para(f"Motivo: {decision.reason}")
    if decision.removal:
        para(
            "Esta denegación queda marcada para un procedimiento de expulsión, por un "
            "antecedente penal que una persona confirmó. Ese procedimiento es aparte, con sus "
            "propias garantías y recursos."
        )
    if decision.signed_off_by and decision.signed_off_at:
        para(
            f"Firmó la decisión el supervisor {decision.signed_off_by}, el "
            f"{render(decision.signed_off_at.date())}."
        )
    heading("Condiciones evaluadas y su fuente legal")
    protection = "no cumple" if PROTECTION in evaluation.failed_conditions.split(";") else "cumple"
    para(
        f"- «{PROTECTION}» ({protection}): sin bloqueo de protección (asilo, refugio, niño, "
        "niña o adolescente no acompañado, trata). Fuente: Convención de 1951, art. 33; "
        "Convención sobre los Derechos del Niño, art. 3; Protocolo de Palermo, arts. 7 y 8."
    )
    for condition in version.conditions:
        para(
            f"- «{condition.id}» ({_state(condition.id, evaluation)}): {condition.label}. "
            f"Fuente: {condition.source}."
        )
    heading("Explicación")
    para(evaluation.explanation)
    heading("Cómo recurrir")
    para(
        f"Puede presentar un {appeal.remedy} dentro de {appeal.days} días hábiles contados "
        f"desde la notificación de esta decisión (el {render(notified)}), es decir, hasta el "
        f"{render(deadline(notified, country=found.country))}, ante {appeal.before}, citando "
        "la referencia "
        f"{found.reference}. Fuente: {appeal.source}. Un recurso reabre su expediente: una "
        "persona lo evalúa y decide de nuevo, y se conserva todo lo actuado."
    )
    para(
        "Tiene derecho a una explicación de esta decisión y a que la tome una persona "
        f"({HUMAN_DECISION[found.country]})."
    )
    para(f"Emitida el {render(date.today())}.")
    return bytes(pdf.output())


def letter(session: Session, node: Node, principal: Principal, application_id: str) -> bytes:
    """The decision letter of a final decision (issuing it is audited)."""
    found = service.visible_application(session, principal, application_id)
    decision = latest_decision(session, found)
    if found.status != "final" or decision is None:
        raise Conflict(
            f"La solicitud {found.id} está {service.STATUS_LABELS[found.status]} "
            f"({found.status}): la carta se emite cuando la decisión es firme."
        )
    evaluation = next(
        (e for e in service.evaluations(session, found.id) if e.id == decision.evaluation_id),
        latest_evaluation(session, found),
    )
    if decision.notified_at is None:
        # The first letter is the notification: the appeal period runs from it.
        decision.notified_at = service.utcnow()
        session.flush()
    body = render_letter(found, evaluation, decision, notified=decision.notified_at.date())
    audit_act(
        session, node, principal, "status.application.letter", found.id,
        {"decision": decision.id, "outcome": decision.outcome},
    )  # fmt: skip
    return body
