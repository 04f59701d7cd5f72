"""Trafficking-route interdiction: where limited controls cut the most flow, proven, and
how the routes shift.

The network (``network``: the contract's CSVs; ``data/``: the region's, shipped), the
solver's graph and maximum flow (``graph``), max-flow interdiction by Wood's MIP with the
greedy baselines beside it (``interdiction``), shortest-path interdiction by Israeli and
Wood's decomposition (``shortest``), where the flow goes after a plan and over rounds of
controls and adaptation (``displacement``), flows estimated from seizures (``estimate``),
and the maps (``maps``: GeoJSON and a PNG). On the node: plans kept per agency
(``models``, ``store``, ``policy``), the API (``views``) and the commands (``commands``).
"""

from alianza.domains import Domain

DOMAIN = Domain(
    name="routes",
    summary="Interdicción de rutas de tráfico: dónde controlar, probado, y cómo cambian.",
    commands="alianza.routes.commands:register",
    routers=("alianza.routes.views:router",),
    # The node's side (store.py): plans kept by the agency that made them.
    models=("alianza.routes.models",),
    migrations="alianza.routes.migrations",
    rules=("alianza.routes.policy:PLAN_RULE",),
    grants={"plan_interdiction": frozenset({"analyst", "port_analyst", "supervisor"})},
)
