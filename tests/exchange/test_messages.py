"""Signed messages: wrong signature, unknown sender, replay, stale, malformed, oversized."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import func, select

from alianza.audit.models import AuditEntry
from alianza.exchange.client import EXCHANGE_PATH
from alianza.exchange.envelope import seal
from alianza.node.context import Node
from alianza.node.keys import canonical, generate_key
from tests.exchange.conftest import Running


def post(target: Running, message: Any) -> httpx2.Response:
    return httpx2.post(target.url + EXCHANGE_PATH, json=message, timeout=10)


def pull(sender: Running, target: Running) -> dict[str, Any]:
    return seal(
        sender.node,
        recipient=target.node.node_id,
        type="sync.pull",
        body={"cursor": 0, "limit": 10, "acks": []},
    )


def refused(target: Running) -> int:
    with target.node.sessions() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "exchange.refused")
            )
            or 0
        )


def test_valid_message_gets_a_signed_reply(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    r = post(cl, pull(ec, cl))
    assert r.status_code == 200, r.text
    assert r.json()["envelope"]["sender"] == cl.node.node_id


def test_replayed_message_is_refused(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    message = pull(ec, cl)
    assert post(cl, message).status_code == 200
    again = post(cl, message)
    assert again.status_code == 401 and "repetido" in again.json()["detail"]


def test_wrong_signature_unknown_sender_and_wrong_recipient(
    pair: tuple[Running, Running], tmp_path: Path
) -> None:
    cl, ec = pair
    before = refused(cl)
    tampered = pull(ec, cl)
    tampered["envelope"]["body"]["cursor"] = 5  # changed after signing
    r = post(cl, tampered)
    assert r.status_code == 401 and "Firma inválida" in r.json()["detail"]

    stranger = copy.copy(ec.node)
    stranger.key = generate_key(tmp_path / "otra.pem")
    stranger.node_id = "pe-desconocido"
    r = post(
        cl,
        seal(
            stranger, recipient=cl.node.node_id, type="sync.pull", body={"cursor": 0, "limit": 10}
        ),
    )
    assert r.status_code == 401 and "desconocido" in r.json()["detail"]

    impostor = copy.copy(ec.node)  # claims to be EC, signs with another key
    impostor.key = generate_key(tmp_path / "impostor.pem")
    r = post(
        cl,
        seal(
            impostor, recipient=cl.node.node_id, type="sync.pull", body={"cursor": 0, "limit": 10}
        ),
    )
    assert r.status_code == 401

    r = post(cl, seal(ec.node, recipient="cl-otro", type="sync.pull", body={"cursor": 0}))
    assert r.status_code == 401 and "dirigido" in r.json()["detail"]
    # A refusal gets an entry of its own only when the registered peer it names signed it
    # (the wrong-recipient message); the tampered and impostor ones are counted per hour,
    # so strangers cannot fill the chain (issue 9, D2).
    assert refused(cl) == before + 1


def test_stale_message_is_refused(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    message = pull(ec, cl)
    message["envelope"]["ts"] = (datetime.now(UTC) - timedelta(minutes=11)).isoformat()
    message["signature"] = ec.node.key.sign(canonical(message["envelope"]))
    r = post(cl, message)
    assert r.status_code == 401 and "ventana" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{no es json", 422),
        (b"[]", 422),
        (b'{"envelope": {"sender": "x"}, "signature": "00"}', 422),
    ],
)
def test_malformed_messages_are_refused(
    pair: tuple[Running, Running], body: bytes, status: int
) -> None:
    cl, _ = pair
    r = httpx2.post(
        cl.url + EXCHANGE_PATH,
        content=body,
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")


def test_unknown_type_and_bad_body_change_nothing(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    r = post(cl, seal(ec.node, recipient=cl.node.node_id, type="borrar.todo", body={}))
    assert r.status_code == 422 and "desconocido" in r.json()["detail"]
    r = post(cl, seal(ec.node, recipient=cl.node.node_id, type="sync.pull", body={"cursor": -4}))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.cursor"


def test_oversized_message_is_refused(pair: tuple[Running, Running]) -> None:
    cl, _ = pair
    limit = cl.node.settings.max_body_bytes
    r = httpx2.post(
        cl.url + EXCHANGE_PATH,
        content=b"x" * (limit + 10),
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 413


def test_unsigned_or_garbage_reply_is_refused(
    pair: tuple[Running, Running], tmp_path: Path
) -> None:
    """A 'peer' whose URL answers something that is not a signed alianza reply."""
    import subprocess
    import sys

    from alianza.db import transaction
    from alianza.errors import PeerError
    from alianza.exchange import client
    from alianza.exchange import flows as exchange
    from alianza.exchange import service as exchange_service
    from tests.exchange.conftest import free_port

    cl, _ = pair
    port = free_port()
    (tmp_path / "index.html").write_text("<html>no soy un nodo</html>")
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import time

        for _ in range(100):
            try:
                httpx2.get(f"http://127.0.0.1:{port}/", timeout=0.5)
                break
            except httpx2.HTTPError:
                time.sleep(0.05)
        other = copy.copy(cl.node)
        other.key = generate_key(tmp_path / "pe.pem")
        with transaction(cl.node.sessions) as s:
            peer = exchange_service.add_peer(
                s,
                node=cl.node,
                actor=cl.node.system,
                node_id="pe-basura",
                country="PE",
                agency="PNP",
                url=f"http://127.0.0.1:{port}",
                public_key=other.key.public_hex,
            )
            s.expunge(peer)
        with pytest.raises(PeerError, match=r"ilegible|rechazó"):
            client.send(cl.node, peer, type="sync.pull", body={"cursor": 0})
        reports = {r.peer: r for r in exchange.sync_all(cl.node)}
        assert reports["pe-basura"].error
        assert reports[_ec_id(pair)].error == ""  # the bad peer blocked nobody
    finally:
        server.kill()
        server.wait()


def _ec_id(pair: tuple[Running, Running]) -> str:
    return pair[1].node.node_id


def test_down_peer_does_not_block_the_others(pair: tuple[Running, Running]) -> None:
    from alianza.db import transaction
    from alianza.exchange import flows as exchange
    from alianza.exchange import service as exchange_service
    from tests.exchange.conftest import free_port

    cl, ec = pair
    node: Node = cl.node
    with transaction(node.sessions) as s:
        exchange_service.add_peer(
            s,
            node=node,
            actor=node.system,
            node_id="co-caido",
            country="CO",
            agency="Policía Nacional de Colombia",
            url=f"http://127.0.0.1:{free_port()}",
            public_key="ab" * 32,
        )
    reports = {r.peer: r for r in exchange.sync_all(node)}
    assert "no responde" in reports["co-caido"].error
    assert reports[ec.node.node_id].error == ""


def test_broken_envelopes_are_422_not_500(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    for message in ({"envelope": None, "signature": "x"}, {"envelope": [], "signature": 1}):
        r = post(cl, message)
        assert r.status_code == 422, r.text
    huge = seal(
        ec.node, recipient=cl.node.node_id, type="sync.pull", body={"cursor": 2**40, "limit": 10}
    )
    assert post(cl, huge).status_code == 422


def test_a_nonce_the_store_cannot_hold_is_refused_alone(pair: tuple[Running, Running]) -> None:
    # A 65-character nonce used to fail the commit of every query batched with it.
    cl, ec = pair
    message = pull(ec, cl)
    message["envelope"]["nonce"] = "a" * 65
    message["signature"] = ec.node.key.sign(canonical(message["envelope"]))
    r = post(cl, message)
    assert r.status_code == 422 and "envelope.nonce" in r.text
