"""The network as arrays for the solvers, and the maximum flow from all sources to all sinks.

``compile`` turns a ``Network`` into arcs numbered 0..m-1 (numpy arrays):

- one arc per ordered pair of places. Parallel links (two modes between the same places)
  are merged: their capacities add up, and controlling the pair controls both at the sum
  of their costs (a pair with one uncontrollable link cannot be controlled). The plan's
  ``interdicted`` lists pairs, and "the network without the interdicted links" removes
  every link of a pair, so the merge is what makes the plan and its check agree;
- one arc per place that can be controlled (a place with an ``interdiction_cost``): the
  place is split into an entry and an exit joined by an arc of unlimited capacity;
- a super-source before every source and a super-sink after every sink, joined by arcs of
  unlimited capacity that cannot be controlled.

The maximum flow is OR-Tools' ``SimpleMaxFlow`` (push-relabel in C++, integer
capacities): capacities are scaled to thousandths and rounded, so a flow is exact to
0.001 of the unit of the file. networkx's ``preflow_push`` computes the same value and is
what the tests check it against; it takes about 40 times as long on 75,000 links.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow as ort_max_flow

from alianza.routes.network import Network

SCALE = 1000.0


@dataclass(slots=True)
class Graph:
    """Arcs of the solver's graph; node ``n`` is the super-source, ``n + 1`` the sink."""

    network: Network
    node_ids: list[str]  # place id per node (exit nodes of split places: "id#out")
    tails: np.ndarray
    heads: np.ndarray
    capacity: np.ndarray  # float, np.inf for unlimited
    cost: np.ndarray  # float, np.nan where the arc cannot be controlled
    # What each arc stands for: ("link", from, to), ("place", id) or ("super", "").
    labels: list[tuple[str, ...]]
    source: int
    sink: int

    @property
    def n_nodes(self) -> int:
        return self.sink + 1

    def controllable(self) -> np.ndarray:
        mask: np.ndarray = ~np.isnan(self.cost)
        return mask

    def arcs_of(self, pairs: set[tuple[str, str]], places: set[str]) -> np.ndarray:
        """Boolean mask of the arcs standing for those pairs and places."""
        mask = np.zeros(len(self.labels), dtype=bool)
        for k, label in enumerate(self.labels):
            if (label[0] == "link" and (label[1], label[2]) in pairs) or (
                label[0] == "place" and label[1] in places
            ):
                mask[k] = True
        return mask


def compile_network(network: Network, *, capacities: list[float] | None = None) -> Graph:
    """The solver's graph of ``network`` (``capacities`` overrides the links' own)."""
    caps = capacities if capacities is not None else network.capacities()
    index = {pid: i for i, pid in enumerate(network.places)}
    node_ids = list(network.places)
    exit_of = {}
    tails: list[int] = []
    heads: list[int] = []
    capacity: list[float] = []
    cost: list[float] = []
    labels: list[tuple[str, ...]] = []
    for pid, place in network.places.items():
        if place.interdiction_cost is not None:
            exit_of[pid] = len(node_ids)
            node_ids.append(f"{pid}#out")
            tails.append(index[pid])
            heads.append(exit_of[pid])
            capacity.append(np.inf)
            cost.append(place.interdiction_cost)
            labels.append(("place", pid))
    merged: dict[tuple[str, str], int] = {}
    for link, cap in zip(network.links, caps, strict=True):
        k = merged.get(link.key)
        link_cost = np.nan if link.interdiction_cost is None else link.interdiction_cost
        if k is None:
            merged[link.key] = len(tails)
            tails.append(exit_of.get(link.source, index[link.source]))
            heads.append(index[link.target])
            capacity.append(cap)
            cost.append(link_cost)
            labels.append(("link", link.source, link.target))
        else:
            capacity[k] += cap
            cost[k] += link_cost  # nan stays nan: one uncontrollable link keeps the pair
    source, sink = len(node_ids), len(node_ids) + 1
    for pid in network.sources:
        tails.append(source)
        heads.append(index[pid])
        capacity.append(np.inf)
        cost.append(np.nan)
        labels.append(("super", ""))
    for pid in network.sinks:
        tails.append(exit_of.get(pid, index[pid]))
        heads.append(sink)
        capacity.append(np.inf)
        cost.append(np.nan)
        labels.append(("super", ""))
    return Graph(
        network=network,
        node_ids=node_ids,
        tails=np.asarray(tails, dtype=np.int64),
        heads=np.asarray(heads, dtype=np.int64),
        capacity=np.asarray(capacity, dtype=float),
        cost=np.asarray(cost, dtype=float),
        labels=labels,
        source=source,
        sink=sink,
    )


@dataclass(slots=True)
class Flow:
    value: float
    arc_flow: np.ndarray  # float per arc
    source_side: np.ndarray  # bool per node: on the source side of a minimum cut


def max_flow(graph: Graph, removed: np.ndarray | None = None) -> Flow:
    """Maximum flow from all sources to all sinks, with the ``removed`` arcs taken out."""
    finite = np.isfinite(graph.capacity)
    scaled = np.zeros(len(graph.capacity), dtype=np.int64)
    scaled[finite] = np.rint(graph.capacity[finite] * SCALE).astype(np.int64)
    unlimited = int(scaled.sum()) + 1
    scaled[~finite] = unlimited
    if removed is not None:
        scaled[removed] = 0
    solver = ort_max_flow.SimpleMaxFlow()
    if len(scaled):
        solver.add_arcs_with_capacity(graph.tails, graph.heads, scaled)
    status = solver.solve(graph.source, graph.sink)
    if status != solver.OPTIMAL:  # pragma: no cover - OR-Tools refuses only on overflow
        raise RuntimeError(f"max flow failed: {status}")
    flows = solver.flows(np.arange(len(scaled))) if len(scaled) else np.zeros(0)
    side = np.zeros(graph.n_nodes, dtype=bool)
    side[np.asarray(solver.get_source_side_min_cut(), dtype=np.int64)] = True
    total = solver.optimal_flow()
    return Flow(
        # A flow as large as "unlimited" crosses only arcs of unlimited capacity.
        value=float("inf") if total >= unlimited else total / SCALE,
        arc_flow=np.asarray(flows, dtype=float) / SCALE,
        source_side=side,
    )


def flow_value(
    network: Network,
    removed_pairs: Iterable[tuple[str, str]] = (),
    removed_places: Iterable[str] = (),
) -> float:
    """Maximum flow of ``network`` without those pairs and places (a plan's check)."""
    return max_flow(compile_network(network.without(removed_pairs, removed_places))).value


def on_some_path(graph: Graph) -> np.ndarray:
    """Arcs that lie on some path from the super-source to the super-sink (others can
    never carry flow and are left out of the MIP)."""
    n = graph.n_nodes
    forward = _reach(graph.tails, graph.heads, graph.source, n)
    backward = _reach(graph.heads, graph.tails, graph.sink, n)
    useful: np.ndarray = forward[graph.tails] & backward[graph.heads]
    return useful


def _reach(tails: np.ndarray, heads: np.ndarray, start: int, n: int) -> np.ndarray:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order

    matrix = csr_matrix((np.ones(len(tails)), (tails, heads)), shape=(n, n))
    order = breadth_first_order(matrix, start, directed=True, return_predecessors=False)
    seen = np.zeros(n, dtype=bool)
    seen[order] = True
    return seen
