"""Where the flow goes after a plan, and how routes shift over rounds of control.

NarcoLogic (Magliocca et al., PNAS 2019) showed that interdiction moves routes rather than
closing them. Two views of that here:

- ``reroutes``: after a plan, the links whose flow grew (the traffickers' new routes),
  with flow per link before and after, and the main routes of the flow that still gets
  through (widest paths of the after-flow);
- ``rounds``: a repeated game. Each round the controls move to where the traffickers were
  seen the round before (the best plan against last round's routes: intelligence always
  lags), and the traffickers send the most they can around those controls. The planner
  sees the flow that gets through round by round, how much of it uses links that carried
  nothing at the start, and how that compares with Wood's plan, which anticipates the
  rerouting.
"""

from __future__ import annotations

import dataclasses
import heapq
from dataclasses import dataclass

import numpy as np

from alianza.routes.graph import Graph, max_flow
from alianza.routes.interdiction import TOLERANCE, optimal_plan

Pair = tuple[str, str]


def pair_flows(graph: Graph, arc_flow: np.ndarray) -> dict[Pair, float]:
    """Flow per pair of places (link arcs only), rounded to the thousandth."""
    out: dict[Pair, float] = {}
    for k, label in enumerate(graph.labels):
        if label[0] == "link":
            out[(label[1], label[2])] = round(float(arc_flow[k]), 3)
    return out


def controlled_pairs(graph: Graph, controlled: np.ndarray) -> tuple[list[Pair], list[str]]:
    """(links as [from, to] pairs, places) that a mask over the arcs controls."""
    pairs: list[Pair] = []
    places: list[str] = []
    for k in np.flatnonzero(controlled):
        label = graph.labels[int(k)]
        if label[0] == "link":
            pairs.append((label[1], label[2]))
        elif label[0] == "place":
            places.append(label[1])
    return pairs, places


@dataclass(slots=True)
class Reroute:
    pair: Pair
    before: float
    after: float


def reroutes(graph: Graph, before: np.ndarray, after: np.ndarray) -> list[Reroute]:
    """Links whose flow grew after the plan, the largest increase first."""
    grown = []
    for k, label in enumerate(graph.labels):
        if label[0] == "link" and after[k] > before[k] + TOLERANCE:
            grown.append(Reroute((label[1], label[2]), float(before[k]), float(after[k])))
    return sorted(grown, key=lambda r: r.after - r.before, reverse=True)


def main_routes(
    graph: Graph, arc_flow: np.ndarray, most: int = 10
) -> list[tuple[list[str], float]]:
    """The widest source-to-sink paths of a flow, peeled off one at a time (a flow
    decomposition, largest first): (place ids, flow)."""
    left = arc_flow.astype(float).copy()
    outgoing: list[list[int]] = [[] for _ in range(graph.n_nodes)]
    for k in np.flatnonzero(left > TOLERANCE).tolist():
        outgoing[int(graph.tails[k])].append(k)
    routes = []
    for _ in range(most):
        path = _widest(graph, left, outgoing)
        if not path:
            break
        width = float(min(left[k] for k in path))
        if width <= TOLERANCE:
            break
        left[path] -= width
        places: list[str] = []
        for k in path:
            for node in (int(graph.tails[k]), int(graph.heads[k])):
                if node < len(graph.node_ids):
                    pid = graph.node_ids[node].removesuffix("#out")
                    if not places or places[-1] != pid:
                        places.append(pid)
        routes.append((places, round(width, 3)))
    return routes


def _widest(graph: Graph, left: np.ndarray, outgoing: list[list[int]]) -> list[int]:
    best = np.zeros(graph.n_nodes)
    best[graph.source] = np.inf
    came_by = np.full(graph.n_nodes, -1, dtype=np.int64)
    heap = [(-np.inf, graph.source)]
    done = np.zeros(graph.n_nodes, dtype=bool)
    while heap:
        width, node = heapq.heappop(heap)
        if done[node]:
            continue
        done[node] = True
        if node == graph.sink:
            break
        for k in outgoing[node]:
            w = min(-width, left[k])
            head = int(graph.heads[k])
            if w > best[head] + TOLERANCE and not done[head]:
                best[head] = w
                came_by[head] = k
                heapq.heappush(heap, (-w, head))
    if came_by[graph.sink] < 0:
        return []
    path = []
    node = graph.sink
    while node != graph.source:
        k = int(came_by[node])
        path.append(k)
        node = int(graph.tails[k])
    return path[::-1]


@dataclass(slots=True)
class Round:
    number: int
    controlled: np.ndarray
    flow: float  # what got through this round
    arc_flow: np.ndarray
    new_share: float  # share of this round's flow on links that carried nothing in round 0


def rounds(
    graph: Graph, budget: float, n_rounds: int = 5, *, time_limit: float = 10.0
) -> list[Round]:
    """Round 0: no controls. Each later round: the best plan against the previous round's
    routes (capacities = the flow seen on each link), then the traffickers' maximum flow
    around it."""
    first = max_flow(graph)
    unused = first.arc_flow <= TOLERANCE
    history = [Round(0, np.zeros(len(graph.labels), dtype=bool), first.value, first.arc_flow, 0.0)]
    seen = first.arc_flow
    for number in range(1, n_rounds + 1):
        finite = np.isfinite(graph.capacity)
        observed = graph.capacity.copy()
        observed[finite] = np.minimum(graph.capacity[finite], seen[finite])
        against = dataclasses.replace(graph, capacity=observed)
        plan = optimal_plan(against, budget, time_limit=time_limit)
        response = max_flow(graph, plan.controlled)
        link_arcs = np.array([label[0] == "link" for label in graph.labels])
        total = float(response.arc_flow[link_arcs].sum())
        new = float(response.arc_flow[link_arcs & unused].sum())
        history.append(
            Round(
                number,
                plan.controlled,
                response.value,
                response.arc_flow,
                new / total if total > TOLERANCE else 0.0,
            )
        )
        seen = response.arc_flow
    return history
