"""The maps: GeoJSON features per place and per pair, valid per RFC 7946 (antimeridian
included), and a PNG that is a real, non-blank picture of the network and the plan."""

from __future__ import annotations

import json
import math
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.image import imread

from alianza.routes import maps
from alianza.routes.network import Link, Network, Place, load
from alianza.routes.synthetic import layered

DATA = Path(__file__).resolve().parents[2] / "alianza" / "routes" / "data"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def place(pid: str, lat: float, lon: float, kind: str = "transit", role: str = "") -> Place:
    return Place(id=pid, name=f"Lugar {pid}", country="CO", kind=kind, lat=lat, lon=lon, role=role)


def link(
    a: str, b: str, mode: str = "road", cap: float | None = 10.0, cost: float | None = 1.0
) -> Link:
    return Link(source=a, target=b, mode=mode, capacity=cap, interdiction_cost=cost)


@pytest.fixture
def small() -> Network:
    """Four places, five links: a-b twice (road and river), b-c, b-d, c-d."""
    places = {
        "a": place("a", 1.5, -78.5, "source", "production"),
        "b": place("b", 2.0, -77.0, role="hub"),
        "c": place("c", -2.2, -79.9, role="port"),
        "d": place("d", 51.9, 4.5, "sink", "destination"),
    }
    links = [
        link("a", "b", "road", 10.0, 1.0),
        link("a", "b", "river", 5.5, 2.0),
        link("b", "c", "road", None, 1.0),
        link("b", "d", "sea", 8.0, None),
        link("c", "d", "sea", 7.0, 4.0),
    ]
    return Network(places, links, name="pequeña")


# --- a structural validator for RFC 7946 geometries --------------------------------------


def check_position(position: Any) -> None:
    assert isinstance(position, list) and len(position) == 2, position
    lon, lat = position
    for value in (lon, lat):
        assert isinstance(value, (int, float)) and not isinstance(value, bool), position
        assert math.isfinite(value), position
    assert -180.0 <= lon <= 180.0, position
    assert -90.0 <= lat <= 90.0, position


def check_line(coordinates: Any) -> None:
    assert isinstance(coordinates, list) and len(coordinates) >= 2, coordinates
    for position in coordinates:
        check_position(position)


def check_geometry(geometry: Any) -> None:
    assert isinstance(geometry, dict), geometry
    kind = geometry["type"]
    if kind == "Point":
        check_position(geometry["coordinates"])
    elif kind == "LineString":
        check_line(geometry["coordinates"])
    elif kind == "MultiLineString":
        assert isinstance(geometry["coordinates"], list) and geometry["coordinates"]
        for line in geometry["coordinates"]:
            check_line(line)
    else:
        raise AssertionError(f"unexpected geometry type {kind}")


def check_collection(collection: dict[str, Any]) -> None:
    assert collection["type"] == "FeatureCollection"
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert isinstance(feature["properties"], dict)
        check_geometry(feature["geometry"])
    json.dumps(collection, allow_nan=False)


def test_validator_rejects_bad_geometry() -> None:
    """The validator itself can fail (else every test using it would prove nothing)."""
    bad = [
        {"type": "Point", "coordinates": [200.0, 0.0]},
        {"type": "Point", "coordinates": [0.0, float("nan")]},
        {"type": "Point", "coordinates": [1.0, 2.0, 3.0]},
        {"type": "LineString", "coordinates": [[0.0, 0.0]]},
        {"type": "MultiLineString", "coordinates": [[[0.0, 0.0], [0.0, 95.0]]]},
        {"type": "Polygon", "coordinates": []},
    ]
    for geometry in bad:
        with pytest.raises(AssertionError):
            check_geometry(geometry)


# --- GeoJSON ---------------------------------------------------------------------------


