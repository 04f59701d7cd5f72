"""``/api/v1/routes``: interdiction plans for the console (analysts, port analysts and
supervisors: the action ``plan_interdiction``).

A plan is computed on the shipped regional network, or on a network sent as the
contract's two CSVs in the body (at most ``MAX_CSV`` characters each), never stored: a
plan says where controls will be, so each request is written to the audit log (who,
budget, which network, the result's figures) and nothing else is kept. Solving is
bounded by ``time_limit`` (at most 30 s: a request, not a batch job; the CLI has no
cap) and runs in FastAPI's thread pool.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal
from alianza.routes import planning
from alianza.routes.network import Network, parse
from alianza.web.deps import NodeDep, require, unit

PLAN = "plan_interdiction"
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


def _network(body: NetworkIn | None) -> Network:
    if body is None:
        from alianza.routes.region import region

        return region()[0]
    return parse(body.nodes_csv, body.links_csv)


def _audit(node: Any, principal: Principal, action: str, body: PlanIn, out: dict[str, Any]) -> None:
    keep = ("flow_before", "flow_after", "cost_before", "cost_after", "optimal", "budget")
    with unit(node) as session:
        audit_act(
            session,
            node,
            principal,
            action,
            "región" if body.network is None else "red enviada",
            {k: out[k] for k in keep if k in out} | {"controls": len(out["interdicted"])},
        )


@router.get("/region", summary="Red regional incluida (GeoJSON)")
def region_geojson(node: NodeDep, principal: Planner) -> dict[str, Any]:
    from alianza.routes import maps

    return maps.network_geojson(_network(None))


@router.post("/interdict", summary="Plan de interdicción de flujo máximo (Wood 1993)")
def interdict(body: PlanIn, node: NodeDep, principal: Planner) -> dict[str, Any]:
    network = _network(body.network)
    out, drawn = planning.interdict(network, body.budget, time_limit=body.time_limit)
    _audit(node, principal, "routes.interdict", body, out)
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
    network = _network(body.network)
    out = planning.shortest_path(network, body.budget, time_limit=body.time_limit)
    _audit(node, principal, "routes.shortest_path", body, out)
    return out
