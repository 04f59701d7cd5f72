"""The API's plumbing: authentication, problems, body limits, OpenAPI page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Factory

PERSON = {
    "category": "wanted",
    "given_names": "Juan Carlos",
    "surname_1": "González",
    "surname_2": "Pérez",
    "birth_date": "1984-03-02",
    "nationality": "CL",
    "documents": [{"type": "RUT_CL", "number": "12.345.678-5"}],
}
RULES = {"purpose": "investigación", "legal_basis": "Ley 20.000"}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_openapi_page_lists_record_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/records" in spec["paths"]
    assert "/api/v1/records/{record_id}/history" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_missing_wrong_and_expired_tokens_get_401(client: TestClient, factory: Factory) -> None:
    assert client.get("/api/v1/records").status_code == 401
    r = client.get("/api/v1/records", headers=auth("alz_nope"))
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "Token" in r.json()["detail"]


def test_create_then_read_then_search(client: TestClient, factory: Factory) -> None:
    _, token = factory.user("ana", "analyst")
    r = client.post(
        "/api/v1/records",
        json={"kind": "person", "data": PERSON, "rules": RULES},
        headers=auth(token),
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["data"]["documents"][0]["number"] == "12345678-5"
    assert body["rules"]["review_date"] is not None
    got = client.get(f"/api/v1/records/{body['id']}", headers=auth(token)).json()
    assert got["label"] == "Juan Carlos González Pérez"
    found = client.get("/api/v1/records", params={"q": "GONZALEZ juan"}, headers=auth(token)).json()
    assert [f["id"] for f in found] == [body["id"]]


def test_bad_body_names_the_field_and_changes_nothing(client: TestClient, factory: Factory) -> None:
    _, token = factory.user("ana", "analyst")
    bad = {**PERSON, "documents": [{"type": "RUT_CL", "number": "12.345.678-4"}]}
    r = client.post(
        "/api/v1/records", json={"kind": "person", "data": bad, "rules": RULES}, headers=auth(token)
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "data.documents.0.number"
    assert client.get("/api/v1/records", headers=auth(token)).json() == []


def test_malformed_json_is_a_422_problem(client: TestClient, factory: Factory) -> None:
    _, token = factory.user("ana", "analyst")
    r = client.post(
        "/api/v1/records",
        content=b"{not json",
        headers={**auth(token), "content-type": "application/json"},
    )
    assert r.status_code == 422
    assert "JSON" in r.json()["detail"]


def test_body_that_is_not_utf8_is_a_422_problem(client: TestClient, factory: Factory) -> None:
    # FastAPI answered 400 "There was an error parsing the body", undocumented and English.
    _, token = factory.user("ana", "analyst")
    r = client.post(
        "/api/v1/records",
        content=b"\xb9q\xfe\xb1\x02sX\xf7",
        headers={**auth(token), "content-type": "application/json"},
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert "UTF-8" in r.json()["detail"]


def test_openapi_documents_the_problem_body_of_every_error(client: TestClient) -> None:
    # FastAPI documented its own 422 shape ({"detail": [...]}, application/json), never
    # sent, and no other error status.
    spec = client.get("/openapi.json").json()
    problem = {"$ref": "#/components/schemas/Problem"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "403", "404", "409", "413", "422", "429"):
                content = operation["responses"][status]["content"]
                assert content == {"application/problem+json": {"schema": problem}}, (
                    method,
                    path,
                    status,
                )
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert set(spec["components"]["schemas"]["Problem"]["required"]) == {
        "type",
        "title",
        "status",
        "detail",
    }


def test_oversized_body_is_refused_with_413(client: TestClient, factory: Factory) -> None:
    _, token = factory.user("ana", "analyst")
    limit = client.app.state.node.settings.max_body_bytes  # type: ignore[attr-defined]
    r = client.post("/api/v1/records/import", content=b"x" * (limit + 1), headers=auth(token))
    assert r.status_code == 413
    assert r.json()["status"] == 413
