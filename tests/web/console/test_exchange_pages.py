"""The exchange inbox's console pages in process (both backends): release requests with
their 48-hour clocks, approval with a field withheld, refusal with a reason, incoming
hit/no-hit queries, peers' sync status and the audit chain with its witnesses; each for a
role that may use it and one that may not, and bad input refused with nothing changed.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal
from alianza.db import transaction
from alianza.exchange.models import DeletionReceipt, Peer, ReleaseRequest
from alianza.node.context import Node
from tests.conftest import Factory
from tests.web.console.test_session import PASSWORD, log_in

PEER = "ec-0123456789ab"


@pytest.fixture
def staff(factory: Factory) -> dict[str, Principal]:
    return {
        "diego": factory.user("diego", "supervisor", password=PASSWORD)[0],
        "ana": factory.user("ana", "analyst", password=PASSWORD)[0],
        "elena": factory.user("elena", "caseworker", password=PASSWORD)[0],
        "admin": factory.user("admin", "administrator", password=PASSWORD)[0],
    }


def _incoming(node: Node, factory: Factory, owner: Principal, *, hours_ago: float = 1) -> str:
    """A partner's release request on a person record of ``owner``'s agency."""
    record = factory.record(
        owner,
        "person",
        {"category": "wanted", "given_names": "Luis Miguel", "surname_1": "Páez",
         "birth_date": "1980-02-03", "nationality": "VE", "sex": "M"},
    )  # fmt: skip
    request_id = str(uuid.uuid4())
    asked = datetime.now(UTC) - timedelta(hours=hours_ago)
    with transaction(node.sessions) as session:
        session.add(
            ReleaseRequest(
                request_id=request_id,
                direction="in",
                peer_node=PEER,
                ref="ref-" + request_id[:8],
                record_id=record.record.id,
                kind="person",
                purpose="investigación de trata",
                legal_basis="Convenio CL-EC art. 4",
                requested_by="eva@DINASED.EC",
                requested_at=asked,
                due_at=asked + timedelta(hours=48),
                status="pending",
            )
        )
    return request_id


def _status(node: Node, request_id: str) -> ReleaseRequest:
    with node.sessions() as session:
        row = session.query(ReleaseRequest).filter_by(request_id=request_id).one()
        session.expunge(row)
        return row


def test_the_inbox_shows_the_clock_and_overdue_in_words(
    browser: TestClient, node: Node, factory: Factory, staff: dict[str, Principal]
) -> None:
    fresh = _incoming(node, factory, staff["diego"], hours_ago=2)
    late = _incoming(node, factory, staff["diego"], hours_ago=60)
    log_in(browser, "diego")
    assert 'href="/consola/intercambio"' in browser.get("/consola").text
    inbox = browser.get("/consola/intercambio")
    assert inbox.status_code == 200
    table = inbox.text.split('data-testid="recibidas"')[1]
    assert fresh[:8] in table and late[:8] in table
    assert "quedan 46 h" in table
    assert 'class="overdue"' in table and "VENCIDA hace 12 h" in table
    only = browser.get("/consola/intercambio?vencidas=true").text
    assert late[:8] in only and fresh[:8] not in only


def test_an_approval_with_a_field_withheld(
    browser: TestClient, node: Node, factory: Factory, staff: dict[str, Principal]
) -> None:
    request_id = _incoming(node, factory, staff["diego"])
    token = log_in(browser, "diego")
    shown = browser.get(f"/consola/intercambio/entregas/{request_id}")
    assert shown.status_code == 200
    assert 'name="retener:birth_date"' in shown.text
    done = browser.post(
        f"/consola/intercambio/entregas/{request_id}/aprobar",
        data={"csrf": token, "retener:sex": "1", "retener:birth_date": "1"},
    )
    assert done.status_code == 200 and 'data-testid="hecho"' in done.text
    assert "birth_date, sex" in done.text
    row = _status(node, request_id)
    assert row.status == "approved" and row.removed_fields == "birth_date,sex"
    released = json.loads(row.answer or "{}")["payload"]["data"]
    assert "birth_date" not in released and released["surname_1"] == "Páez"
    again = browser.post(
        f"/consola/intercambio/entregas/{request_id}/aprobar", data={"csrf": token}
    )
    assert again.status_code == 409


def test_a_refusal_needs_a_reason_and_bad_input_changes_nothing(
    browser: TestClient, node: Node, factory: Factory, staff: dict[str, Principal]
) -> None:
    request_id = _incoming(node, factory, staff["diego"])
    token = log_in(browser, "diego")
    base = f"/consola/intercambio/entregas/{request_id}"
    empty = browser.post(f"{base}/negar", data={"csrf": token, "motivo": "  "})
    assert empty.status_code == 422 and "motivo" in empty.text and 'role="alert"' in empty.text
    unknown = browser.post(f"{base}/aprobar", data={"csrf": token, "retener:alias": "1"})
    assert unknown.status_code == 422 and "campos retenidos" in unknown.text
    assert _status(node, request_id).status == "pending"
    refused = browser.post(f"{base}/negar", data={"csrf": token, "motivo": "sin base legal"})
    assert refused.status_code == 200
    row = _status(node, request_id)
    assert row.status == "refused" and row.reason == "sin base legal"


def test_others_never_decide_nor_see_a_request(
    browser: TestClient, node: Node, factory: Factory, staff: dict[str, Principal]
) -> None:
    request_id = _incoming(node, factory, staff["diego"])
    token = log_in(browser, "ana")
    # An analyst may ask partners, not decide our releases: the request is not theirs.
    assert request_id[:8] not in browser.get("/consola/intercambio").text
    assert browser.get(f"/consola/intercambio/entregas/{request_id}").status_code == 404
    refused = browser.post(
        f"/consola/intercambio/entregas/{request_id}/aprobar", data={"csrf": token}
    )
    assert refused.status_code == 403
    log_in(browser, "elena")
    assert browser.get("/consola/intercambio").status_code == 403
    other = factory.user("olga", "supervisor", agency="CARAB", password=PASSWORD)[0]
    assert other.agency == "CARAB"
    log_in(browser, "olga")
    assert browser.get(f"/consola/intercambio/entregas/{request_id}").status_code == 404
    assert _status(node, request_id).status == "pending"


def test_incoming_queries_show_the_fields_asked_never_the_values(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    partner = Principal.peer(node_id=PEER, country="EC", agency="DINASED")
    with transaction(node.sessions) as session:
        audit_act(
            session, node, partner, "exchange.query_received", "person",
            {"values": {"given_names": "Yurbis", "birth_date": "1987-05-14"},
             "purpose": "border_control", "requested_by": "eva@DINASED.EC", "result": "HIT",
             "refs": ["r1"]},
        )  # fmt: skip
    log_in(browser, "diego")
    shown = browser.get("/consola/auditoria/consultas")
    assert shown.status_code == 200
    table = shown.text.split('data-testid="consultas"')[1]
    assert PEER in table and "birth_date, given_names" in table and "coincidencia" in table
    assert "Yurbis" not in shown.text and "1987" not in shown.text
    log_in(browser, "ana")
    assert browser.get("/consola/auditoria/consultas").status_code == 403


def test_peers_sync_status_for_the_nodes_administrators(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    with transaction(node.sessions) as session:
        session.add(
            Peer(
                node_id=PEER,
                country="EC",
                agency="DINASED",
                url="http://127.0.0.1:9",
                public_key="0" * 64,
                added_at=datetime.now(UTC),
                active=True,
                last_error="conexión rechazada",
            )
        )
        session.add(
            DeletionReceipt(
                peer_node=PEER,
                record_id="11111111-2222-4333-8444-555555555555",
                version=3,
                received_at=datetime.now(UTC),
                message="{}",
                signature="0" * 128,
            )
        )
    log_in(browser, "admin")
    home = browser.get("/consola").text
    assert 'href="/consola/nodos"' in home and 'href="/consola/intercambio"' not in home
    shown = browser.get("/consola/nodos")
    assert shown.status_code == 200
    row = shown.text.split('data-testid="nodos"')[1]
    assert PEER in row and "nunca" in row and "conexión rechazada" in row
    receipts = shown.text.split('data-testid="recibos"')[1]
    assert "11111111-2222-4333-8444-555555555555" in receipts
    log_in(browser, "diego")
    assert browser.get("/consola/nodos").status_code == 403


def test_the_audit_chain_is_verified_and_its_witnesses_listed(
    browser: TestClient, staff: dict[str, Principal]
) -> None:
    log_in(browser, "diego")
    shown = browser.get("/consola/auditoria")
    assert shown.status_code == 200
    chain = shown.text.split('data-testid="cadena"')[1]
    assert "Cadena íntegra: verificada hasta la entrada" in chain
    assert 'data-testid="sin-testigos"' in shown.text
    english = browser.get("/consola/idioma/en?siguiente=/consola/auditoria")
    assert "Chain intact" in english.text
    log_in(browser, "elena")
    assert browser.get("/consola/auditoria").status_code == 403
