"""The region's network, shipped with the project as editable CSVs (``data/``).

Places and links were built from public reporting (UNODC, national police and customs
reports, InSight Crime, EUROPOL/EMCDDA, UN/LOCODE); ``data/SOURCES.md`` names them and
says how to edit the files. Capacities are left empty there and estimated from
``region_seizures.csv`` (``estimate.py``), so the figures move when the seizure file does.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path

from alianza.routes.estimate import Estimate, Seizure, estimate, parse_seizures
from alianza.routes.network import Link, Network, check, parse_links, parse_places

DATA = files("alianza.routes") / "data"


def _read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


@cache
def _estimated(seizure_rate: float) -> tuple[Network, Estimate]:
    places = parse_places(_read("region_nodes.csv"), "region_nodes.csv")
    network = Network(places, parse_links(_read("region_links.csv"), places, "region_links.csv"))
    network.name = "región"
    check(network)
    found = estimate(
        network,
        parse_seizures(_read("region_seizures.csv"), "region_seizures.csv"),
        seizure_rate=seizure_rate,
    )
    return network, found


def region(seizure_rate: float = 0.25, extra: Sequence[Seizure] = ()) -> tuple[Network, Estimate]:
    """The shipped network with every capacity filled in, and the account of the estimate
    (``extra``: more seizures, such as the node's own, added to the shipped file's)."""
    if extra:
        base, _ = _estimated(seizure_rate)
        shipped = parse_seizures(_read("region_seizures.csv"), "region_seizures.csv")
        found = estimate(base, [*shipped, *extra], seizure_rate=seizure_rate)
        network = base
    else:
        network, found = _estimated(seizure_rate)
    links = [
        Link(x.source, x.target, x.mode, cap, x.interdiction_cost, x.length, x.delay)
        for x, cap in zip(network.links, found.capacities, strict=True)
    ]
    filled = Network(dict(network.places), links, network.name, [found.account()])
    return filled, found


def files_of_region() -> dict[str, str]:
    """The shipped files by name (``routes region --out DIR`` writes them)."""
    return {
        name: _read(name)
        for name in ("region_nodes.csv", "region_links.csv", "region_seizures.csv", "SOURCES.md")
    }


def write_region(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files_of_region().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
