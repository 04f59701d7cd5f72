"""The network on a map: a static PNG, and (from ``geojson``) the GeoJSON for GIS tools
and the web, re-exported here so callers have one module for both.

``write_png`` draws the same on a map of country outlines: links without flow thin and
light grey; the flow before the plan in grey and the flow after it in red on top, both
with a width that grows with the square root of the flow (one scale for both, capped, so
the two can be compared); controlled links in blue with a cross at their middle,
controlled places as blue squares; places as dots coloured by their role, sources and
sinks a little bigger. Analysts often work where no tile server is reachable, so the
outlines are shipped in ``data/countries.geojson`` (Natural Earth 1:110m, public domain)
and nothing is fetched. Drawing uses matplotlib's object API on the Agg canvas (no pyplot
and its global state, so a web server may draw from several threads) and one
``LineCollection`` per style, which keeps 75,000 links to a few seconds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from alianza.routes.geojson import (
    EPSILON,
    Pair,
    Position,
    flow_of,
    line_pieces,
    merged_pairs,
    midpoint,
    network_geojson,
    position_of,
    write_geojson,
)
from alianza.routes.network import Network

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

__all__ = ["network_geojson", "write_geojson", "write_png"]

WORLD = (-180.0, 180.0, -60.0, 75.0)
MAX_LON_SPAN = 200.0  # wider than this, the map shows the whole world
MARGIN = 0.05
FIGSIZE = (10.0, 8.0)
DPI = 150
AXES_BOX = (0.075, 0.07, 0.905, 0.86)  # left, bottom, width, height (figure fraction)

LAND = "#efece4"
BORDER = "#a9a39a"
OCEAN = "#f4f8fb"
UNUSED = "#c9c9c9"
LINK = "#8f8f8f"  # every link, when no flow is given
BEFORE = "#7a7a7a"
AFTER = "#d62728"
CONTROLLED = "#1f3fbf"
MIN_WIDTH, MAX_WIDTH = 0.5, 4.0
UNKNOWN_ROLE = "#9a9a9a"
# role: (label, colour). Colour-blind-safe where it matters (Dark2 and friends).
ROLES: dict[str, tuple[str, str]] = {
    "production": ("producción", "#1b9e77"),
    "collection": ("acopio", "#a6761d"),
    "hub": ("centro logístico", "#e6ab02"),
    "crossing": ("paso fronterizo", "#7570b3"),
    "port": ("puerto", "#0e8a8a"),
    "airport": ("aeropuerto", "#e7298a"),
    "sea": ("tramo marítimo", "#6cb4e4"),
    "destination": ("destino", "#2b2b2b"),
}
MAX_PLACE_LABELS = 25  # controlled places are named on the map up to this many


# --- PNG -------------------------------------------------------------------------------


@cache
def _outlines() -> tuple[np.ndarray, ...]:
    """Exterior rings of the shipped country outlines, as (n, 2) arrays of lon, lat.

    Holes are left out: at this scale the only ones are countries inside countries
    (Lesotho), drawn on their own."""
    source = files("alianza.routes") / "data" / "countries.geojson"
    collection = json.loads(source.read_text(encoding="utf-8"))
    rings: list[np.ndarray] = []
    for feature in collection["features"]:
        geometry = feature.get("geometry") or {}
        if geometry.get("type") == "Polygon":
            polygons = [geometry["coordinates"]]
        elif geometry.get("type") == "MultiPolygon":
            polygons = geometry["coordinates"]
        else:
            continue
        for polygon in polygons:
            ring = np.asarray(polygon[0], dtype=float)
            ring.setflags(write=False)
            rings.append(ring)
    return tuple(rings)


def write_png(
    network: Network,
    path: Path,
    *,
    flow_before: Mapping[Pair, float] | None = None,
    flow_after: Mapping[Pair, float] | None = None,
    controlled: Iterable[Pair] = (),
    controlled_places: Iterable[str] = (),
    title: str = "",
    extent: tuple[float, float, float, float] | None = None,
) -> None:
    """The network on a map of country outlines, as a 1500x1200 PNG (10x8 in at 150 dpi).

    ``extent`` is (lon_min, lon_max, lat_min, lat_max); None fits the places with a 5%
    margin (widened to fill the frame), or shows the whole world when they span more than
    200° of longitude. ``ValueError`` for an extent that is not finite or is empty."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if extent is not None:
        extent = _checked_extent(extent)
    cut = {(str(a), str(b)) for a, b in controlled}
    closed = [p for p in dict.fromkeys(controlled_places) if p in network.places]
    positions = {pid: position_of(place) for pid, place in network.places.items()}
    lon_min, lon_max, lat_min, lat_max = extent or _fit(
        [p for p in positions.values() if p is not None]
    )
    figure = Figure(figsize=FIGSIZE, dpi=DPI)
    FigureCanvasAgg(figure)
    ax = figure.add_axes(AXES_BOX)
    ax.set_facecolor(OCEAN)
    mid_lat = (lat_min + lat_max) / 2.0
    ax.set_aspect(1.0 / max(0.2, math.cos(math.radians(mid_lat))), adjustable="box")
    ax.set_xlim(lon_min, lon_max)
    ax.set_ylim(lat_min, lat_max)
    ax.apply_aspect()  # the axes' final box, for placing labels and the legend
    _draw_outlines(ax)
    handles = _draw_links(
        ax, network, positions, flow_before, flow_after, cut, many=len(network.places) > 5000
    )
    handles += _draw_places(ax, network, positions, closed)
    _decorate(ax, title)
    if handles:
        # A wide map (the world) leaves room under it: the legend goes there, in columns.
        frame = ax.get_position()
        below = frame.height < 0.75 * AXES_BOX[3]
        legend = ax.legend(
            handles=handles,
            loc="upper center" if below else "lower left",
            bbox_to_anchor=(frame.x0 + frame.width / 2, frame.y0 - 0.07) if below else None,
            bbox_transform=figure.transFigure if below else None,
            ncol=4 if below else 1,
            fontsize=7,
            framealpha=0.9,
            title=_legend_title(flow_before, flow_after),
            title_fontsize=7,
        )
        legend.set_zorder(20)  # over the places and the controls
    figure.savefig(path, format="png", dpi=DPI)


