"""Shortest-path interdiction (Israeli & Wood, 2002): make the traffickers' cheapest route
as costly as the budget allows.

Each link has a cost to the traffickers (``length``: by default the great-circle distance
in km) and what a control adds to it (``delay``: by default a controlled link is closed).
The defender chooses controls within the budget; the traffickers then take the cheapest
route from any source to any sink. Israeli and Wood's decomposition (their Benders-like
"covering" algorithm): a master MIP chooses controls against the routes seen so far,

    max z   s.t.  z <= sum_{k in P} (c_k + d_k x_k)   for every route P seen so far,
                  sum_k r_k x_k <= budget,  x binary,

and a shortest-path subproblem (Dijkstra) answers with the traffickers' best route under
those controls. The master's z is an upper bound, the best route found a lower bound;
they meet at the optimum, which is then proven. The master is SCIP (OR-Tools), kept
between iterations (a hint at every solve fills SCIP's store of partial solutions and
stops it with an error after a dozen iterations: seen at 1,000 places).

A route that must cross a closed link costs at least ``closed_cost`` (the sum of all
lengths and finite delays, plus one), more than any open route. When the budget affords
closing every route (a minimum cut whose capacities are the costs of the controls that
close an arc, checked first), that cheapest closing plan is the answer, proven, with
``closed`` set and ``cost_after`` equal to ``closed_cost``: spending more to close a
closed network twice means nothing to a planner. Otherwise some open route survives every
plan, so the optimum is below ``closed_cost``, which bounds the master's z from the start.

Dijkstra is written here with heapq: scipy's ``csgraph`` sums parallel arcs and drops
zero-length ones (the arcs from the super-source), which would change the answer.
"""

from __future__ import annotations

import dataclasses
import heapq
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alianza.errors import InputError
from alianza.routes.graph import Graph, max_flow
from alianza.routes.interdiction import TOLERANCE, _check_budget

EXTRA_ROUTES = 2


@dataclass(slots=True)
class PathPlan:
    controlled: np.ndarray  # bool per arc
    cost_before: float
    cost_after: float
    bound: float  # proven upper bound on the best cost_after
    optimal: bool
    closed: bool  # every route crosses a closed link
    path_before: list[str]
    path_after: list[str]
    iterations: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float:
        if self.bound <= TOLERANCE:
            return 0.0
        return max(0.0, (self.bound - self.cost_after) / self.bound)


@dataclass(slots=True)
class Lengths:
    length: np.ndarray  # traffickers' cost per arc
    delay: np.ndarray  # added by a control; closed_cost where a control closes the arc
    closed_cost: float


def lengths(graph: Graph) -> Lengths:
    """Length and delay of every arc of ``graph`` (parallel links: the cheapest length,
    the cheapest controlled length)."""
    network = graph.network
    by_pair: dict[tuple[str, str], list[tuple[float, float | None]]] = {}
    for i, link in enumerate(network.links):
        by_pair.setdefault(link.key, []).append((network.length(i), link.delay))
    # Above any route that crosses no closed link: every length and every finite delay.
    closed_cost = 1.0 + sum(
        length + (delay or 0.0) for options in by_pair.values() for length, delay in options
    )
    length = np.zeros(len(graph.labels))
    delay = np.full(len(graph.labels), closed_cost)
    for k, label in enumerate(graph.labels):
        if label[0] == "link":
            options = by_pair[(label[1], label[2])]
            length[k] = min(c for c, _ in options)
            after = min(c + (closed_cost if d is None else d) for c, d in options)
            delay[k] = after - length[k]
    return Lengths(length, delay, closed_cost)


def shortest_route(
    graph: Graph, weights: np.ndarray, adjacency: list[list[tuple[int, int]]] | None = None
) -> tuple[float, list[int]]:
    """(cost, arcs) of the cheapest route from the super-source to the super-sink."""
    adjacency = adjacency if adjacency is not None else _adjacency(graph)
    distance = np.full(graph.n_nodes, np.inf)
    came_by = np.full(graph.n_nodes, -1, dtype=np.int64)
    distance[graph.source] = 0.0
    heap = [(0.0, graph.source)]
    while heap:
        d, node = heapq.heappop(heap)
        if d > distance[node]:
            continue
        if node == graph.sink:
            break
        for arc, head in adjacency[node]:
            candidate = d + weights[arc]
            if candidate < distance[head]:
                distance[head] = candidate
                came_by[head] = arc
                heapq.heappush(heap, (candidate, head))
    if not np.isfinite(distance[graph.sink]):
        return float("inf"), []
    arcs = []
    node = graph.sink
    while node != graph.source:
        arc = int(came_by[node])
        arcs.append(arc)
        node = int(graph.tails[arc])
    return float(distance[graph.sink]), arcs[::-1]


