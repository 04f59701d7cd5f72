"""POST /api/v1/screen/batch: a list ranked as one traveller is, audited once, partners
not asked, every traveller checked like a single one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from alianza.audit.models import AuditEntry
from alianza.node.context import Node
from alianza.records.models import Record
from alianza.screening.views import MAX_BATCH
from tests.conftest import Factory
from tests.screening.test_service import SIBLING, WANTED


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


JOSE = {"given_names": "JOSE", "surname_1": "GONZALEZ", "birth_date": "1985-07-04"}
CARLOS = {"given_names": "CARLOS ANDRES", "surname_1": "GONZALEZ", "birth_date": "1979-02-11"}
NOBODY = {"given_names": "ZOE", "surname_1": "QUISPE", "birth_date": "2001-01-01", "sex": "F"}


@pytest.fixture
def listed(node: Node, factory: Factory) -> dict[str, Any]:
    analyst, _ = factory.user("ana", "analyst")
    _, token = factory.user("ofi", "border_officer")
    wanted = factory.record(analyst, "person", WANTED, scope="country").record.id
    sibling = factory.record(analyst, "person", SIBLING, scope="country").record.id
    with node.sessions() as session:  # the sibling is a partner's copy
        session.execute(update(Record).where(Record.id == sibling).values(origin="socio-pe"))
        session.commit()
    return {"token": token, "wanted": wanted}


def test_each_traveller_is_ranked_as_alone(
    client: TestClient, node: Node, listed: dict[str, Any]
) -> None:
    travellers = [JOSE, NOBODY, CARLOS]
    r = client.post(
        "/api/v1/screen/batch", json={"travellers": travellers}, headers=_auth(listed["token"])
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert len(results) == 3
    for traveller, result in zip(travellers, results, strict=True):
        alone = client.post(
            "/api/v1/screen",
            json={**traveller, "ask_partners": False},
            headers=_auth(listed["token"]),
        ).json()
        assert result["traveller"] == alone["traveller"]
        assert [(c.get("record_id"), c["probability"]) for c in result["candidates"]] == [
            (c.get("record_id"), c["probability"]) for c in alone["candidates"]
        ]
    assert results[0]["candidates"][0]["record_id"] == listed["wanted"]
    assert not results[1]["candidates"]
    # The partner's record is a reference, never asked about for a list.
    partner = [c for c in results[2]["candidates"] if "partner" in c]
    assert partner and partner[0]["probability"] >= 0.5
    assert partner[0]["partner"] == {"node": "socio-pe", "country": "CL", "result": "NO_CONSULTADO"}
    assert "Peña" not in r.text and "V-12345678" not in r.text

    with node.sessions() as session:
        [entry] = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "screening.query_batch")
        ).all()
    detail = json.loads(entry.detail)
    assert detail["travellers"] == 3 and detail["records"] == [listed["wanted"]]
    assert detail["fields"] == {"birth_date": 3, "given_names": 3, "sex": 1, "surname_1": 3}
    assert detail["partners"] == ["socio-pe"]
    assert "QUISPE" not in entry.detail and "1985-07-04" not in entry.detail


def test_a_list_needs_a_role_that_screens(client: TestClient, factory: Factory) -> None:
    body = {"travellers": [JOSE]}
    assert client.post("/api/v1/screen/batch", json=body).status_code == 401
    _, token = factory.user("caso", "caseworker")
    assert client.post("/api/v1/screen/batch", json=body, headers=_auth(token)).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"travellers": [JOSE, {"surname_1": "X", "birth_date": "04/07/1985"}]}, "travellers[1]"),
        ({"travellers": [JOSE, {}]}, "travellers[1].traveller"),
        ({"travellers": [{**JOSE, "nationality": "XX"}]}, "travellers[0].nationality"),
        ({"travellers": [{**JOSE, "mrz": "P<UTO"}]}, "mrz"),
        ({"travellers": [{**JOSE, "given_names": "JO\u202eSE"}]}, "given_names"),
        ({"travellers": []}, "travellers"),
        ({"travellers": [JOSE] * (MAX_BATCH + 1)}, "travellers"),
    ],
)
def test_bad_lists_are_a_422_naming_the_traveller(
    client: TestClient, listed: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    r = client.post("/api/v1/screen/batch", json=body, headers=_auth(listed["token"]))
    assert r.status_code == 422, (body, r.text)
    assert field in r.text, r.text
