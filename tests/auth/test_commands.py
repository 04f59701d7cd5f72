"""``alianza users``: the operator acts as the node; disable and revoke-tokens exist.

One test, because each real ``alianza`` process takes seconds to start.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alianza.audit.models import AuditEntry
from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.errors import AuthenticationError
from alianza.node.context import open_node
from tests.conftest import FreshNode


def _token(stdout: str) -> str:
    found = re.search(r"(alz_[A-Za-z0-9_-]+)", stdout)
    assert found, stdout
    return found.group(1)


def test_users_commands_act_as_the_node(fresh: FreshNode) -> None:
    fresh.cli("node", "init", "--country", "CL", "--agency", "PDI", check=True)
    fresh.env["ALIANZA_TOKEN_TTL_DAYS"] = "4"
    add = fresh.cli("users", "add", "--username", "ana", "--role", "analyst", check=True)
    token = _token(add.stdout)
    # The token's lifetime comes from the settings (it was 30 days, hard-coded).
    assert f"vence {datetime.now(UTC) + timedelta(days=4):%Y-%m-%d}" in add.stdout
    carab = fresh.cli(
        "users", "add", "--username", "caro", "--role", "administrator", "--agency", "Carabineros"
    )
    assert carab.returncode == 0, carab.stderr
    foreign = fresh.cli("users", "add", "--username", "eco", "--role", "analyst", "--country", "EC")
    assert foreign.returncode == 4, foreign.stderr
    assert "país (CL)" in foreign.stderr
    node = open_node(fresh.settings)
    fresh.opened.append(node)
    with node.sessions() as session:
        assert auth.authenticate(session, token).username == "ana"

    revoked = fresh.cli("users", "revoke-tokens", "ana", check=True)
    assert "1" in revoked.stdout
    disabled = fresh.cli("users", "disable", "caro", check=True)
    assert "desactivado" in disabled.stdout
    # Acting as a deactivated user is an authentication error (it was exit 8, integrity).
    as_caro = fresh.cli("records", "export", "--user", "caro")
    assert as_caro.returncode == 3, as_caro.stderr
    assert "desactivado" in as_caro.stderr
    missing = fresh.cli("users", "disable", "nadie")
    assert missing.returncode == 5
    listed = fresh.cli("users", "list", check=True)
    assert "ana" in listed.stdout and "caro" in listed.stdout

    with node.sessions() as session:
        with pytest.raises(AuthenticationError):
            auth.authenticate(session, token)
        with pytest.raises(AuthenticationError):
            auth.active_principal(session, "caro")
        acts = [
            (e.actor, e.action, e.target)
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))
            if e.action.startswith("user.")
        ]
    operator = Principal.system(country="CL", agency="PDI").label
    assert acts == [
        (operator, "user.add", "ana"),
        (operator, "user.token", "ana"),
        (operator, "user.add", "caro"),
        (operator, "user.token", "caro"),
        (operator, "user.revoke_tokens", "ana"),
        (operator, "user.disable", "caro"),
        (operator, "user.list", ""),
    ]
