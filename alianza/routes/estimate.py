"""Flows estimated from seizures, for links whose capacity nobody knows.

Nobody publishes how much cocaine a road or a sea lane carries; what is known is what was
seized, and where. The method (written so a planner can check it by hand):

1. Each seizure is placed on the network: by the place id, else by the port's UN/LOCODE,
   else at the nearest place within ``MAX_SNAP_KM`` of its coordinates. A seizure that
   cannot be placed is counted and reported, never guessed.
2. A place's seizures are added up per year, and its busiest year counts (kg per year):
   a capacity is what a route has been seen to carry. (An average over the years a file
   covers would fall when another source adds a year, as a node's own records do.)
3. What went through a place is its seizures divided by the seizure rate (default 0.25:
   UNODC's estimates of global cocaine interdiction have hovered between a fifth and a
   third of production since 2010; ``--seizure-rate`` changes it).
4. What went through a place must have reached it and must leave it (a capacity the
   file gives counts as evidence too). Forward, in the
   order of the routes (a topological order of the network's strongly connected
   components, networkx), a place's throughput is at least what its incoming links carry,
   and it is split evenly over its outgoing links of unknown capacity; backward, a place's
   throughput is at least what its outgoing links carry, split over its incoming links. A
   link keeps the larger of the two passes. So a production zone where nothing was seized
   still gets the flow that the ports it feeds were seen to handle.
5. A link with no seizure at either end gets ``FLOOR_QUANTILE`` of the estimated links'
   capacities: a route where nothing was seized is not a route where nothing travels,
   but it is not a trunk either. With no evidence anywhere (no seizure placed, no
   capacity given), every unknown link gets 1.

Links whose capacity the file gives keep it. The result is a list of capacities in the
order of ``network.links`` and a short account (how many seizures were placed, how many
links estimated, the floor), printed by the CLI and kept in the plan.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from alianza.errors import InputError
from alianza.routes.network import Network, _number, great_circle_km

DEFAULT_SEIZURE_RATE = 0.25
MAX_SNAP_KM = 50.0
FLOOR_QUANTILE = 0.10


@dataclass(frozen=True, slots=True)
class Seizure:
    kilograms: float
    year: int | None = None
    place: str = ""
    locode: str = ""
    lat: float | None = None
    lon: float | None = None


@dataclass(slots=True)
class Estimate:
    capacities: list[float]
    placed: int = 0
    unplaced: int = 0
    estimated_links: int = 0
    floor: float = 0.0
    seizure_rate: float = DEFAULT_SEIZURE_RATE
    throughput: dict[str, float] = field(default_factory=dict)

    def account(self) -> str:
        return (
            f"{self.estimated_links:,} enlaces sin capacidad estimados a partir de "
            f"{self.placed:,} incautaciones ({self.unplaced:,} sin lugar en la red), "
            f"tasa de incautación {self.seizure_rate:g}, mínimo {self.floor:,.1f} kg/año"
        )


# The network is cocaine's: a node's seizures of other drugs say nothing about its flows.
COCAINE = ("coca", "cocaína", "cocaine", "pasta base", "crack")


def from_registry(rows: Iterable[dict[str, object]]) -> list[Seizure]:
    """The node's seizure records (``seizures.service.masses``) of cocaine, as seizures."""
    out = []
    for row in rows:
        substance = str(row.get("substance", "")).lower()
        if not any(word in substance for word in COCAINE):
            continue
        lat, lon = row.get("lat"), row.get("lon")
        out.append(
            Seizure(
                kilograms=float(row["kilograms"]),  # type: ignore[arg-type]
                year=int(row["year"]),  # type: ignore[call-overload]
                locode=str(row.get("port") or "").upper(),
                lat=float(lat) if isinstance(lat, int | float) else None,
                lon=float(lon) if isinstance(lon, int | float) else None,
            )
        )
    return out


