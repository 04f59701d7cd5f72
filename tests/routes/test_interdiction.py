"""Max-flow interdiction: optima known by hand, brute force on random small networks, the
plan checked by networkx, and the baselines never better than the proven optimum."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alianza.errors import InputError
from alianza.routes import interdiction
from alianza.routes.displacement import controlled_pairs
from alianza.routes.graph import compile_network, max_flow
from alianza.routes.network import Link, Network, Place, parse
from alianza.routes.synthetic import layered
from tests.routes.conftest import nx_flow

NODES = """id,name,country,kind,lat,lon
s,Origen,CO,source,1,-77
a,A,EC,transit,0,-78
b,B,EC,transit,-1,-79
t,Destino,NL,sink,52,4
"""


def diamond(links: str) -> Network:
    return parse(NODES, "from,to,mode,capacity,interdiction_cost\n" + links)


DIAMOND = diamond("s,a,road,10,1\ns,b,road,5,1\na,t,sea,4,1\nb,t,sea,8,1\na,b,road,3,1\n")


def test_hand_optimum_one_control() -> None:
    # Max flow 12 (4 via a->t, 5+3 via b->t). One control: b->t leaves 4, a->t leaves 8,
    # s->a leaves 5, s->b leaves 7 (a->t 4 + a->b 3): the optimum is b->t, 4.
    graph = compile_network(DIAMOND)
    plan = interdiction.optimal_plan(graph, 1)
    assert plan.flow_before == pytest.approx(12)
    assert plan.optimal and plan.flow_after == pytest.approx(4) and plan.bound == pytest.approx(4)
    assert controlled_pairs(graph, plan.controlled)[0] == [("b", "t")]


def test_budget_zero_and_a_budget_that_cuts_nothing() -> None:
    graph = compile_network(DIAMOND)
    plan = interdiction.optimal_plan(graph, 0)
    assert plan.flow_after == pytest.approx(12) and not plan.controlled.any() and plan.optimal
    # Every control costs 5: a budget of 4 buys none.
    pricey = diamond("s,a,road,10,5\ns,b,road,5,5\na,t,sea,4,5\nb,t,sea,8,5\na,b,road,3,5\n")
    plan = interdiction.optimal_plan(compile_network(pricey), 4)
    assert plan.flow_after == pytest.approx(12) and not plan.controlled.any()


def test_ties_any_optimal_plan_reaches_the_optimum() -> None:
    # Two identical parallel routes: controlling either leaves 5.
    net = diamond("s,a,road,5,1\ns,b,road,5,1\na,t,sea,5,1\nb,t,sea,5,1\n")
    plan = interdiction.optimal_plan(compile_network(net), 1)
    assert plan.optimal and plan.flow_after == pytest.approx(5)
    assert nx_flow(net, controlled_pairs(compile_network(net), plan.controlled)[0]) == 5


def test_uncontrollable_links_are_never_chosen() -> None:
    net = diamond("s,a,road,10,\ns,b,road,5,\na,t,sea,4,\nb,t,sea,8,1\na,b,road,3,\n")
    graph = compile_network(net)
    plan = interdiction.optimal_plan(graph, 100)
    assert controlled_pairs(graph, plan.controlled)[0] == [("b", "t")]
    assert plan.flow_after == pytest.approx(4)


def test_parallel_links_are_one_control_at_the_sum_of_their_costs() -> None:
    net = diamond("s,a,road,10,1\na,t,sea,4,1\na,t,air,6,2\n")
    graph = compile_network(net)
    assert max_flow(graph).value == pytest.approx(10)
    # a->t costs 3 (1 + 2) as a pair; budget 2 cannot buy it but buys s->a.
    plan = interdiction.optimal_plan(graph, 2)
    assert controlled_pairs(graph, plan.controlled)[0] == [("s", "a")]
    assert plan.flow_after == 0


def test_a_place_with_a_cost_can_be_controlled_as_a_whole() -> None:
    nodes = NODES.replace("header", "").replace(
        "id,name,country,kind,lat,lon", "id,name,country,kind,lat,lon,interdiction_cost"
    )
    nodes = (
        nodes.replace("a,A,EC,transit,0,-78", "a,A,EC,transit,0,-78,1")
        .replace("-77\n", "-77,\n")
        .replace("-79\n", "-79,\n")
        .replace(",4\n", ",4,\n")
    )
    net = parse(
        nodes,
        "from,to,mode,capacity,interdiction_cost\n"
        "s,a,road,10,5\na,t,sea,9,5\ns,b,road,2,5\nb,t,sea,2,5\n",
    )
    graph = compile_network(net)
    plan = interdiction.optimal_plan(graph, 1)
    pairs, places = controlled_pairs(graph, plan.controlled)
    assert (pairs, places) == ([], ["a"])
    assert plan.flow_after == pytest.approx(2) == nx_flow(net, places=["a"])


def brute_force(net: Network, budget: float) -> float:
    """The best flow after any affordable set of controls, by enumeration (networkx)."""
    graph = compile_network(net)
    options = [
        (graph.labels[k][1:], graph.cost[k])
        for k in range(len(graph.labels))
        if graph.labels[k][0] == "link" and not np.isnan(graph.cost[k])
    ]
    best = nx_flow(net)
    for size in range(1, len(options) + 1):
        for combo in itertools.combinations(options, size):
            if sum(c for _, c in combo) <= budget + 1e-9:
                best = min(best, nx_flow(net, [pair for pair, _ in combo]))
    return best


@st.composite
def small_networks(draw: st.DrawFn) -> Network:
    n = draw(st.integers(3, 6))
    places = {}
    for i in range(n):
        kind = (
            "source"
            if i == 0
            else "sink"
            if i == n - 1
            else draw(st.sampled_from(["transit", "transit", "source", "sink"]))
        )
        places[f"p{i}"] = Place(f"p{i}", f"P{i}", "EC", kind, 0.0, float(i))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1]),
            min_size=1,
            max_size=9,
            unique=True,
        )
    )
    links = [
        Link(
            f"p{a}",
            f"p{b}",
            "road",
            float(draw(st.integers(0, 20))),
            draw(st.one_of(st.none(), st.integers(0, 4).map(float))),
        )
        for a, b in pairs
    ]
    return Network(places, links)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=small_networks(), budget=st.integers(0, 6))
def test_mip_equals_brute_force_and_networkx(net: Network, budget: int) -> None:
    graph = compile_network(net)
    plan = interdiction.optimal_plan(graph, budget)
    assert plan.optimal
    pairs, _ = controlled_pairs(graph, plan.controlled)
    assert plan.cost <= budget + 1e-9
    assert plan.flow_before == pytest.approx(nx_flow(net), abs=1e-3)
    assert plan.flow_after == pytest.approx(nx_flow(net, pairs), abs=1e-3)
    assert plan.flow_after == pytest.approx(brute_force(net, budget), abs=1e-3)
    for baseline in (
        interdiction.greedy_busiest(graph, budget),
        interdiction.greedy_min_cut(graph, budget),
    ):
        assert baseline.cost <= budget + 1e-9
        assert baseline.flow_after >= plan.flow_after - 1e-6


def test_cp_sat_proves_the_same_optimum_on_a_small_layered_network() -> None:
    graph = compile_network(layered(60, seed=3))
    scip = interdiction.optimal_plan(graph, 6)
    cp = interdiction.optimal_plan(graph, 6, solver="cp-sat", time_limit=60)
    assert scip.optimal and cp.optimal
    assert cp.flow_after == pytest.approx(scip.flow_after, abs=1e-3)


def test_layered_network_plan_checked_by_networkx_and_beats_the_baselines() -> None:
    net = layered(300, seed=5)
    graph = compile_network(net)
    plan = interdiction.optimal_plan(graph, 10)
    assert plan.optimal and plan.gap == 0
    pairs, places = controlled_pairs(graph, plan.controlled)
    assert plan.flow_after == pytest.approx(nx_flow(net, pairs, places), rel=1e-6)
    assert plan.flow_after < plan.flow_before
    best_greedy = interdiction.best_greedy(graph, 10)
    assert plan.flow_after <= best_greedy.flow_after + 1e-6


def test_a_time_limit_too_short_still_gives_a_checked_plan_and_its_bound() -> None:
    graph = compile_network(layered(2000, seed=1))
    plan = interdiction.optimal_plan(
        graph, 15, time_limit=0.01, hint=interdiction.best_greedy(graph, 15).controlled
    )
    assert plan.flow_after <= plan.flow_before
    if not plan.optimal and plan.bound is not None:
        assert plan.bound <= plan.flow_after + 1e-6


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"budget": -1}, "--budget"),
        ({"budget": float("nan")}, "--budget"),
        ({"budget": 1, "solver": "gurobi"}, "--solver"),
        ({"budget": 1, "time_limit": 0}, "--time-limit"),
    ],
)
def test_bad_parameters_are_named(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as caught:
        interdiction.optimal_plan(compile_network(DIAMOND), **kwargs)  # type: ignore[arg-type]
    assert caught.value.problems[0].field == field
