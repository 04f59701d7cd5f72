"""POST /api/v1/screen: who may screen, what comes back, what bad input gets."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Factory
from tests.screening.test_service import WANTED


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_officer_screens_a_traveller(client: TestClient, factory: Factory) -> None:
    analyst, _ = factory.user("ana", "analyst")
    _, token = factory.user("ofi", "border_officer")
    wanted = factory.record(analyst, "person", WANTED, scope="country").record.id
    r = client.post(
        "/api/v1/screen",
        json={"given_names": "JOSE", "surname_1": "GONZALEZ", "birth_date": "1985-07-04"},
        headers=_auth(token),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    top = body["candidates"][0]
    assert top["record_id"] == wanted and top["probability"] > 0.5
    assert "coincide" in top["explanation_es"] and "agrees" in top["explanation_en"]
    assert set(top) >= {"explanation", "weight"}
    # The answer carries the judgement, never the watch-list record itself.
    assert "Peña" not in r.text and "V-12345678" not in r.text


def test_screening_needs_a_token_and_a_role_that_sees_persons(
    client: TestClient, factory: Factory
) -> None:
    body = {"surname_1": "GONZALEZ"}
    assert client.post("/api/v1/screen", json=body).status_code == 401
    _, token = factory.user("caso", "caseworker")
    assert client.post("/api/v1/screen", json=body, headers=_auth(token)).status_code == 403


def test_bad_input_is_a_422_naming_the_field(client: TestClient, factory: Factory) -> None:
    _, token = factory.user("ofi", "border_officer")
    for body, field in [
        ({"surname_1": "X", "birth_date": "04/07/1985"}, "birth_date"),
        ({"surname_1": "X", "color": "rojo"}, "color"),
        ({}, "traveller"),
        ({"mrz": "P<UTO<<<\nABC"}, "mrz"),
    ]:
        r = client.post("/api/v1/screen", json=body, headers=_auth(token))
        assert r.status_code == 422, (body, r.text)
        assert field in r.text, (body, r.text)
