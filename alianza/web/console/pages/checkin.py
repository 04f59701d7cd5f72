"""The check-in screen of a border post: a person of the corridor seen boarding,
crossing, arriving, reported missing or in a medical incident, at a stop.

Made for a slow line: one small page and a plain form POST (it works without
JavaScript), answered by the same page with what was recorded and the form again for the
next person. The same functions as ``POST /api/v1/corridor/checkins``: the API's model
(``CheckinIn``), ``checkins.by_document`` for a document read off the paper, and
``checkins.record`` (it authorises, finds the person in this node's manifests or in the
cases the principal may see, keeps any conflict for a person, and audits). A border
officer finds persons only through the manifests: never a case.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from alianza.auth.permissions import Principal, holds
from alianza.corridor import checkins
from alianza.corridor.synthetic import default_corridor
from alianza.corridor.views import CheckinIn, SettleIn
from alianza.errors import AlianzaError, Conflict, InputError, NotFound
from alianza.web.console.i18n import N_
from alianza.web.console.nav import NavEntry
from alianza.web.console.pages.fields import blank_to_none, checked, named, posted
from alianza.web.console.render import page
from alianza.web.console.session import PREFIX, requires
from alianza.web.deps import NodeDep, unit

router = APIRouter(include_in_schema=False)
CHECKIN = f"{PREFIX}/paso"
NAV = (NavEntry(CHECKIN, N_("Registro de paso"), action=checkins.RECORD, order=41),)
Recorder = Annotated[Principal, requires(checkins.RECORD)]
Settler = Annotated[Principal, requires(checkins.SETTLE)]
RECENT = 8

KINDS = {
    "boarded": N_("embarcó"),
    "crossed": N_("cruzó"),
    "arrived": N_("llegó"),
    "missing": N_("no se presentó / desaparecida"),
    "medical_incident": N_("incidente médico"),
}
LABELS = {
    "person": "persona",
    "--person": "persona",
    "document": "documento",
    "--document": "documento",
    "kind": "paso",
    "stop": "parada",
    "note": "nota",
    "at": "hora",
    "decision": "decisión",
    "decisión": "decisión",
}


def _recent(node: Any, principal: Principal) -> tuple[list[dict[str, Any]], int]:
    with unit(node) as session:
        rows = [checkins.view(r) for r in checkins.recent(session, principal, limit=RECENT)]
        return rows, len(checkins.conflicts(session, principal))


def _page(
    request: Request,
    node: Any,
    principal: Principal,
    *,
    made: dict[str, Any] | None = None,
    fields: dict[str, str] | None = None,
    error: AlianzaError | None = None,
) -> Response:
    recent, conflicts = _recent(node, principal)
    return page(
        request,
        "corridor/checkin.html",
        status=422 if isinstance(error, InputError) else error.http_status if error else 200,
        error=error,
        kinds=KINDS,
        stops=default_corridor()["stops"],
        stop_names={s["id"]: s["name"] for s in default_corridor()["stops"]},
        made=made,
        form=fields or {},
        recent=recent,
        conflicts=conflicts,
        tab="checkin",
    )


@router.get(CHECKIN)
def checkin_form(request: Request, node: NodeDep, principal: Recorder) -> Response:
    return _page(request, node, principal)


@router.post(CHECKIN)
async def record_checkin(request: Request, node: NodeDep, principal: Recorder) -> Response:
    fields: dict[str, str] = {}
    try:
        fields = await posted(request, LABELS)
        made = _record(node, principal, fields)
    except (InputError, NotFound, Conflict) as exc:
        # Answered on the same small page, the typed fields kept: one round trip on a
        # slow line. Nothing was stored (the transaction rolled back).
        return _page(request, node, principal, fields=fields, error=exc)
    # The stop and the step stay chosen for the next person (a post records at its own
    # stop, the same step for a whole bus).
    return _page(
        request, node, principal, made=made, fields={"parada": made["stop"], "paso": made["kind"]}
    )


def _record(node: Any, principal: Principal, fields: dict[str, str]) -> dict[str, Any]:
    body = checked(
        CheckinIn,
        {
            "person": blank_to_none(fields.get("persona")),
            "document": blank_to_none(fields.get("documento")),
            "kind": fields.get("paso", ""),
            "stop": fields.get("parada", "").strip(),
            "note": fields.get("nota", "").strip(),
        },
        LABELS,
    )
    if (body.person is None) == (body.document is None):
        raise InputError.at("persona", "indique la persona o el documento (uno de los dos)")
    with named(LABELS), unit(node) as session:
        ref = body.person or checkins.by_document(session, node, principal, body.document or "")
        row = checkins.record(
            session,
            node,
            principal,
            person=ref,
            kind=body.kind,
            stop=body.stop,
            at=datetime.now(UTC),
            note=body.note,
        )
        return checkins.view(row)


@router.get(f"{CHECKIN}/conflictos")
def conflict_list(request: Request, node: NodeDep, principal: Recorder) -> Response:
    """Check-ins of one person that cannot both be true, kept for a person to settle
    (``checkins.conflicts``, as ``GET /api/v1/corridor/conflicts``)."""
    with unit(node) as session:
        rows = [checkins.conflict_view(c) for c in checkins.conflicts(session, principal)]
    return page(
        request,
        "corridor/conflicts.html",
        rows=rows,
        can_settle=holds(principal, checkins.SETTLE),
        tab="checkin",
    )


@router.post(f"{CHECKIN}/conflictos/{{conflict_id}}")
async def settle(request: Request, conflict_id: str, node: NodeDep, principal: Settler) -> Response:
    """A person says what happened (``checkins.settle``); both check-ins stay as made."""
    fields = await posted(request, LABELS)
    body = checked(SettleIn, {"decision": fields.get("decision", "").strip()}, LABELS)
    with named(LABELS), unit(node) as session:
        checkins.settle(session, node, principal, conflict_id=conflict_id, decision=body.decision)
    return RedirectResponse(f"{CHECKIN}/conflictos", status_code=303)
