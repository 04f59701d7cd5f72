"""``/api/v1/corridor``: return casework, manifests, check-ins and the plan, for the
console. Every route declares its action (``require``); the services behind them
authorise each case, manifest or check-in again and audit the act. A look at a case or a
received manifest is a write (it is audited), so those routes run in a transaction.

The plan route solves a posted INPUT.json (the contract of ``alianza corridor plan``)
within ``time_limit`` seconds (at most 30: a request, not a batch job; the CLI has no
cap). A partner node that is down is a 502 naming it; the manifest stays pending and
``/manifests/{id}/send`` tries again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from alianza.auth.permissions import Principal
from alianza.corridor import (
    breaches,
    casework,
    checkins,
    consents,
    contract,
    flows,
    manifests,
    planner,
    protection,
)
from alianza.web.deps import NodeDep, require, unit

router = APIRouter(prefix="/api/v1/corridor", tags=["corredor"])
Caseworker = Annotated[Principal, require(casework.MANAGE)]
Sender = Annotated[Principal, require(manifests.SEND)]
Reader = Annotated[Principal, require(manifests.READ)]
Recorder = Annotated[Principal, require(checkins.RECORD)]
Settler = Annotated[Principal, require(checkins.SETTLE)]
Protector = Annotated[Principal, require(protection.PROTECT)]
Limit = Annotated[int, Query(ge=1, le=1000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoveIn(_In):
    status: str = Field(min_length=1, max_length=20, description="Estado al que pasa")
    reason: str = Field(min_length=1, max_length=2000, description="Motivo")
    departure: str | None = Field(None, max_length=64, description="Al programar: la salida")


class ConsentIn(_In):
    member: str = Field(min_length=1, max_length=128, description="Integrante (id del hogar)")
    sheet_version: str = Field(min_length=1, max_length=40)
    language: str = Field(min_length=1, max_length=16)
    counsellor: str = Field(min_length=1, max_length=120)
    witness: str | None = Field(None, max_length=120)
    guardian: str | None = Field(None, max_length=128, description="Para un menor")


class MemberIn(_In):
    member: str = Field(min_length=1, max_length=128)
    reason: str = Field("", max_length=2000)


class ManifestIn(_In):
    departure: str = Field(min_length=1, max_length=64)
    to: str = Field(min_length=1, max_length=64, description="Nodo del país del tramo")
    leg_date: date
    purpose: str = Field(
        "Tránsito y recepción del retorno voluntario (corredor humanitario)",
        min_length=1,
        max_length=500,
    )
    legal_basis: str = Field(min_length=1, max_length=500)


class CheckinIn(_In):
    person: str | None = Field(None, min_length=1, max_length=64, description="Ref.")
    document: str | None = Field(None, min_length=1, max_length=64, description="Documento")
    kind: Literal["boarded", "crossed", "arrived", "missing", "medical_incident"]
    stop: str = Field(min_length=1, max_length=128)
    at: datetime | None = Field(None, description="Por defecto, ahora")
    note: str = Field("", max_length=1000)


class SyncIn(_In):
    to: str = Field(min_length=1, max_length=64, description="Nodo nacional")


class SettleIn(_In):
    decision: str = Field(min_length=1, max_length=2000)


class EraseIn(_In):
    reason: str = Field(min_length=1, max_length=1000)


class RetentionIn(_In):
    today: date | None = Field(None, description="Por defecto, hoy")
    keep_days: int = Field(
        protection.RETENTION_DAYS, ge=protection.MIN_KEEP_DAYS, le=protection.MAX_KEEP_DAYS
    )


class BreachIn(_In):
    discovered_at: datetime
    description: str = Field(min_length=1, max_length=4000)
    data_categories: str = Field(min_length=1, max_length=500)
    persons_affected: int = Field(ge=0, le=breaches.MAX_PERSONS_AFFECTED)
    measures: str = Field(min_length=1, max_length=4000)


class NotifyIn(_In):
    notified_to: str = Field(min_length=1, max_length=500, description="Autoridad")
    at: datetime | None = Field(None, description="Por defecto, ahora")


# ------------------------------------------------------------------ cases


@router.get("/cases", summary="Casos de retorno de la institución")
def list_cases(node: NodeDep, principal: Caseworker, limit: Limit = 100) -> dict[str, Any]:
    with unit(node) as session:
        return {
            "cases": [casework.summary(c) for c in casework.cases(session, principal, limit=limit)]
        }


@router.post("/cases", status_code=201, summary="Registrar el caso de un hogar")
def add_case(
    node: NodeDep,
    principal: Caseworker,
    household: Annotated[dict[str, Any], Body(description="Un hogar del contrato (HOGAR.json)")],
) -> dict[str, Any]:
    with unit(node) as session:
        return casework.summary(casework.register(session, node, principal, household))


@router.get("/cases/{case_id}", summary="Un caso: integrantes, consentimientos, historia")
def get_case(case_id: str, node: NodeDep, principal: Caseworker) -> dict[str, Any]:
    with unit(node) as session:
        return casework.detail(session, node, principal, case_id)


@router.post("/cases/{case_id}/move", summary="Mover el caso un paso, con su motivo")
def move_case(case_id: str, body: MoveIn, node: NodeDep, principal: Caseworker) -> dict[str, Any]:
    with unit(node) as session:
        moved = casework.move(
            session, node, principal, case_id, body.status, body.reason, departure=body.departure
        )
        return casework.summary(moved)


@router.post("/cases/{case_id}/consents", summary="Consentimiento informado de un integrante")
def add_consent(
    case_id: str, body: ConsentIn, node: NodeDep, principal: Caseworker
) -> dict[str, Any]:
    with unit(node) as session:
        consents.record_consent(
            session,
            node,
            principal,
            case_id,
            body.member,
            sheet_version=body.sheet_version,
            language=body.language,
            counsellor=body.counsellor,
            witness=body.witness,
            guardian_member_id=body.guardian,
        )
        return casework.summary(casework.case(session, principal, case_id))


@router.post("/cases/{case_id}/withdraw", summary="Retirar el consentimiento (hasta embarcar)")
def withdraw(case_id: str, body: MemberIn, node: NodeDep, principal: Caseworker) -> dict[str, Any]:
    with unit(node) as session:
        consents.withdraw_consent(session, node, principal, case_id, body.member, body.reason)
        return casework.summary(casework.case(session, principal, case_id))


@router.post("/cases/{case_id}/board", summary="Confirmar el consentimiento al embarcar")
def board(case_id: str, body: MemberIn, node: NodeDep, principal: Caseworker) -> dict[str, Any]:
    with unit(node) as session:
        consents.confirm_boarding(session, node, principal, case_id, body.member)
        return casework.summary(casework.case(session, principal, case_id))


@router.post("/plan", summary="Plan del corredor sobre un INPUT.json (el contrato de la CLI)")
def plan(
    principal: Caseworker,
    corridor: Annotated[dict[str, Any], Body(description="INPUT.json")],
    time_limit: Annotated[float, Query(gt=0, le=30, allow_inf_nan=False)] = 20.0,
) -> dict[str, Any]:
    return planner.solve(contract.parse(corridor), time_limit=time_limit).as_json()


# ------------------------------------------------------------------ manifests


@router.get("/manifests", summary="Manifiestos enviados por la institución")
def list_sent(node: NodeDep, principal: Sender, limit: Limit = 100) -> dict[str, Any]:
    with unit(node) as session:
        rows = manifests.sent_list(session, principal, limit=limit)
        return {"manifests": [manifests.view(r) for r in rows]}


@router.post("/manifests", status_code=201, summary="Enviar el manifiesto de una salida")
def send_manifest(body: ManifestIn, node: NodeDep, principal: Sender) -> dict[str, Any]:
    with unit(node) as session:
        row = manifests.prepare(
            session,
            node,
            principal,
            departure=body.departure,
            peer_node=body.to,
            leg_date=body.leg_date,
            purpose=body.purpose,
            legal_basis=body.legal_basis,
        )
        manifest_id = row.id
    return manifests.view(flows.deliver_manifest(node, principal, manifest_id=manifest_id))


@router.post("/manifests/{manifest_id}/send", summary="Reenviar un manifiesto pendiente")
def resend_manifest(manifest_id: str, node: NodeDep, principal: Sender) -> dict[str, Any]:
    return manifests.view(flows.deliver_manifest(node, principal, manifest_id=manifest_id))


@router.get("/manifests/received", summary="Manifiestos recibidos por la institución")
def list_received(node: NodeDep, principal: Reader, limit: Limit = 100) -> dict[str, Any]:
    with unit(node) as session:
        rows = manifests.received_list(session, principal, limit=limit)
        return {"manifests": [manifests.view(r) for r in rows]}


@router.get("/manifests/received/{manifest_id}", summary="Un manifiesto recibido, con personas")
def get_received(manifest_id: str, node: NodeDep, principal: Reader) -> dict[str, Any]:
    with unit(node) as session:
        row = manifests.received(session, node, principal, manifest_id)
        return {**manifests.view(row), "persons": manifests.persons_of(row)}


# ------------------------------------------------------------------ check-ins


@router.get("/checkins", summary="Registros de paso (de una persona, o los últimos)")
def list_checkins(
    node: NodeDep,
    principal: Recorder,
    person: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    with unit(node) as session:
        rows = (
            checkins.checkins_of(session, principal, person)
            if person
            else checkins.recent(session, principal, limit=limit)
        )
        return {"checkins": [checkins.view(r) for r in rows]}


@router.post("/checkins", status_code=201, summary="Registrar un paso (también sin conexión)")
def add_checkin(body: CheckinIn, node: NodeDep, principal: Recorder) -> dict[str, Any]:
    from alianza.errors import InputError

    if (body.person is None) == (body.document is None):
        raise InputError.at("person", "indique person o document (uno de los dos)")
    with unit(node) as session:
        ref = body.person or checkins.by_document(session, node, principal, body.document or "")
        row = checkins.record(
            session,
            node,
            principal,
            person=ref,
            kind=body.kind,
            stop=body.stop,
            at=body.at or datetime.now(UTC),
            note=body.note,
        )
        return checkins.view(row)


@router.post("/checkins/sync", summary="Enviar al nodo nacional los registros hechos aquí")
def sync_checkins(body: SyncIn, node: NodeDep, principal: Recorder) -> dict[str, Any]:
    report = flows.push_checkins(node, principal, peer_node=body.to)
    return {
        "sent": report.sent,
        "accepted": report.accepted,
        "refused": report.refused,
        "conflicts": report.conflicts,
        "pending": report.pending,
        "error": report.error,
    }


@router.get("/conflicts", summary="Registros que se contradicen, para que alguien decida")
def list_conflicts(
    node: NodeDep, principal: Recorder, all: Annotated[bool, Query()] = False
) -> dict[str, Any]:
    with unit(node) as session:
        rows = checkins.conflicts(session, principal, open_only=not all)
        return {"conflicts": [checkins.conflict_view(c) for c in rows]}


@router.post("/conflicts/{conflict_id}/settle", summary="Resolver un conflicto")
def settle(conflict_id: str, body: SettleIn, node: NodeDep, principal: Settler) -> dict[str, Any]:
    with unit(node) as session:
        row = checkins.settle(
            session, node, principal, conflict_id=conflict_id, decision=body.decision
        )
        return checkins.conflict_view(row)


# ------------------------------------------------------------------ data protection


@router.get("/members/{member_id}/report", summary="Informe de acceso del titular")
def subject_report(member_id: str, node: NodeDep, principal: Caseworker) -> dict[str, Any]:
    with unit(node) as session:
        return protection.subject_report(session, node, principal, member_id=member_id)


@router.post("/cases/{case_id}/erase", summary="Borrar los datos personales de un caso cerrado")
def erase_case(case_id: str, body: EraseIn, node: NodeDep, principal: Protector) -> dict[str, Any]:
    with unit(node) as session:
        return protection.erase_case(session, node, principal, case_id=case_id, reason=body.reason)


@router.post("/retention", summary="Aplicar la retención (casos cerrados, manifiestos)")
def retention(body: RetentionIn, node: NodeDep, principal: Protector) -> dict[str, Any]:
    with unit(node) as session:
        return protection.apply_retention(
            session,
            node,
            principal,
            today=body.today or datetime.now(UTC).date(),
            keep_days=body.keep_days,
        )


@router.get("/breaches", summary="Registro de brechas de datos personales")
def list_breaches(node: NodeDep, principal: Protector) -> dict[str, Any]:
    with unit(node) as session:
        return {"breaches": breaches.breaches(session, principal, now=datetime.now(UTC))}


@router.post("/breaches", status_code=201, summary="Registrar una brecha (5 días para notificar)")
def add_breach(body: BreachIn, node: NodeDep, principal: Protector) -> dict[str, Any]:
    with unit(node) as session:
        row = breaches.record_breach(
            session,
            node,
            principal,
            discovered_at=body.discovered_at,
            description=body.description,
            data_categories=body.data_categories,
            persons_affected=body.persons_affected,
            measures=body.measures,
        )
        return breaches.breach_view(row, datetime.now(UTC))


@router.post("/breaches/{breach_id}/notify", summary="Registrar la notificación a la autoridad")
def notify_breach(
    breach_id: str, body: NotifyIn, node: NodeDep, principal: Protector
) -> dict[str, Any]:
    with unit(node) as session:
        row = breaches.notify_breach(
            session,
            node,
            principal,
            breach_id=breach_id,
            notified_to=body.notified_to,
            at=body.at or datetime.now(UTC),
        )
        return breaches.breach_view(row, datetime.now(UTC))
