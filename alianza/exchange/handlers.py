"""What this node answers to each signed message from a peer (one function per type).

``query.hit`` is not here: hit/no-hit goes through the desk (``desk.py``), which commits
the writes of many queries together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from alianza import domains
from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal
from alianza.errors import AuthenticationError, InputError
from alianza.exchange import feed, hits, release, witness
from alianza.exchange.envelope import Opened, open_message, seal
from alianza.node.context import Node

Handler = Callable[[Session, Node, Opened, "hits.RateLimiter"], dict[str, Any]]


def _actor(opened: Opened) -> Principal:
    peer = opened.peer
    return Principal.peer(node_id=peer.node_id, country=peer.country, agency=peer.agency)


def _sync_pull(session: Session, node: Node, opened: Opened, _: hits.RateLimiter) -> dict[str, Any]:
    body = opened.body
    cursor, limit = body.get("cursor"), body.get("limit", 1000)
    if not isinstance(cursor, int) or isinstance(cursor, bool) or not 0 <= cursor < 2**31:
        raise InputError.at("body.cursor", "entero no negativo obligatorio")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= feed.MAX_PAGE:
        raise InputError.at("body.limit", f"entero entre 1 y {feed.MAX_PAGE} obligatorio")
    stored = feed.store_receipts(
        session,
        peer=opened.peer,
        acks=body.get("acks", []),
        envelope=opened.envelope,
        signature=opened.signature,
    )
    page = feed.serve_changes(session, node=node, peer=opened.peer, cursor=cursor, limit=limit)
    opened.peer.served_cursor = max(opened.peer.served_cursor, page["next_cursor"])
    if page["entries"] or stored:
        audit_act(
            session,
            node,
            _actor(opened),
            "exchange.sync_served",
            opened.peer.node_id,
            {"cursor": cursor, "entries": len(page["entries"]), "receipts": stored},
        )
    return page


def _release_request(
    session: Session, node: Node, opened: Opened, _: hits.RateLimiter
) -> dict[str, Any]:
    answer = release.receive_release_request(session, peer=opened.peer, body=opened.body)
    audit_act(
        session,
        node,
        _actor(opened),
        "release.received",
        answer["request_id"],
        {
            "ref": opened.body.get("ref"),
            "purpose": opened.body.get("purpose"),
            "legal_basis": opened.body.get("legal_basis"),
            "requested_by": opened.body.get("requested_by"),
        },
    )
    return answer


def _consent_request(
    session: Session, node: Node, opened: Opened, _: hits.RateLimiter
) -> dict[str, Any]:
    answer = release.receive_consent_request(session, node=node, peer=opened.peer, body=opened.body)
    audit_act(
        session,
        node,
        _actor(opened),
        "consent.received",
        answer["request_id"],
        {"record": opened.body.get("record_id"), "third": opened.body.get("third_country")},
    )
    return answer


def _poll(session: Session, node: Node, opened: Opened, _: hits.RateLimiter) -> dict[str, Any]:
    return release.answers_for(session, node=node, peer=opened.peer, body=opened.body)


def _witness(session: Session, node: Node, opened: Opened, _: hits.RateLimiter) -> dict[str, Any]:
    answer = witness.witness(session, node=node, peer=opened.peer, body=opened.body)
    audit_act(
        session,
        node,
        _actor(opened),
        "audit.witnessed",
        opened.peer.node_id,
        {"seq": answer["seq"], "head": answer["head"]},
    )
    return answer


def _witnessed(session: Session, node: Node, opened: Opened, _: hits.RateLimiter) -> dict[str, Any]:
    return witness.witnessed_for(session, peer=opened.peer)


HANDLERS: dict[str, Handler] = {
    "sync.pull": _sync_pull,
    "release.request": _release_request,
    "consent.request": _consent_request,
    "requests.poll": _poll,
    "audit.witness": _witness,
    "audit.witnessed": _witnessed,
}


def handle(
    session: Session, *, node: Node, message: Any, limiter: hits.RateLimiter
) -> dict[str, Any]:
    """Verify one incoming message, run its handler, return the signed reply."""
    opened = open_message(session, node=node, message=message)
    if (opened.peer.country, opened.peer.agency) == (node.country, node.agency):
        # A peer row claiming this node's own agency (registered before that was refused)
        # would read every agency-only record by sync: never answered.
        raise AuthenticationError(f"{opened.peer.node_id} dice ser {node.agency}: se rechaza.")
    kind = opened.envelope["type"]
    handler = HANDLERS.get(kind)
    plugged = None if handler is not None else domains.message_handler(kind)
    if handler is None and plugged is None:
        raise InputError.at("envelope.type", f"tipo de mensaje desconocido '{kind}'")
    try:
        if handler is not None:
            body = handler(session, node, opened, limiter)
        else:
            assert plugged is not None
            body = plugged(session, node, opened)
    except (ValueError, KeyError, TypeError) as exc:
        # A signed but malformed body is the peer's bad input, not our crash.
        raise InputError.at("body", f"contenido mal formado ({type(exc).__name__})") from None
    return seal(
        node,
        recipient=opened.peer.node_id,
        type=f"{kind}.reply",
        body=body,
        in_reply_to=opened.envelope["nonce"],
    )
