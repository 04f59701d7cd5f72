"""A map of the corridor: the shipped default corridor's stops with their daily
capacities and the persons in transit at each, drawn with Leaflet over Natural Earth's
country outlines shipped with alianza (``routes/data/countries.geojson``, South America
only, gzipped by ``maps.geojson``: no tile server is reached). The same figures are a
table under the map: its text alternative.

Persons in transit come from the check-ins the principal may see (``checkins.recent``,
the list of ``GET /api/v1/corridor/checkins``): each person's latest check-in places
them; boarded, crossed or a medical incident is in transit, arrived is not, missing is
counted apart.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from alianza.auth.permissions import Principal
from alianza.corridor import checkins
from alianza.corridor.synthetic import default_corridor
from alianza.web.console.i18n import N_
from alianza.web.console.pages.maps import geojson
from alianza.web.console.render import page
from alianza.web.console.session import PREFIX, ConsoleUser, requires
from alianza.web.deps import NodeDep, unit

router = APIRouter(include_in_schema=False)
MAP = f"{PREFIX}/mapa/corredor"
# Not in the top bar (it holds enough): the corridor's tabs lead here, also from the
# check-in screen, for every role that may record check-ins.
Recorder = Annotated[Principal, requires(checkins.RECORD)]
RECENT = 1000

# Where each stop of the shipped corridor is (latitude, longitude; about 0.01°, public
# gazetteers). The corridor's data names stops, not places on a map.
PLACES: dict[str, tuple[float, float]] = {
    "cl-santiago": (-33.45, -70.67),
    "cl-antofagasta": (-23.65, -70.40),
    "cl-iquique": (-20.21, -70.15),
    "cl-arica": (-18.48, -70.31),
    "x-chacalluta": (-18.34, -70.36),
    "pe-tacna": (-18.01, -70.25),
    "pe-lima": (-12.05, -77.04),
    "pe-tumbes": (-3.57, -80.45),
    "x-huaquillas": (-3.48, -80.23),
    "ec-guayaquil": (-2.19, -79.89),
    "ec-quito": (-0.18, -78.47),
    "x-rumichaca": (0.81, -77.66),
    "co-cali": (3.45, -76.53),
    "co-bogota": (4.71, -74.07),
    "co-cucuta": (7.89, -72.50),
    "x-simon-bolivar": (7.81, -72.45),
    "ve-san-antonio": (7.84, -72.40),
    "ve-maiquetia": (10.60, -66.99),
}
# The countries drawn: South America and the isthmus (the rest of the world is not sent).
COUNTRIES = frozenset(
    {"ARG", "BOL", "BRA", "CHL", "COL", "ECU", "GUY", "PER", "PRY", "SUR", "URY", "VEN"}
    | {"PAN", "CRI", "NIC", "HND", "SLV", "GTM", "BLZ", "TTO"}
)
KINDS = {"city": N_("ciudad"), "border": N_("paso fronterizo"), "reception": N_("recepción")}
IN_TRANSIT = frozenset({"boarded", "crossed", "medical_incident"})


@cache
def outlines() -> dict[str, Any]:
    """The drawn countries' outlines (read once per process): a tenth of the world's
    file the other maps use (``maps.outlines``), for a border post's slow line."""
    text = (files("alianza.routes") / "data" / "countries.geojson").read_text(encoding="utf-8")
    world = json.loads(text)
    kept = [f for f in world["features"] if f["properties"].get("iso_a3") in COUNTRIES]
    return {"type": "FeatureCollection", "features": kept}


def _stop_key(text: str) -> str:
    return " ".join(text.casefold().split())


def _counts(rows: list[Any]) -> dict[str, dict[str, int]]:
    """Per stop: persons in transit, missing, and medical incidents, by their latest
    check-in (a stop typed by its name or by its id)."""
    stops = default_corridor()["stops"]
    lookup = {_stop_key(s["id"]): s["id"] for s in stops}
    lookup.update({_stop_key(s["name"]): s["id"] for s in stops})
    latest: dict[str, Any] = {}
    for row in rows:  # newest first
        latest.setdefault(row.person, row)
    counts: dict[str, dict[str, int]] = {}
    for row in latest.values():
        stop = lookup.get(_stop_key(row.stop))
        if stop is None:
            continue
        at = counts.setdefault(stop, {"transit": 0, "missing": 0, "medical": 0})
        if row.kind in IN_TRANSIT:
            at["transit"] += 1
        if row.kind == "missing":
            at["missing"] += 1
        if row.kind == "medical_incident":
            at["medical"] += 1
    return counts


@router.get(MAP)
def corridor_map(request: Request, node: NodeDep, principal: Recorder) -> Response:
    with unit(node) as session:
        counts = _counts(checkins.recent(session, principal, limit=RECENT))
    stops = []
    for s in default_corridor()["stops"]:
        lat, lon = PLACES[s["id"]]
        c = counts.get(s["id"], {"transit": 0, "missing": 0, "medical": 0})
        stops.append({**s, "lat": lat, "lon": lon, **c})
    points = [
        {
            "id": s["id"],
            "name": s["name"],
            "kind": s["kind"],
            "lat": s["lat"],
            "lon": s["lon"],
            "capacity": s["daily_capacity"],
            "transit": s["transit"],
            "overland": "day" in s,
        }
        for s in stops
    ]
    return page(
        request,
        "corridor/map.html",
        stops=stops,
        points=json.dumps(points, ensure_ascii=False).replace("</", "<\\/"),
        kinds=KINDS,
        total=sum(s["transit"] for s in stops),
        tab="map",
    )


@router.get(f"{MAP}/paises.json")
def countries(request: Request, principal: ConsoleUser) -> Response:
    return geojson(request, outlines())
