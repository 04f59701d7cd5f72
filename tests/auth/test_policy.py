"""A3: an administrator manages the users of their own agency of their own country only.

Before the fix, Carabineros' administrator created a PDI supervisor (or an Ecuadorian
one), who then read PDI's agency-only records; every administrator listed every user.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from alianza.audit.models import AuditEntry
from alianza.auth import service as auth
from alianza.auth.models import ApiToken, User
from alianza.auth.permissions import Action, Principal, Role, allowed, visible
from alianza.errors import InputError, NotFound, PermissionDenied
from alianza.node.context import Node
from tests.auth.conftest import Staff

NEW = {
    "username": "nuevo.super",
    "full_name": "Nuevo Supervisor",
    "role": "supervisor",
    "password": "una-clave-larga-123",
}


@pytest.fixture
def world(staff: Staff) -> dict[str, str]:
    """Administrators and users of PDI, Carabineros (both CL) and Ecuador: name -> token."""
    tokens = {}
    for name, role, country, agency in [
        ("pdi.admin", "administrator", "CL", "PDI"),
        ("pdi.analyst", "analyst", "CL", "PDI"),
        ("carab.admin", "administrator", "CL", "Carabineros"),
        ("carab.analyst", "analyst", "CL", "Carabineros"),
        ("ec.admin", "administrator", "EC", "Policía Nacional"),
    ]:
        tokens[name] = staff.add(name, role, country=country, agency=agency)[1]
    return tokens


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _usernames(node: Node) -> set[str]:
    with node.sessions() as session:
        return set(session.scalars(select(User.username)))


@pytest.mark.parametrize(
    ("country", "agency"),
    [("CL", "PDI"), ("EC", "Policía Nacional"), ("EC", "Carabineros"), ("PE", "PDI")],
)
def test_an_administrator_cannot_create_users_of_another_agency_or_country(
    node: Node, client: TestClient, world: dict[str, str], country: str, agency: str
) -> None:
    before = _usernames(node)
    r = client.post(
        "/api/v1/users",
        json={**NEW, "country": country, "agency": agency},
        headers=_h(world["carab.admin"]),
    )
    assert r.status_code == 403, r.text
    assert "Carabineros" in r.json()["detail"] or "CL" in r.json()["detail"]
    assert _usernames(node) == before


def test_an_administrator_creates_users_of_their_own_agency(
    node: Node, client: TestClient, world: dict[str, str]
) -> None:
    r = client.post(
        "/api/v1/users",
        json={**NEW, "country": "CL", "agency": "Carabineros"},
        headers=_h(world["carab.admin"]),
    )
    assert r.status_code == 201, r.text
    assert r.json() == {
        "username": "nuevo.super",
        "full_name": "Nuevo Supervisor",
        "country": "CL",
        "agency": "Carabineros",
        "role": "supervisor",
        "active": True,
    }
    with node.sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.add")).all()[-1]
    assert (entry.actor, entry.target) == ("carab.admin@Carabineros.CL", "nuevo.super")


def test_an_administrator_lists_only_the_users_of_their_agency(
    client: TestClient, world: dict[str, str]
) -> None:
    r = client.get("/api/v1/users", headers=_h(world["carab.admin"]))
    assert r.status_code == 200, r.text
    assert {u["username"] for u in r.json()} == {"carab.admin", "carab.analyst"}
    r = client.get("/api/v1/users", headers=_h(world["ec.admin"]))
    assert {u["username"] for u in r.json()} == {"ec.admin"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/users/pdi.analyst/disable"),
        ("post", "/api/v1/users/pdi.analyst/enable"),
        ("post", "/api/v1/users/pdi.analyst/tokens"),
        ("delete", "/api/v1/users/pdi.analyst/tokens"),
    ],
)
def test_another_agencys_user_looks_like_a_missing_one(
    node: Node, client: TestClient, world: dict[str, str], method: str, path: str
) -> None:
    with node.sessions() as session:
        tokens_before = len(session.scalars(select(ApiToken.id)).all())
    other = client.request(method, path, headers=_h(world["carab.admin"]))
    missing = client.request(
        method, path.replace("pdi.analyst", "nadie.aqui"), headers=_h(world["carab.admin"])
    )
    assert other.status_code == missing.status_code == 404, other.text
    assert other.json()["detail"].replace("pdi.analyst", "X") == missing.json()["detail"].replace(
        "nadie.aqui", "X"
    )
    with node.sessions() as session:
        assert len(session.scalars(select(ApiToken.id)).all()) == tokens_before
        assert session.scalar(select(User.active).where(User.username == "pdi.analyst"))
    # ... and the analyst's token still works.
    assert client.get("/api/v1/auth/me", headers=_h(world["pdi.analyst"])).status_code == 200


def test_roles_without_manage_users_are_refused_with_403(
    client: TestClient, world: dict[str, str]
) -> None:
    h = _h(world["pdi.analyst"])
    assert client.get("/api/v1/users", headers=h).status_code == 403
    assert client.post("/api/v1/users/pdi.admin/disable", headers=h).status_code == 403
    assert client.delete("/api/v1/users/pdi.admin/tokens", headers=h).status_code == 403
    created = client.post(
        "/api/v1/users", json={**NEW, "country": "CL", "agency": "PDI"}, headers=h
    )
    assert created.status_code == 403


@pytest.mark.parametrize("role", ["system", "peer"])
def test_users_cannot_be_given_the_roles_of_nodes(node: Node, role: str) -> None:
    # Role "system" holds manage_users for every agency of the country and reads every
    # record: an administrator must not be able to mint one.
    admin = Principal(username="a", country="CL", agency="PDI", role=Role.ADMINISTRATOR)
    with node.sessions() as session, pytest.raises(InputError) as err:
        auth.add_user(
            session,
            node=node,
            principal=admin,
            username="falso.nodo",
            full_name="",
            country="CL",
            agency="PDI",
            role=role,
        )
    assert err.value.problems[0].field == "role"


def test_the_node_manages_every_agency_of_its_country_and_no_other(node: Node) -> None:
    system = Principal.system(country=node.country, agency=node.agency)
    with node.sessions() as session:
        auth.add_user(
            session,
            node=node,
            principal=system,
            username="carab.nuevo",
            full_name="",
            country="CL",
            agency="Carabineros",
            role="administrator",
        )
        with pytest.raises(PermissionDenied):
            auth.add_user(
                session,
                node=node,
                principal=system,
                username="ec.nuevo",
                full_name="",
                country="EC",
                agency="Policía Nacional",
                role="analyst",
            )
        session.commit()
        assert [u.username for u in auth.list_users(session, node=node, principal=system)] == [
            "carab.nuevo"
        ]


def test_python_rule_and_sql_clause_agree(node: Node, world: dict[str, str]) -> None:
    callers = {
        "pdi.admin": Principal("pdi.admin", "CL", "PDI", Role.ADMINISTRATOR),
        "carab.admin": Principal("carab.admin", "CL", "Carabineros", Role.ADMINISTRATOR),
        "ec.admin": Principal("ec.admin", "EC", "Policía Nacional", Role.ADMINISTRATOR),
        "cl.node": Principal.system(country="CL", agency="PDI"),
        "pdi.analyst": Principal("pdi.analyst", "CL", "PDI", Role.ANALYST),
    }
    expected = {
        "pdi.admin": {"pdi.admin", "pdi.analyst"},
        "carab.admin": {"carab.admin", "carab.analyst"},
        "ec.admin": {"ec.admin"},
        "cl.node": {"pdi.admin", "pdi.analyst", "carab.admin", "carab.analyst"},
        "pdi.analyst": set(),
    }
    with node.sessions() as session:
        users = list(session.scalars(select(User)))
        for name, principal in callers.items():
            by_sql = set(
                session.scalars(
                    select(User.username).where(visible(principal, Action.MANAGE_USERS, User))
                )
            )
            by_python = {u.username for u in users if allowed(principal, Action.MANAGE_USERS, u)}
            assert by_sql == by_python == expected[name], name


def test_managing_a_missing_user_is_not_found(node: Node) -> None:
    system = Principal.system(country=node.country, agency=node.agency)
    with node.sessions() as session, pytest.raises(NotFound):
        auth.disable_user(session, node=node, principal=system, username="\ud800")


def test_a_user_row_holding_a_nodes_role_acts_as_nobody(
    node: Node, client: TestClient, world: dict[str, str]
) -> None:
    with node.sessions() as session:
        session.execute(update(User).where(User.username == "pdi.analyst").values(role="system"))
        session.commit()
    assert client.get("/api/v1/users", headers=_h(world["pdi.analyst"])).status_code == 401
