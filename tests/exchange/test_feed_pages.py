"""A page is checked without the database, then stored against the live peer row."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from alianza.db import transaction
from alianza.errors import AuthenticationError, InputError
from alianza.exchange import pull
from alianza.exchange.models import Peer
from alianza.node.context import Node
from alianza.node.keys import generate_key
from alianza.records.models import RecordVersion
from tests.exchange.test_feed import DATA, _signed, _version, puller  # noqa: F401  (fixture)


def _stored(node: Node) -> int:
    with node.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(RecordVersion)) or 0)


def test_a_page_checked_with_a_key_since_replaced_is_not_stored(
    puller: tuple[Node, Peer, Node],  # noqa: F811
    tmp_path: Path,
) -> None:
    node, peer, other = puller
    page = {"entries": [{"type": "version", "version": _version(other)}], "next_cursor": 1}
    checked = pull.check_page(node=node, peer=peer, page=page)
    assert len(checked.versions) == 1 and not checked.refused
    new_key = generate_key(tmp_path / "nueva.pem").public_hex
    with transaction(node.sessions) as s:
        live = s.get(Peer, peer.id)
        assert live is not None
        live.public_key = new_key  # re-keyed while the page was being checked
        with pytest.raises(AuthenticationError, match="cambió"):
            pull.store_page(s, node=node, peer=live, checked=checked)
    assert _stored(node) == 0


def test_refused_versions_are_handed_over_when_the_page_is_stored(
    puller: tuple[Node, Peer, Node],  # noqa: F811
) -> None:
    node, peer, other = puller
    bad = _signed(other, 1, kind="container", data=DATA, scope="weird")
    page = {
        "entries": [{"type": "version", "version": v} for v in (bad, _version(other))],
        "next_cursor": 2,
    }
    checked = pull.check_page(node=node, peer=peer, page=page)
    assert len(checked.versions) == 1 and len(checked.refused) == 1
    assert _stored(node) == 0  # checking writes nothing
    refused: list[InputError] = []
    with transaction(node.sessions) as s:
        live = s.get(Peer, peer.id)
        assert live is not None
        pull.store_page(s, node=node, peer=live, checked=checked, refused=refused)
        assert live.pull_cursor == 2
    assert len(refused) == 1 and "scope" in refused[0].message
    assert _stored(node) == 1
