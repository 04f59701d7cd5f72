"""Routes: the shipped regional network on a map, and an interdiction plan before and
after (the controlled links highlighted, the flow on each link before and after).

A plan is made by the API's own route function (``routes.views.interdict``: the shipped
network, Wood's plan with the greedy baselines beside it, kept for the agency and
audited), with a small time limit: the solver runs in the thread pool while htmx shows
that it is calculating. Plans are read back through ``routes.store`` (another agency's
plan is a 404). Every route here needs ``plan_interdiction``, as the API's do.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alianza.auth.permissions import Principal
from alianza.errors import InputError, NotFound
from alianza.node.context import Node
from alianza.routes import store
from alianza.routes import views as api
from alianza.web.console.i18n import N_
from alianza.web.console.nav import NavEntry
from alianza.web.console.pages.maps import geojson
from alianza.web.console.render import is_htmx, page
from alianza.web.console.session import PREFIX, form, requires, validated
from alianza.web.deps import NodeDep, unit

router = APIRouter(include_in_schema=False)
NAV = (NavEntry(f"{PREFIX}/rutas", N_("Rutas"), action=store.PLAN, order=50),)

Planner = Annotated[Principal, requires(store.PLAN)]
TIME_LIMIT = 8.0  # seconds: a person is waiting (the API allows 30, the CLI no cap)
DEFAULT_BUDGET = 10
SHOWN = 15  # rows of each table of the plan
METHODS = {
    "greedy-busiest": N_("voraz: enlaces más cargados"),
    "greedy-min-cut": N_("voraz: corte mínimo"),
}


def _names() -> dict[str, str]:
    from alianza.routes.region import region

    return {pid: place.name for pid, place in region()[0].places.items()}


def _shown(found: Any) -> dict[str, Any]:
    """A kept plan as its page shows it (place names instead of ids)."""
    result = json.loads(found.result)
    names = _names()
    before, after = float(found.before), float(found.after)
    return {
        "id": found.id,
        "model": found.model,
        "network": found.network,
        "budget": found.budget,
        "before": before,
        "after": after,
        "cut": (before - after) / before if before else 0.0,
        "optimal": found.optimal,
        "bound": result.get("bound"),
        "seconds": result.get("solve_seconds"),
        "created_by": found.created_by,
        "created_at": found.created_at,
        "links": [(names.get(a, a), names.get(b, b)) for a, b in result.get("interdicted", [])],
        "places": [names.get(p, p) for p in result.get("interdicted_places", [])],
        "reroutes": [
            {**r, "from": names.get(r["from"], r["from"]), "to": names.get(r["to"], r["to"])}
            for r in result.get("reroutes", [])[:SHOWN]
        ],
        "baselines": result.get("baselines", []),
        "drawable": found.model == "max_flow" and found.network == "región",
    }


def _recent(node: Node, principal: Principal) -> list[dict[str, Any]]:
    with unit(node) as session:
        return [store.summary(p) for p in store.plans(session, principal=principal, limit=10)]


@router.get(f"{PREFIX}/rutas")
def routes_page(request: Request, node: NodeDep, principal: Planner) -> Response:
    return page(
        request,
        "routes/page.html",
        plan=None,
        plans=_recent(node, principal),
        budget=DEFAULT_BUDGET,
        time_limit=TIME_LIMIT,
        methods=METHODS,
    )


@router.get(f"{PREFIX}/rutas/red.geojson")
def network_map(request: Request, node: NodeDep, principal: Planner) -> Response:
    """The shipped network, as ``GET /api/v1/routes/region`` gives it."""
    return geojson(request, api.region_geojson(node, principal))


@router.post(f"{PREFIX}/rutas/plan")
async def make_plan(request: Request, node: NodeDep, principal: Planner) -> Response:
    fields = await form(request)
    budget = fields.get("presupuesto", "").strip().replace(",", ".")
    try:
        number = float(budget)
    except ValueError:
        raise InputError.at("presupuesto", "se esperaba un número de equipos") from None
    body = validated(api.PlanIn, {"budget": number, "time_limit": TIME_LIMIT})
    made = await run_in_threadpool(api.interdict, body, node, principal)
    plan_id = str(made["plan_id"])
    if not is_htmx(request):
        return RedirectResponse(f"{PREFIX}/rutas/planes/{plan_id}", status_code=303)
    with unit(node) as session:
        shown = _shown(store.plan(session, principal=principal, plan_id=plan_id))
    # The address bar shows the plan's own page (a link to share, the back button works).
    pushed = {"HX-Push-Url": f"{PREFIX}/rutas/planes/{plan_id}"}
    return page(request, "routes/_plan.html", headers=pushed, plan=shown, methods=METHODS)


@router.get(f"{PREFIX}/rutas/planes/{{plan_id}}")
def plan_page(request: Request, plan_id: str, node: NodeDep, principal: Planner) -> Response:
    with unit(node) as session:
        shown = _shown(store.plan(session, principal=principal, plan_id=plan_id))
    return page(
        request,
        "routes/page.html",
        plan=shown,
        plans=_recent(node, principal),
        budget=int(shown["budget"]) if shown["budget"] == int(shown["budget"]) else shown["budget"],
        time_limit=TIME_LIMIT,
        methods=METHODS,
    )


def _plan_geojson(result: dict[str, Any]) -> dict[str, Any]:
    """The shipped network with the plan's flows before and after and its controls
    (recomputed: maximum flow without the controlled links and places)."""
    from alianza.routes import maps
    from alianza.routes.displacement import pair_flows
    from alianza.routes.graph import compile_network, max_flow
    from alianza.routes.region import region

    network = region()[0]
    graph = compile_network(network)
    pairs = {(str(a), str(b)) for a, b in result.get("interdicted", [])}
    places = {str(p) for p in result.get("interdicted_places", [])}
    before = max_flow(graph)
    after = max_flow(graph, graph.arcs_of(pairs, places))
    return maps.network_geojson(
        network,
        flow_before=pair_flows(graph, before.arc_flow),
        flow_after=pair_flows(graph, after.arc_flow),
        controlled=sorted(pairs),
        controlled_places=sorted(places),
    )


@router.get(f"{PREFIX}/rutas/planes/{{plan_id}}/mapa.geojson")
async def plan_map(request: Request, plan_id: str, node: NodeDep, principal: Planner) -> Response:
    with unit(node) as session:
        found = store.plan(session, principal=principal, plan_id=plan_id)
        if found.model != "max_flow" or found.network != "región":
            raise NotFound(f"El plan {plan_id} no es de la red regional: no tiene mapa.")
        result = json.loads(found.result)
    return geojson(request, await run_in_threadpool(_plan_geojson, result))
