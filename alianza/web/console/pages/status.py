"""Regularisation casework: the applications of the caseworker's agency and one
application with its applicant, evidence, the rules' outcome explained condition by
condition with each legal source, the checks through the exchange, and the acts of a
person: confirm or override with a written reason, a supervisor's sign-off of a refusal,
the checks through the exchange and the review of a hit, an appeal, and the decision
letter (PDF).

The same service functions as ``/api/v1/status``: ``applications.applications``,
``applications.detail`` (the look is audited), ``decisions.decide``,
``decisions.sign_off``, ``decisions.appeal``, ``flows.run_checks``, ``checks.review``
and ``letter.letter``;
they authorise (another agency's application is ``NotFound``, a police role is refused)
and audit. The forms are checked by the API's own models (``status.views``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alianza.auth.permissions import ROLE_LABELS, Principal, holds
from alianza.codes.text import shown
from alianza.errors import NotFound
from alianza.status import applications, checks, decisions, flows, rules
from alianza.status.explain import condition_state
from alianza.status.views import AppealIn, CheckIn, DecideIn, ReviewIn, letter_download
from alianza.status.vocabulary import CODE_FIELDS, PROTECTION_SOURCES
from alianza.web.console.i18n import N_
from alianza.web.console.nav import NavEntry
from alianza.web.console.pages.fields import blank_to_none, checked, named, posted
from alianza.web.console.render import page
from alianza.web.console.session import PREFIX, requires
from alianza.web.deps import NodeDep, unit

router = APIRouter(include_in_schema=False)
HOME = f"{PREFIX}/regularizacion"
NAV = (NavEntry(HOME, N_("Regularización"), action=applications.MANAGE, order=42),)

Caseworker = Annotated[Principal, requires(applications.MANAGE)]
Supervisor = Annotated[Principal, requires(applications.SIGN_OFF)]
Checker = Annotated[Principal, requires(checks.CHECK)]
Reviewer = Annotated[Principal, requires(checks.REVIEW)]
LIMIT = 500

STATUSES = {
    "registered": N_("registrada"),
    "evaluated": N_("evaluada: espera la decisión de una persona"),
    "paused_hit": N_("en pausa por coincidencia"),
    "decided": N_("decidida: espera la firma de un supervisor"),
    "final": N_("decisión firme"),
    "appealed": N_("recurrida"),
}
assert set(STATUSES) == set(applications.STATUSES)  # one label per status of the workflow
OUTCOMES = {
    "eligible": N_("elegible"),
    "not_eligible": N_("no elegible"),
    "needs_review": N_("requiere la revisión de una persona"),
}
STATES = {"met": N_("cumple"), "failed": N_("no cumple"), "unknown": N_("sin datos")}
IF_FAILED = {
    "not_eligible": N_("si no se cumple: no elegible"),
    "needs_review": N_("si no se cumple: lo revisa una persona"),
}
CHECK_KINDS = {
    "criminal_record": N_("antecedentes penales"),
    "document_alert": N_("alertas sobre el documento"),
}
RESULTS = {
    "HIT": N_("coincidencia"),
    "NO_HIT": N_("sin coincidencia"),
    "ERROR": N_("error"),
    "NOT_ASKED": N_("no consultada"),
}
REVIEWS = {"cleared": N_("descartada: no es la misma persona"), "confirmed": N_("confirmada")}
DECISIONS = {"confirm": N_("confirma la recomendación"), "override": N_("cambia la recomendación")}
ROLES = {role.value: label for role, label in ROLE_LABELS.items()}
VOCABULARY: dict[str, Any] = {
    "statuses": STATUSES,
    "outcomes": OUTCOMES,
    "states": STATES,
    "if_failed": IF_FAILED,
    "check_kinds": CHECK_KINDS,
    "results": RESULTS,
    "reviews": REVIEWS,
    "decision_kinds": DECISIONS,
    "roles": ROLES,
}

# Form field -> the name the error shows (the form's label, in Spanish).
LABELS = {
    "reason": "motivo",
    "motivo": "motivo",
    "confirm": "decisión",
    "outcome": "resultado",
    "decision": "decisión",
    "decisión": "decisión",
    "resultado": "resultado",
    "removal": "expulsión",
    "expulsión": "expulsión",
    "note": "nota",
    "nota": "nota",
    "filed_on": "fecha del recurso",
    "fecha": "fecha del recurso",
    "fecha del recurso": "fecha del recurso",
    "verdict": "veredicto",
    "veredicto": "veredicto",
    "legal_basis": "base legal",
    "base": "base legal",
    "base legal": "base legal",
}
MULTILINE = frozenset({"motivo", "nota"})


@router.get(HOME)
def application_list(
    request: Request,
    node: NodeDep,
    principal: Caseworker,
    status: Annotated[str, Query(alias="estado", max_length=20)] = "",
    outcome: Annotated[str, Query(alias="resultado", max_length=20)] = "",
    programme: Annotated[str, Query(alias="programa", max_length=64)] = "",
) -> Response:
    with unit(node) as session:
        found = applications.applications(session, principal, limit=LIMIT)
        rows = [applications.summary(a) for a in found]
        # The rules' latest recommendation, next to the person's final outcome.
        for row, a in zip(rows, found, strict=True):
            made = applications.evaluations(session, a.id)
            row["recommended"] = made[-1].outcome if made else None
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    chosen = [
        r
        for r in rows
        if (not status or r["status"] == status)
        and (not outcome or (r["outcome"] or r["recommended"]) == outcome)
        and (not programme or r["programme"] == programme)
    ]
    return page(
        request,
        "status/list.html",
        rows=chosen,
        counts=counts,
        total=len(rows),
        programmes=sorted({r["programme"] for r in rows}),
        chosen={"status": status, "outcome": outcome, "programme": programme},
        **VOCABULARY,
    )


def conditions(detail: dict[str, Any]) -> list[dict[str, str]]:
    """The latest evaluation condition by condition (the protection condition first): its
    state, what it asks and its legal source, read from the version the application was
    registered under and the evaluation's stored failures (the rules are not run again)."""
    if not detail["evaluations"]:
        return []
    evaluation = detail["evaluations"][-1]
    failed = set(evaluation["failed_conditions"])
    programme = rules.programmes().get(detail["programme"])
    version = next(
        (v for v in programme.versions if v.id == evaluation["programme_version"]), None
    ) if programme is not None else None  # fmt: skip
    flags = [f for f in detail["applicant"]["flags"].split(";") if f]
    protection = "; ".join(PROTECTION_SOURCES[f] for f in flags if f in PROTECTION_SOURCES)
    rows = [
        {
            "id": rules.PROTECTION,
            "state": "failed" if rules.PROTECTION in failed else "met",
            "label": "sin bloqueo de protección (asilo, refugio, niño, niña o adolescente no "
            "acompañado, trata)",
            "source": protection
            or "Convención de 1951, art. 33; Convención sobre los Derechos del Niño, art. 3; "
            "Protocolo de Palermo, arts. 7 y 8",
            "if_failed": "needs_review",
        }
    ]
    for condition in version.conditions if version is not None else ():
        state = condition_state(condition.id, failed, evaluation["explanation"])
        rows.append(
            {
                "id": condition.id,
                "state": state,
                "label": condition.label,
                "source": condition.source,
                "if_failed": condition.if_failed.value,
            }
        )
    return rows


