"""What the console's maps share: the country outlines shipped with the project (Natural
Earth 1:110m, ``routes/data/countries.geojson``: no tile server can be reached from a
border post) and GeoJSON answers compressed for slow lines.

Each map's own layer sits behind its page's route and that page's service (seizures:
``pages/seizures.py``; the route network and plans: ``pages/routes.py``); the outlines
hold no data of anyone's and are served to any logged-in user.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

import alianza.routes
from alianza.web.console.session import PREFIX, ConsoleUser

router = APIRouter(include_in_schema=False)
OUTLINES = Path(alianza.routes.__file__).resolve().parent / "data" / "countries.geojson"
MEDIA = "application/geo+json"


@cache
def _outlines() -> tuple[bytes, bytes]:
    raw = OUTLINES.read_bytes()
    return raw, gzip.compress(raw, 6, mtime=0)


def _answer(request: Request, raw: bytes, packed: bytes | None, cache_for: int) -> Response:
    kept = f"private, max-age={cache_for}" if cache_for else "no-store"
    headers = {"Cache-Control": kept, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(packed or gzip.compress(raw, 6), media_type=MEDIA, headers=headers)
    return Response(raw, media_type=MEDIA, headers=headers)


def geojson(request: Request, collection: dict[str, Any]) -> Response:
    """A FeatureCollection as compact JSON (gzipped when the browser takes it)."""
    raw = json.dumps(collection, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return _answer(request, raw.encode(), None, 0)


@router.get(f"{PREFIX}/mapa/paises.geojson")
def outlines(request: Request, principal: ConsoleUser) -> Response:
    raw, packed = _outlines()
    return _answer(request, raw, packed, 86_400)
