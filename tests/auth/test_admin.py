"""B2: disabling a user and revoking tokens, over the API (each act audited once).

Before the fix there was no route to disable a user or revoke a token.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from alianza.audit.models import AuditEntry
from alianza.node.context import Node
from tests.auth.conftest import PASSWORD, Staff


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _actions(node: Node) -> list[tuple[str, str, str]]:
    with node.sessions() as session:
        return [
            (e.actor, e.action, e.target)
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))
            if e.action.startswith(("user.", "auth."))
        ]


def _me(client: TestClient, token: str) -> int:
    return client.get("/api/v1/auth/me", headers=_h(token)).status_code


def test_disable_refuses_tokens_and_login_and_enable_needs_a_new_token(
    node: Node, client: TestClient, staff: Staff
) -> None:
    _, admin = staff.add("pdi.admin", "administrator")
    _, ana = staff.add("ana.rojas")
    before = _actions(node)
    r = client.post("/api/v1/users/ana.rojas/disable", headers=_h(admin))
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False and r.json()["username"] == "ana.rojas"
    assert _me(client, ana) == 401
    login = {"username": "ana.rojas", "password": PASSWORD}
    assert client.post("/api/v1/auth/token", json=login).status_code == 401
    assert client.post("/api/v1/users/ana.rojas/tokens", headers=_h(admin)).status_code == 409

    r = client.post("/api/v1/users/ana.rojas/enable", headers=_h(admin))
    assert r.status_code == 200 and r.json()["active"] is True
    assert _me(client, ana) == 401  # disabling revoked it for good
    fresh = client.post("/api/v1/auth/token", json=login)
    assert fresh.status_code == 200
    assert _me(client, fresh.json()["token"]) == 200
    assert _actions(node)[len(before) :] == [
        ("pdi.admin@PDI.CL", "user.disable", "ana.rojas"),
        ("anon:ana.rojas", "auth.login_failed", "ana.rojas"),
        ("pdi.admin@PDI.CL", "user.enable", "ana.rojas"),
        ("ana.rojas@PDI.CL", "auth.login", "ana.rojas"),
    ]


def test_an_administrator_revokes_every_token_of_a_user(
    node: Node, client: TestClient, staff: Staff
) -> None:
    _, admin = staff.add("pdi.admin", "administrator")
    _, first = staff.add("ana.rojas")
    second = client.post(
        "/api/v1/users/ana.rojas/tokens", json={"days": 2}, headers=_h(admin)
    ).json()["token"]
    assert _me(client, second) == 200
    r = client.delete("/api/v1/users/ana.rojas/tokens", headers=_h(admin))
    assert r.status_code == 200, r.text
    assert r.json() == {"username": "ana.rojas", "revoked": 2}
    assert _me(client, first) == 401 and _me(client, second) == 401
    assert _me(client, admin) == 200
    with node.sessions() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "user.revoke_tokens")
        ).one()
    assert json.loads(entry.detail) == {"count": 2}


def test_a_user_revokes_their_own_current_token(
    node: Node, client: TestClient, staff: Staff
) -> None:
    _, ana = staff.add("ana.rojas")
    login = {"username": "ana.rojas", "password": PASSWORD}
    other = client.post("/api/v1/auth/token", json=login).json()["token"]
    r = client.post("/api/v1/auth/revoke", headers=_h(ana))
    assert r.status_code == 200, r.text
    assert r.json() == {"username": "ana.rojas", "revoked": 1}
    assert _me(client, ana) == 401
    assert _me(client, other) == 200  # only the token used
    assert client.post("/api/v1/auth/revoke", headers=_h(ana)).status_code == 401
    assert ("ana.rojas@PDI.CL", "auth.revoke", "ana.rojas") in _actions(node)


def test_an_issued_token_lasts_the_settings_lifetime_by_default(
    node: Node, client: TestClient, staff: Staff
) -> None:
    _, admin = staff.add("pdi.admin", "administrator")
    staff.add("ana.rojas")
    node.settings = node.settings.model_copy(update={"token_ttl_days": 5})
    r = client.post("/api/v1/users/ana.rojas/tokens", headers=_h(admin))
    assert r.status_code == 201, r.text
    left = datetime.fromisoformat(r.json()["expires_at"]) - datetime.now(UTC)
    assert timedelta(days=4, hours=23) < left <= timedelta(days=5)
    bad = client.post("/api/v1/users/ana.rojas/tokens", json={"days": 0}, headers=_h(admin))
    assert bad.status_code == 422


def test_every_user_route_declares_a_pydantic_response_model(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    mine = {
        ("post", "/api/v1/auth/token"),
        ("post", "/api/v1/auth/revoke"),
        ("get", "/api/v1/auth/me"),
        ("get", "/api/v1/users"),
        ("post", "/api/v1/users"),
        ("post", "/api/v1/users/{username}/disable"),
        ("post", "/api/v1/users/{username}/enable"),
        ("post", "/api/v1/users/{username}/tokens"),
        ("delete", "/api/v1/users/{username}/tokens"),
    }
    for method, path in mine:
        responses = paths[path][method]["responses"]
        ok = next(code for code in responses if code.startswith("2"))
        schema = responses[ok]["content"]["application/json"]["schema"]
        assert "$ref" in schema or "$ref" in schema.get("items", {}), (method, path)