def _declared(applicant: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """The applicant's code lists (documents, family ties, flags) with their names."""
    return {
        column: [(c, names.get(c, c)) for c in applicant[column].split(";") if c]
        for column, names in CODE_FIELDS.items()
    }


@router.get(f"{HOME}/solicitudes/{{application_id}}")
def application(
    request: Request,
    application_id: str,
    node: NodeDep,
    principal: Caseworker,
    done: Annotated[str, Query(alias="hecho", max_length=20)] = "",
) -> Response:
    with unit(node) as session:
        detail = applications.detail(session, node, principal, application_id)
    last = detail["decisions"][-1] if detail["decisions"] else None
    waiting = [c for c in detail["checks"] if c["result"] == "HIT" and c["review"] is None]
    evaluation = detail["evaluations"][-1] if detail["evaluations"] else None
    return page(
        request,
        "status/application.html",
        app=detail,
        evaluation=evaluation,
        conditions=conditions(detail),
        declared=_declared(detail["applicant"]),
        last=last,
        waiting=waiting,
        # Only shows or hides a form: the services authorise each act.
        can_sign=holds(principal, applications.SIGN_OFF)
        and detail["status"] == "decided"
        and last is not None
        and last["by"] != principal.label,
        can_review=holds(principal, checks.REVIEW) and bool(waiting),
        can_check=holds(principal, checks.CHECK) and detail["status"] in checks.CHECKABLE,
        # A removal mark is offered only where ``decisions.decide`` could accept it (a
        # criminal record a person confirmed, no protection flag); the service decides.
        removable=any(
            c["kind"] == "criminal_record" and c["result"] == "HIT" and c["review"] == "confirmed"
            for c in detail["checks"]
        )
        and rules.PROTECTION not in (evaluation or {}).get("failed_conditions", []),
        done=done,
        **VOCABULARY,
    )


def _back(application_id: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{HOME}/solicitudes/{application_id}?hecho={done}", status_code=303)


@router.post(f"{HOME}/solicitudes/{{application_id}}/decidir")
async def decide(
    request: Request, application_id: str, node: NodeDep, principal: Caseworker
) -> Response:
    fields = await posted(request, LABELS, multiline=MULTILINE)
    choice = fields.get("decision", "")
    body = checked(
        DecideIn,
        {
            "confirm": choice == "confirm",
            "outcome": None if choice in ("", "confirm") else choice,
            "reason": fields.get("motivo", "").strip(),
            "removal": fields.get("expulsion") == "1",
        },
        LABELS,
    )
    with named(LABELS), unit(node) as session:
        decisions.decide(
            session, node, principal, application_id,
            confirm=body.confirm, outcome=body.outcome, reason=body.reason,
            removal=body.removal,
        )  # fmt: skip
    return _back(application_id, "decision")


@router.post(f"{HOME}/solicitudes/{{application_id}}/firmar")
async def sign_off(
    request: Request, application_id: str, node: NodeDep, principal: Supervisor
) -> Response:
    fields = await posted(request, LABELS, multiline=MULTILINE)
    with named(LABELS), unit(node) as session:
        decisions.sign_off(
            session, node, principal, application_id, note=fields.get("nota", "").strip()
        )
    return _back(application_id, "firma")


@router.post(f"{HOME}/solicitudes/{{application_id}}/recurso")
async def appeal(
    request: Request, application_id: str, node: NodeDep, principal: Caseworker
) -> Response:
    fields = await posted(request, LABELS, multiline=MULTILINE)
    body = checked(
        AppealIn,
        {
            "reason": fields.get("motivo", "").strip(),
            "filed_on": blank_to_none(fields.get("fecha")),
        },
        LABELS,
    )
    with named(LABELS), unit(node) as session:
        decisions.appeal(
            session, node, principal, application_id, reason=body.reason, filed_on=body.filed_on
        )
    return _back(application_id, "recurso")


@router.post(f"{HOME}/solicitudes/{{application_id}}/consultas")
async def run_checks(
    request: Request, application_id: str, node: NodeDep, principal: Checker
) -> Response:
    fields = await posted(request, LABELS)
    body = checked(CheckIn, {"legal_basis": blank_to_none(fields.get("base"))}, LABELS)
    # Network calls to the partners: the flow commits its own steps, off the event loop.
    with named(LABELS):
        await run_in_threadpool(
            flows.run_checks, node, principal, application_id, legal_basis=body.legal_basis,
            matcher=getattr(request.app.state, "person_matcher", None),
        )  # fmt: skip
    return _back(application_id, "consultas")


@router.post(f"{HOME}/solicitudes/{{application_id}}/consultas/{{check_id}}/revisar")
async def review(
    request: Request, application_id: str, check_id: str, node: NodeDep, principal: Reviewer
) -> Response:
    fields = await posted(request, LABELS, multiline=MULTILINE)
    body = checked(
        ReviewIn,
        {"verdict": fields.get("veredicto", ""), "reason": fields.get("motivo", "").strip()},
        LABELS,
    )
    with named(LABELS), unit(node) as session:
        _, found = checks.visible_check(session, principal, check_id)
        if found.id != application_id:
            raise NotFound(f"No existe la consulta {shown(check_id)} en esa solicitud.")
        checks.review(session, node, principal, check_id, verdict=body.verdict, reason=body.reason)
    return _back(application_id, "revision")


@router.get(f"{HOME}/solicitudes/{{application_id}}/carta.pdf")
def decision_letter(application_id: str, node: NodeDep, principal: Caseworker) -> Response:
    return letter_download(node, principal, application_id)
