"""Issue 9, A8: an agency's administrators read their own agency's audit entries only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from alianza.audit.models import AuditEntry
from alianza.audit.service import audit_act
from alianza.auth import service as auth
from alianza.auth.permissions import Action, Principal, allowed, visible
from alianza.node.context import Node

PEER = Principal.peer(node_id="ec-0123456789ab", country="EC", agency="Policía Nacional")
QUERY = {"given_names": "JOSÉ LUIS", "surname_1": "GONZÁLEZ", "birth_date": "1985-07-14"}


def _user(node: Node, username: str, role: str, agency: str) -> tuple[Principal, str]:
    with node.sessions() as session:
        user = auth.add_user(
            session,
            node=node,
            principal=node.system,
            username=username,
            full_name=username,
            country="CL",
            agency=agency,
            role=role,
        )
        token, _ = auth.issue_token(session, node=node, principal=node.system, username=username)
        session.commit()
        return auth.principal_of(user), token


def _setup(node: Node) -> dict[str, tuple[Principal, str]]:
    people = {
        "pdi_admin": _user(node, "pdi_admin", "administrator", "PDI"),
        "pdi_ana": _user(node, "pdi_ana", "analyst", "PDI"),
        "car_admin": _user(node, "car_admin", "administrator", "Carabineros"),
        "car_sup": _user(node, "car_sup", "supervisor", "Carabineros"),
        "car_ana": _user(node, "car_ana", "analyst", "Carabineros"),
    }
    with node.sessions() as session:
        audit_act(session, node, people["pdi_ana"][0], "record.read", "pdi-record", {})
        audit_act(session, node, people["car_ana"][0], "record.read", "car-record", {})
        audit_act(session, node, PEER, "query.hit_answered", "person", {"query": QUERY})
        audit_act(session, node, node.system, "audit.checkpoint", "", {})
        session.commit()
    return people


def _actors(client: TestClient, token: str) -> set[str]:
    answer = client.get(
        "/api/v1/audit", params={"limit": 1000}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    return {e["actor"] for e in answer.json()}


def test_another_agencys_administrator_reads_only_its_own_entries(
    node: Node, client: TestClient
) -> None:
    people = _setup(node)
    for name in ("car_admin", "car_sup"):
        actors = _actors(client, people[name][1])
        assert "car_ana@Carabineros.CL" in actors
        assert all(a.endswith("@Carabineros.CL") for a in actors), actors


def test_the_node_agency_reads_its_own_system_and_partner_entries(
    node: Node, client: TestClient
) -> None:
    people = _setup(node)
    actors = _actors(client, people["pdi_admin"][1])
    assert {"pdi_ana@PDI.CL", node.system.label, PEER.label} <= actors
    assert "car_ana@Carabineros.CL" not in actors


def test_the_python_check_and_the_sql_clause_agree(node: Node) -> None:
    people = _setup(node)
    principals = [p for p, _ in people.values()] + [node.system]
    with node.sessions() as session:
        everything = list(session.scalars(select(AuditEntry)))
        for principal in principals:
            if not allowed(principal, Action.AUDIT):
                continue
            listed = set(
                session.scalars(
                    select(AuditEntry.seq).where(visible(principal, Action.AUDIT, AuditEntry))
                )
            )
            checked = {e.seq for e in everything if allowed(principal, Action.AUDIT, e)}
            assert listed == checked, principal.label
    assert any(QUERY["surname_1"] in e.detail for e in everything)
