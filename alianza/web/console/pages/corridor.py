"""Corridor casework: the households of the caseworker's agency and one household with
its consent and protection status always in sight (Primero's flags), the workflow moves
the role may make (each with a reason), consents recorded, withdrawn and confirmed at
boarding.

The same service functions as ``/api/v1/corridor/cases``: ``casework.cases``,
``casework.detail`` (the look is audited), ``casework.move``, ``consents.record_consent``,
``consents.withdraw_consent`` and ``consents.confirm_boarding``; they authorise (another
agency's case is ``NotFound``, a police role is refused) and audit. A case holds only
casework data: police records are never read here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from alianza.auth.permissions import ROLE_LABELS, Principal, holds
from alianza.corridor import casework, consents
from alianza.corridor.blocks import BLOCKING_FLAGS, blocks
from alianza.corridor.views import ConsentIn, MemberIn, MoveIn
from alianza.web.console.i18n import N_
from alianza.web.console.nav import NavEntry
from alianza.web.console.pages.fields import blank_to_none, checked, named, posted
from alianza.web.console.render import page
from alianza.web.console.session import PREFIX, requires
from alianza.web.deps import NodeDep, unit

router = APIRouter(include_in_schema=False)
HOME = f"{PREFIX}/corredor"
NAV = (NavEntry(HOME, N_("Corredor"), action=casework.MANAGE, order=40),)

Caseworker = Annotated[Principal, requires(casework.MANAGE)]
LIMIT = 500

STATUSES = {
    "registered": N_("registrado"),
    "counselled": N_("orientado"),
    "consented": N_("con consentimiento"),
    "screened": N_("evaluado"),
    "approved": N_("aprobado"),
    "scheduled": N_("programado"),
    "departed": N_("salió"),
    "crossed": N_("cruzó la frontera"),
    "arrived": N_("llegó"),
    "followed_up": N_("con seguimiento"),
    "withdrawn": N_("desistido"),
    "referred": N_("derivado"),
    "on_hold": N_("en espera"),
}
BLOCKS = {
    "asylum_pending": N_("solicitud de asilo pendiente"),
    "refugee": N_("refugiado reconocido"),
    "unaccompanied_minor": N_("menor no acompañado sin determinación del interés superior"),
    "trafficking_victim": N_("presunta víctima de trata"),
    "unfit_to_travel": N_("no apto para viajar (médico)"),
}
assert set(BLOCKS) == set(BLOCKING_FLAGS)  # one label per block of ``corridor.blocks``
PRIORITIES = {"normal": N_("normal"), "high": N_("alta")}
# Role names as ``render.ROLE_MSGIDS`` marks them (a case's history names who moved it).
ROLES = {role.value: label for role, label in ROLE_LABELS.items()}
VOCABULARY: dict[str, Any] = {
    "statuses": STATUSES,
    "block_labels": BLOCKS,
    "priorities": PRIORITIES,
    "roles": ROLES,
}

# Form field -> the name the error shows (the form's label, in Spanish).
LABELS = {
    "status": "estado",
    "estado": "estado",
    "reason": "motivo",
    "motivo": "motivo",
    "departure": "salida",
    "salida": "salida",
    "member": "integrante",
    "sheet_version": "versión de la hoja",
    "hoja": "versión de la hoja",
    "--sheet": "versión de la hoja",
    "language": "idioma",
    "--language": "idioma",
    "counsellor": "orientador",
    "--counsellor": "orientador",
    "witness": "testigo",
    "guardian": "tutor",
    "--guardian": "tutor",
}


@router.get(HOME)
def households(
    request: Request,
    node: NodeDep,
    principal: Caseworker,
    status: Annotated[str, Query(alias="estado", max_length=20)] = "",
) -> Response:
    with unit(node) as session:
        rows = [casework.summary(c) for c in casework.cases(session, principal, limit=LIMIT)]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    shown = [r for r in rows if not status or r["status"] == status]
    return page(
        request,
        "corridor/list.html",
        rows=shown,
        counts=counts,
        chosen=status,
        total=len(rows),
        **VOCABULARY,
    )


def _consent_state(detail: dict[str, Any]) -> dict[str, Any]:
    """Each member's consent as the household page shows it (no rule decided here: the
    workflow's services refuse what is missing)."""
    refs = {m["id"]: m for m in detail["members"]}
    active = {c["member"]: c for c in detail["consents"] if not c["withdrawn_at"]}
    withdrawn = [c for c in detail["consents"] if c["withdrawn_at"]]
    missing = [ref for ref in refs if ref not in active]
    return {
        "active": active,
        "withdrawn": withdrawn,
        "missing": missing,
        "complete": not missing,
        "boarding": [ref for ref, c in active.items() if c["confirmed_at_boarding"]],
    }