def _adjacency(graph: Graph) -> list[list[tuple[int, int]]]:
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(graph.n_nodes)]
    for k, (t, h) in enumerate(zip(graph.tails.tolist(), graph.heads.tolist(), strict=True)):
        adjacency[t].append((k, h))
    return adjacency


def route_places(graph: Graph, arcs: list[int]) -> list[str]:
    """The place ids along a route (super nodes and split exits left out)."""
    out: list[str] = []
    for k in arcs:
        for node in (int(graph.tails[k]), int(graph.heads[k])):
            if node >= len(graph.node_ids):
                continue
            pid = graph.node_ids[node].removesuffix("#out")
            if not out or out[-1] != pid:
                out.append(pid)
    return out


def interdict(graph: Graph, budget: float, *, time_limit: float = 60.0) -> PathPlan:
    """Israeli & Wood's decomposition; ``optimal`` when the bounds met in time."""
    from ortools.linear_solver import pywraplp

    _check_budget(budget)
    if not np.isfinite(time_limit) or time_limit <= 0:
        raise InputError.at("--time-limit", "debe ser un número de segundos > 0")
    started = time.perf_counter()
    adjacency = _adjacency(graph)
    costs = lengths(graph)
    before, first = shortest_route(graph, costs.length, adjacency)
    if not first:
        raise InputError.at("LINKS.csv", "ninguna ruta une un origen con un destino")
    controllable = ~np.isnan(graph.cost)
    controllable[controllable] = graph.cost[controllable] <= budget + TOLERANCE
    closing = _close_every_route(graph, costs, controllable, budget)
    if closing is not None:  # the budget closes every route: proven by a minimum cut
        _, arcs = shortest_route(graph, costs.length + costs.delay * closing, adjacency)
        return PathPlan(
            controlled=closing,
            cost_before=before,
            cost_after=costs.closed_cost,
            bound=costs.closed_cost,
            optimal=True,
            closed=True,
            path_before=route_places(graph, first),
            path_after=route_places(graph, arcs),
            iterations=0,
            seconds=time.perf_counter() - started,
        )
    master = pywraplp.Solver.CreateSolver("SCIP")
    master.SetNumThreads(1)
    x: dict[int, Any] = {int(k): master.BoolVar("") for k in np.flatnonzero(controllable)}
    # Some route stays open whatever the plan (the minimum cut above costs more than the
    # budget), so z is below the closed cost.
    upper = costs.closed_cost
    z = master.NumVar(0.0, upper, "z")
    spend = master.Constraint(-master.infinity(), float(budget))
    for k, var in x.items():
        spend.SetCoefficient(var, float(graph.cost[k]))
    master.Objective().SetCoefficient(z, 1.0)
    master.Objective().SetMaximization()
    cuts: list[tuple[Any, float, list[int]]] = []

    def tighten(row: Any, base: float, arcs: list[int]) -> None:
        # z <= L(P) + sum d_k x_k: a coefficient above (upper - L(P)) allows nothing z's
        # own bound does not, so it is cut to that (Israeli & Wood's delays are often
        # "closed", and the big coefficients left the master's LP useless: 60 s without
        # proof on the region at a budget of 50, 1.2 s with).
        for k in arcs:
            if k in x:
                row.SetCoefficient(x[k], -float(min(costs.delay[k], max(0.0, upper - base))))

    def cut(arcs: list[int]) -> None:
        base = float(costs.length[arcs].sum())
        row = master.Constraint(-master.infinity(), base)
        row.SetCoefficient(z, 1.0)
        tighten(row, base, arcs)
        cuts.append((row, base, arcs))

    cut(first)
    best_x = np.zeros(len(graph.labels), dtype=bool)
    best_value, best_arcs = before, first
    iterations, proven = 0, False
    while True:
        left = time_limit - (time.perf_counter() - started)
        if left <= 0:
            break
        master.SetTimeLimit(max(1, int(left * 1000)))
        status = master.Solve()
        iterations += 1
        if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            break
        chosen = np.zeros(len(graph.labels), dtype=bool)
        for k, var in x.items():
            chosen[k] = var.solution_value() > 0.5
        # (read before the model changes: OR-Tools forgets the solution then)
        if master.Objective().BestBound() < upper - TOLERANCE:
            upper = master.Objective().BestBound()
            z.SetUb(upper)
            for row, base, arcs in cuts:
                tighten(row, base, arcs)
        weights = costs.length + costs.delay * chosen
        value, arcs = shortest_route(graph, weights, adjacency)
        if value > best_value + TOLERANCE or (iterations == 1 and value >= best_value):
            best_value, best_x, best_arcs = value, chosen, arcs
        if status == pywraplp.Solver.OPTIMAL and upper - best_value <= TOLERANCE * max(1.0, upper):
            proven = True
            break
        # The route the plan leaves, and a few more it would leave if that one were
        # controlled too: several cuts per master solve (each route is a valid cut).
        cut(arcs)
        for _ in range(EXTRA_ROUTES):
            weights = weights.copy()
            weights[[k for k in arcs if k in x]] += costs.closed_cost
            _, arcs = shortest_route(graph, weights, adjacency)
            if not arcs:
                break
            cut(arcs)
    return PathPlan(
        controlled=best_x,
        cost_before=before,
        cost_after=best_value,
        bound=max(best_value, upper),
        optimal=proven,
        closed=best_value >= costs.closed_cost - TOLERANCE,
        path_before=route_places(graph, first),
        path_after=route_places(graph, best_arcs),
        iterations=iterations,
        seconds=time.perf_counter() - started,
    )


