"""Users, passwords and API tokens (service), and login through the API."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from alianza.audit.models import AuditEntry
from alianza.auth import service as auth
from alianza.auth.models import ApiToken, User
from alianza.auth.permissions import USER_ROLES
from alianza.errors import AuthenticationError, Conflict, InputError
from alianza.node.context import Node
from tests.auth.conftest import PASSWORD, Staff


def _add(node: Node, username: str = "ana.rojas", **overrides: str | None) -> User:
    fields: dict[str, str | None] = {
        "username": username,
        "full_name": "Ana Rojas",
        "country": "CL",
        "agency": "PDI",
        "role": "analyst",
        "password": PASSWORD,
    }
    fields.update(overrides)
    with node.sessions() as session:
        user = auth.add_user(session, node=node, principal=node.system, **fields)  # type: ignore[arg-type]
        session.commit()
        return user


def _count_users(node: Node) -> int:
    with node.sessions() as session:
        return len(auth.list_users(session, node=node, principal=node.system))


# --- adding users ------------------------------------------------------------------------


def test_add_user_stores_normalised_fields(node: Node) -> None:
    user = _add(node, country=" cl ", agency="  PDI ")
    assert (user.username, user.country, user.agency, user.role) == (
        "ana.rojas",
        "CL",
        "PDI",
        "analyst",
    )
    assert user.active is True
    assert user.password_hash is not None
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("scrypt$")


@pytest.mark.parametrize("username", ["Ana", "ana rojas", "a", "-ana", "ana@pdi", "", "á" * 3])
def test_add_user_refuses_bad_username(node: Node, username: str) -> None:
    with pytest.raises(InputError) as err:
        _add(node, username)
    assert err.value.problems[0].field == "username"
    assert _count_users(node) == 0


def test_add_user_refuses_unknown_role_naming_the_allowed_ones(node: Node) -> None:
    with pytest.raises(InputError) as err:
        _add(node, role="jefe")
    assert err.value.problems[0].field == "role"
    assert "'jefe'" in err.value.message
    for role in USER_ROLES:
        assert role.value in err.value.message
    assert _count_users(node) == 0


@pytest.mark.parametrize("country", ["XZ", "Chile", "CHL", "", "C1"])
def test_add_user_refuses_bad_country(node: Node, country: str) -> None:
    with pytest.raises(InputError) as err:
        _add(node, country=country)
    assert err.value.problems[0].field == "country"
    assert _count_users(node) == 0


@pytest.mark.parametrize("country", ["ZZ", "EU", "UN"])
def test_add_user_refuses_codes_that_are_not_iso_3166_countries(node: Node, country: str) -> None:
    # FollowTheMoney lists "zz" (Global), "eu" and "un" among its countries; none is an
    # ISO 3166-1 alpha-2 country, which is what a user's country must be.
    with pytest.raises(InputError) as err:
        _add(node, country=country)
    assert err.value.problems[0].field == "country"


def test_add_user_refuses_empty_agency(node: Node) -> None:
    with pytest.raises(InputError) as err:
        _add(node, agency="   ")
    assert err.value.problems[0].field == "agency"


def test_add_user_refuses_duplicate_name(node: Node) -> None:
    _add(node)
    with pytest.raises(Conflict) as err:
        _add(node, full_name="Otra Ana", agency="Carabineros")
    assert "ana.rojas" in err.value.message
    assert _count_users(node) == 1


# --- passwords and login -----------------------------------------------------------------


@pytest.mark.parametrize("password", ["", "corta", "123456789"])
def test_short_password_is_refused(node: Node, password: str) -> None:
    with pytest.raises(InputError) as err:
        _add(node, password=password)
    assert err.value.problems[0].field == "password"
    assert _count_users(node) == 0


def test_login_with_right_password_returns_the_user(node: Node) -> None:
    _add(node)
    with node.sessions() as session:
        user, token, _ = auth.login(
            session, node=node, username="ana.rojas", password=PASSWORD, address="10.0.0.1"
        )
        assert user.username == "ana.rojas"
        assert auth.authenticate(session, token).username == "ana.rojas"


def test_wrong_password_and_unknown_user_give_the_same_error(node: Node) -> None:
    _add(node)
    _add(node, "sin.clave", password=None)
    messages = []
    for username, password in [
        ("ana.rojas", PASSWORD + "x"),
        ("ana.rojas", PASSWORD.upper()),
        ("nadie", PASSWORD),
        ("sin.clave", PASSWORD),  # a user without a password cannot log in with one
        ("sin.clave", ""),
    ]:
        with node.sessions() as session, pytest.raises(AuthenticationError) as err:
            auth.login(session, node=node, username=username, password=password, address="x")
        messages.append(err.value.message)
    assert len(set(messages)) == 1, messages


def test_inactive_user_cannot_log_in(node: Node) -> None:
    _add(node)
    with node.sessions() as session:
        session.execute(update(User).where(User.username == "ana.rojas").values(active=False))
        session.commit()
    with node.sessions() as session, pytest.raises(AuthenticationError):
        auth.login(session, node=node, username="ana.rojas", password=PASSWORD, address="x")


# --- tokens ------------------------------------------------------------------------------


def _issue(node: Node, username: str = "ana.rojas") -> str:
    with node.sessions() as session:
        token, expires = auth.issue_token(
            session, node=node, principal=node.system, username=username, ttl_days=7
        )
        session.commit()
    assert token.startswith(auth.TOKEN_PREFIX)
    assert expires > datetime.now(UTC) + timedelta(days=6)
    return token


def test_tokens_are_stored_only_as_hashes(node: Node) -> None:
    _add(node)
    token = _issue(node)
    with node.sessions() as session:
        rows = session.execute(text("SELECT * FROM api_tokens")).all()
        assert len(rows) == 1
        for value in rows[0]:
            assert token not in str(value)
            assert token[len(auth.TOKEN_PREFIX) :] not in str(value)
        stored = session.scalar(select(ApiToken.token_hash))
        assert stored == hashlib.sha256(token.encode()).hexdigest()
        assert auth.authenticate(session, token).username == "ana.rojas"


def test_issue_token_refuses_out_of_range_lifetimes(node: Node) -> None:
    _add(node)
    for days in (0, -1, 366):
        with node.sessions() as session, pytest.raises(InputError):
            auth.issue_token(
                session, node=node, principal=node.system, username="ana.rojas", ttl_days=days
            )


def test_unknown_token_is_refused(node: Node) -> None:
    _add(node)
    _issue(node)
    with node.sessions() as session, pytest.raises(AuthenticationError):
        auth.authenticate(session, auth.TOKEN_PREFIX + "x" * 43)


def test_expired_token_is_refused(node: Node, client: TestClient) -> None:
    _add(node)
    token = _issue(node)
    with node.sessions() as session:
        session.execute(
            update(ApiToken).values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        session.commit()
    with node.sessions() as session, pytest.raises(AuthenticationError) as err:
        auth.authenticate(session, token)
    assert "expiró" in err.value.message
    r = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_revoked_token_is_refused(node: Node, client: TestClient) -> None:
    _add(node)
    token = _issue(node)
    other = _issue(node)
    with node.sessions() as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == auth.token_hash(token))
            .values(revoked=True)
        )
        session.commit()
    with node.sessions() as session:
        with pytest.raises(AuthenticationError):
            auth.authenticate(session, token)
        assert auth.authenticate(session, other).username == "ana.rojas"
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {other}"}).status_code
        == 200
    )


def test_token_of_deactivated_user_is_refused(node: Node) -> None:
    _add(node)
    token = _issue(node)
    with node.sessions() as session:
        session.execute(update(User).values(active=False))
        session.commit()
    with node.sessions() as session, pytest.raises(AuthenticationError):
        auth.authenticate(session, token)


# --- POST /api/v1/auth/token -------------------------------------------------------------


def _audit(node: Node, action: str) -> list[AuditEntry]:
    with node.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_api_login_issues_a_working_token_and_is_audited(
    node: Node, client: TestClient, staff: Staff
) -> None:
    staff.add("ana.rojas", "analyst")
    r = client.post("/api/v1/auth/token", json={"username": "ana.rojas", "password": PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    assert datetime.fromisoformat(r.json()["expires_at"]) > datetime.now(UTC)
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["username"] == "ana.rojas"
    assert [e.target for e in _audit(node, "auth.login")] == ["ana.rojas"]
    assert _audit(node, "auth.login_failed") == []


def test_api_login_failure_is_401_same_for_any_cause_and_audited(
    node: Node, client: TestClient, staff: Staff
) -> None:
    staff.add("ana.rojas", "analyst")
    tokens_before = _token_count(node)
    wrong = client.post("/api/v1/auth/token", json={"username": "ana.rojas", "password": "x" * 12})
    unknown = client.post("/api/v1/auth/token", json={"username": "nadie", "password": PASSWORD})
    for r in (wrong, unknown):
        assert r.status_code == 401, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "token" not in r.json()
    assert wrong.json() == unknown.json()
    assert _token_count(node) == tokens_before
    failed = _audit(node, "auth.login_failed")
    assert [(e.actor, e.target) for e in failed] == [
        ("anon:ana.rojas", "ana.rojas"),
        ("anon:nadie", "nadie"),
    ]
    assert all(PASSWORD not in e.detail and "x" * 12 not in e.detail for e in failed)
    assert _audit(node, "auth.login") == []


def _token_count(node: Node) -> int:
    with node.sessions() as session:
        return len(list(session.scalars(select(ApiToken.id))))
