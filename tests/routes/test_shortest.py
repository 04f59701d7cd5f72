"""Shortest-path interdiction: Israeli and Wood's decomposition against the dual MIP and
against enumeration, on hand-made and random networks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alianza.routes import shortest
from alianza.routes.displacement import controlled_pairs
from alianza.routes.graph import Graph, compile_network
from alianza.routes.network import Link, Network, Place, parse
from alianza.routes.synthetic import layered

NODES = """id,name,country,kind,lat,lon
s,Origen,CO,source,0,0
a,A,EC,transit,0,1
b,B,EC,transit,1,1
t,Destino,NL,sink,0,2
"""


def graph_of(links: str) -> tuple[Network, Graph]:
    net = parse(NODES, "from,to,mode,capacity,interdiction_cost,length,delay\n" + links)
    return net, compile_network(net, capacities=[0.0] * len(net.links))


def test_hand_optimum_with_delays() -> None:
    # Routes: s-a-t costs 2, s-b-t costs 4. One control: delaying a->t by 5 makes s-a-t 7,
    # so the traffickers take s-b-t (4); delaying s-b does nothing to s-a-t. Optimum: 4.
    _, graph = graph_of("s,a,road,,1,1,5\na,t,road,,1,1,5\ns,b,road,,1,2,5\nb,t,road,,1,2,5\n")
    plan = shortest.interdict(graph, 1)
    assert plan.cost_before == 2 and plan.cost_after == 4 and plan.optimal
    assert plan.path_before == ["s", "a", "t"] and plan.path_after == ["s", "b", "t"]
    # Budget 2: delay one link of each route: min(2 + 5, 4 + 5) = 7.
    plan = shortest.interdict(graph, 2)
    assert plan.cost_after == 7 and plan.optimal and not plan.closed


def test_an_empty_delay_closes_the_link_and_closing_every_route_is_said() -> None:
    _, graph = graph_of("s,a,road,,1,1,\na,t,road,,1,1,\n")
    plan = shortest.interdict(graph, 1)
    assert plan.closed and plan.optimal
    plan = shortest.interdict(graph, 0)
    assert not plan.closed and plan.cost_after == plan.cost_before == 2


def test_default_length_is_the_distance_in_km() -> None:
    _, graph = graph_of("s,a,road,,1,,\na,t,road,,1,,\n")
    plan = shortest.interdict(graph, 0)
    # Two legs of one degree of longitude on the equator: 2 x 111.19 km.
    assert plan.cost_before == pytest.approx(222.39, abs=0.05)


@st.composite
def small_networks(draw: st.DrawFn) -> Network:
    n = draw(st.integers(3, 6))
    places = {
        f"p{i}": Place(
            f"p{i}",
            f"P{i}",
            "EC",
            "source" if i == 0 else "sink" if i == n - 1 else "transit",
            0.0,
            0.0,
        )
        for i in range(n)
    }
    chain = [(i, i + 1) for i in range(n - 1)]  # a route always exists
    extra = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1]),
            max_size=8,
        )
    )
    pairs = list(dict.fromkeys(chain + extra))
    links = [
        Link(
            f"p{a}",
            f"p{b}",
            "road",
            0.0,
            draw(st.one_of(st.none(), st.integers(0, 3).map(float))),
            float(draw(st.integers(1, 9))),
            draw(st.one_of(st.none(), st.integers(0, 12).map(float))),
        )
        for a, b in pairs
    ]
    return Network(places, links)


def enumerate_best(graph: object, budget: float) -> float:
    g = graph  # the solver's graph
    costs = shortest.lengths(g)
    options = [k for k in range(len(g.labels)) if not np.isnan(g.cost[k])]
    best = -1.0
    for size in range(len(options) + 1):
        for combo in itertools.combinations(options, size):
            if sum(g.cost[k] for k in combo) > budget + 1e-9:
                continue
            chosen = np.zeros(len(g.labels), dtype=bool)
            chosen[list(combo)] = True
            value, _ = shortest.shortest_route(g, costs.length + costs.delay * chosen)
            best = max(best, min(value, costs.closed_cost))  # closed once is closed
    return best


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=small_networks(), budget=st.integers(0, 5))
def test_decomposition_equals_enumeration_and_the_dual_mip(net: Network, budget: int) -> None:
    graph = compile_network(net, capacities=[0.0] * len(net.links))
    plan = shortest.interdict(graph, budget)
    assert plan.optimal
    assert float(graph.cost[plan.controlled].sum()) <= budget + 1e-9
    expected = enumerate_best(graph, budget)
    assert plan.cost_after == pytest.approx(expected, abs=1e-6)
    if not plan.closed:  # (the dual MIP goes on closing what is already closed)
        dual, _, _ = shortest.dual_mip(graph, budget)
        assert dual == pytest.approx(expected, rel=1e-6, abs=1e-4)
    # The reported route is the traffickers' best answer to the plan.
    costs = shortest.lengths(graph)
    value, _ = shortest.shortest_route(graph, costs.length + costs.delay * plan.controlled)
    assert min(value, costs.closed_cost) == pytest.approx(plan.cost_after)
    assert plan.closed == (value >= costs.closed_cost)


def test_layered_network_of_200_places_matches_the_dual_mip() -> None:
    net = layered(200, seed=2)
    graph = compile_network(net, capacities=[0.0] * len(net.links))
    plan = shortest.interdict(graph, 6)
    dual, _, proven = shortest.dual_mip(graph, 6)
    assert proven
    assert plan.optimal and plan.cost_after == pytest.approx(dual, rel=1e-6)
    assert plan.cost_after > plan.cost_before
    pairs, _ = controlled_pairs(graph, plan.controlled)
    assert pairs and all(p in {link.key for link in net.links} for p in pairs)
