"""The corridor's console pages in process (both backends): households and one household
with its flags, the workflow's moves, consent recorded and withdrawn, the plan per
departure, the map's table and the check-in screen; each for a role that may use it and
one that may not, and bad input refused by name with nothing changed.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alianza.auth.permissions import Principal
from alianza.corridor import casework, consents
from alianza.corridor.models import Checkin, ReturnCase
from alianza.db import transaction
from alianza.node.context import Node
from tests.conftest import Factory
from tests.web.console.test_session import PASSWORD, log_in


def _member(ref: str, given: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": ref,
        "birth_date": "1986-03-09",
        "consent": True,
        "flags": [],
        "given_names": f"{given} {ref}",
        "surname_1": "Carrasquel",
        "nationality": "VE",
        "document_number": f"V-{abs(hash(ref)) % 10**8}",
        **extra,
    }


def _case(node: Node, who: Principal, ref: str, **extra: Any) -> str:
    household = {
        "id": ref,
        "origin": "cl-santiago",
        "ready_date": date.today().isoformat(),
        "priority": "normal",
        "members": [_member(f"{ref}-a", "Yurbis", **extra)],
    }
    with transaction(node.sessions) as session:
        return casework.register(session, node, who, household).id


def _to_screened(node: Node, case_id: str, worker: Principal) -> None:
    with transaction(node.sessions) as session:
        casework.move(session, node, worker, case_id, "counselled", "orientación")
        for m in casework.members(session, worker, case_id):
            consents.record_consent(
                session, node, worker, case_id, m.person_ref,
                sheet_version="v1", language="es", counsellor="Elena",
            )  # fmt: skip
        casework.move(session, node, worker, case_id, "consented", "firmado")
        casework.move(session, node, worker, case_id, "screened", "evaluado")


def _to_approved(node: Node, case_id: str, worker: Principal, boss: Principal) -> None:
    _to_screened(node, case_id, worker)
    with transaction(node.sessions) as session:
        casework.move(session, node, boss, case_id, "approved", "revisado")


@pytest.fixture
def staff(factory: Factory) -> dict[str, Principal]:
    return {
        "elena": factory.user("elena", "caseworker", password=PASSWORD)[0],
        "diego": factory.user("diego", "supervisor", password=PASSWORD)[0],
        "bruno": factory.user("bruno", "border_officer", password=PASSWORD)[0],
        "ana": factory.user("ana", "analyst", password=PASSWORD)[0],
    }


def test_a_caseworker_sees_the_households_and_their_flags(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    held = _case(node, staff["elena"], "H-ASILO", flags=["asylum_pending"])
    _case(node, staff["elena"], "H-LIBRE")
    log_in(browser, "elena")
    home = browser.get("/consola")
    assert 'href="/consola/corredor"' in home.text and 'href="/consola/paso"' in home.text
    listed = browser.get("/consola/corredor")
    assert listed.status_code == 200
    assert "H-ASILO" in listed.text and "H-LIBRE" in listed.text
    shown = browser.get(f"/consola/corredor/hogares/{held}")
    assert shown.status_code == 200
    flags = shown.text.split('data-testid="banderas"')[1].split("</aside>")[0]
    assert "solicitud de asilo pendiente" in flags
    assert "sin consentimiento vigente: H-ASILO-a" in flags
    # The moves the workflow allows from "registered", each in the form.
    assert 'value="counselled"' in shown.text and 'value="approved"' not in shown.text


@pytest.mark.parametrize("who", ["bruno", "ana"])
def test_police_and_border_roles_never_see_casework(
    browser: TestClient, node: Node, staff: dict[str, Principal], who: str
) -> None:
    case_id = _case(node, staff["elena"], "H-1")
    log_in(browser, who)
    assert 'href="/consola/corredor"' not in browser.get("/consola").text
    for path in (
        "/consola/corredor",
        f"/consola/corredor/hogares/{case_id}",
        "/consola/corredor/plan",
    ):
        answer = browser.get(path)
        assert answer.status_code == 403, path
        assert "H-1" not in answer.text


def test_another_agencys_household_is_not_found(
    browser: TestClient, node: Node, factory: Factory, staff: dict[str, Principal]
) -> None:
    other = factory.user("olga", "caseworker", agency="SJM", password=PASSWORD)[0]
    case_id = _case(node, other, "H-SJM")
    log_in(browser, "elena")
    assert browser.get(f"/consola/corredor/hogares/{case_id}").status_code == 404
    assert "H-SJM" not in browser.get("/consola/corredor").text


def test_the_workflow_through_the_console_and_a_consent_withdrawn(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    case_id = _case(node, staff["elena"], "H-2")
    token = log_in(browser, "elena")
    base = f"/consola/corredor/hogares/{case_id}"
    moved = browser.post(
        f"{base}/mover", data={"csrf": token, "estado": "counselled", "motivo": "charla"}
    )
    assert moved.status_code == 200 and 'data-testid="hecho"' in moved.text
    given = browser.post(
        f"{base}/consentimiento",
        data={"csrf": token, "integrante": "H-2-a", "hoja": "v3", "idioma": "es",
              "orientador": "Elena Paredes"},
    )  # fmt: skip
    assert given.status_code == 200
    assert "todos los integrantes" in given.text
    gone = browser.post(
        f"{base}/desistir", data={"csrf": token, "integrante": "H-2-a", "motivo": "cambió de idea"}
    )
    assert gone.status_code == 200
    with node.sessions() as session:
        found = session.get(ReturnCase, case_id)
        assert found is not None and found.status == "withdrawn"
    assert "retirado" in gone.text and "cambió de idea" in gone.text


def test_only_a_supervisor_is_offered_the_approval(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    case_id = _case(node, staff["elena"], "H-3")
    _to_screened(node, case_id, staff["elena"])
    base = f"/consola/corredor/hogares/{case_id}"
    log_in(browser, "elena")
    assert 'value="approved"' not in browser.get(base).text
    token = log_in(browser, "diego")
    assert 'value="approved"' in browser.get(base).text
    approved = browser.post(
        f"{base}/mover", data={"csrf": token, "estado": "approved", "motivo": "revisado"}
    )
    assert approved.status_code == 200
    with node.sessions() as session:
        assert casework.case(session, staff["diego"], case_id).status == "approved"


def test_bad_input_is_named_in_spanish_and_changes_nothing(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    case_id = _case(node, staff["elena"], "H-4")
    token = log_in(browser, "elena")
    base = f"/consola/corredor/hogares/{case_id}"
    no_reason = browser.post(f"{base}/mover", data={"csrf": token, "estado": "counselled"})
    assert no_reason.status_code == 422
    assert "motivo" in no_reason.text and 'role="alert"' in no_reason.text
    skip = browser.post(
        f"{base}/mover", data={"csrf": token, "estado": "approved", "motivo": "apurado"}
    )
    assert skip.status_code == 409 and "pasos permitidos" in skip.text
    empty = browser.post(
        f"{base}/consentimiento",
        data={"csrf": token, "integrante": "H-4-a", "hoja": "", "idioma": "es", "orientador": "E"},
    )
    assert empty.status_code == 422 and "versión de la hoja" in empty.text
    with node.sessions() as session:
        found = session.get(ReturnCase, case_id)
        assert found is not None and found.status == "registered"
    assert "todos los integrantes" not in browser.get(base).text


def test_the_plan_shows_departures_with_their_households(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    case_id = _case(node, staff["elena"], "H-PLAN")
    _to_approved(node, case_id, staff["elena"], staff["diego"])
    log_in(browser, "elena")
    proposal = browser.get("/consola/corredor/plan?proponer=true&dias=3")
    assert proposal.status_code == 200, proposal.text
    assert 'data-testid="propuesta"' in proposal.text
    run = proposal.text.split('data-testid="salida"')[1]
    assert "H-PLAN" in run and "Santiago" in run and "Chacalluta" in run
    departure = run.split("<code>")[1].split("</code>")[0]
    assert departure.startswith(f"bus-santiago-{date.today().isoformat()}")
    # A person schedules it (the proposal only links to the case with the departure).
    token = log_in(browser, "elena")
    browser.post(
        f"/consola/corredor/hogares/{case_id}/mover",
        data={"csrf": token, "estado": "scheduled", "motivo": "plan", "salida": departure},
    )
    later = browser.get(
        "/consola/corredor/plan?desde=" + (date.today() - timedelta(days=1)).strftime("%d-%m-%Y")
    )
    assert departure in later.text and "H-PLAN" in later.text
    bad = browser.get("/consola/corredor/plan?desde=ayer")
    assert bad.status_code == 422 and "desde" in bad.text


def test_the_map_lists_stops_capacities_and_people_in_transit(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    case_id = _case(node, staff["elena"], "H-MAPA")
    token = log_in(browser, "elena")
    with node.sessions() as session:
        member = casework.members(session, staff["elena"], case_id)[0].id
    browser.post(
        "/consola/paso",
        data={"csrf": token, "persona": member, "paso": "crossed", "parada": "x-chacalluta"},
    )
    shown = browser.get("/consola/mapa/corredor")
    assert shown.status_code == 200
    table = shown.text.split('data-testid="paradas"')[1]
    row = table.split("Chacalluta–Santa Rosa")[1].split("</tr>")[0]
    assert "500" in row and "<td>1</td>" in row
    outlines = browser.get("/consola/mapa/corredor/paises.json")
    assert outlines.status_code == 200
    names = {f["properties"]["iso_a3"] for f in outlines.json()["features"]}
    assert {"CHL", "PER", "ECU", "COL", "VEN"} <= names and "FJI" not in names


def test_a_check_in_through_the_console(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    case_id = _case(node, staff["elena"], "H-PASO")
    with node.sessions() as session:
        member = casework.members(session, staff["elena"], case_id)[0]
    token = log_in(browser, "elena")
    answer = browser.post(
        "/consola/paso",
        data={"csrf": token, "documento": member.document_number or "", "paso": "boarded",
              "parada": "cl-santiago", "nota": "bus 1"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert 'data-testid="paso-registrado"' in answer.text and "embarcó" in answer.text
    with node.sessions() as session:
        rows = session.scalars(select(Checkin).where(Checkin.person == member.id)).all()
    assert [(r.kind, r.stop) for r in rows] == [("boarded", "cl-santiago")]


def test_a_border_officer_checks_in_only_from_manifests_and_bad_input_changes_nothing(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    case_id = _case(node, staff["elena"], "H-OFICIAL")
    with node.sessions() as session:
        member = casework.members(session, staff["elena"], case_id)[0]
        before = session.scalar(select(func.count()).select_from(Checkin))
    token = log_in(browser, "bruno")
    page = browser.get("/consola/paso")
    assert page.status_code == 200 and 'href="/consola/corredor"' not in page.text
    # A case is protection data: a border officer is not told it exists.
    hidden = browser.post(
        "/consola/paso",
        data={"csrf": token, "persona": member.id, "paso": "crossed", "parada": "x-chacalluta"},
    )
    assert hidden.status_code == 404
    both = browser.post(
        "/consola/paso",
        data={"csrf": token, "persona": "p1", "documento": "V1", "paso": "crossed",
              "parada": "x-chacalluta"},
    )  # fmt: skip
    assert both.status_code == 422 and "persona" in both.text
    kind = browser.post(
        "/consola/paso", data={"csrf": token, "persona": "p1", "paso": "volando", "parada": "x"}
    )
    assert kind.status_code == 422 and "paso" in kind.text
    with node.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Checkin)) == before


def test_an_analyst_has_no_check_in_screen(
    browser: TestClient, staff: dict[str, Principal]
) -> None:
    log_in(browser, "ana")
    assert browser.get("/consola/paso").status_code == 403
    assert browser.get("/consola/mapa/corredor").status_code == 403


def test_two_check_ins_that_contradict_each_other_are_settled_by_a_person(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    case_id = _case(node, staff["elena"], "H-DOBLE")
    with node.sessions() as session:
        member = casework.members(session, staff["elena"], case_id)[0].id
    token = log_in(browser, "elena")
    for stop in ("x-chacalluta", "x-huaquillas"):
        browser.post(
            "/consola/paso",
            data={"csrf": token, "persona": member, "paso": "crossed", "parada": stop},
        )
    shown = browser.get("/consola/paso")
    assert "registros en conflicto" in shown.text
    listed = browser.get("/consola/paso/conflictos")
    assert "vista en dos lugares a la vez" in listed.text
    conflict = listed.text.split('action="/consola/paso/conflictos/')[1].split('"')[0]
    empty = browser.post(f"/consola/paso/conflictos/{conflict}", data={"csrf": token})
    assert empty.status_code == 422 and "decisión" in empty.text
    done = browser.post(
        f"/consola/paso/conflictos/{conflict}",
        data={"csrf": token, "decision": "vale Chacalluta: error de digitación en Huaquillas"},
    )
    assert done.status_code == 200 and 'data-testid="sin-conflictos"' in done.text


@pytest.mark.parametrize(
    ("path", "fields", "named"),
    [
        ("mover", {"estado": "counselled", "motivo": "charla\u202eabc"}, "motivo"),
        (
            "consentimiento",
            {"integrante": "H-HOSTIL-a", "hoja": "v\u00001", "idioma": "es", "orientador": "Elena"},
            "versión de la hoja",
        ),
        ("desistir", {"integrante": "H-HOSTIL-a", "motivo": "\u200b"}, "motivo"),
    ],
)
def test_hostile_text_is_refused_by_the_form_field_and_changes_nothing(
    browser: TestClient,
    node: Node,
    staff: dict[str, Principal],
    path: str,
    fields: dict[str, str],
    named: str,
) -> None:
    case_id = _case(node, staff["elena"], "H-HOSTIL")
    token = log_in(browser, "elena")
    answer = browser.post(
        f"/consola/corredor/hogares/{case_id}/{path}", data={"csrf": token, **fields}
    )
    assert answer.status_code == 422
    assert f"<code>{named}</code>" in answer.text
    with node.sessions() as session:
        found = session.get(ReturnCase, case_id)
        assert found is not None and found.status == "registered"


def test_the_household_page_in_english(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    case_id = _case(node, staff["elena"], "H-EN", flags=["trafficking_victim"])
    log_in(browser, "elena")
    path = f"/consola/corredor/hogares/{case_id}"
    shown = browser.get(f"/consola/idioma/en?siguiente={path}")
    assert '<html lang="en">' in shown.text
    flags = shown.text.split('data-testid="banderas"')[1].split("</aside>")[0]
    assert "presumed victim of trafficking" in flags and "no valid consent: H-EN-a" in flags
    assert "Record the change" in shown.text
    small = browser.get("/consola/paso")
    assert len(small.content) < 20_000  # a border post's slow line: the page itself
