"""What a running node knows about itself: settings, key and identity, loaded once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from alianza.auth.permissions import Principal
from alianza.db import make_reader, make_sessionmaker, open_engine
from alianza.errors import IntegrityFailure, NodeNotInitialised
from alianza.node.keys import NodeKey, load_key
from alianza.node.models import NodeIdentity
from alianza.settings import Settings


@dataclass(slots=True)
class Node:
    """A node opened for work."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    key: NodeKey
    node_id: str
    country: str
    agency: str
    # Sessions for hot reads that must not queue behind writers (``db.make_reader``);
    # None: read through ``sessions`` (tests that bind a node to one rolled-back
    # connection must see its uncommitted data).
    reader: sessionmaker[Session] | None = None

    @property
    def reads(self) -> sessionmaker[Session]:
        """Where hot reads go: ``reader`` if the node has one, else ``sessions``."""
        return self.reader or self.sessions

    @property
    def system(self) -> Principal:
        """The node itself as an actor: its operator at the console, its timers, its sync."""
        return Principal.system(country=self.country, agency=self.agency)

    def peer(self, *, node_id: str, country: str, agency: str) -> Principal:
        """A partner node as an actor (its signed messages)."""
        return Principal.peer(node_id=node_id, country=country, agency=agency)

    def close(self) -> None:
        """Release the node's database connections (and its token session, if any)."""
        close_key = getattr(self.key, "close", None)
        if close_key is not None:
            close_key()
        if self.reader is not None and self.reader.kw["bind"] is not self.engine:
            self.reader.kw["bind"].dispose()
        self.engine.dispose()


def open_node(settings: Settings, *, engine: Engine | None = None) -> Node:
    """Open an initialised node; refuse if its key does not match its identity."""
    owned = engine is None
    engine = engine or open_engine(settings)
    try:
        return _open(settings, engine)
    except BaseException:
        if owned:
            engine.dispose()
        raise


def _open(settings: Settings, engine: Engine) -> Node:
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        identity = session.scalars(select(NodeIdentity)).first()
    if identity is None:
        raise NodeNotInitialised("El nodo no tiene identidad: ejecute 'alianza node init'.")
    key = load_key(settings.key_path)
    if key.public_hex != identity.public_key:
        raise IntegrityFailure(
            f"La clave de {settings.key_path} no corresponde al nodo {identity.node_id}."
        )
    return Node(
        settings=settings,
        engine=engine,
        sessions=sessions,
        key=key,
        node_id=identity.node_id,
        country=identity.country,
        agency=identity.agency,
        reader=make_sessionmaker(make_reader(engine)),
    )
