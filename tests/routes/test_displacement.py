"""Where the flow goes after a plan, and the rounds of controls and rerouting."""

from __future__ import annotations

import pytest

from alianza.routes import displacement, interdiction
from alianza.routes.graph import compile_network, max_flow
from alianza.routes.network import parse
from alianza.routes.synthetic import layered
from tests.routes.conftest import nx_flow

NODES = """id,name,country,kind,lat,lon
s,Origen,CO,source,1,-77
a,A,EC,transit,0,-78
b,B,EC,transit,-1,-79
t,Destino,NL,sink,52,4
"""
# The main route s-a-t carries 10; s-b-t has room for 6 but carries 0 while s-a-t is open
# (s has only 10 to give: s->a 10, s->b 6, a->t 10, b->t 6, so flow = 16 in fact).
LINKS = (
    "from,to,mode,capacity,interdiction_cost\n"
    "s,a,road,10,1\na,t,sea,10,1\ns,b,road,6,1\nb,t,sea,6,1\na,b,road,10,1\n"
)


def test_reroutes_name_the_links_whose_flow_grew() -> None:
    net = parse(NODES, LINKS)
    graph = compile_network(net)
    plan = interdiction.optimal_plan(graph, 1)
    before, after = max_flow(graph), max_flow(graph, plan.controlled)
    assert before.value == 16 and after.value == pytest.approx(nx_flow(net, [("a", "t")])) == 6
    grown = displacement.reroutes(graph, before.arc_flow, after.arc_flow)
    for r in grown:
        k = graph.labels.index(("link", *r.pair))
        assert after.arc_flow[k] > before.arc_flow[k]
    # What still gets through goes s->a->b->t or s->b->t: the main routes say so.
    routes = displacement.main_routes(graph, after.arc_flow)
    assert sum(flow for _, flow in routes) == pytest.approx(6)
    assert all(r[0][0] == "s" and r[0][-1] == "t" for r in routes)


def test_main_routes_decompose_the_whole_flow() -> None:
    graph = compile_network(layered(150, seed=4))
    flow = max_flow(graph)
    routes = displacement.main_routes(graph, flow.arc_flow, most=10_000)
    assert sum(f for _, f in routes) == pytest.approx(flow.value, rel=1e-6)


def test_rounds_controls_chase_the_flow_and_it_moves() -> None:
    graph = compile_network(layered(200, seed=8))
    history = displacement.rounds(graph, 8, n_rounds=4, time_limit=5)
    assert [r.number for r in history] == [0, 1, 2, 3, 4]
    assert history[0].flow == pytest.approx(max_flow(graph).value)
    wood = interdiction.optimal_plan(graph, 8)
    for r in history[1:]:
        # Each round's controls are affordable, and no round does better than Wood's
        # plan, which anticipates the rerouting.
        assert float(graph.cost[r.controlled].sum()) <= 8 + 1e-9
        assert r.flow >= wood.flow_after - 1e-6
        assert 0.0 <= r.new_share <= 1.0
    assert any(r.new_share > 0 for r in history[1:]), "routes never moved"
