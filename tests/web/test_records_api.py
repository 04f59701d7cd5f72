"""Records over HTTP: rules, neutrality, versions, imports, and the audit trail of reads."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from alianza.audit.models import AuditEntry
from alianza.node.context import Node
from tests.conftest import Factory
from tests.web.test_api_basics import PERSON, RULES, auth

CONTAINER = {"number": "CSQU3054383", "status": "suspect", "last_port": "Guayaquil"}


def _actions(node: Node) -> list[str]:
    with node.sessions() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_neutrality_field_is_refused_and_nothing_stored(
    client: TestClient, factory: Factory
) -> None:
    _, token = factory.user("ana", "analyst")
    body = {"kind": "person", "data": {**PERSON, "etnia": "x"}, "rules": RULES}
    r = client.post("/api/v1/records", json=body, headers=auth(token))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "data.etnia"
    assert "neutralidad" in r.json()["detail"]
    assert client.get("/api/v1/records", headers=auth(token)).json() == []


def test_unknown_enum_values_name_field_and_choices(client: TestClient, factory: Factory) -> None:
    _, token = factory.user("ana", "analyst")
    body = {"kind": "person", "data": PERSON, "rules": {**RULES, "handling_code": "H7"}}
    r = client.post("/api/v1/records", json=body, headers=auth(token))
    assert r.status_code == 422
    problem = r.json()["errors"][0]
    assert problem["field"] == "rules.handling_code" and "H0" in problem["message"]
    r = client.post(
        "/api/v1/records", json={**body, "kind": "submarine", "rules": RULES}, headers=auth(token)
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind"
    r = client.post(
        "/api/v1/records", json={**body, "rules": RULES, "extra": 1}, headers=auth(token)
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "extra"


def test_versions_over_http(client: TestClient, factory: Factory) -> None:
    _, token = factory.user("ana", "analyst")
    rid = client.post(
        "/api/v1/records",
        json={"kind": "container", "data": CONTAINER, "rules": RULES},
        headers=auth(token),
    ).json()["id"]
    stale = client.put(
        f"/api/v1/records/{rid}",
        json={"data": CONTAINER, "rules": RULES, "expected_version": 7},
        headers=auth(token),
    )
    assert stale.status_code == 409
    ok = client.put(
        f"/api/v1/records/{rid}",
        json={"data": {**CONTAINER, "status": "seized"}, "rules": RULES, "expected_version": 1},
        headers=auth(token),
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2
    no_reason = client.request(
        "DELETE", f"/api/v1/records/{rid}", json={"reason": ""}, headers=auth(token)
    )
    assert no_reason.status_code == 422
    gone = client.request(
        "DELETE", f"/api/v1/records/{rid}", json={"reason": "duplicado"}, headers=auth(token)
    )
    assert gone.status_code == 200 and gone.json()["deleted"] is True
    history = client.get(f"/api/v1/records/{rid}/history", headers=auth(token)).json()
    assert [(h["version"], h["tombstone"]) for h in history] == [(1, False), (2, False), (3, True)]
    assert history[0]["data"]["status"] == "suspect"


def test_reads_queries_and_exports_are_audited(
    client: TestClient, factory: Factory, node: Node
) -> None:
    _, token = factory.user("ana", "analyst")
    rid = client.post(
        "/api/v1/records",
        json={"kind": "container", "data": CONTAINER, "rules": RULES},
        headers=auth(token),
    ).json()["id"]
    client.get(f"/api/v1/records/{rid}", headers=auth(token))
    client.get("/api/v1/records", params={"q": "CSQU3054383"}, headers=auth(token))
    client.get("/api/v1/records/export", headers=auth(token))
    actions = _actions(node)
    assert actions[-4:] == ["record.create", "record.read", "record.query", "record.export"]
    with node.sessions() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert last is not None and json.loads(last.detail)["ids"] == [rid]
        assert last.actor == "ana@PDI.CL"


def test_import_and_export_over_http(client: TestClient, factory: Factory) -> None:
    _, token = factory.user("ana", "analyst")
    csv_text = (
        "id,kind,number,last_port\nc1,container,CSQU3054383,Manta\n"
        "c2,container,MSCU1234566,Posorja\n"
    )
    r = client.post(
        "/api/v1/records/import",
        params={"format": "csv", "purpose": "control", "legal_basis": "Ley 20.000"},
        content=csv_text.encode(),
        headers=auth(token),
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 2, "updated": 0, "unchanged": 0}
    exported = client.get(
        "/api/v1/records/export", params={"format": "ftm"}, headers=auth(token)
    ).text
    assert sorted(json.loads(line)["properties"]["name"][0] for line in exported.splitlines()) == [
        "CSQU3054383",
        "MSCU1234566",
    ]
    again = client.post("/api/v1/records/import", content=exported.encode(), headers=auth(token))
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}


def test_export_sends_the_media_types_its_openapi_names(
    client: TestClient, factory: Factory
) -> None:
    # The OpenAPI said text/plain; the route sends NDJSON or CSV.
    _, token = factory.user("ana", "analyst")
    spec = client.get("/openapi.json").json()
    documented = spec["paths"]["/api/v1/records/export"]["get"]["responses"]["200"]["content"]
    assert set(documented) == {"application/x-ndjson", "text/csv"}
    for fmt in ("ftm", "csv"):
        r = client.get("/api/v1/records/export", params={"format": fmt}, headers=auth(token))
        assert r.status_code == 200
        assert r.headers["content-type"].split(";")[0] in documented


def test_bad_import_over_http_changes_nothing(client: TestClient, factory: Factory) -> None:
    _, token = factory.user("ana", "analyst")
    bad = "kind,number\ncontainer,CSQU3054383\ncontainer,CSQU305438\n"
    r = client.post(
        "/api/v1/records/import",
        params={"format": "csv", "purpose": "control", "legal_basis": "Ley 20.000"},
        content=bad.encode(),
        headers=auth(token),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"].startswith("línea 3")
    not_utf8 = client.post(
        "/api/v1/records/import", content="ñ".encode("latin-1"), headers=auth(token)
    )
    assert not_utf8.status_code == 422 and "UTF-8" in not_utf8.json()["detail"]
    assert client.get("/api/v1/records", headers=auth(token)).json() == []
