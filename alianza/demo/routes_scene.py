"""The demo's route scene (issue 13): on the region's network shipped with alianza (flows
estimated from its seizure file), where a few control teams cut the most cocaine flow,
proven optimal, beside the greedy rules planners use today, and the map of the plan.

The same function as ``alianza routes interdict --region`` (``planning.interdict``).
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from alianza.routes import maps, planning
from alianza.routes.graph import compile_network, max_flow
from alianza.routes.network import Network
from alianza.routes.region import region

BUDGETS = (5.0, 10.0, 20.0)
MAPPED = 10.0


def routes_scene(data_dir: Path, console: Console) -> Path:
    """Print the plans at ``BUDGETS``; write the map and GeoJSON of ``MAPPED``; the PNG."""
    network, found = region()
    console.print(Panel.fit("Rutas del tráfico: dónde poner los controles (interdicción)"))
    console.print(
        f"Red regional: {len(network.places):,} lugares, {len(network.links):,} enlaces; "
        + found.account(),
        highlight=False,
    )
    table = Table(
        "equipos de control",
        "flujo que pasa (kg/año)",
        "cortado",
        "óptimo probado",
        "mejor regla voraz",
        "controlar",
        title=f"Flujo máximo sin controles: {network_flow(network):,.0f} kg/año",
    )
    mapped: Path = data_dir / "rutas-plan.png"
    for budget in BUDGETS:
        body, drawn = planning.interdict(network, budget, time_limit=30)
        greedy = min(b["flow_after"] for b in body["baselines"])
        names = [f"{short(network, a)} → {short(network, b)}" for a, b in body["interdicted"][:2]]
        more = len(body["interdicted"]) - len(names)
        table.add_row(
            f"{budget:g}",
            f"{body['flow_after']:,.0f}",
            f"{1 - body['flow_after'] / body['flow_before']:.0%}",
            "sí" if body["optimal"] else f"no (brecha {body['gap']:.1%})",
            f"{greedy:,.0f}",
            "; ".join(names) + (f" y {more} más" if more > 0 else ""),
        )
        if budget == MAPPED:
            maps.write_png(
                network,
                mapped,
                flow_before=drawn.flow_before,
                flow_after=drawn.flow_after,
                controlled=drawn.controlled,
                controlled_places=drawn.controlled_places,
                title=drawn.title,
            )
            maps.write_geojson(
                maps.network_geojson(
                    network,
                    flow_before=drawn.flow_before,
                    flow_after=drawn.flow_after,
                    controlled=drawn.controlled,
                    controlled_places=drawn.controlled_places,
                ),
                data_dir / "rutas-plan.geojson",
            )
    console.print(table)
    console.print(
        f"Mapa del plan con {MAPPED:g} equipos: {mapped} (y {mapped.with_suffix('.geojson').name})",
        highlight=False,
        soft_wrap=True,
    )
    return mapped


def short(network: Network, place: str) -> str:
    """A place's name without its parenthesis (``Guayaquil (Contecon)`` -> ``Guayaquil``)."""
    return network.places[place].name.split(" (")[0]


def network_flow(network: Network) -> float:
    return max_flow(compile_network(network)).value
