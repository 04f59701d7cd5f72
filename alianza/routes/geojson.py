"""The network as GeoJSON, and the geometry the PNG map shares with it.

``network_geojson`` gives an RFC 7946 FeatureCollection: one Point per place and one line
per ordered pair of places that has links. Parallel links (two modes between the same
places) are one feature, as they are one arc for the solvers (``graph``): their modes are
listed, capacities and interdiction costs add up (null when one of them is unknown), and
the flows before and after a plan, and whether the pair is controlled, are the pair's.
``rerouted`` marks the pairs that carry more after the plan than before: where the
traffickers go once the controls are in place. Lines are straight in longitude and
latitude, as the PNG draws them (not great circles); one that goes more than 180° of
longitude the short way (Pacific to Sydney) is split at the antimeridian into a
MultiLineString (RFC 7946 §3.1.9), so every position stays within [-180, 180].
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alianza.routes.network import Network, Place

Pair = tuple[str, str]
Position = tuple[float, float]  # (lon, lat)

EPSILON = 1e-9

# --- the pairs -------------------------------------------------------------------------


@dataclass(slots=True)
class _Pair:
    """The links of one ordered pair of places, merged."""

    source: str
    target: str
    modes: list[str] = field(default_factory=list)
    capacity: float | None = 0.0
    cost: float | None = 0.0


def merged_pairs(network: Network) -> list[_Pair]:
    """One entry per ordered pair with links, in the order of their first link."""
    merged: dict[Pair, _Pair] = {}
    for link in network.links:
        pair = merged.get(link.key)
        if pair is None:
            pair = merged[link.key] = _Pair(link.source, link.target)
        if link.mode not in pair.modes:
            pair.modes.append(link.mode)
        pair.capacity = _add(pair.capacity, link.capacity)
        pair.cost = _add(pair.cost, link.interdiction_cost)
    return list(merged.values())


def _add(total: float | None, value: float | None) -> float | None:
    return None if total is None or value is None else total + value


def _number(value: float | None) -> float | None:
    """Rounded to 3 decimals for the JSON; None for unknown or non-finite values."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 3) + 0.0  # + 0.0: no "-0.0"


def flow_of(flows: Mapping[Pair, float] | None, pair: Pair) -> float | None:
    """The pair's flow (0 when the mapping is given but lacks it), or None."""
    if flows is None:
        return None
    value = flows.get(pair, 0.0)
    return float(value) if math.isfinite(value) else None


def position_of(place: Place | None) -> Position | None:
    """(lon, lat) of a place on the globe, or None."""
    if place is None:
        return None
    lon, lat = float(place.lon), float(place.lat)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        return None
    return (lon, lat)


def line_pieces(a: Position, b: Position) -> list[list[Position]]:
    """The straight line from ``a`` to ``b`` the short way round, in one piece, or two
    when it crosses the antimeridian (each piece within [-180, 180], meeting at ±180)."""
    (lon1, lat1), (lon2, lat2) = a, b
    # An end on the antimeridian belongs to the side of the other end.
    if abs(lon1) == 180.0 and abs(lon2) == 180.0:
        lon2 = lon1
    elif abs(lon1) == 180.0:
        lon1 = 180.0 if lon2 > 0 else -180.0
    elif abs(lon2) == 180.0:
        lon2 = 180.0 if lon1 > 0 else -180.0
    delta = lon2 - lon1
    if abs(delta) <= 180.0:
        return [[(lon1, lat1), (lon2, lat2)]]
    edge = 180.0 if delta < 0 else -180.0  # going east across +180, or west across -180
    unwrapped = lon2 + 360.0 if delta < 0 else lon2 - 360.0
    t = (edge - lon1) / (unwrapped - lon1)
    lat = round(lat1 + t * (lat2 - lat1), 6) + 0.0
    return [[(lon1, lat1), (edge, lat)], [(-edge, lat), (lon2, lat2)]]


def midpoint(a: Position, b: Position) -> Position:
    """Middle of the line ``line_pieces`` draws (across the antimeridian when it does)."""
    pieces = line_pieces(a, b)
    (lon1, lat1), (lon2, lat2) = pieces[0][0], pieces[-1][-1]
    if len(pieces) == 2:
        lon2 += 360.0 if lon2 < lon1 else -360.0
    lon = (lon1 + lon2) / 2.0
    if lon > 180.0:
        lon -= 360.0
    elif lon < -180.0:
        lon += 360.0
    return (lon, (lat1 + lat2) / 2.0)


# --- GeoJSON ---------------------------------------------------------------------------


def network_geojson(
    network: Network,
    *,
    flow_before: Mapping[Pair, float] | None = None,
    flow_after: Mapping[Pair, float] | None = None,
    controlled: Iterable[Pair] = (),
    controlled_places: Iterable[str] = (),
) -> dict[str, Any]:
    """RFC 7946 FeatureCollection: one Point per place (properties: id, name, country,
    kind, role, controlled) and one LineString per ordered pair of places that has links
    (parallel links merged; properties: from, to, modes, capacity and interdiction_cost
    (sums, null if one is unknown), flow_before, flow_after (null when not given; 0 for a
    pair the mapping lacks), controlled, rerouted (flow after > flow before; only when
    both are given)). A line crossing the antimeridian is a MultiLineString of two pieces.
    A place off the globe (only a network built by hand can have one) has a null geometry,
    and so do its links. Numbers are rounded to 3 decimals; none is NaN or infinite."""
    cut = {(str(a), str(b)) for a, b in controlled}
    closed = set(controlled_places)
    positions = {pid: position_of(place) for pid, place in network.places.items()}
    features: list[dict[str, Any]] = []
    for pid, place in network.places.items():
        at = positions[pid]
        features.append(
            {
                "type": "Feature",
                "geometry": None if at is None else {"type": "Point", "coordinates": list(at)},
                "properties": {
                    "id": place.id,
                    "name": place.name,
                    "country": place.country,
                    "kind": place.kind,
                    "role": place.role,
                    "controlled": place.id in closed,
                },
            }
        )
    for pair in merged_pairs(network):
        key = (pair.source, pair.target)
        before, after = flow_of(flow_before, key), flow_of(flow_after, key)
        rerouted = before is not None and after is not None and after > before + EPSILON
        features.append(
            {
                "type": "Feature",
                "geometry": _line_geometry(positions.get(key[0]), positions.get(key[1])),
                "properties": {
                    "from": pair.source,
                    "to": pair.target,
                    "modes": list(pair.modes),
                    "capacity": _number(pair.capacity),
                    "interdiction_cost": _number(pair.cost),
                    "flow_before": _number(before),
                    "flow_after": _number(after),
                    "controlled": key in cut,
                    "rerouted": rerouted,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _line_geometry(a: Position | None, b: Position | None) -> dict[str, Any] | None:
    if a is None or b is None:
        return None
    pieces = [[list(p) for p in piece] for piece in line_pieces(a, b)]
    if len(pieces) == 1:
        return {"type": "LineString", "coordinates": pieces[0]}
    return {"type": "MultiLineString", "coordinates": pieces}


def write_geojson(collection: dict[str, Any], path: Path) -> None:
    """The collection as compact UTF-8 JSON (``ValueError`` on a NaN or infinity)."""
    text = json.dumps(collection, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")
