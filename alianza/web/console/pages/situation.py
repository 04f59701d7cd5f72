"""The situation picture for leaders: migrants by country and status (published figures,
with their sources), seizures by month, port and route, the corridor's cases by state and
the exchange's activity by month; as charts with their tables, and as a PNG and a PDF for
a meeting.

One service (``web.situation.picture``: ``view_situation``, aggregates only, audited)
gives the figures; ``web.situation_charts`` draws them on the server.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from alianza.auth.permissions import Principal
from alianza.node.context import Node
from alianza.web import situation_charts as charts
from alianza.web.console.i18n import N_
from alianza.web.console.nav import NavEntry
from alianza.web.console.render import language_of, page
from alianza.web.console.session import PREFIX, requires
from alianza.web.deps import NodeDep, unit
from alianza.web.situation import SITUATION, SMALL_CELL, Picture, picture

router = APIRouter(include_in_schema=False)
NAV = (NavEntry(f"{PREFIX}/situacion", N_("Situación"), action=SITUATION, order=5),)

Leader = Annotated[Principal, requires(SITUATION)]


def _picture(node: Node, principal: Principal) -> Picture:
    with unit(node) as session:
        return picture(session, node=node, principal=principal)


def _file(data: bytes, media: str, name: str) -> Response:
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(f"{PREFIX}/situacion")
async def situation(request: Request, node: NodeDep, principal: Leader) -> Response:
    found = await run_in_threadpool(_picture, node, principal)
    drawn = await run_in_threadpool(charts.svg_charts, found, language_of(request))
    return page(
        request,
        "situation/page.html",
        p=found,
        charts={c.key: c for c in drawn},
        countries=charts.COUNTRIES,
        states=charts.STATES,
        series=charts.SERIES,
        results=charts.RESULTS,
        small_cell=SMALL_CELL,
    )


@router.get(f"{PREFIX}/situacion.png")
async def situation_png(request: Request, node: NodeDep, principal: Leader) -> Response:
    found = await run_in_threadpool(_picture, node, principal)
    data = await run_in_threadpool(charts.png, found, language_of(request))
    return _file(data, "image/png", f"situacion-{found.made_at:%Y-%m-%d}.png")


@router.get(f"{PREFIX}/situacion.pdf")
async def situation_pdf(request: Request, node: NodeDep, principal: Leader) -> Response:
    found = await run_in_threadpool(_picture, node, principal)
    data = await run_in_threadpool(charts.pdf, found, language_of(request))
    return _file(data, "application/pdf", f"situacion-{found.made_at:%Y-%m-%d}.pdf")
