"""``/api/v1/status``: regularisation applications for the console. Every route declares
its action (``require``); the services authorise each application again and audit the
act. A look at an application and the issue of a letter are audited, so those routes
run in a transaction too.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from alianza.auth.permissions import Principal
from alianza.codes.text import shown
from alianza.errors import NotFound
from alianza.status import applications, checks, decisions, flows, intake, letter, stats
from alianza.web.deps import NodeDep, require, unit

router = APIRouter(prefix="/api/v1/status", tags=["regularización"])
Caseworker = Annotated[Principal, require(applications.MANAGE)]
Supervisor = Annotated[Principal, require(applications.SIGN_OFF)]
Checker = Annotated[Principal, require(checks.CHECK)]
Reviewer = Annotated[Principal, require(checks.REVIEW)]
Leader = Annotated[Principal, require(stats.READ)]
Limit = Annotated[int, Query(ge=1, le=1000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecideIn(_In):
    confirm: bool = Field(False, description="Confirmar la recomendación de las reglas")
    outcome: str | None = Field(None, max_length=20, description="O bien: otro resultado")
    reason: str = Field(min_length=1, max_length=4000, description="Motivo escrito")
    removal: bool = Field(
        False,
        description="Marcar una denegación para expulsión (exige un antecedente penal confirmado)",
    )


class SignOffIn(_In):
    note: str = Field("", max_length=4000)


class AppealIn(_In):
    reason: str = Field(min_length=1, max_length=4000)
    filed_on: date | None = Field(None, description="Día en que se presentó (por defecto hoy)")


class CheckIn(_In):
    legal_basis: str | None = Field(None, max_length=300, description="Por defecto, la del país")


class ReviewIn(_In):
    verdict: str = Field(max_length=20, description="cleared (no es la misma persona) o confirmed")
    reason: str = Field(min_length=1, max_length=4000)


@router.get("/applications", summary="Solicitudes de regularización de la institución")
def list_applications(node: NodeDep, principal: Caseworker, limit: Limit = 100) -> dict[str, Any]:
    with unit(node) as session:
        found = applications.applications(session, principal, limit=limit)
        return {"applications": [applications.summary(a) for a in found]}


@router.post("/applications", status_code=201, summary="Registrar y evaluar una solicitud")
def add_application(
    node: NodeDep,
    principal: Caseworker,
    application: Annotated[
        dict[str, Any], Body(description="Las columnas de APPLICATIONS.csv, con programme")
    ],
) -> dict[str, Any]:
    row = intake.row_from_json(application)
    with unit(node) as session:
        return applications.summary(applications.register(session, node, principal, row))


@router.get("/applications/{application_id}", summary="Una solicitud con su historia")
def get_application(node: NodeDep, principal: Caseworker, application_id: str) -> dict[str, Any]:
    with unit(node) as session:
        return applications.detail(session, node, principal, application_id)


@router.post("/applications/{application_id}/decide", summary="Decidir, con un motivo")
def decide(
    node: NodeDep, principal: Caseworker, application_id: str, body: DecideIn
) -> dict[str, Any]:
    with unit(node) as session:
        decisions.decide(
            session, node, principal, application_id,
            confirm=body.confirm, outcome=body.outcome, reason=body.reason,
            removal=body.removal,
        )  # fmt: skip
        found = applications.visible_application(session, principal, application_id)
        return applications.summary(found)


@router.post("/applications/{application_id}/sign-off", summary="Firmar una denegación")
def sign_off(
    node: NodeDep, principal: Supervisor, application_id: str, body: SignOffIn
) -> dict[str, Any]:
    with unit(node) as session:
        decisions.sign_off(session, node, principal, application_id, note=body.note)
        found = applications.visible_application(session, principal, application_id)
        return applications.summary(found)


@router.post("/applications/{application_id}/appeal", summary="Registrar un recurso")
def appeal(
    node: NodeDep, principal: Caseworker, application_id: str, body: AppealIn
) -> dict[str, Any]:
    with unit(node) as session:
        decisions.appeal(
            session, node, principal, application_id, reason=body.reason,
            filed_on=body.filed_on,
        )  # fmt: skip
        found = applications.visible_application(session, principal, application_id)
        return applications.summary(found)


@router.get(
    "/applications/{application_id}/letter",
    summary="Carta de decisión (PDF)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def decision_letter(node: NodeDep, principal: Caseworker, application_id: str) -> Response:
    return letter_download(node, principal, application_id)


def letter_download(node: Any, principal: Principal, application_id: str) -> Response:
    """The decision letter as the API and the console serve it: a PDF attachment that no
    browser or proxy keeps (it names the applicant)."""
    with unit(node) as session:
        body = letter.letter(session, node, principal, application_id)
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="carta-{application_id}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/applications/{application_id}/checks",
    summary="Consultar antecedentes y alertas (hit/no-hit) en este nodo y los asociados",
)
def run_checks(
    request: Request,
    node: NodeDep,
    principal: Checker,
    application_id: str,
    body: CheckIn | None = None,
) -> dict[str, Any]:
    # Network calls: the flow commits its own steps, outside any request transaction.
    report = flows.run_checks(
        node, principal, application_id, legal_basis=body.legal_basis if body else None,
        matcher=getattr(request.app.state, "person_matcher", None),
    )  # fmt: skip
    return {"application_id": report.application_id, "status": report.status,
            "checks": report.checks}  # fmt: skip


@router.get("/applications/{application_id}/checks", summary="Las consultas de una solicitud")
def list_checks(node: NodeDep, principal: Checker, application_id: str) -> dict[str, Any]:
    with unit(node) as session:
        found = applications.visible_application(session, principal, application_id)
        return {"checks": [checks.as_json(c) for c in checks.checks(session, found.id)]}


@router.post(
    "/applications/{application_id}/checks/{check_id}/review",
    summary="Revisar una coincidencia (supervisor)",
)
def review_check(
    node: NodeDep, principal: Reviewer, application_id: str, check_id: str, body: ReviewIn
) -> dict[str, Any]:
    with unit(node) as session:
        _, found = checks.visible_check(session, principal, check_id)
        if found.id != application_id:
            raise NotFound(f"No existe la consulta {shown(check_id)} en esa solicitud.")
        made = checks.review(
            session, node, principal, check_id, verdict=body.verdict, reason=body.reason
        )
        body_out = applications.summary(found)
        body_out["check"] = checks.as_json(made)
        return body_out


@router.get("/stats", summary="Estadísticas agregadas (celdas pequeñas suprimidas)")
def statistics(node: NodeDep, principal: Leader) -> dict[str, Any]:
    with unit(node) as session:
        return stats.statistics(session, node, principal)
