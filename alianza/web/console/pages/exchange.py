"""The exchange inbox: partners' release requests on our records with their 48-hour
clocks (overdue ones in red and said in words), decided by a person who may withhold
fields or refuse with a reason; our own requests, and what a partner released to us
with the owner's rules.

The same functions as ``/api/v1/releases``: ``release.list_releases`` (audited; each
request through ``exchange.policy``), ``exchange.views.release_view`` (the clock),
``lookup.show_release`` for one request (audited: released data is personal data) and
``release.decide_release`` (the service checks that the decider may release that record
and that each withheld field exists). The fields offered for withholding are those of
the record as ``records.get_record`` shows it to the decider.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from alianza.auth.permissions import Action, Principal, holds
from alianza.exchange import lookup, release
from alianza.exchange.views import DecisionIn, release_view
from alianza.records import service as records
from alianza.web.console.i18n import N_
from alianza.web.console.nav import NavEntry
from alianza.web.console.pages.fields import checked, named, posted
from alianza.web.console.render import page
from alianza.web.console.session import PREFIX, requires
from alianza.web.deps import NodeDep, unit

router = APIRouter(include_in_schema=False)
INBOX = f"{PREFIX}/intercambio"
NAV = (NavEntry(INBOX, N_("Intercambio"), action=Action.QUERY_PEERS, order=50),)

Asker = Annotated[Principal, requires(Action.QUERY_PEERS)]
Releaser = Annotated[Principal, requires(Action.RELEASE)]
RequestId = Annotated[str, Path(max_length=36)]
WITHHOLD = "retener:"  # a checkbox per field: "retener:<field>"

STATES = {
    "pending": N_("pendiente"),
    "approved": N_("aprobada"),
    "refused": N_("negada"),
    "retracted": N_("retirada"),
    "expired": N_("caducada"),
}
LABELS = {"reason": "motivo", "remove_fields": "campos retenidos"}


def tabs(principal: Principal, here: str) -> dict[str, Any]:
    """The exchange pages' tabs the principal may open (shown or hidden only: each page
    declares its action)."""
    return {
        "tab": here,
        "can_releases": holds(principal, Action.QUERY_PEERS),
        "can_audit": holds(principal, Action.AUDIT),
        "can_peers": holds(principal, Action.FEDERATE),
    }


@router.get(INBOX)
def inbox(
    request: Request,
    node: NodeDep,
    principal: Asker,
    overdue: Annotated[bool, Query(alias="vencidas")] = False,
) -> Response:
    now = datetime.now(UTC)
    with unit(node) as session:
        rows = [
            release_view(r, now).model_dump()
            for r in release.list_releases(session, node=node, principal=principal, overdue=overdue)
        ]
    incoming = [r for r in rows if r["direction"] == "in"]
    return page(
        request,
        "exchange/inbox.html",
        incoming=sorted(incoming, key=lambda r: (r["status"] != "pending", r["hours_left"])),
        outgoing=[r for r in rows if r["direction"] == "out"][::-1],
        overdue=overdue,
        late=sum(1 for r in incoming if r["overdue"]),
        states=STATES,
        **tabs(principal, "releases"),
    )


@router.get(f"{INBOX}/entregas/{{request_id}}")
def one_request(
    request: Request,
    request_id: RequestId,
    node: NodeDep,
    principal: Asker,
    done: Annotated[str, Query(alias="hecho", max_length=20)] = "",
) -> Response:
    fields: list[str] = []
    with unit(node) as session:
        row = lookup.show_release(session, node=node, principal=principal, request_id=request_id)
        shown = release_view(row).model_dump()
        receipt = bool(row.receipt)
        deciding = row.direction == "in" and row.status == "pending" and row.record_id
        if deciding and holds(principal, Action.RELEASE):
            record = records.get_record(
                session, node=node, principal=principal, record_id=row.record_id or ""
            )
            fields = sorted(record.as_dict()["data"])
    return page(
        request,
        "exchange/release.html",
        req=shown,
        receipt=receipt,
        fields=fields,
        done=done,
        states=STATES,
        withhold=WITHHOLD,
        **tabs(principal, "releases"),
    )


def _decided(request_id: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{INBOX}/entregas/{request_id}?hecho={done}", status_code=303)


@router.post(f"{INBOX}/entregas/{{request_id}}/aprobar")
async def approve(
    request: Request, request_id: RequestId, node: NodeDep, principal: Releaser
) -> Response:
    fields = await posted(request, LABELS)
    withheld = sorted(k[len(WITHHOLD) :] for k in fields if k.startswith(WITHHOLD))
    body = checked(DecisionIn, {"remove_fields": withheld}, LABELS)
    with named(LABELS), unit(node) as session:
        release.decide_release(
            session,
            node=node,
            principal=principal,
            request_id=request_id,
            approve=True,
            remove_fields=body.remove_fields,
        )
    return _decided(request_id, "aprobada")


@router.post(f"{INBOX}/entregas/{{request_id}}/negar")
async def refuse(
    request: Request, request_id: RequestId, node: NodeDep, principal: Releaser
) -> Response:
    fields = await posted(request, LABELS)
    body = checked(DecisionIn, {"reason": fields.get("motivo", "").strip()}, LABELS)
    with named(LABELS), unit(node) as session:
        release.decide_release(
            session,
            node=node,
            principal=principal,
            request_id=request_id,
            approve=False,
            reason=body.reason,
        )
    return _decided(request_id, "negada")
