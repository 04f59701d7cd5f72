"""Port control: the day's inspection list with each container's reasons, and fixing it.

The same functions as ``alianza ports declarations select`` (``ports.daily``: the stored
declarations, the node's model, ``choose`` and ``inspection_list``); they authorise
(``target_containers``: port analysts and supervisors) and audit. Seizures (entry and
map) are ``pages/seizures.py``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alianza.auth.permissions import Principal
from alianza.errors import InputError
from alianza.node.context import Node
from alianza.ports import daily
from alianza.ports.selection import EXPLORATION
from alianza.ports.store import TARGET
from alianza.web.console.i18n import N_, parse_day
from alianza.web.console.nav import NavEntry
from alianza.web.console.render import page
from alianza.web.console.session import PREFIX, form, requires
from alianza.web.deps import NodeDep, unit

router = APIRouter(include_in_schema=False)
NAV = (NavEntry(f"{PREFIX}/puertos", N_("Inspecciones"), action=TARGET, order=40),)

Targeter = Annotated[Principal, requires(TARGET)]
BY = {"modelo": N_("riesgo"), EXPLORATION: N_("exploración")}


def _day(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(parse_day(text))
    except ValueError:
        raise InputError.at("dia", "fecha no válida: use DD-MM-AAAA") from None


def _list(node: Node, principal: Principal, day: date | None, port: str) -> daily.DayList:
    with unit(node) as session:
        return daily.inspections(
            session, node=node, principal=principal, day=day, port=port or None
        )


@router.get(f"{PREFIX}/puertos")
async def inspections(
    request: Request,
    node: NodeDep,
    principal: Targeter,
    day: Annotated[str, Query(alias="dia", max_length=10)] = "",
    port: Annotated[str, Query(alias="puerto", max_length=5, pattern=r"^[A-Z0-9]*$")] = "",
) -> Response:
    found = await run_in_threadpool(_list, node, principal, _day(day), port)
    return page(request, "ports/inspections.html", found=found, port=port, by=BY)


@router.post(f"{PREFIX}/puertos/fijar")
async def fix(request: Request, node: NodeDep, principal: Targeter) -> Response:
    """Fix the day's list (the selection probabilities written for tomorrow's model)."""
    fields = await form(request)
    when = _day(fields.get("dia", ""))
    if when is None:
        raise InputError.at("dia", "falta el día de la lista")
    port = fields.get("puerto", "")
    if port and not (len(port) == 5 and port.isalnum() and port.isupper()):
        raise InputError.at("puerto", "código UN/LOCODE no válido")

    def run() -> None:
        with unit(node) as session:
            daily.fix_list(session, node=node, principal=principal, day=when, port=port or None)

    await run_in_threadpool(run)
    target = f"{PREFIX}/puertos?dia={when.strftime('%d-%m-%Y')}&puerto={port}&fijada=1"
    return RedirectResponse(target, status_code=303)
