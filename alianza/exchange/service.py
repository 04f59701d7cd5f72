"""Federation services on a session: peers. They never commit: the caller (a request, a
command, a flow in ``flows.py``) owns the transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Action, Principal, authorize
from alianza.codes.countries import normalize_country
from alianza.errors import Conflict, InputError, NotFound
from alianza.exchange.models import Peer
from alianza.exchange.policy import ThisNode
from alianza.node.context import Node


def get_peer(session: Session, node_id: str) -> Peer:
    """A registered peer, or ``NotFound``."""
    peer = session.scalar(select(Peer).where(Peer.node_id == node_id))
    if peer is None:
        raise NotFound(f"No hay un nodo asociado '{node_id}': 'alianza peer add' primero.")
    return peer


def add_peer(
    session: Session,
    *,
    node: Node,
    actor: Principal,
    node_id: str,
    country: str,
    agency: str,
    url: str,
    public_key: str,
) -> Peer:
    """Register a partner node (its key comes from the partner, out of band)."""
    authorize(actor, Action.FEDERATE, ThisNode(country=node.country, agency=node.agency))
    if not url.startswith(("http://", "https://")):
        raise InputError.at("url", f"URL inválida '{url}' (http:// o https://)")
    try:
        key_bytes = bytes.fromhex(public_key)
    except ValueError:
        key_bytes = b""
    if len(key_bytes) != 32:
        raise InputError.at("public_key", "clave pública Ed25519 inválida (64 caracteres hex)")
    try:
        the_country = normalize_country(country)
    except ValueError as exc:
        raise InputError.at("country", str(exc)) from None
    if node_id == node.node_id:
        raise InputError.at("node_id", "un nodo no puede ser su propio asociado")
    if (the_country, agency.strip()) == (node.country, node.agency):
        # It would receive every agency-only record of the node by sync.
        raise InputError.at(
            "agency", f"un nodo asociado no puede ser {node.agency} ({node.country}), este nodo"
        )
    if session.scalar(select(Peer).where(Peer.node_id == node_id)) is not None:
        raise Conflict(f"El nodo {node_id} ya está registrado.")
    peer = Peer(
        node_id=node_id,
        country=the_country,
        agency=agency.strip(),
        url=url.rstrip("/"),
        public_key=public_key.lower(),
        added_at=datetime.now(UTC),
        active=True,
        pull_cursor=0,
        served_cursor=0,
        last_error="",
    )
    session.add(peer)
    session.flush()
    audit_act(
        session,
        node,
        actor,
        "peer.add",
        node_id,
        {"country": the_country, "agency": agency, "url": url, "public_key": public_key},
    )
    return peer


def list_peers(session: Session, *, node: Node, principal: Principal) -> list[Peer]:
    """The node's registered peers (its own agency's administrators)."""
    authorize(principal, Action.FEDERATE, ThisNode(country=node.country, agency=node.agency))
    return list(session.scalars(select(Peer).order_by(Peer.node_id)))


def peer_keys(session: Session, node: Node) -> dict[str, str]:
    """Registered peers' public keys: the signers of the copies we hold."""
    return {p.node_id: p.public_key for p in session.scalars(select(Peer))}
