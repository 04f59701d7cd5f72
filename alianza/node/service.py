"""The node's own facts for other domains (its signing key)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from alianza.node.context import Node


def own_key(session: Session, node: Node) -> dict[str, str]:
    """The node's own signing key."""
    return {node.node_id: node.key.public_hex}
