"""The hit/no-hit desk under concurrent load: every query answered, audited once, no replay."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alianza.app import create_app
from alianza.audit import service as audit
from alianza.audit.models import AuditEntry
from alianza.db import transaction, writer_lock
from alianza.exchange import service as exchange_service
from alianza.exchange.client import EXCHANGE_PATH
from alianza.exchange.envelope import open_reply, seal
from alianza.exchange.models import HitReference, Peer
from alianza.node.keys import generate_key
from tests.conftest import FreshNode
from tests.exchange.conftest import Nodes, Running, link
from tests.exchange.test_hits_release import owned

CONTAINERS = ["MSCU1234566", "TGHU6544586", "CSQU3054383"]


def _query(asker: Running, owner: Running, number: str, i: int) -> dict[str, Any]:
    return seal(
        asker.node,
        recipient=owner.node.node_id,
        type="query.hit",
        body={
            "kind": "container",
            "values": {"number": number},
            "purpose": "port_control",
            "requested_by": f"prueba-{i}",
        },
    )


def _post_all(owner: Running, messages: list[dict[str, Any]]) -> list[httpx2.Response]:
    with httpx2.Client(timeout=30) as client, ThreadPoolExecutor(16) as pool:
        return list(pool.map(lambda m: client.post(owner.url + EXCHANGE_PATH, json=m), messages))


def _count(owner: Running, action: str) -> int:
    with owner.node.sessions() as s:
        return int(
            s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
            )
            or 0
        )


def _pair(nodes: Nodes) -> tuple[Running, Running]:
    # Checkpoints every 7 entries, so the batches cross several of them.
    cl = nodes.new("CL", "PDI")
    ec = nodes.new(
        "EC",
        "Policía Nacional",
        ALIANZA_CHECKPOINT_EVERY="7",
        ALIANZA_PEER_QUERY_RATE="1000",
        ALIANZA_PEER_QUERY_BURST="1000",
    )
    link(cl, ec)
    link(ec, cl)
    return cl, ec


def test_concurrent_queries_are_each_answered_and_audited_once(nodes: Nodes) -> None:
    cl, ec = _pair(nodes)
    for number in CONTAINERS[:2]:
        owned(ec, {"number": number}, kind="container", scope="partners", scope_countries=["CL"])
    owned(ec, {"number": CONTAINERS[2]}, kind="container", scope="agency", discoverable="none")
    before = _count(ec, "exchange.query_received")
    messages = [_query(cl, ec, CONTAINERS[i % 3], i) for i in range(90)]
    replies = _post_all(ec, messages)
    assert [r.status_code for r in replies] == [200] * 90, replies[0].text
    with cl.node.sessions() as s:
        peer = s.scalars(select(Peer).where(Peer.node_id == ec.node.node_id)).one()
    results = []
    for message, reply in zip(messages, replies, strict=True):
        opened = open_reply(reply.json(), node=cl.node, peer=peer, request=message)
        results.append(opened.body["result"])
    # The undiscoverable container is never found; the two shared ones always are.
    assert results == ["HIT", "HIT", "NO_HIT"] * 30
    assert _count(ec, "exchange.query_received") - before == 90
    with ec.node.sessions() as s:
        assert s.scalar(select(func.count()).select_from(HitReference)) == 60
        logged = {
            d["requested_by"]
            for d in (
                json.loads(x)
                for x in s.scalars(
                    select(AuditEntry.detail).where(AuditEntry.action == "exchange.query_received")
                )
            )
        }
        report = audit.verify_chain(s, public_key=ec.node.key.public_hex, node_id=ec.node.node_id)
    assert logged == {f"prueba-{i}" for i in range(90)}
    assert report.ok, report.problems
    assert report.checkpoints >= 90 // 7


def test_one_message_sent_many_times_at_once_is_answered_once(nodes: Nodes) -> None:
    cl, ec = _pair(nodes)
    owned(ec, {"number": CONTAINERS[0]}, kind="container", scope="partners", scope_countries=["CL"])
    message = _query(cl, ec, CONTAINERS[0], 0)
    refused_before = _count(ec, "exchange.refused")
    replies = _post_all(ec, [message] * 12)
    codes = sorted(r.status_code for r in replies)
    assert codes == [200] + [401] * 11
    assert all("repetido" in r.json()["detail"] for r in replies if r.status_code == 401)
    assert _count(ec, "exchange.refused") - refused_before == 11
    assert _count(ec, "exchange.query_received") == 1
    with ec.node.sessions() as s:
        assert s.scalar(select(func.count()).select_from(HitReference)) == 1
        report = audit.verify_chain(s, public_key=ec.node.key.public_hex, node_id=ec.node.node_id)
    assert report.ok, report.problems


def test_a_person_query_wants_a_full_birth_date() -> None:
    # strptime took 1985-3-4, which never equals 1985-03-04 in the index: a silent NO-HIT.
    from alianza.errors import InputError
    from alianza.exchange.hits import parse_query

    body = {
        "kind": "person",
        "purpose": "border_control",
        "values": {"given_names": "Ana", "surname_1": "Soto", "birth_date": "1985-3-4"},
    }
    try:
        parse_query(body)
    except InputError as exc:
        assert exc.problems[0].field == "values.birth_date"
    else:
        raise AssertionError("1985-3-4 was accepted")


def test_a_writer_elsewhere_in_the_process_does_not_stop_the_loop(
    fresh: FreshNode, tmp_path: Path, backend: str
) -> None:
    # On SQLite the desk commits on the event loop; while another thread held the single
    # writer (an import over the API), the loop waited for it and every request stalled.
    if backend != "sqlite":
        pytest.skip("solo SQLite tiene un único escritor por proceso")
    owner = fresh.init(country="EC", agency="Policía Nacional")
    asker = SimpleNamespace(node_id="cl-pdi-prueba", key=generate_key(tmp_path / "k.pem"))
    with transaction(owner.sessions) as s:
        exchange_service.add_peer(
            s,
            node=owner,
            actor=owner.system,
            node_id=asker.node_id,
            country="CL",
            agency="PDI",
            url="http://127.0.0.1:9",
            public_key=asker.key.public_hex,
        )
    lock = writer_lock(owner.engine)
    assert lock is not None
    with TestClient(create_app(node=owner)) as client, ThreadPoolExecutor(2) as pool:
        lock.acquire()
        try:
            query = seal(
                asker,  # type: ignore[arg-type]
                recipient=owner.node_id,
                type="query.hit",
                body={
                    "kind": "container",
                    "values": {"number": CONTAINERS[0]},
                    "purpose": "port_control",
                },
            )
            pending = pool.submit(client.post, EXCHANGE_PATH, json=query)
            time.sleep(0.5)
            assert not pending.done()  # its audit entry waits for the writer...
            other = pool.submit(client.get, "/api/v1/node")
            assert other.result(timeout=10).status_code == 200  # ...the loop does not
        finally:
            lock.release()
        answer = pending.result(timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["envelope"]["body"]["result"] == "NO_HIT"
