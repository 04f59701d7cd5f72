"""Regressions for the authorisation findings of the attack on two nodes (issue 9).

Each test is one finding, named by its letter; each failed before its fix. (Findings of
other kinds have their tests beside their modules: tests/auth, tests/audit,
tests/web/test_bad_input.py, tests/exchange/test_feed.py.)
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alianza.app import create_app
from alianza.audit.models import AuditEntry
from alianza.db import transaction
from alianza.errors import InputError
from alianza.exchange import service as exchange_service
from alianza.exchange.models import ConsentRequest
from alianza.node.context import Node
from alianza.records import service as records
from alianza.records.rules import Rules
from tests.conftest import RULES, Factory

PERSON = {
    "category": "wanted",
    "given_names": "Rosa",
    "surname_1": "Muñoz",
    "surname_2": "Soto",
    "birth_date": "1980-05-04",
    "notes": "fuente reservada en Arica",
}
CONTAINER = {"number": "CSQU3054383", "status": "suspect"}


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a1_history_hides_versions_outside_the_readers_scope(
    client: TestClient, node: Node, factory: Factory
) -> None:
    ana, _ = factory.user("ana.a1", "analyst")
    _, felipe = factory.user("felipe.a1", "analyst", agency="Carabineros")
    view = factory.record(ana, "person", PERSON)  # agency only, with notes
    without_notes = {k: v for k, v in PERSON.items() if k != "notes"}
    with node.sessions() as s:
        records.update_record(
            s,
            node=node,
            principal=ana,
            record_id=view.record.id,
            data=without_notes,
            rules=Rules(**{**RULES, "scope": "country"}),
        )
        s.commit()
    history = client.get(f"/api/v1/records/{view.record.id}/history", headers=_h(felipe))
    assert history.status_code == 200, history.text
    assert [v["version"] for v in history.json()] == [2]
    assert "fuente reservada" not in history.text


def test_a2_a_peer_cannot_claim_the_nodes_own_agency(node: Node) -> None:
    with node.sessions() as s, pytest.raises(InputError, match="este nodo"):
        exchange_service.add_peer(
            s,
            node=node,
            actor=node.system,
            node_id="cl-impostor",
            country=node.country,
            agency=node.agency,
            url="http://127.0.0.1:9",
            public_key="ab" * 32,
        )


def test_a2_only_the_nodes_own_agency_registers_peers(client: TestClient, factory: Factory) -> None:
    _, carab_admin = factory.user("admin.carab", "administrator", agency="Carabineros")
    body = {
        "node_id": "pe-nodo",
        "country": "PE",
        "agency": "PNP",
        "url": "http://127.0.0.1:9",
        "public_key": "ab" * 32,
    }
    r = client.post("/api/v1/peers", json=body, headers=_h(carab_admin))
    assert r.status_code == 403, r.text


def test_a4_a_release_request_names_the_kind_of_its_hit(
    client: TestClient, factory: Factory
) -> None:
    _, ana = factory.user("ana.a4", "analyst")
    body = {"peer": "ec-1", "ref": "x" * 20, "purpose": "investigación", "legal_basis": "Ley"}
    r = client.post("/api/v1/releases", json=body, headers=_h(ana))
    assert r.status_code == 422 and "kind" in r.text
    _, bruno = factory.user("bruno.a4", "border_officer")
    r = client.post("/api/v1/releases", json={**body, "kind": "container"}, headers=_h(bruno))
    assert r.status_code == 403, r.text  # a border officer never asks for a container


@pytest.mark.parametrize(
    ("role", "kind"), [("border_officer", "container"), ("port_analyst", "person")]
)
def test_a5_partner_queries_follow_the_roles_kinds(
    client: TestClient, factory: Factory, role: str, kind: str
) -> None:
    _, token = factory.user(f"u.a5.{role.replace('_', '')}", role)
    values = (
        {"number": "CSQU3054383"}
        if kind == "container"
        else {"given_names": "ROSA", "surname_1": "MUNOZ", "birth_date": "1980-05-04"}
    )
    r = client.post(
        "/api/v1/queries",
        json={"kind": kind, "values": values, "purpose": "investigation"},
        headers=_h(token),
    )
    assert r.status_code == 403, r.text


def test_a6_a_consent_request_is_no_existence_or_kind_oracle(
    client: TestClient, node: Node, factory: Factory
) -> None:
    ana, _ = factory.user("ana.a6", "analyst")
    _, bruno = factory.user("bruno.a6", "border_officer")
    hidden = factory.record(ana, "container", CONTAINER)  # not a border officer's kind
    body = {"third_country": "PE", "purpose": "investigación conjunta"}
    seen = client.post(
        "/api/v1/consents", json={**body, "record_id": hidden.record.id}, headers=_h(bruno)
    )
    missing = "00000000-0000-4000-8000-000000000000"
    absent = client.post("/api/v1/consents", json={**body, "record_id": missing}, headers=_h(bruno))
    assert seen.status_code == absent.status_code == 404
    assert seen.json()["detail"].replace(hidden.record.id, "X") == absent.json()["detail"].replace(
        missing, "X"
    )


def test_a7_consent_lists_are_filtered_and_audited(
    client: TestClient, node: Node, factory: Factory
) -> None:
    ana, ana_token = factory.user("ana.a7", "analyst")
    _, felipe = factory.user("felipe.a7", "analyst", agency="Carabineros")
    _, bruno = factory.user("bruno.a7", "border_officer")
    copy = factory.record(ana, "container", CONTAINER)
    with node.sessions() as s:
        s.add(
            ConsentRequest(
                request_id="11111111-1111-4111-8111-111111111111",
                direction="out",
                peer_node="ec-1",
                record_id=copy.record.id,
                third_country="PE",
                purpose="investigación",
                requested_by=ana.label,
                requested_at=datetime.now(UTC),
                status="pending",
            )
        )
        s.commit()
    mine = client.get("/api/v1/consents", headers=_h(ana_token))
    assert [c["request_id"] for c in mine.json()] == ["11111111-1111-4111-8111-111111111111"]
    assert client.get("/api/v1/consents", headers=_h(felipe)).json() == []  # another agency
    assert client.get("/api/v1/consents", headers=_h(bruno)).json() == []  # not their kind
    with node.sessions() as s:
        listed = s.scalars(select(AuditEntry).where(AuditEntry.action == "consent.list")).all()
    assert len(listed) == 3


def test_e2_denied_attempts_are_audited(client: TestClient, node: Node, factory: Factory) -> None:
    ana, _ = factory.user("ana.e2", "analyst")
    _, carla = factory.user("carla.e2", "caseworker")
    _, felipe = factory.user("felipe.e2", "analyst", agency="Carabineros")
    view = factory.record(ana, "person", PERSON)
    assert client.get("/api/v1/records", headers=_h(carla)).status_code == 403
    assert client.get(f"/api/v1/records/{view.record.id}", headers=_h(felipe)).status_code == 404
    with node.sessions() as s:
        denied = s.scalars(select(AuditEntry).where(AuditEntry.action == "access.denied")).all()
    actors = sorted(e.actor for e in denied)
    assert actors == ["carla.e2@PDI.CL", "felipe.e2@Carabineros.CL"]


def test_f1_an_api_import_does_not_stop_the_event_loop(node: Node, factory: Factory) -> None:
    """While an import runs, the node still answers (the import runs in a worker thread)."""
    _, ana = factory.user("ana.f1", "analyst")
    lines = "".join(
        json.dumps(
            {
                "id": f"c{i}",
                "schema": "Person",
                "properties": {
                    "firstName": ["Ana"],
                    "fatherName": [f"Paz{i}"],
                    "birthDate": ["1980-01-01"],
                },
                "alianza": {"extra": {"category": "wanted"}},
            }
        )
        + "\n"
        for i in range(3000)
    )
    app = create_app(node=node)
    finished: list[str] = []

    async def run() -> None:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://nodo") as c:

            async def importing() -> None:
                r = await c.post(
                    "/api/v1/records/import",
                    params={"purpose": "investigación", "legal_basis": "Ley 20.000"},
                    headers=_h(ana),
                    content=lines.encode(),
                )
                assert r.status_code == 200, r.text
                finished.append("import")

            async def asking() -> None:
                await asyncio.sleep(0.05)
                r = await c.get("/api/v1/node")
                assert r.status_code == 200
                finished.append("node")

            await asyncio.gather(importing(), asking())

    asyncio.run(run())
    assert finished == ["node", "import"]


def test_e3_records_verify_checks_partner_copies_with_the_partners_key(node: Node) -> None:
    from alianza import domains

    with transaction(node.sessions) as s:
        exchange_service.add_peer(
            s,
            node=node,
            actor=node.system,
            node_id="ec-socio",
            country="EC",
            agency="Policía Nacional",
            url="http://127.0.0.1:9",
            public_key="cd" * 32,
        )
    with node.sessions() as s:
        keys = domains.signer_keys(s, node)
    assert keys[node.node_id] == node.key.public_hex
    assert keys["ec-socio"] == "cd" * 32
