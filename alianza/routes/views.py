"""``/api/v1/routes``: interdiction plans for the console (analysts, port analysts and
supervisors: the action ``plan_interdiction``).

A plan is computed on the shipped regional network, or on a network sent as the
contract's two CSVs in the body (at most ``MAX_CSV`` characters each; the network itself
is not kept). The plan is kept for the agency that made it (``store.py``: only its planners
see it, ``policy.py``) and written to the audit log; its id comes back as ``plan_id``. Solving is
bounded by ``time_limit`` (at most 30 s: a request, not a batch job; the CLI has no
cap) and runs in FastAPI's thread pool.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from alianza.auth.permissions import Principal
from alianza.errors import InputError
from alianza.routes import planning, store
from alianza.routes.network import Network, parse
from alianza.web.deps import NodeDep, require, unit

PLAN = store.PLAN
MAX_CSV = 5_000_000
router = APIRouter(prefix="/api/v1/routes", tags=["rutas"])
Planner = Annotated[Principal, require(PLAN)]


class NetworkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nodes_csv: str = Field(min_length=1, max_length=MAX_CSV, description="NODES.csv")
    links_csv: str = Field(min_length=1, max_length=MAX_CSV, description="LINKS.csv")


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    budget: float = Field(ge=0, le=1e9, allow_inf_nan=False, description="Presupuesto")
    time_limit: float = Field(20.0, gt=0, le=30, allow_inf_nan=False, description="Segundos")
    network: NetworkIn | None = Field(None, description="Sin red: la red regional incluida")
    geojson: bool = Field(False, description="Incluir el GeoJSON del plan y los flujos")
    node_seizures: bool = Field(
        False,
        description=(
            "Red regional: estimar los flujos también con las incautaciones de cocaína "
            "registradas en este nodo (las que usted puede ver)"
        ),
    )


def _network(body: PlanIn, node: Any, principal: Principal) -> Network:
    if body.network is not None:
        if body.node_seizures:
            raise InputError.at("node_seizures", "solo con la red regional (sin 'network')")
        return parse(body.network.nodes_csv, body.network.links_csv)
    from alianza.routes.region import region

    if not body.node_seizures:
        return region()[0]
    from alianza.routes.estimate import from_registry
    from alianza.seizures import service as seizures

    with unit(node) as session:
        rows = list(seizures.masses(session, principal=principal))
    return region(extra=from_registry(rows))[0]


def _keep(node: Any, principal: Principal, model: str, body: PlanIn, out: dict[str, Any]) -> str:
    with unit(node) as session:
        kept = store.keep(
            session,
            node=node,
            principal=principal,
            model=model,
            network="región" if body.network is None else "red enviada",
            body=out,
        )
        return kept.id


@router.get("/region", summary="Red regional incluida (GeoJSON)")
def region_geojson(node: NodeDep, principal: Planner) -> dict[str, Any]:
    from alianza.routes import maps
    from alianza.routes.region import region

    return maps.network_geojson(region()[0])


@router.post("/interdict", summary="Plan de interdicción de flujo máximo (Wood 1993)")
def interdict(body: PlanIn, node: NodeDep, principal: Planner) -> dict[str, Any]:
    network = _network(body, node, principal)
    out, drawn = planning.interdict(network, body.budget, time_limit=body.time_limit)
    out["plan_id"] = _keep(node, principal, "max_flow", body, out)
    if body.geojson:
        from alianza.routes import maps

        out["geojson"] = maps.network_geojson(
            network,
            flow_before=drawn.flow_before,
            flow_after=drawn.flow_after,
            controlled=drawn.controlled,
            controlled_places=drawn.controlled_places,
        )
    return out


@router.post("/shortest-path", summary="Interdicción de la ruta más barata (Israeli y Wood)")
def shortest_path(body: PlanIn, node: NodeDep, principal: Planner) -> dict[str, Any]:
    network = _network(body, node, principal)
    out = planning.shortest_path(network, body.budget, time_limit=body.time_limit)
    out["plan_id"] = _keep(node, principal, "shortest_path", body, out)
    return out


@router.get("/plans", summary="Planes de la institución, del más reciente al más antiguo")
def list_plans(
    node: NodeDep, principal: Planner, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    with unit(node) as session:
        return {
            "plans": [
                store.summary(p) for p in store.plans(session, principal=principal, limit=limit)
            ]
        }


@router.get("/plans/{plan_id}", summary="Un plan, con su resultado completo")
def get_plan(plan_id: str, node: NodeDep, principal: Planner) -> dict[str, Any]:
    with unit(node) as session:
        found = store.plan(session, principal=principal, plan_id=plan_id)
        return store.summary(found) | {"result": json.loads(found.result)}
