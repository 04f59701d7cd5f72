"""Creating a node: directory, database schema, key pair, identity, first audit entries.

A flow, not a service: it writes a key file, migrates a database and commits the
node's identity with its first audit entries, in that order.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from alianza.audit import service as audit
from alianza.auth.permissions import Principal
from alianza.codes.countries import normalize_country
from alianza.db import is_initialised, make_engine, make_sessionmaker, migrate, transaction
from alianza.errors import Conflict, InputError
from alianza.node.context import Node, open_node
from alianza.node.keys import generate_key
from alianza.node.models import NodeIdentity
from alianza.settings import Settings


def init_node(settings: Settings, *, country: str, agency: str) -> Node:
    """Create a node in ``settings.data_dir`` (refuses to overwrite an existing one)."""
    try:
        the_country = normalize_country(country)
    except ValueError as exc:
        raise InputError.at("country", str(exc)) from None
    if not agency.strip() or len(agency) > 80:
        raise InputError.at("agency", "indique la institución (1 a 80 caracteres)")
    if settings.key_path.exists():
        raise Conflict(f"Ya existe un nodo en {settings.data_dir}; no se sobrescribe.")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url)
    if is_initialised(engine):
        with make_sessionmaker(engine)() as session:
            if session.scalars(select(NodeIdentity)).first() is not None:
                engine.dispose()
                raise Conflict("La base de datos ya pertenece a un nodo; no se sobrescribe.")
    migrate(settings.sqlalchemy_url)
    key = generate_key(settings.key_path)
    node_id = f"{the_country.lower()}-{uuid.uuid4().hex[:12]}"
    with transaction(make_sessionmaker(engine)) as session:
        session.add(
            NodeIdentity(
                id=1,
                node_id=node_id,
                country=the_country,
                agency=agency.strip(),
                public_key=key.public_hex,
                created_at=datetime.now(UTC),
            )
        )
        audit.start_chain(session)
        actor = Principal.system(country=the_country, agency=agency.strip()).label
        audit.append(
            session,
            key=key,
            node_id=node_id,
            actor=actor,
            action="node.init",
            target=node_id,
            detail={"country": the_country, "agency": agency.strip()},
        )
        audit.append(
            session,
            key=key,
            node_id=node_id,
            actor=actor,
            action="node.key_created",
            target=node_id,
            detail={"public_key": key.public_hex, "algorithm": "Ed25519"},
        )
        audit.checkpoint(session, key=key, node_id=node_id)
    return open_node(settings, engine=engine)
