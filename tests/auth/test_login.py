"""B1 and B2: the login does not tell which names exist, and guessing is locked out.

Before the fix an unknown name answered in 3-5 ms and a wrong password in 124 ms, and 40
wrong passwords followed by the right one logged in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from alianza.app import create_app
from alianza.audit.models import AuditEntry
from alianza.auth import service as auth
from alianza.auth.models import LoginThrottle, User
from alianza.errors import AuthenticationError, RateLimited
from alianza.node.context import Node
from tests.auth.conftest import PASSWORD, Staff

WRONG = "no-es-la-clave-1"


def _try(node: Node, username: str, password: str = WRONG, address: str = "10.0.0.1") -> int:
    """One login through the service, committed as the API commits it: its status."""
    with node.sessions() as session:
        try:
            auth.login(session, node=node, username=username, password=password, address=address)
            status = 200
        except AuthenticationError:
            status = 401
        except RateLimited:
            status = 429
        session.commit()
    return status


def _audit(node: Node, action: str) -> list[AuditEntry]:
    with node.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _age(node: Node, **values: Any) -> None:
    """Move every counter's clock (the lock's end, the window's start)."""
    with node.sessions() as session:
        session.execute(update(LoginThrottle).values(**values))
        session.commit()


@pytest.fixture
def from_address(node: Node) -> Iterator[Callable[[str], TestClient]]:
    """A test client whose requests come from a given address."""
    app = create_app(node=node)
    made: list[TestClient] = []

    def make(address: str) -> TestClient:
        client = TestClient(app, client=(address, 50000))
        client.__enter__()
        made.append(client)
        return client

    yield make
    for client in made:
        client.__exit__(None, None, None)


# --- B1: the same work whether the name exists or not --------------------------------------


