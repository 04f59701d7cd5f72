"""An applicant's checks on one node (``alianza.status.checks`` and ``flows``, with no
partner: this node's own records answer): a hit pauses the application until a
supervisor reviews it, a confirmed criminal record is the only way to mark a refusal for
removal and never with a protection block, no hit leaves it to a person's decision, and
bad input. Partners' answers between real node processes: ``test_application_exchange``.
Both backends.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from alianza.auth.permissions import Principal
from alianza.errors import Conflict, InputError, NotFound, PermissionDenied
from alianza.node.context import Node
from alianza.status import applications, checks, decisions, flows
from tests.conftest import Factory
from tests.status.test_applications import AGENCY, row, staff  # noqa: F401

WANTED = {
    "category": "wanted",
    "given_names": "María José",
    "surname_1": "González",
    "surname_2": "Pérez",
    "birth_date": "1990-05-05",
    "nationality": "VE",
    "documents": [{"type": "CI_VE", "number": "12345678"}],
}


@pytest.fixture
def held(factory: Factory) -> None:
    """PDI, on this node, holds the applicant as a wanted person."""
    ana = factory.user("ana.pdi", "analyst", agency="PDI")[0]
    factory.record(ana, "person", WANTED, discoverable="members")


def _register(node: Node, who: Principal, **cells: Any) -> str:
    with node.sessions() as session:
        found = applications.register(session, node, who, row(**cells))
        session.commit()
        return found.id


def _status(node: Node, who: Principal, app_id: str) -> str:
    with node.sessions() as session:
        return applications.visible_application(session, who, app_id).status


@pytest.mark.usefixtures("held")
def test_a_hit_pauses_until_a_supervisor_reviews_it(
    node: Node,
    staff: dict[str, Principal],  # noqa: F811
) -> None:
    cata, sofi = staff["cata"], staff["sofi"]
    app_id = _register(node, cata)
    report = flows.run_checks(node, cata, app_id)
    assert report.status == "paused_hit" and report.hits == 2
    assert {(c["kind"], c["result"]) for c in report.checks} == {
        ("criminal_record", "HIT"),
        ("document_alert", "HIT"),
    }
    first = report.checks[0]
    assert first["purpose"] == "migration_status" and "Ley 21.325" in first["legal_basis"]
    assert first["node"] == node.node_id and first["release_request_id"] is None
    with node.sessions() as session:
        with pytest.raises(Conflict, match="revisa primero cada coincidencia"):
            decisions.decide(session, node, cata, app_id, confirm=True, reason="ok")
        with pytest.raises(PermissionDenied):
            checks.review(session, node, cata, first["id"], verdict="cleared", reason="x")
        with pytest.raises(InputError, match="veredicto"):
            checks.review(session, node, sofi, first["id"], verdict="quizás", reason="x")
        with pytest.raises(InputError, match="motivo"):
            checks.review(session, node, sofi, first["id"], verdict="cleared", reason=" ")
        by_kind = {c["kind"]: c["id"] for c in report.checks}
        checks.review(
            session, node, sofi, by_kind["document_alert"], verdict="confirmed",
            reason="el documento figura en la ficha",
        )  # fmt: skip
        assert applications.visible_application(session, sofi, app_id).status == "paused_hit"
        checks.review(
            session, node, sofi, by_kind["criminal_record"], verdict="confirmed",
            reason="misma persona: huellas y fotografía",
        )  # fmt: skip
        with pytest.raises(Conflict, match="ya fue revisada"):
            checks.review(
                session, node, sofi, by_kind["criminal_record"], verdict="cleared", reason="x"
            )
        found = applications.visible_application(session, cata, app_id)
        assert found.status == "evaluated"
        with pytest.raises(InputError, match="solo se marca para expulsión una denegación"):
            decisions.decide(session, node, cata, app_id, confirm=True, reason="x", removal=True)
        made = decisions.decide(
            session, node, cata, app_id, confirm=False, outcome="not_eligible",
            reason="condena firme confirmada", removal=True,
        )  # fmt: skip
        assert (made.removal, made.needs_sign_off, found.status) == (True, True, "decided")
        detail = applications.detail(session, node, cata, app_id)
        assert [c["review"] for c in detail["checks"]] == ["confirmed", "confirmed"]
        assert detail["decisions"][0]["removal"] is True
        session.commit()


@pytest.mark.usefixtures("held")
def test_a_protection_block_forbids_removal_even_with_a_confirmed_record(
    node: Node,
    staff: dict[str, Principal],  # noqa: F811
) -> None:
    cata, sofi = staff["cata"], staff["sofi"]
    app_id = _register(node, cata, flags="asylum_pending")
    report = flows.run_checks(node, cata, app_id)
    with node.sessions() as session:
        for c in report.checks:
            checks.review(session, node, sofi, c["id"], verdict="confirmed", reason="misma")
        with pytest.raises(Conflict, match="nunca se marca para expulsión"):
            decisions.decide(
                session, node, cata, app_id, confirm=False, outcome="not_eligible",
                reason="condena", removal=True,
            )  # fmt: skip


def test_no_hit_leaves_it_to_a_person_and_cleared_hits_allow_no_removal(
    node: Node,
    factory: Factory,
    staff: dict[str, Principal],  # noqa: F811
) -> None:
    cata, sofi = staff["cata"], staff["sofi"]
    app_id = _register(node, cata)
    report = flows.run_checks(node, cata, app_id)
    assert [c["result"] for c in report.checks] == ["NO_HIT", "NO_HIT"]
    assert report.status == "evaluated"
    no_birth = _register(
        node, cata, application_id="a2", given_names="Otra", birth_date="", document_number=""
    )
    asked = flows.run_checks(node, cata, no_birth)
    assert [c["result"] for c in asked.checks] == ["NOT_ASKED", "NOT_ASKED"]
    assert "fecha de nacimiento" in asked.checks[0]["note"]
    # A namesake: the same names and birth date, another person; the hit is cleared.
    ana = factory.user("ana.pdi", "analyst", agency="PDI")[0]
    factory.record(ana, "person", {**WANTED, "documents": []}, discoverable="members")
    paused = flows.run_checks(node, cata, app_id)
    assert paused.status == "paused_hit"
    [hit] = [c for c in paused.checks if c["result"] == "HIT"]
    with node.sessions() as session:
        checks.review(session, node, sofi, hit["id"], verdict="cleared", reason="otra madre")
        with pytest.raises(Conflict, match="antecedente penal confirmado"):
            decisions.decide(
                session, node, cata, app_id, confirm=False, outcome="not_eligible",
                reason="x", removal=True,
            )  # fmt: skip
        made = decisions.decide(session, node, cata, app_id, confirm=True, reason="en regla")
        assert (made.removal, made.outcome) == (False, "eligible")
        session.commit()
    with pytest.raises(Conflict, match="se consulta mientras espera la decisión"):
        flows.run_checks(node, cata, app_id)


def test_bad_input_changes_nothing(node: Node, staff: dict[str, Principal]) -> None:  # noqa: F811
    cata, otro, ana = staff["cata"], staff["otro"], staff["ana"]
    app_id = _register(node, cata)
    with pytest.raises(InputError, match="base legal"):
        flows.run_checks(node, cata, app_id, legal_basis="ley\u202e")
    with pytest.raises(NotFound):
        flows.run_checks(node, otro, app_id)
    with pytest.raises(PermissionDenied):
        flows.run_checks(node, ana, app_id)
    with node.sessions() as session:
        with pytest.raises(NotFound):
            checks.review(
                session, node, staff["sofi"], "00000000-0000-4000-8000-000000000000",
                verdict="cleared", reason="x",
            )  # fmt: skip
        assert checks.checks(session, app_id) == []
    assert _status(node, cata, app_id) == "evaluated"


@pytest.mark.usefixtures("held")
def test_checks_through_the_api(client: TestClient, factory: Factory) -> None:
    cata = {"Authorization": f"Bearer {factory.user('cata', 'caseworker', agency=AGENCY)[1]}"}
    sofi = {"Authorization": f"Bearer {factory.user('sofi', 'supervisor', agency=AGENCY)[1]}"}
    body = {**row(), "entry_regular": True}
    app_id = client.post("/api/v1/status/applications", json=body, headers=cata).json()["id"]
    url = f"/api/v1/status/applications/{app_id}/checks"
    assert client.post(url, json={"legal_basis": "x\u0000"}, headers=cata).status_code == 422
    ran = client.post(url, headers=cata)  # no body: the country's legal basis
    assert ran.status_code == 200, ran.text
    assert ran.json()["status"] == "paused_hit"
    listed = client.get(url, headers=cata).json()["checks"]
    assert [c["result"] for c in listed] == ["HIT", "HIT"]
    other = client.post(
        f"/api/v1/status/applications/{'0' * 8}/checks/{listed[0]['id']}/review",
        json={"verdict": "cleared", "reason": "x"}, headers=sofi,
    )  # fmt: skip
    assert other.status_code == 404
    for c in listed:
        done = client.post(
            f"{url}/{c['id']}/review", json={"verdict": "cleared", "reason": "otra persona"},
            headers=sofi,
        )  # fmt: skip
        assert done.status_code == 200, done.text
    assert done.json()["status"] == "evaluated"
    assert done.json()["check"]["review"] == "cleared"


def test_a_partners_answer_is_checked_like_any_partner_data(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alianza.exchange import flows as exchange
    from alianza.exchange.models import Peer
    from alianza.status.checks import Question

    peer = Peer(node_id="ec-1", country="EC", agency="Policía Nacional", url="http://x")
    who = Principal.system(country="CL", agency="SERMIG")
    question = Question("criminal_record", "person", {"given_names": "A"})
    good = {"ref": "r" * 24, "kind": "person"}
    for said, result in (
        ({"result": "HIT", "hits": [good]}, "HIT"),
        ({"result": "NO_HIT", "hits": []}, "NO_HIT"),
        ({"result": "HIT", "hits": []}, "ERROR"),
        ({"result": "HIT", "hits": [{"ref": "x" * 500, "kind": "person"}]}, "ERROR"),
        ({"result": "HIT", "hits": [{"ref": "r" * 24, "kind": "dragon"}]}, "ERROR"),
        ({"result": "HIT", "hits": [good] * 11}, "ERROR"),
        ({"result": "MAYBE", "hits": []}, "ERROR"),
        ({"result": "ERROR", "hits": [], "error": "no responde"}, "ERROR"),
    ):
        monkeypatch.setattr(exchange, "ask_peer", lambda *_, said=said: said)
        answer = flows._there(node, who, question, peer)
        assert answer.result == result, said
        assert len(";".join(answer.refs)) < 1000
