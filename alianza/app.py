"""``create_app()``: the node's FastAPI application (OpenAPI page at ``/docs``)."""

from __future__ import annotations

import gc
import logging
import threading

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel

from alianza import __version__, domains
from alianza.node.context import Node, open_node
from alianza.settings import Settings
from alianza.web import denials, errors
from alianza.web.limits import BodyLimit


class NodeRead(BaseModel):
    node_id: str
    country: str
    agency: str
    public_key: str
    version: str
    watch_list_loaded: bool  # the screening list is in memory (it loads at start)
    watch_list_entries: int


def create_app(settings: Settings | None = None, *, node: Node | None = None) -> FastAPI:
    """The API of one node (opened from ``settings`` unless given)."""
    node = node or open_node(settings or Settings())
    # Swagger UI's files from the fastapi-offline package: /docs works at a border post
    # with no internet (FastAPI's own page loads them from a CDN).
    app = FastAPIOffline(
        title=f"alianza · nodo {node.agency} ({node.country})",
        version=__version__,
        description="Registros con reglas, intercambio entre nodos y auditoría verificable.",
    )
    app.state.node = node
    errors.install(app)
    denials.install(app)
    app.add_middleware(BodyLimit, limit=node.settings.max_body_bytes)
    for router in domains.routers():
        app.include_router(router)
    domains.start(app, node)
    screener = getattr(app.state, "screener", None)

    @app.get("/api/v1/node", response_model=NodeRead, tags=["nodo"], summary="Identidad del nodo")
    def node_info() -> NodeRead:
        return NodeRead(
            node_id=node.node_id,
            country=node.country,
            agency=node.agency,
            public_key=node.key.public_hex,
            version=__version__,
            watch_list_loaded=screener is not None and screener.index.version >= 0,
            watch_list_entries=len(screener.index) if screener is not None else 0,
        )

    return app


def served_app(node: Node | None = None) -> FastAPI:
    """The app as ``alianza serve`` runs it (also uvicorn's factory for several workers).

    Everything loaded at start (the FtM model, the routes, SQLAlchemy's mappers) is moved
    out of the garbage collector's sight: its full collections otherwise walked those
    hundreds of thousands of objects in the middle of requests (tail latency).
    """
    app = create_app(node=node)
    gc.collect()
    gc.freeze()
    # The watch list (a minute for a million persons) loads beside the server, not in
    # the first border post's request nor in a partner's person query.
    threading.Thread(target=_preload, args=(app,), name="alianza-lista", daemon=True).start()
    return app


def _preload(app: FastAPI) -> None:
    try:
        app.state.screener.refresh()
        # The list is millions of long-lived objects: out of the collector's sight too,
        # or each full collection walked them all in the middle of requests (p99 2.2 s).
        gc.freeze()
    except Exception:  # the first screening will try again and report
        logging.getLogger("alianza.screening").exception("no se pudo cargar la lista")
