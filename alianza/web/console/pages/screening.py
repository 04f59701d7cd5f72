"""Border screening: a traveller by name (birth date, nationality, document) or by the
MRZ of the document in hand, ranked against the watch list with each candidate's
explanation; from a partner's candidate, a hit/no-hit query and a release request.

Every act goes through the same functions as the API: ``screening.flows.screen`` (``POST
/api/v1/screen``), ``exchange.flows.query_peers`` (``POST /api/v1/queries``) and
``exchange.flows.request_release`` (``POST /api/v1/releases``); they authorise and audit.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from alianza.auth.permissions import Action, Principal
from alianza.exchange import flows as exchange
from alianza.exchange.views import ReleaseIn
from alianza.screening.flows import screen
from alianza.screening.service import PERSON_QUERY, SCREEN, Screener, explain_text
from alianza.web.console.i18n import N_, parse_day
from alianza.web.console.nav import NavEntry
from alianza.web.console.render import is_htmx, language_of, page
from alianza.web.console.session import PREFIX, form, requires, validated
from alianza.web.deps import NodeDep

router = APIRouter(include_in_schema=False)
NAV = (NavEntry(f"{PREFIX}/control", N_("Control fronterizo"), action=SCREEN, order=10),)

Screener_ = Annotated[Principal, requires(SCREEN)]
Asker = Annotated[Principal, requires(Action.QUERY_PEERS)]

# Form field -> the screening contract's field.
FIELDS = {
    "nombres": "given_names",
    "apellido1": "surname_1",
    "apellido2": "surname_2",
    "nacimiento": "birth_date",
    "nacionalidad": "nationality",
    "documento": "document_number",
}
# The region's countries first in the nationality list (any ISO code may be typed).
NATIONALITIES = ("VE", "CO", "PE", "EC", "CL", "BO", "AR", "HT", "CU", "DO")
LIMIT = 10


def _traveller(fields: dict[str, str]) -> dict[str, str | None]:
    values: dict[str, str | None] = {
        field: fields.get(name, "").strip() or None for name, field in FIELDS.items()
    }
    if values["birth_date"]:
        values["birth_date"] = parse_day(values["birth_date"])
    if values["nationality"]:
        values["nationality"] = values["nationality"].upper()
    return values


def _candidates(request: Request, found: Any) -> list[dict[str, Any]]:
    english = language_of(request) == "en"
    shown = []
    for rank, candidate in enumerate(found.candidates, start=1):
        shown.append(
            {
                "rank": rank,
                "probability": candidate.probability,
                "record_id": candidate.record_id,
                "partner": candidate.partner,
                "summary": explain_text(candidate.evidence, english=english),
                "evidence": [
                    {
                        "field": e.field_en if english else e.field,
                        "level": e.level_en if english else e.level,
                        "status": e.status,
                        "weight": e.weight,
                    }
                    for e in candidate.evidence
                ],
            }
        )
    return shown


@router.get(f"{PREFIX}/control")
def screening_form(request: Request, principal: Screener_) -> Response:
    return page(request, "screening/page.html", form={}, result=None, choices=NATIONALITIES)


@router.post(f"{PREFIX}/control")
async def screen_traveller(request: Request, principal: Screener_) -> Response:
    fields = await form(request)
    screener: Screener = request.app.state.screener
    found = await run_in_threadpool(
        screen,
        screener,
        principal=principal,
        values=_traveller(fields),
        mrz=fields.get("mrz", "").strip() or None,
        limit=LIMIT,
    )
    result = {
        "traveller": found.traveller,
        "checks": found.document_checks,
        "candidates": _candidates(request, found),
    }
    if is_htmx(request):
        return page(request, "screening/_results.html", result=result)
    return page(request, "screening/page.html", form=fields, result=result, choices=NATIONALITIES)


@router.post(f"{PREFIX}/control/socio")
async def ask_partner(request: Request, node: NodeDep, principal: Asker) -> Response:
    """Hit/no-hit at one partner about the traveller (by name and birth date, else by
    document), as ``POST /api/v1/queries`` with ``peer``; only the fields' names are logged."""
    fields = await form(request)
    peer = fields.get("socio", "")
    if fields.get("documento") and not all(fields.get(k) for k in ("nombres", "apellido1")):
        kind, values = "document", {"number": fields["documento"]}
    else:
        kind = "person"
        values = {
            field: fields.get(name, "") for name, field in FIELDS.items() if field in PERSON_QUERY
        }
    answers = await run_in_threadpool(
        exchange.query_peers,
        node,
        principal=principal,
        kind=kind,
        values=values,
        purpose="border_control",
        only=peer,
        log_values=False,
    )
    return page(request, "screening/_partner.html", answers=answers, kind=kind)


@router.get(f"{PREFIX}/intercambio/entrega")
def release_form(
    request: Request,
    principal: Asker,
    peer: Annotated[str, Query(alias="socio", max_length=64)],
    ref: Annotated[str, Query(min_length=8, max_length=64)],
    kind: Annotated[str, Query(alias="tipo", max_length=20)] = "person",
) -> Response:
    return page(
        request, "screening/release.html", peer=peer, ref=ref, kind=kind, fields={}, made=None
    )


@router.post(f"{PREFIX}/intercambio/entrega")
async def request_release(request: Request, node: NodeDep, principal: Asker) -> Response:
    """A release request for a partner's HIT (``POST /api/v1/releases``): its 48-hour
    clock starts."""
    fields = await form(request)
    body = validated(
        ReleaseIn,
        {
            "peer": fields.get("socio", ""),
            "ref": fields.get("ref", ""),
            "kind": fields.get("tipo", ""),
            "purpose": fields.get("finalidad", ""),
            "legal_basis": fields.get("base_legal", ""),
        },
    )
    made = await run_in_threadpool(
        exchange.request_release,
        node,
        principal=principal,
        peer_node=body.peer,
        ref=body.ref,
        kind=body.kind,
        purpose=body.purpose,
        legal_basis=body.legal_basis,
    )
    return page(
        request,
        "screening/release.html",
        peer=made.peer_node,
        ref=made.ref,
        kind=made.kind,
        fields=fields,
        made=made,
    )
