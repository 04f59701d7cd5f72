"""Route interdiction tests touch no database: they run once, with the default backend
(except ``test_views.py``, which writes the audit log, on both).

``nx_flow`` is the independent check of every plan: the maximum flow computed by networkx
(not OR-Tools) on the network without the plan's links and places.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import pytest

from alianza.routes.network import Network


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--db") != "postgresql":
        return
    skip = pytest.mark.skip(reason="sin base de datos: se prueba una vez, con SQLite")
    for item in items:
        path = str(item.fspath)
        if "tests/routes/" in path and not path.endswith("test_views.py"):
            item.add_marker(skip)


def nx_flow(
    network: Network, cut: Iterable[Iterable[str]] = (), places: Iterable[str] = ()
) -> float:
    """networkx's maximum flow from all sources to all sinks without ``cut`` and ``places``."""
    removed = {tuple(pair) for pair in cut}
    gone = set(places)
    graph = nx.DiGraph()
    graph.add_node("__s")
    graph.add_node("__t")
    for link in network.links:
        if link.key in removed or link.source in gone or link.target in gone:
            continue
        assert link.capacity is not None
        if graph.has_edge(link.source, link.target):
            graph[link.source][link.target]["capacity"] += link.capacity
        else:
            graph.add_edge(link.source, link.target, capacity=link.capacity)
    for pid in network.sources:
        if pid not in gone:
            graph.add_edge("__s", pid)  # no capacity attribute: unlimited
    for pid in network.sinks:
        if pid not in gone:
            graph.add_edge(pid, "__t")
    return float(nx.maximum_flow_value(graph, "__s", "__t"))