def load_seizures(path: Path) -> list[Seizure]:
    """``place,year,kilograms`` (and optionally ``locode``, ``lat``, ``lon`` instead of a
    place); ``InputError`` naming row and field."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError.at("--seizures", f"no existe el archivo {path}") from None
    except UnicodeDecodeError as exc:
        raise InputError.at("--seizures", f"no es texto UTF-8 (byte {exc.start})") from None
    return parse_seizures(text, path.name)


def parse_seizures(text: str, name: str = "SEIZURES.csv") -> list[Seizure]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "kilograms" not in header or not {"place", "locode", "lat"} & set(header):
        raise InputError.at(
            f"{name} fila 1", "se esperan las columnas place,year,kilograms (o locode, lat, lon)"
        )
    out = []
    try:
        for row_number, raw in enumerate(reader, start=2):
            cells = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
            at = f"{name} fila {row_number}"
            kilograms = _number(cells.get("kilograms", ""), f"{at}, kilograms")
            year = _number(cells.get("year", ""), f"{at}, year", optional=True, low=1900, high=2100)
            lat = _number(cells.get("lat", ""), f"{at}, lat", optional=True, low=-90, high=90)
            lon = _number(cells.get("lon", ""), f"{at}, lon", optional=True, low=-180, high=180)
            assert kilograms is not None
            out.append(
                Seizure(
                    kilograms=kilograms,
                    year=None if year is None else int(year),
                    place=cells.get("place", ""),
                    locode=cells.get("locode", "").upper(),
                    lat=lat,
                    lon=lon,
                )
            )
    except csv.Error as exc:
        raise InputError.at(name, f"CSV mal formado ({exc})") from None
    return out


def _place_of(seizure: Seizure, network: Network, by_locode: dict[str, str]) -> str | None:
    if seizure.place in network.places:
        return seizure.place
    if seizure.locode and seizure.locode in by_locode:
        return by_locode[seizure.locode]
    if seizure.lat is None or seizure.lon is None:
        return None
    best, best_km = None, MAX_SNAP_KM
    for place in network.places.values():
        km = great_circle_km(seizure.lat, seizure.lon, place.lat, place.lon)
        if km <= best_km:
            best, best_km = place.id, km
    return best


def _spread(network: Network, throughput: dict[str, float]) -> list[float]:
    """Step 4: each link's capacity (0 where no seizure reaches it), known ones kept."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(network.places)
    graph.add_edges_from(link.key for link in network.links)
    condensed = nx.condensation(graph)
    order = [
        place
        for component in nx.topological_sort(condensed)
        for place in condensed.nodes[component]["members"]
    ]
    outgoing: dict[str, list[int]] = defaultdict(list)
    incoming: dict[str, list[int]] = defaultdict(list)
    for i, link in enumerate(network.links):
        outgoing[link.source].append(i)
        incoming[link.target].append(i)
    known = [link.capacity for link in network.links]
    forward = [c if c is not None else 0.0 for c in known]
    for place in order:
        through = max(throughput.get(place, 0.0), sum(forward[i] for i in incoming[place]))
        free = [i for i in outgoing[place] if known[i] is None]
        for i in free:
            forward[i] = max(forward[i], through / len(free))
    backward = [c if c is not None else 0.0 for c in known]
    for place in reversed(order):
        through = max(throughput.get(place, 0.0), sum(backward[i] for i in outgoing[place]))
        free = [i for i in incoming[place] if known[i] is None]
        for i in free:
            backward[i] = max(backward[i], through / len(free))
    return [
        float(k) if k is not None else max(f, b)
        for k, f, b in zip(known, forward, backward, strict=True)
    ]


def estimate(
    network: Network, seizures: Iterable[Seizure], *, seizure_rate: float = DEFAULT_SEIZURE_RATE
) -> Estimate:
    """Capacities for every link: the file's, or the estimate above."""
    if not 0 < seizure_rate <= 1:
        raise InputError.at("--seizure-rate", "debe estar entre 0 (excluido) y 1")
    by_locode = {p.locode: p.id for p in network.places.values() if p.locode}
    seized: dict[str, dict[int | None, float]] = defaultdict(lambda: defaultdict(float))
    placed = unplaced = 0
    for seizure in seizures:
        place = _place_of(seizure, network, by_locode)
        if place is None:
            unplaced += 1
            continue
        placed += 1
        seized[place][seizure.year] += seizure.kilograms
    throughput = {p: max(years.values()) / seizure_rate for p, years in seized.items()}
    capacities = _spread(network, throughput)
    evidence = [
        c
        for c, link in zip(capacities, network.links, strict=True)
        if c > 0 and link.capacity is None
    ]
    floor = float(np.quantile(evidence, FLOOR_QUANTILE)) if evidence else 1.0
    filled = [round(c if c > 0 else floor, 3) for c in capacities]
    return Estimate(
        capacities=filled,
        placed=placed,
        unplaced=unplaced,
        estimated_links=sum(1 for link in network.links if link.capacity is None),
        floor=round(floor, 3),
        seizure_rate=seizure_rate,
        throughput=throughput,
    )