def by_pair(collection: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for feature in collection["features"]:
        if "from" in feature["properties"]:
            out[(feature["properties"]["from"], feature["properties"]["to"])] = feature
    return out


def test_geojson_of_a_small_network(small: Network) -> None:
    collection = maps.network_geojson(small)
    check_collection(collection)
    points = [f for f in collection["features"] if f["geometry"]["type"] == "Point"]
    assert [f["properties"]["id"] for f in points] == ["a", "b", "c", "d"]
    assert points[0]["geometry"]["coordinates"] == [-78.5, 1.5]  # [lon, lat]
    assert points[0]["properties"] == {
        "id": "a",
        "name": "Lugar a",
        "country": "CO",
        "kind": "source",
        "role": "production",
        "controlled": False,
    }
    lines = by_pair(collection)
    assert len(collection["features"]) == 4 + 4  # the two a-b links are one feature
    assert list(lines) == [("a", "b"), ("b", "c"), ("b", "d"), ("c", "d")]
    ab = lines[("a", "b")]["properties"]
    assert ab["modes"] == ["road", "river"]
    assert ab["capacity"] == 15.5
    assert ab["interdiction_cost"] == 3.0
    assert lines[("a", "b")]["geometry"] == {
        "type": "LineString",
        "coordinates": [[-78.5, 1.5], [-77.0, 2.0]],
    }
    assert lines[("b", "c")]["properties"]["capacity"] is None  # one capacity unknown
    assert lines[("b", "d")]["properties"]["interdiction_cost"] is None  # cannot be controlled
    for feature in lines.values():
        props = feature["properties"]
        assert props["flow_before"] is None and props["flow_after"] is None
        assert props["controlled"] is False and props["rerouted"] is False


def test_geojson_flags_controls_and_rerouted_pairs(small: Network) -> None:
    collection = maps.network_geojson(
        small,
        flow_before={("a", "b"): 10.0, ("b", "d"): 8.0, ("c", "d"): 2.0},
        flow_after={("a", "b"): 5.0, ("b", "c"): 5.0, ("c", "d"): 2.0 + 1e-12},
        controlled=[("b", "d"), ("x", "y")],
        controlled_places=["c"],
    )
    check_collection(collection)
    lines = by_pair(collection)
    flags = {
        pair: (f["properties"]["controlled"], f["properties"]["rerouted"])
        for pair, f in lines.items()
    }
    assert flags == {
        ("a", "b"): (False, False),  # less after
        ("b", "c"): (False, True),  # 0 before (absent from the mapping), 5 after
        ("b", "d"): (True, False),  # controlled: nothing after
        ("c", "d"): (False, False),  # more only by rounding noise
    }
    assert lines[("b", "c")]["properties"]["flow_before"] == 0.0
    assert lines[("b", "d")]["properties"]["flow_after"] == 0.0
    assert lines[("a", "b")]["properties"]["flow_before"] == 10.0
    controlled_places = [
        f["properties"]["id"]
        for f in collection["features"]
        if f["geometry"]["type"] == "Point" and f["properties"]["controlled"]
    ]
    assert controlled_places == ["c"]


def test_geojson_numbers_are_rounded_and_finite(small: Network) -> None:
    collection = maps.network_geojson(
        small,
        flow_before={("a", "b"): 1 / 3, ("b", "c"): float("nan")},
        flow_after={("a", "b"): float("inf")},
    )
    check_collection(collection)  # json.dumps(allow_nan=False) inside
    lines = by_pair(collection)
    assert lines[("a", "b")]["properties"]["flow_before"] == 0.333
    assert lines[("b", "c")]["properties"]["flow_before"] is None
    assert lines[("a", "b")]["properties"]["flow_after"] is None
    assert lines[("a", "b")]["properties"]["rerouted"] is False


def test_write_geojson_round_trips(small: Network, tmp_path: Path) -> None:
    small.places["a"] = Place("a", "Tumaco — Nariño", "CO", "source", 1.5, -78.5)
    collection = maps.network_geojson(small, flow_before={("a", "b"): 2.0})
    path = tmp_path / "red.geojson"
    maps.write_geojson(collection, path)
    raw = path.read_bytes()
    assert "Tumaco — Nariño".encode() in raw  # UTF-8, not \\u escapes
    assert b"\n" not in raw.rstrip(b"\n")  # compact
    assert json.loads(raw.decode("utf-8")) == collection
    with pytest.raises(ValueError):
        maps.write_geojson({"type": "FeatureCollection", "x": float("nan")}, tmp_path / "x")


def pacific() -> Network:
    places = {
        "w": place("w", 10.0, 170.0, "source"),
        "e": place("e", 20.0, -170.0, "sink"),
        "syd": place("syd", -33.9, 151.2),
        "scl": place("scl", -33.4, -70.8),
        "edge": place("edge", 0.0, 180.0),
        "near": place("near", 5.0, -175.0),
    }
    links = [
        link("w", "e"),
        link("scl", "syd", "air"),
        link("syd", "scl", "air"),
        link("w", "syd"),
        link("edge", "near"),
    ]
    return Network(places, links)


def test_antimeridian_split() -> None:
    collection = maps.network_geojson(pacific())
    check_collection(collection)
    lines = by_pair(collection)

    geometry = lines[("w", "e")]["geometry"]
    assert geometry["type"] == "MultiLineString"
    first, second = geometry["coordinates"]
    assert first[0] == [170.0, 10.0] and second[-1] == [-170.0, 20.0]
    assert first[-1][0] == 180.0 and second[0][0] == -180.0  # they meet at ±180
    assert first[-1][1] == second[0][1] == pytest.approx(15.0)  # halfway, same latitude
    for piece in (first, second):
        assert all(-180.0 <= lon <= 180.0 for lon, _ in piece)

    # Santiago to Sydney goes west over the Pacific; the way back east, mirrored.
    west = lines[("scl", "syd")]["geometry"]
    east = lines[("syd", "scl")]["geometry"]
    assert west["type"] == east["type"] == "MultiLineString"
    assert west["coordinates"][0][-1][0] == -180.0 and west["coordinates"][1][0][0] == 180.0
    assert east["coordinates"][0][-1][0] == 180.0 and east["coordinates"][1][0][0] == -180.0
    assert west["coordinates"][0][-1][1] == east["coordinates"][0][-1][1]

    # Within 180° of longitude: one LineString, even from a place on the antimeridian.
    assert lines[("w", "syd")]["geometry"]["type"] == "LineString"
    edge = lines[("edge", "near")]["geometry"]
    assert edge == {"type": "LineString", "coordinates": [[-180.0, 0.0], [-175.0, 5.0]]}


def test_shipped_network_geojson_is_valid() -> None:
    network = load(DATA / "region_nodes.csv", DATA / "region_links.csv")
    collection = maps.network_geojson(network)
    check_collection(collection)
    kinds = Counter(f["geometry"]["type"] for f in collection["features"])
    assert kinds["Point"] == len(network.places)
    assert kinds["LineString"] + kinds["MultiLineString"] == len({lk.key for lk in network.links})
    assert kinds["MultiLineString"] >= 1  # the region reaches Sydney across the Pacific


def test_shipped_countries_load() -> None:
    source = files("alianza.routes") / "data" / "countries.geojson"
    collection = json.loads(source.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) >= 150
    names = {f["properties"]["name"] for f in collection["features"]}
    assert {"Colombia", "Ecuador", "Australia"} <= names
    rings = maps._outlines()
    assert len(rings) >= len(collection["features"])
    assert all(ring.shape[1] == 2 and len(ring) >= 4 for ring in rings)
    assert maps._outlines() is rings  # cached


# --- PNG -------------------------------------------------------------------------------


def plan_for(network: Network) -> tuple[dict[Any, float], dict[Any, float], list[Any]]:
    """Made-up flows: a third of the pairs carry flow before; the controlled pairs carry
    none after, and every fifth pair picks up the displaced flow."""
    pairs = list(dict.fromkeys(lk.key for lk in network.links))
    before = {p: float(1 + i % 7) for i, p in enumerate(pairs) if i % 3 == 0}
    controlled = pairs[::17][:8]
    after = {p: (0.0 if p in controlled else 0.5 * f) for p, f in before.items()}
    for p in pairs[1::5]:
        after[p] = after.get(p, 0.0) + 4.0
    return before, after, controlled


def colour_share(image: np.ndarray, rgb: str, tolerance: float = 0.12) -> float:
    target = np.array([int(rgb[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    close = np.all(np.abs(image[:, :, :3] - target) < tolerance, axis=2)
    return float(close.mean())


def test_write_png(tmp_path: Path) -> None:
    network = layered(300, seed=3)
    before, after, controlled = plan_for(network)
    path = tmp_path / "mapa.png"
    maps.write_png(
        network,
        path,
        flow_before=before,
        flow_after=after,
        controlled=controlled,
        controlled_places=["hub-1", "por-2"],
        title="Plan de control: prueba",
    )
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    image = imread(path)
    height, width = image.shape[:2]
    assert abs(width - 1500) <= 15 and abs(height - 1200) <= 15
    colours = np.unique((image[:, :, :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50
    assert colour_share(image, maps.AFTER) > 0.001  # the flow after the plan, in red
    assert colour_share(image, maps.CONTROLLED) > 0.0005  # the controls, in blue
    assert colour_share(image, maps.LAND) > 0.05  # the countries


def test_write_png_without_flows_has_no_red_or_blue(tmp_path: Path) -> None:
    """The colours tested above come from the plan, not from elsewhere on the map."""
    path = tmp_path / "red.png"
    maps.write_png(layered(300, seed=3), path)
    image = imread(path)
    assert colour_share(image, maps.AFTER, 0.05) < 0.0001
    assert colour_share(image, maps.CONTROLLED, 0.05) < 0.0001
    assert colour_share(image, maps.LAND) > 0.05


def test_write_png_world_and_explicit_extent(tmp_path: Path) -> None:
    network = load(DATA / "region_nodes.csv", DATA / "region_links.csv")
    pairs = list(dict.fromkeys(lk.key for lk in network.links))
    world = tmp_path / "mundo.png"  # Sydney to Rotterdam: more than 200°, the whole world
    maps.write_png(network, world, flow_before={p: 1.0 for p in pairs}, title="Región")
    zoom = tmp_path / "zoom.png"
    maps.write_png(network, zoom, extent=(-82.0, -66.0, -6.0, 12.0), controlled=pairs[:3])
    for path in (world, zoom):
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        assert imread(path).shape[:2] == (1200, 1500)
    for bad in ((10.0, 0.0, 0.0, 10.0), (0.0, 10.0, 5.0, 5.0), (0.0, math.nan, 0.0, 1.0)):
        with pytest.raises(ValueError, match="extensión"):
            maps.write_png(network, tmp_path / "mal.png", extent=bad)


def test_extent_fit() -> None:
    extent = maps._fit([(-80.0, -5.0), (-70.0, 5.0)])
    lon_min, lon_max, lat_min, lat_max = extent
    assert lon_min <= -80.5 and lon_max >= -69.5 and lat_min <= -5.5 and lat_max >= 5.5
    assert lon_max - lon_min < 40 and lat_max - lat_min < 40
    assert maps._fit([(-120.0, 0.0), (151.0, -33.0)]) == maps.WORLD
    assert maps._fit([]) == maps.WORLD
