"""Issue 9, D2: messages nobody signed do not write one audit entry each."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alianza.audit import refusals
from alianza.audit.models import AuditEntry
from alianza.errors import InputError
from alianza.exchange.envelope import seal
from alianza.exchange.models import Peer
from alianza.exchange.views import _audit_refusal
from alianza.node.context import Node
from alianza.node.keys import NodeKey, generate_key


def _peer(node: Node, tmp_path: Path) -> NodeKey:
    key = generate_key(tmp_path / "peer" / "key.pem")
    with node.sessions() as session:
        session.add(
            Peer(
                node_id="ec-0123456789ab",
                country="EC",
                agency="Policía Nacional",
                url="http://127.0.0.1:9",
                public_key=key.public_hex,
                added_at=datetime.now(UTC),
            )
        )
        session.commit()
    return key


def _entries(node: Node) -> int:
    with node.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def _unsigned(node: Node, i: int) -> dict[str, object]:
    envelope = {
        "sender": "ec-0123456789ab",
        "recipient": node.node_id,
        "type": "sync.pull",
        "ts": datetime.now(UTC).isoformat(),
        "nonce": f"{i:032x}",
        "in_reply_to": "",
        "body": {"cursor": 0},
    }
    return {"envelope": envelope, "signature": "00" * 64}


def test_unsigned_envelopes_naming_a_real_peer_are_counted_not_logged(
    node: Node, client: TestClient, tmp_path: Path
) -> None:
    _peer(node, tmp_path)
    before = _entries(node)
    for i in range(100):
        answer = client.post("/api/v1/exchange", json=_unsigned(node, i))
        assert answer.status_code == 401
    assert _entries(node) == before
    with node.sessions() as session:
        counts = refusals.pending(session)
    assert list(counts.values()) == [100]
    ((_, peer, status),) = counts
    assert (peer, status) == ("ec-0123456789ab", 401)


def test_a_closed_hour_of_counts_becomes_one_entry(node: Node, tmp_path: Path) -> None:
    _peer(node, tmp_path)
    with node.sessions() as session:
        for _ in range(7):
            refusals.count_refusal(session, peer="ec-0123456789ab", status=401)
        refusals.count_refusal(session, peer="", status=422)
        assert refusals.fold_refusals(session, node) == 0  # the hour is still open
        later = datetime.now(UTC) + timedelta(hours=1)
        assert refusals.fold_refusals(session, node, now=later) == 1
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert refusals.pending(session) == {}
        session.commit()
    assert entry is not None and entry.action == "exchange.refused_unverified"
    assert '"total":8' in entry.detail


def test_a_refusal_the_peer_signed_gets_its_own_entry(node: Node, tmp_path: Path) -> None:
    key = _peer(node, tmp_path)
    as_peer = dataclasses.replace(node, key=key, node_id="ec-0123456789ab")
    message = seal(as_peer, recipient=node.node_id, type="sync.pull", body={"cursor": -1})
    before = _entries(node)
    refused = InputError.at("body.cursor", "entero no negativo obligatorio")
    _audit_refusal(node, "ec-0123456789ab", "sync.pull", refused, message)
    assert _entries(node) == before + 1
    forged = {**message, "signature": "00" * 64}
    _audit_refusal(node, "ec-0123456789ab", "sync.pull", refused, forged)
    _audit_refusal(node, "ec-0123456789ab", "sync.pull", refused)  # no message at hand
    assert _entries(node) == before + 1