def _close_every_route(
    graph: Graph, costs: Lengths, controllable: np.ndarray, budget: float
) -> np.ndarray | None:
    """The cheapest plan that closes every route (a minimum cut whose capacities are the
    costs of the controls that close an arc), if the budget affords it."""
    closes = controllable & (costs.delay >= costs.closed_cost - TOLERANCE)
    capacity = np.where(closes, graph.cost, np.inf)
    cut_graph = dataclasses.replace(graph, capacity=capacity)
    flow = max_flow(cut_graph)
    if flow.value > budget + TOLERANCE:
        return None
    side = flow.source_side
    chosen: np.ndarray = closes & side[graph.tails] & ~side[graph.heads]
    return chosen


def dual_mip(
    graph: Graph, budget: float, *, time_limit: float = 600.0
) -> tuple[float, np.ndarray, bool]:
    """The same optimum by one MIP (the inner shortest path replaced by its LP dual):
    the tests hold the decomposition to it.

    max pi_sink  s.t.  pi_j - pi_i - d_k x_k <= c_k,  pi_source = 0,  budget,  x binary.
    """
    from ortools.linear_solver import pywraplp

    costs = lengths(graph)
    solver = pywraplp.Solver.CreateSolver("SCIP")
    pi = [solver.NumVar(0.0, solver.infinity(), "") for _ in range(graph.n_nodes)]
    pi[graph.source].SetBounds(0.0, 0.0)
    controllable = ~np.isnan(graph.cost)
    x = {int(k): solver.BoolVar("") for k in np.flatnonzero(controllable)}
    for k in range(len(graph.labels)):
        row = solver.Constraint(-solver.infinity(), float(costs.length[k]))
        row.SetCoefficient(pi[int(graph.heads[k])], 1.0)
        row.SetCoefficient(pi[int(graph.tails[k])], -1.0)
        if k in x:
            row.SetCoefficient(x[k], -float(costs.delay[k]))
    spend = solver.Constraint(-solver.infinity(), float(budget))
    for k, var in x.items():
        spend.SetCoefficient(var, float(graph.cost[k]))
    solver.Maximize(pi[graph.sink])
    solver.SetTimeLimit(int(time_limit * 1000))
    status = solver.Solve()
    chosen = np.zeros(len(graph.labels), dtype=bool)
    for k, var in x.items():
        chosen[k] = var.solution_value() > 0.5
    return float(pi[graph.sink].solution_value()), chosen, status == pywraplp.Solver.OPTIMAL