def _checked_extent(
    extent: tuple[float, float, float, float],
) -> tuple[float, float, float, float]:
    lon_min, lon_max, lat_min, lat_max = (float(v) for v in extent)
    if not all(math.isfinite(v) for v in (lon_min, lon_max, lat_min, lat_max)):
        raise ValueError("extensión del mapa no válida: valores no finitos")
    if not (lon_min < lon_max and lat_min < lat_max):
        raise ValueError(
            "extensión del mapa no válida: se espera lon_min < lon_max y lat_min < lat_max"
        )
    return (lon_min, lon_max, max(-90.0, lat_min), min(90.0, lat_max))


def _fit(points: list[Position]) -> tuple[float, float, float, float]:
    """The places with a margin, widened to the shape of the frame; or the world."""
    if not points:
        return WORLD
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    lon_span, lat_span = max(lons) - min(lons), max(lats) - min(lats)
    if lon_span > MAX_LON_SPAN:
        return WORLD
    lon_pad = max(MARGIN * lon_span, 0.5)
    lat_pad = max(MARGIN * lat_span, 0.5)
    lon_min, lon_max = min(lons) - lon_pad, max(lons) + lon_pad
    lat_min, lat_max = min(lats) - lat_pad, max(lats) + lat_pad
    # Widen the narrow side so the map fills the frame instead of leaving white bands.
    stretch = 1.0 / max(0.2, math.cos(math.radians((lat_min + lat_max) / 2.0)))
    frame = (AXES_BOX[3] * FIGSIZE[1]) / (AXES_BOX[2] * FIGSIZE[0])  # height / width
    width, height = lon_max - lon_min, (lat_max - lat_min) * stretch
    if height / width < frame:
        extra = (frame * width / stretch - (lat_max - lat_min)) / 2.0
        lat_min, lat_max = lat_min - extra, lat_max + extra
    else:
        extra = (height / frame - width) / 2.0
        lon_min, lon_max = lon_min - extra, lon_max + extra
    return (
        max(-180.0, lon_min),
        min(180.0, lon_max),
        max(-90.0, lat_min),
        min(90.0, lat_max),
    )


