"""The exchange as people use it: over each node's HTTP API, with role checks."""

from __future__ import annotations

import httpx2

from tests.exchange.conftest import Running
from tests.exchange.test_hits_release import PERSON, QUERY, owned


def call(node: Running, method: str, path: str, user: str, **kw: object) -> httpx2.Response:
    token = node.token(user)
    return httpx2.request(
        method, node.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=60, **kw
    )  # type: ignore[arg-type]


def test_query_release_and_sync_over_http(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    owned(ec, PERSON, scope="partners", scope_countries=["CL"])
    cl.user("ana", "analyst")
    cl.user("bruno", "border_officer")
    cl.user("eva", "caseworker")
    cl.user("admin", "administrator")
    ec.user("sup", "supervisor")
    body = {"kind": "person", "values": QUERY, "purpose": "border_control"}
    assert call(cl, "POST", "/api/v1/queries", "eva", json=body).status_code == 403
    border = call(cl, "POST", "/api/v1/queries", "bruno", json=body)
    assert border.status_code == 200 and border.json()[0]["result"] == "HIT"
    bad = call(cl, "POST", "/api/v1/queries", "ana", json={**body, "kind": "barco"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "kind"
    hit = call(cl, "POST", "/api/v1/queries", "ana", json=body).json()[0]
    asked = call(
        cl,
        "POST",
        "/api/v1/releases",
        "ana",
        json={
            "peer": hit["peer"],
            "ref": hit["hits"][0]["ref"],
            "kind": "person",
            "purpose": "control fronterizo",
            "legal_basis": "Ley 21.325",
        },
    )
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["request_id"]
    assert (
        call(cl, "POST", f"/api/v1/releases/{request_id}/approve", "ana", json={}).status_code
        == 403
    )  # only the owner's supervisor decides
    ok = call(
        ec,
        "POST",
        f"/api/v1/releases/{request_id}/approve",
        "sup",
        json={"remove_fields": ["notes"]},
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    assert call(cl, "POST", "/api/v1/sync", "ana").status_code == 403
    synced = call(cl, "POST", "/api/v1/sync", "admin")
    assert synced.status_code == 200 and synced.json()[0]["answers"] == 1
    mine = call(cl, "GET", "/api/v1/releases", "ana").json()
    assert mine[0]["status"] == "approved" and "notes" not in mine[0]["data"]
    peers = call(cl, "GET", "/api/v1/peers", "admin").json()
    assert peers[0]["node_id"] == ec.node.node_id and peers[0]["last_error"] == ""