@router.get(f"{HOME}/hogares/{{case_id}}")
def household(
    request: Request,
    case_id: str,
    node: NodeDep,
    principal: Caseworker,
    departure: Annotated[str, Query(alias="salida", max_length=64)] = "",
    done: Annotated[str, Query(alias="hecho", max_length=20)] = "",
) -> Response:
    with unit(node) as session:
        detail = casework.detail(session, node, principal, case_id)
    found = [
        b
        for b in blocks((m["id"], m["flags"], True) for m in detail["members"])
        if b.flag in BLOCKS
    ]
    moves = [
        s
        for s in casework.NEXT[detail["status"]]
        # Only shows or hides a choice: ``casework.move`` authorises the approval.
        if s != "approved" or holds(principal, casework.APPROVE)
    ]
    return page(
        request,
        "corridor/case.html",
        case=detail,
        consent=_consent_state(detail),
        held=found,
        moves=moves,
        boarded=detail["status"] in casework.BOARDED,
        closed=detail["status"] in casework.CLOSED,
        departure=departure or detail["departure"] or "",
        done=done,
        **VOCABULARY,
    )


def _back(case_id: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{HOME}/hogares/{case_id}?hecho={done}", status_code=303)


@router.post(f"{HOME}/hogares/{{case_id}}/mover")
async def move(request: Request, case_id: str, node: NodeDep, principal: Caseworker) -> Response:
    fields = await posted(request, LABELS)
    body = checked(
        MoveIn,
        {
            "status": fields.get("estado", ""),
            "reason": fields.get("motivo", "").strip(),
            "departure": blank_to_none(fields.get("salida")),
        },
        LABELS,
    )
    with named(LABELS), unit(node) as session:
        casework.move(
            session, node, principal, case_id, body.status, body.reason, departure=body.departure
        )
    return _back(case_id, "estado")


@router.post(f"{HOME}/hogares/{{case_id}}/consentimiento")
async def record_consent(
    request: Request, case_id: str, node: NodeDep, principal: Caseworker
) -> Response:
    fields = await posted(request, LABELS)
    body = checked(
        ConsentIn,
        {
            "member": fields.get("integrante", ""),
            "sheet_version": fields.get("hoja", "").strip(),
            "language": fields.get("idioma", "").strip(),
            "counsellor": fields.get("orientador", "").strip(),
            "witness": blank_to_none(fields.get("testigo")),
            "guardian": blank_to_none(fields.get("tutor")),
        },
        LABELS,
    )
    with named(LABELS), unit(node) as session:
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
    return _back(case_id, "consentimiento")


@router.post(f"{HOME}/hogares/{{case_id}}/desistir")
async def withdraw(
    request: Request, case_id: str, node: NodeDep, principal: Caseworker
) -> Response:
    fields = await posted(request, LABELS)
    body = checked(
        MemberIn,
        {"member": fields.get("integrante", ""), "reason": fields.get("motivo", "").strip()},
        LABELS,
    )
    with named(LABELS), unit(node) as session:
        consents.withdraw_consent(session, node, principal, case_id, body.member, body.reason)
    return _back(case_id, "desistimiento")


@router.post(f"{HOME}/hogares/{{case_id}}/embarque")
async def board(request: Request, case_id: str, node: NodeDep, principal: Caseworker) -> Response:
    fields = await posted(request, LABELS)
    body = checked(MemberIn, {"member": fields.get("integrante", "")}, LABELS)
    with named(LABELS), unit(node) as session:
        consents.confirm_boarding(session, node, principal, case_id, body.member)
    return _back(case_id, "embarque")
