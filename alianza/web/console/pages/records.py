"""Records: search, one record with its rules always in sight, its versions, who saw it,
and the review queue with renewal.

The same service functions as ``/api/v1/records``: ``records.service.search``,
``get_record`` and ``history``, ``records.review.review_due`` and ``renew``, and
``audit.trail.trail`` for who saw a record. They authorise (a record outside the
principal's scope is ``NotFound``, shown as the 404 page exactly like a missing one) and
audit every read.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from alianza.audit.trail import trail
from alianza.auth.permissions import Action, Principal, holds
from alianza.records import review
from alianza.records import service as records
from alianza.records.rules import RecordKind
from alianza.records.schemas import RenewIn
from alianza.web.console.i18n import N_, parse_day
from alianza.web.console.nav import NavEntry
from alianza.web.console.render import page
from alianza.web.console.session import PREFIX, form, requires, validated
from alianza.web.deps import NodeDep, unit

router = APIRouter(include_in_schema=False)
NAV = (
    NavEntry(f"{PREFIX}/registros", N_("Registros"), action=Action.READ, order=20),
    NavEntry(f"{PREFIX}/revision", N_("Revisión"), action=Action.REVIEW, order=30),
)

Reader = Annotated[Principal, requires(Action.READ)]
Reviewer = Annotated[Principal, requires(Action.REVIEW)]
Auditor = Annotated[Principal, requires(Action.AUDIT)]
PAGE = 25

KINDS = {
    RecordKind.PERSON: N_("persona"),
    RecordKind.DOCUMENT: N_("documento"),
    RecordKind.VEHICLE: N_("vehículo"),
    RecordKind.VESSEL: N_("embarcación"),
    RecordKind.CONTAINER: N_("contenedor"),
    RecordKind.ORGANISATION: N_("organización"),
    RecordKind.SEIZURE: N_("incautación"),
}
SCOPES = {
    "agency": N_("solo la institución"),
    "country": N_("el país"),
    "partners": N_("países asociados"),
    "members": N_("todos los miembros"),
}
HANDLING = {
    "H0": N_("solo para prevenir o combatir delitos"),
    "H1": N_("no usar en procesos judiciales sin permiso del dueño"),
    "H2": N_("no difundir sin permiso del dueño"),
    "H3": N_("otras restricciones (ver nota)"),
}
SOURCE = {
    "A": N_("fuente fiable sin duda"),
    "B": N_("fuente mayormente fiable"),
    "C": N_("fuente mayormente no fiable"),
    "X": N_("fiabilidad no evaluable"),
}
INFO = {
    "1": N_("cierta sin reservas"),
    "2": N_("conocida personalmente por la fuente"),
    "3": N_("no conocida por la fuente, corroborada"),
    "4": N_("no conocida por la fuente, sin corroborar"),
}
# The labels every record template reads (msgids, translated in the template).
VOCABULARY: dict[str, Any] = {
    "kinds": KINDS,
    "scopes": SCOPES,
    "handling": HANDLING,
    "source": SOURCE,
    "info": INFO,
}


def _row(view: records.RecordView) -> dict[str, Any]:
    return view.as_dict()


@router.get(f"{PREFIX}/registros")
def search(
    request: Request,
    node: NodeDep,
    principal: Reader,
    q: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str, Query(alias="tipo", max_length=20)] = "",
    number: Annotated[int, Query(alias="pagina", ge=1, le=10_000)] = 1,
) -> Response:
    with unit(node) as session:
        views = records.search(
            session,
            node=node,
            principal=principal,
            q=q or None,
            kind=kind or None,
            limit=PAGE + 1,
            offset=(number - 1) * PAGE,
        )
        rows = [_row(v) for v in views[:PAGE]]
    return page(
        request,
        "records/search.html",
        rows=rows,
        q=q,
        kind=kind,
        number=number,
        more=len(views) > PAGE,
        **VOCABULARY,
    )


@router.get(f"{PREFIX}/registros/{{record_id}}")
def view(request: Request, record_id: str, node: NodeDep, principal: Reader) -> Response:
    with unit(node) as session:
        shown = _row(
            records.get_record(session, node=node, principal=principal, record_id=record_id)
        )
    return page(
        request,
        "records/view.html",
        record=shown,
        tab="data",
        can_audit=holds(principal, Action.AUDIT),
        can_review=holds(principal, Action.REVIEW) and _own(principal, shown),
        **VOCABULARY,
    )


def _own(principal: Principal, record: dict[str, Any]) -> bool:
    # Only shows or hides the renewal form: ``review.renew`` decides.
    owner = record["owner"]
    return bool((owner["country"], owner["agency"]) == (principal.country, principal.agency))


@router.get(f"{PREFIX}/registros/{{record_id}}/versiones")
def versions(request: Request, record_id: str, node: NodeDep, principal: Reader) -> Response:
    with unit(node) as session:
        shown = _row(
            records.get_record(session, node=node, principal=principal, record_id=record_id)
        )
        rows = [
            {
                "version": v.version,
                "tombstone": v.tombstone,
                "redacted": v.data is None and not v.tombstone,
                "created_at": v.created_at,
                "author": v.author,
                "reason": v.reason,
                "rules": json.loads(v.rules),
                "data": json.loads(v.data) if v.data else None,
                "signer": v.signer,
                "content_hash": v.content_hash,
            }
            for v in records.history(session, node=node, principal=principal, record_id=record_id)
        ]
    return page(
        request,
        "records/versions.html",
        record=shown,
        versions=rows,
        tab="versions",
        can_audit=holds(principal, Action.AUDIT),
        **VOCABULARY,
    )


@router.get(f"{PREFIX}/registros/{{record_id}}/accesos")
def seen_by(request: Request, record_id: str, node: NodeDep, principal: Auditor) -> Response:
    with unit(node) as session:
        shown = _row(
            records.get_record(session, node=node, principal=principal, record_id=record_id)
        )
        entries = trail(session, node=node, principal=principal, target=record_id)
    return page(
        request,
        "records/seen.html",
        record=shown,
        entries=entries,
        tab="seen",
        can_audit=True,
        **VOCABULARY,
    )


@router.get(f"{PREFIX}/revision")
def review_queue(request: Request, node: NodeDep, principal: Reviewer) -> Response:
    with unit(node) as session:
        rows = [
            {"id": r.id, "kind": r.kind, "label": r.label, "review_date": r.review_date}
            for r in review.review_due(session, node=node, principal=principal)
        ]
    return page(request, "records/review.html", rows=rows, **VOCABULARY)


@router.post(f"{PREFIX}/registros/{{record_id}}/renovar")
async def renew(request: Request, record_id: str, node: NodeDep, principal: Reviewer) -> Response:
    fields = await form(request)
    until = parse_day(fields.get("hasta", ""))
    body = validated(RenewIn, {"reason": fields.get("motivo", ""), "until": until or None})
    with unit(node) as session:
        review.renew(
            session,
            node=node,
            principal=principal,
            record_id=record_id,
            reason=body.reason,
            until=body.until,
        )
    return RedirectResponse(f"{PREFIX}/registros/{record_id}", status_code=303)
