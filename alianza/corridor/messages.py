"""The corridor's signed messages from partner nodes (declared in ``DOMAIN.messages``;
``exchange.handlers`` has verified the envelope: registered peer, signature, addressee,
time and replay).

- ``corridor.manifest``: a partner's manifest for its leg through this country; the
  answer is this node's signed receipt.
- ``corridor.checkins``: a border post's check-ins, pushed when its link returns; the
  answer says which were stored and which were refused, and why.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal
from alianza.corridor import checkins, manifests
from alianza.exchange.envelope import Opened
from alianza.node.context import Node


def _actor(opened: Opened) -> Principal:
    peer = opened.peer
    return Principal.peer(node_id=peer.node_id, country=peer.country, agency=peer.agency)


def receive_manifest(session: Session, node: Node, opened: Opened) -> dict[str, Any]:
    """Keep a partner's manifest apart from records and sign its receipt."""
    answer = manifests.receive(session, node, peer=opened.peer, body=opened.body)
    receipt = answer["receipt"]
    audit_act(
        session,
        node,
        _actor(opened),
        "corridor.manifest.received",
        receipt["receipt"],
        {"from": opened.peer.node_id, "persons": receipt["persons"], "sha256": receipt["sha256"]},
    )
    return answer


def receive_checkins(session: Session, node: Node, opened: Opened) -> dict[str, Any]:
    """Store a post's check-ins and answer which went in."""
    answer = checkins.receive(session, node, peer=opened.peer, body=opened.body)
    audit_act(
        session,
        node,
        _actor(opened),
        "corridor.checkins.received",
        opened.peer.node_id,
        {
            "accepted": len(answer["accepted"]),
            "refused": len(answer["refused"]),
            "conflicts": answer["conflicts"],
        },
    )
    return answer