def test_every_failed_login_hashes_exactly_once(
    node: Node, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff.add("ana.rojas")
    staff.add("sin.clave", password=None)
    staff.add("baja", password=PASSWORD)
    with node.sessions() as session:
        session.execute(update(User).where(User.username == "baja").values(active=False))
        session.commit()
    auth._dummy_hash()  # made once per process, not per login
    calls: list[tuple[int, int, int]] = []
    real = hashlib.scrypt

    def counting(password: bytes, **kw: Any) -> bytes:
        calls.append((kw["n"], kw["r"], kw["p"]))
        return real(password, **kw)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    cases = [
        ("ana.rojas", WRONG),  # wrong password
        ("nadie", PASSWORD),  # unknown name
        ("baja", PASSWORD),  # deactivated user, right password
        ("sin.clave", PASSWORD),  # user without a password
        ("Nombre Inválido\u202e", PASSWORD),  # a name no user can have
        ("ana.rojas", "\ud800" * 20),  # a lone surrogate is a wrong password, not a 500
    ]
    for i, (username, password) in enumerate(cases):
        calls.clear()
        assert _try(node, username, password, address=f"10.0.1.{i}") == 401, username
        assert calls == [(2**14, 8, 1)], username
    calls.clear()
    assert _try(node, "ana.rojas", PASSWORD) == 200
    assert calls == [(2**14, 8, 1)]


# --- B2: lock-out per name and per address ---------------------------------------------


def test_ten_failures_lock_the_name_even_for_the_right_password(
    node: Node, staff: Staff, from_address: Callable[[str], TestClient]
) -> None:
    staff.add("ana.rojas")
    for i in range(10):
        r = from_address(f"10.1.0.{i}").post(
            "/api/v1/auth/token", json={"username": "ana.rojas", "password": WRONG}
        )
        assert r.status_code == 401, (i, r.text)
    right = from_address("10.1.1.1").post(
        "/api/v1/auth/token", json={"username": "ana.rojas", "password": PASSWORD}
    )
    assert right.status_code == 429, right.text
    assert "token" not in right.json()
    assert "intentos fallidos" in right.json()["detail"]
    assert "espere 15 minutos" in right.json()["detail"]
    assert right.headers["content-type"].startswith("application/problem+json")
    failed = _audit(node, "auth.login_failed")
    assert len(failed) == 10
    assert {json.loads(e.detail)["address"] for e in failed} == {f"10.1.0.{i}" for i in range(10)}
    [lock] = _audit(node, "auth.lockout")
    assert lock.target == "ana.rojas"
    assert json.loads(lock.detail) == {
        "scope": "user",
        "failures": 10,
        "minutes": 15,
        "lockouts": 1,
    }
    assert lock.actor == node.system.label


def test_a_locked_name_looks_the_same_whether_it_exists_or_not(
    staff: Staff, from_address: Callable[[str], TestClient]
) -> None:
    staff.add("ana.rojas")
    answers: dict[str, Any] = {}
    for name in ("ana.rojas", "nadie.nunca"):
        for i in range(11):
            r = from_address(f"10.2.{len(answers)}.{i}").post(
                "/api/v1/auth/token", json={"username": name, "password": WRONG}
            )
            assert r.status_code == (401 if i < 10 else 429), (name, i, r.text)
        answers[name] = r.json()
    assert answers["ana.rojas"] == answers["nadie.nunca"]


def test_ten_failures_from_one_address_lock_the_address(
    node: Node, staff: Staff, from_address: Callable[[str], TestClient]
) -> None:
    staff.add("ana.rojas")
    guesser = from_address("203.0.113.9")
    for i in range(10):  # password spraying: a different name each time
        r = guesser.post("/api/v1/auth/token", json={"username": f"u{i}x", "password": WRONG})
        assert r.status_code == 401
    mine = {"username": "ana.rojas", "password": PASSWORD}
    assert guesser.post("/api/v1/auth/token", json=mine).status_code == 429
    assert from_address("198.51.100.7").post("/api/v1/auth/token", json=mine).status_code == 200
    [lock] = _audit(node, "auth.lockout")
    assert (lock.target, json.loads(lock.detail)["scope"]) == ("203.0.113.9", "address")


def test_failures_older_than_the_window_do_not_count(node: Node, staff: Staff) -> None:
    staff.add("ana.rojas")
    for i in range(9):
        assert _try(node, "ana.rojas", address=f"10.3.0.{i}") == 401
    _age(node, window_start=datetime.now(UTC) - timedelta(minutes=16))
    for i in range(9):
        assert _try(node, "ana.rojas", address=f"10.3.1.{i}") == 401
    assert _try(node, "ana.rojas", PASSWORD, address="10.3.2.1") == 200
    assert _audit(node, "auth.lockout") == []


def test_a_success_clears_the_names_count(node: Node, staff: Staff) -> None:
    staff.add("ana.rojas")
    for i in range(9):
        assert _try(node, "ana.rojas", address=f"10.4.0.{i}") == 401
    assert _try(node, "ana.rojas", PASSWORD, address="10.4.1.1") == 200
    for i in range(9):
        assert _try(node, "ana.rojas", address=f"10.4.2.{i}") == 401
    assert _try(node, "ana.rojas", PASSWORD, address="10.4.3.1") == 200


def test_the_lock_ends_and_the_next_one_lasts_twice_as_long(node: Node, staff: Staff) -> None:
    staff.add("ana.rojas")
    for i in range(10):
        _try(node, "ana.rojas", address=f"10.5.0.{i}")
    for i in range(5):  # refused while locked: counted, not audited one by one
        assert _try(node, "ana.rojas", PASSWORD, address=f"10.5.1.{i}") == 429
    assert len(_audit(node, "auth.login_failed")) == 10
    _age(node, locked_until=datetime.now(UTC) - timedelta(seconds=1))
    for i in range(10):
        assert _try(node, "ana.rojas", address=f"10.5.2.{i}") == 401
    refused = _audit(node, "auth.lockout_refused")
    assert [json.loads(e.detail) for e in refused] == [{"scope": "user", "refused": 5}]
    first, second = _audit(node, "auth.lockout")
    assert json.loads(first.detail)["minutes"] == 15
    assert json.loads(second.detail)["minutes"] == 30
    with node.sessions() as session:
        row = session.get(LoginThrottle, ("user", "ana.rojas"))
        assert row is not None and row.locked_until is not None
        until = auth._aware(row.locked_until) - datetime.now(UTC)
    assert timedelta(minutes=29) < until <= timedelta(minutes=30)
    assert _try(node, "ana.rojas", PASSWORD, address="10.5.3.1") == 429


def test_enabling_a_user_lifts_the_lock_of_their_name(node: Node, staff: Staff) -> None:
    staff.add("ana.rojas")
    for i in range(10):
        _try(node, "ana.rojas", address=f"10.6.0.{i}")
    assert _try(node, "ana.rojas", PASSWORD, address="10.6.1.1") == 429
    with node.sessions() as session:
        auth.enable_user(
            session,
            node=node,
            principal=node.system,
            username="ana.rojas",
        )
        session.commit()
    assert _try(node, "ana.rojas", PASSWORD, address="10.6.1.2") == 200


def test_login_token_lifetime_comes_from_the_settings(
    node: Node, staff: Staff, client: TestClient
) -> None:
    staff.add("ana.rojas")
    node.settings = node.settings.model_copy(update={"token_ttl_days": 3})
    r = client.post("/api/v1/auth/token", json={"username": "ana.rojas", "password": PASSWORD})
    assert r.status_code == 200, r.text
    left = datetime.fromisoformat(r.json()["expires_at"]) - datetime.now(UTC)
    assert timedelta(days=2, hours=23) < left <= timedelta(days=3)


def test_quiet_counters_are_forgotten_and_their_refusals_audited(node: Node, staff: Staff) -> None:
    staff.add("ana.rojas")
    for i in range(10):
        _try(node, "ana.rojas", address=f"10.7.0.{i}")
    for i in range(3):
        assert _try(node, "ana.rojas", PASSWORD, address=f"10.7.1.{i}") == 429
    long_ago = datetime.now(UTC) - timedelta(days=2)
    _age(node, window_start=long_ago, locked_until=long_ago + timedelta(minutes=15))
    assert _try(node, "otro.nombre", address="10.7.2.1") == 401  # any failure tidies up
    with node.sessions() as session:
        keys = set(session.scalars(select(LoginThrottle.key)))
    assert "ana.rojas" not in keys and "10.7.0.1" not in keys
    assert {"otro.nombre", "10.7.2.1"} <= keys
    refused = _audit(node, "auth.lockout_refused")
    assert [json.loads(e.detail) for e in refused] == [{"scope": "user", "refused": 3}]