def _draw_outlines(ax: Axes) -> None:
    from matplotlib.collections import PolyCollection

    ax.add_collection(
        PolyCollection(
            list(_outlines()),
            facecolors=LAND,
            edgecolors=BORDER,
            linewidths=0.35,
            zorder=0,
        ),
        autolim=False,
    )


def _width(flow: float, top: float) -> float:
    """Line width for a flow: square-root scale, ``MAX_WIDTH`` at the largest flow."""
    if top <= 0.0:
        return MIN_WIDTH
    return min(MAX_WIDTH, MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * math.sqrt(max(flow, 0.0) / top))


def _draw_links(
    ax: Axes,
    network: Network,
    positions: dict[str, Position | None],
    flow_before: Mapping[Pair, float] | None,
    flow_after: Mapping[Pair, float] | None,
    cut: set[Pair],
    *,
    many: bool,
) -> list[Line2D]:
    """Links in four layers (unused, before, after, controlled); the legend's handles."""
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    have_flows = flow_before is not None or flow_after is not None
    unused: list[list[Position]] = []
    before: list[tuple[float, list[Position]]] = []
    after: list[tuple[float, list[Position]]] = []
    marked: list[list[Position]] = []
    middles: list[Position] = []
    for pair in merged_pairs(network):
        key = (pair.source, pair.target)
        a, b = positions.get(pair.source), positions.get(pair.target)
        if a is None or b is None:
            continue
        pieces = line_pieces(a, b)
        flow0 = flow_of(flow_before, key) or 0.0
        flow1 = flow_of(flow_after, key) or 0.0
        if key in cut:
            marked.extend(pieces)
            middles.append(midpoint(a, b))
        if flow0 > EPSILON:
            before.extend((flow0, piece) for piece in pieces)
        if flow1 > EPSILON:
            after.extend((flow1, piece) for piece in pieces)
        if flow0 <= EPSILON and flow1 <= EPSILON and key not in cut:
            unused.extend(pieces)
    top = max([f for f, _ in before] + [f for f, _ in after] + [0.0])
    handles: list[Line2D] = []
    if unused:
        colour, width = (UNUSED, 0.3 if many else 0.5) if have_flows else (LINK, 0.6)
        ax.add_collection(
            LineCollection(_segments(unused), colors=colour, linewidths=width, zorder=2),
            autolim=False,
        )
        label = "Enlace sin flujo" if have_flows else "Enlace"
        handles.append(Line2D([], [], color=colour, linewidth=0.8, label=label))
    for layer, colour, alpha, zorder, label in (
        (before, BEFORE, 0.75, 3, "Flujo antes del plan"),
        (after, AFTER, 0.8, 4, "Flujo después del plan"),
    ):
        if not layer:
            continue
        layer.sort(key=lambda item: -item[0])  # thick first, so thin ones stay visible
        ax.add_collection(
            LineCollection(
                _segments([piece for _, piece in layer]),
                colors=colour,
                linewidths=[_width(f, top) for f, _ in layer],
                alpha=alpha,
                capstyle="round",
                zorder=zorder,
            ),
            autolim=False,
        )
        handles.append(Line2D([], [], color=colour, alpha=alpha, linewidth=3.0, label=label))
    if marked:
        ax.add_collection(
            LineCollection(_segments(marked), colors=CONTROLLED, linewidths=2.6, zorder=5),
            autolim=False,
        )
        xs, ys = zip(*middles, strict=True)
        ax.scatter(xs, ys, marker="x", s=42, c=CONTROLLED, linewidths=1.8, zorder=7)
        handles.append(
            Line2D(
                [],
                [],
                color=CONTROLLED,
                linewidth=2.6,
                marker="x",
                markersize=7,
                markeredgewidth=1.8,
                label="Enlace controlado",
            )
        )
    return handles


def _segments(pieces: list[list[Position]]) -> list[np.ndarray]:
    """Two-point pieces as views of one (n, 2, 2) array: matplotlib reads them much
    faster than lists of tuples."""
    return list(np.asarray(pieces, dtype=float).reshape(len(pieces), 2, 2))


