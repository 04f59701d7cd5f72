"""One plan, as the CLI, the API and the demo give it: the proven plan, the baselines beside
it, where the flow goes after it, and the maps' inputs.

PLAN.json (issue 13's contract; the first six keys are the contract, the rest extends
it)::

    {"interdicted": [[from, to], ...], "flow_before": x, "flow_after": y, "bound": z,
     "optimal": true|false, "solve_seconds": s,
     "interdicted_places": [...], "gap": g, "budget": b, "cost": c, "solver": "scip",
     "baselines": [{"method", "interdicted", "flow_after", "cost", "seconds"}, ...],
     "reroutes": [{"from", "to", "flow_before", "flow_after"}, ...],
     "routes_after": [{"places": [...], "flow": f}, ...], "notes": [...]}

``flow_after`` is always the maximum flow recomputed on the network without the
interdicted links (and places), never the solver's objective. ``bound`` is the proven
lower bound on the best ``flow_after`` any plan within the budget can reach; when
``optimal`` is true the two are equal.

The shortest-path plan (``routes shortest-path``)::

    {"interdicted": [[from, to], ...], "interdicted_places": [...], "cost_before": c0,
     "cost_after": c1, "bound": u, "gap": g, "optimal": true|false, "closed": false,
     "path_before": [place, ...], "path_after": [place, ...], "iterations": n,
     "budget": b, "solve_seconds": s}

where costs are the traffickers' cheapest route (km, or the ``length`` column), ``bound``
is the proven upper bound on the best ``cost_after``, and ``closed`` says the budget
closes every route (``cost_after`` is then the closed cost, the sum of all lengths + 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alianza.routes import displacement, interdiction, shortest
from alianza.routes.graph import compile_network, max_flow
from alianza.routes.network import Network

Pair = tuple[str, str]


@dataclass(slots=True)
class Drawn:
    """What the maps need of a plan."""

    flow_before: dict[Pair, float]
    flow_after: dict[Pair, float]
    controlled: list[Pair]
    controlled_places: list[str]
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def interdict(
    network: Network,
    budget: float,
    *,
    solver: str = "scip",
    time_limit: float = 60.0,
    baselines: bool = True,
) -> tuple[dict[str, Any], Drawn]:
    """PLAN.json's dict and the map's inputs for Wood's plan at ``budget``."""
    graph = compile_network(network)
    greedy = (
        [interdiction.greedy_busiest(graph, budget), interdiction.greedy_min_cut(graph, budget)]
        if baselines
        else []
    )
    hint = min(greedy, key=lambda p: p.flow_after).controlled if greedy else None
    plan = interdiction.optimal_plan(graph, budget, solver=solver, time_limit=time_limit, hint=hint)
    before = max_flow(graph)
    after = max_flow(graph, plan.controlled)
    pairs, places = displacement.controlled_pairs(graph, plan.controlled)
    moved = displacement.reroutes(graph, before.arc_flow, after.arc_flow)
    body: dict[str, Any] = {
        "interdicted": [list(p) for p in pairs],
        "flow_before": _r(plan.flow_before),
        "flow_after": _r(plan.flow_after),
        "bound": _r(plan.bound),
        "optimal": plan.optimal,
        "solve_seconds": round(plan.seconds, 3),
        "interdicted_places": places,
        "gap": _r(plan.gap),
        "budget": budget,
        "cost": _r(plan.cost),
        "solver": solver,
        "baselines": [
            {
                "method": p.method,
                "interdicted": [
                    list(x) for x in displacement.controlled_pairs(graph, p.controlled)[0]
                ],
                "flow_after": _r(p.flow_after),
                "cost": _r(p.cost),
                "seconds": round(p.seconds, 3),
            }
            for p in greedy
        ],
        "reroutes": [
            {
                "from": r.pair[0],
                "to": r.pair[1],
                "flow_before": _r(r.before),
                "flow_after": _r(r.after),
            }
            for r in moved[:50]
        ],
        "routes_after": [
            {"places": route, "flow": flow}
            for route, flow in displacement.main_routes(graph, after.arc_flow)
        ],
        "notes": list(network.notes),
    }
    drawn = Drawn(
        flow_before=displacement.pair_flows(graph, before.arc_flow),
        flow_after=displacement.pair_flows(graph, after.arc_flow),
        controlled=pairs,
        controlled_places=places,
        title=(
            f"{network.name}: presupuesto {budget:g}, flujo {plan.flow_before:,.0f} → "
            f"{plan.flow_after:,.0f}" + (" (óptimo probado)" if plan.optimal else "")
        ),
    )
    return body, drawn


def shortest_path(network: Network, budget: float, *, time_limit: float = 60.0) -> dict[str, Any]:
    """The shortest-path plan's dict (see the module's docstring)."""
    graph = compile_network(network, capacities=[0.0] * len(network.links))
    plan = shortest.interdict(graph, budget, time_limit=time_limit)
    pairs, places = displacement.controlled_pairs(graph, plan.controlled)
    return {
        "interdicted": [list(p) for p in pairs],
        "interdicted_places": places,
        "cost_before": _r(plan.cost_before),
        "cost_after": _r(plan.cost_after),
        "bound": _r(plan.bound),
        "gap": _r(plan.gap),
        "optimal": plan.optimal,
        "closed": plan.closed,
        "path_before": plan.path_before,
        "path_after": plan.path_after,
        "iterations": plan.iterations,
        "budget": budget,
        "solve_seconds": round(plan.seconds, 3),
    }


def rounds(
    network: Network, budget: float, n_rounds: int, *, time_limit: float = 10.0
) -> dict[str, Any]:
    """The repeated game (``displacement.rounds``) with Wood's plan beside it."""
    graph = compile_network(network)
    history = displacement.rounds(graph, budget, n_rounds, time_limit=time_limit)
    wood = interdiction.optimal_plan(graph, budget, time_limit=time_limit * 3)
    return {
        "budget": budget,
        "rounds": [
            {
                "round": r.number,
                "interdicted": [
                    list(p) for p in displacement.controlled_pairs(graph, r.controlled)[0]
                ],
                "flow": _r(r.flow),
                "share_on_new_links": round(r.new_share, 4),
            }
            for r in history
        ],
        "wood_flow_after": _r(wood.flow_after),
        "wood_optimal": wood.optimal,
    }
