"""The shipped regional network: it loads, every place lies on a route, it solves."""

from __future__ import annotations

import networkx as nx
import pytest

from alianza.routes import interdiction
from alianza.routes.displacement import controlled_pairs
from alianza.routes.graph import compile_network
from alianza.routes.region import files_of_region, region
from tests.routes.conftest import nx_flow


def test_region_has_300_places_with_coordinates_and_sources() -> None:
    net, found = region()
    assert len(net.places) >= 300 and len(net.links) >= 900
    assert found.placed > 0 and found.unplaced == 0
    assert {p.kind for p in net.places.values()} == {"source", "sink", "transit"}
    assert all(c is not None and c > 0 for c in (x.capacity for x in net.links))
    assert "UNODC" in files_of_region()["SOURCES.md"]


def test_every_place_is_on_some_route() -> None:
    net, _ = region()
    graph = nx.DiGraph([x.key for x in net.links])
    from_sources = set().union(*(nx.descendants(graph, s) | {s} for s in net.sources))
    to_sinks = set().union(*(nx.ancestors(graph, t) | {t} for t in net.sinks))
    assert set(net.places) <= from_sources & to_sinks


@pytest.mark.parametrize("budget", [0, 5, 20])
def test_region_solves_to_a_proven_optimum_checked_by_networkx(budget: float) -> None:
    net, _ = region()
    graph = compile_network(net)
    plan = interdiction.optimal_plan(graph, budget, time_limit=60)
    assert plan.optimal
    pairs, places = controlled_pairs(graph, plan.controlled)
    assert plan.flow_after == pytest.approx(nx_flow(net, pairs, places), rel=1e-6)
    if budget:
        assert plan.flow_after < plan.flow_before
