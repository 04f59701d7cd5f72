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
from alianza.node.keys import NodeKey, generate_key, write_token_uri
from alianza.node.models import NodeIdentity
from alianza.node.token import check_token, create_token_key
from alianza.settings import Settings


def init_node(settings: Settings, *, country: str, agency: str, pkcs11: str | None = None) -> Node:
    """Create a node in ``settings.data_dir`` (refuses to overwrite an existing one).

    ``pkcs11``: an RFC 7512 URI; the key pair is then generated inside that token and the
    key file holds only the URI (``alianza.node.token``).
    """
    try:
        the_country = normalize_country(country)
    except ValueError as exc:
        raise InputError.at("country", str(exc)) from None
    if not agency.strip() or len(agency) > 80:
        raise InputError.at("agency", "indique la institución (1 a 80 caracteres)")
    if settings.key_path.exists():
        raise Conflict(f"Ya existe un nodo en {settings.data_dir}; no se sobrescribe.")
    if pkcs11 is not None:
        check_token(pkcs11)  # URI, PIN and a free label, before anything is written
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url)
    if is_initialised(engine):
        with make_sessionmaker(engine)() as session:
            if session.scalars(select(NodeIdentity)).first() is not None:
                engine.dispose()
                raise Conflict("La base de datos ya pertenece a un nodo; no se sobrescribe.")
    migrate(settings.sqlalchemy_url)
    key: NodeKey
    if pkcs11 is None:
        key = generate_key(settings.key_path)
    else:
        key = create_token_key(pkcs11)
        write_token_uri(settings.key_path, pkcs11)
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
            detail={
                "public_key": key.public_hex,
                "algorithm": "Ed25519",
                "store": "file" if pkcs11 is None else "pkcs11",
            },
        )
        audit.checkpoint(session, key=key, node_id=node_id)
    return open_node(settings, engine=engine)
