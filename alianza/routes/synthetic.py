"""Layered networks shaped like the region's, for the benchmarks and the tests.

production -> collection -> hubs (and crossings) -> ports -> sea legs -> destinations,
with a few links that skip a layer (a production zone trucking straight to a hub, a hub
shipping from a small cove) and a few inside a layer (hub to hub). About three links per
place. Capacities are log-normal (a few trunk routes carry most), interdiction costs
depend on the mode (a road checkpoint costs 1-2 teams, a sea leg 3-6). Coordinates are
drawn in bands over the Andes and the Pacific so the map looks like a map.
"""

from __future__ import annotations

import numpy as np

from alianza.routes.network import Link, Network, Place

# Share of the places in each layer, its role, and where it lies (lat, lon boxes).
LAYERS = (
    ("production", 0.10, (-15.0, 8.0), (-78.0, -66.0)),
    ("collection", 0.22, (-12.0, 6.0), (-79.0, -70.0)),
    ("hub", 0.28, (-20.0, 2.0), (-81.0, -72.0)),
    ("port", 0.14, (-34.0, 2.0), (-81.5, -79.0)),
    ("sea", 0.16, (-30.0, 15.0), (-110.0, -82.0)),
    ("destination", 0.10, (10.0, 55.0), (-120.0, 10.0)),
)
MODE_OF = {
    "production": "road",
    "collection": "road",
    "hub": "road",
    "port": "sea",
    "sea": "sea",
}
COST_RANGE = {"road": (1, 2), "river": (2, 3), "sea": (3, 6), "air": (2, 4)}


def layered(n_places: int, n_links: int | None = None, *, seed: int = 0) -> Network:
    """A network of ``n_places`` places and about ``n_links`` (default 3 per place) links."""
    rng = np.random.default_rng(seed)
    n_links = n_links if n_links is not None else 3 * n_places
    sizes = [max(1, round(share * n_places)) for _, share, _, _ in LAYERS]
    sizes[2] += n_places - sum(sizes)  # the hubs absorb the rounding
    places: dict[str, Place] = {}
    layer_ids: list[list[str]] = []
    for (role, _, (lat0, lat1), (lon0, lon1)), size in zip(LAYERS, sizes, strict=True):
        ids = []
        for i in range(size):
            pid = f"{role[:3]}-{i}"
            kind = (
                "source" if role == "production" else "sink" if role == "destination" else "transit"
            )
            places[pid] = Place(
                id=pid,
                name=f"{role} {i}",
                country="SEA" if role == "sea" else "XX",
                kind=kind,
                lat=round(float(rng.uniform(lat0, lat1)), 3),
                lon=round(float(rng.uniform(lon0, lon1)), 3),
                role=role,
            )
            ids.append(pid)
        layer_ids.append(ids)
    seen: set[tuple[str, str]] = set()
    links: list[Link] = []

    def add(a: str, b: str, mode: str) -> None:
        if a == b or (a, b) in seen:
            return
        seen.add((a, b))
        low, high = COST_RANGE[mode]
        links.append(
            Link(
                source=a,
                target=b,
                mode=mode,
                capacity=round(float(rng.lognormal(3.0, 1.0)), 1),
                interdiction_cost=float(rng.integers(low, high + 1)),
            )
        )

    # Every place feeds at least one place of the next layer and is fed by one of the
    # previous, so every place lies on a route.
    for layer, (role, *_) in enumerate(LAYERS[:-1]):
        here, nxt = layer_ids[layer], layer_ids[layer + 1]
        for a in here:
            add(a, nxt[int(rng.integers(len(nxt)))], MODE_OF[role])
        for b in nxt:
            add(here[int(rng.integers(len(here)))], b, MODE_OF[role])
    # The rest: mostly to the next layer, some skipping one, some inside a layer.
    weights = np.array(sizes[:-1], dtype=float)
    weights /= weights.sum()
    attempts = 0
    while len(links) < n_links and attempts < 20 * n_links:
        attempts += 1
        layer = int(rng.choice(len(weights), p=weights))
        draw = rng.random()
        if draw < 0.8:
            to_layer = layer + 1
        elif draw < 0.9 and layer + 2 < len(LAYERS):
            to_layer = layer + 2
        else:
            to_layer = layer if 1 <= layer <= 3 else layer + 1
        a = layer_ids[layer][int(rng.integers(len(layer_ids[layer])))]
        b = layer_ids[to_layer][int(rng.integers(len(layer_ids[to_layer])))]
        mode = "river" if layer == 1 and draw > 0.95 else MODE_OF[LAYERS[layer][0]]
        add(a, b, mode)
    return Network(places, links, name=f"capas-{n_places}")