def _draw_places(
    ax: Axes,
    network: Network,
    positions: dict[str, Position | None],
    closed: list[str],
) -> list[Line2D]:
    """Places by role (sources and sinks bigger), controlled places on top."""
    from matplotlib.lines import Line2D

    n = len(network.places)
    base = 14.0 if n <= 1000 else 6.0 if n <= 10_000 else 3.0
    groups: dict[str, tuple[list[float], list[float], list[float]]] = {}
    for pid, place in network.places.items():
        at = positions[pid]
        if at is None:
            continue
        role = place.role if place.role in ROLES else ""
        xs, ys, sizes = groups.setdefault(role, ([], [], []))
        xs.append(at[0])
        ys.append(at[1])
        sizes.append(base * 2.2 if place.kind in ("source", "sink") else base)
    handles: list[Line2D] = []
    for role in [*ROLES, ""]:
        if role not in groups:
            continue
        label, colour = ROLES.get(role, ("otro", UNKNOWN_ROLE))
        xs, ys, sizes = groups[role]
        edge = 0.3 if n <= 1000 else 0.0
        ax.scatter(xs, ys, s=sizes, c=colour, edgecolors="white", linewidths=edge, zorder=6)
        handles.append(
            Line2D([], [], linestyle="none", marker="o", markersize=5, color=colour, label=label)
        )
    spots = [(pid, positions[pid]) for pid in closed]
    shown = [(pid, at) for pid, at in spots if at is not None]
    if shown:
        ax.scatter(
            [at[0] for _, at in shown],
            [at[1] for _, at in shown],
            marker="s",
            s=46,
            c=CONTROLLED,
            edgecolors="white",
            linewidths=0.8,
            zorder=8,
        )
        if len(shown) <= MAX_PLACE_LABELS:
            _label(ax, [(network.places[pid].name, at) for pid, at in shown])
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="s",
                markersize=6,
                color=CONTROLLED,
                label="Lugar controlado",
            )
        )
    return handles


def _label(ax: Axes, labels: list[tuple[str, Position]]) -> None:
    """Names beside their places, leaving out those that would overlap a name already
    written (the boxes are estimated from the font size, which is close enough)."""
    from matplotlib.patheffects import withStroke

    size = 6.0
    scale = ax.figure.dpi / 72.0  # points to pixels
    box = ax.get_window_extent()
    taken: list[tuple[float, float, float, float]] = []
    for text, at in labels:
        text = text if len(text) <= 40 else text[:39] + "…"
        x, y = (float(v) for v in ax.transData.transform(at))
        if not (box.x0 <= x <= box.x1 and box.y0 <= y <= box.y1):
            continue
        x0, y0 = x + 4 * scale, y + 3 * scale
        x1, y1 = x0 + len(text) * size * 0.6 * scale, y0 + size * 1.3 * scale
        if any(x0 < b1 and b0 < x1 and y0 < c1 and c0 < y1 for b0, c0, b1, c1 in taken):
            continue
        taken.append((x0, y0, x1, y1))
        ax.annotate(
            text,
            at,
            xytext=(4, 3),
            textcoords="offset points",
            fontsize=size,
            color=CONTROLLED,
            zorder=9,
            path_effects=[withStroke(linewidth=2.0, foreground="white")],
        )


def _legend_title(
    flow_before: Mapping[Pair, float] | None, flow_after: Mapping[Pair, float] | None
) -> str | None:
    if flow_before is None and flow_after is None:
        return None
    return "Ancho de línea según la raíz del flujo"


def _degrees(value: float, positive: str, negative: str) -> str:
    if abs(value) < 1e-9:
        return "0°"
    return f"{abs(value):g}° {positive if value > 0 else negative}"


def _decorate(ax: Axes, title: str) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _degrees(v, "E", "O")))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _degrees(v, "N", "S")))
    ax.tick_params(labelsize=7)
    ax.set_xlabel("Longitud", fontsize=8)
    ax.set_ylabel("Latitud", fontsize=8)
    if title:
        ax.set_title(title, fontsize=11)
    ax.text(
        0.995,
        0.005,
        "Contornos: Natural Earth 1:110m (dominio público)",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=6,
        color="#707070",
        zorder=10,
    )
