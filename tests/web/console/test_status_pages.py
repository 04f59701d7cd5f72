"""The regularisation console pages in process (both backends): the applications of the
caseworker's agency, one application with its explanation condition by condition and
each legal source, a decision confirmed with its reason, a refusal signed off by a
supervisor, an override of what the rules leave to a person and its appeal, checks
through the exchange and a hit's review, the decision letter as PDF; police and border
roles refused, another agency's application not found, an empty reason refused by name
with nothing changed.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alianza.auth.permissions import Principal
from alianza.codes.text import text_problem
from alianza.db import transaction
from alianza.node.context import Node
from alianza.status import applications, checks, intake, rules
from alianza.status.models import Application
from tests.conftest import Factory
from tests.status.conftest import application
from tests.web.console.test_session import PASSWORD, log_in

AGENCY = "SERMIG"
PROGRAMME = "cl-regularizacion-extraordinaria"
HOME = "/consola/regularizacion"


@pytest.fixture
def staff(factory: Factory) -> dict[str, Principal]:
    return {
        name: factory.user(name, role, agency=AGENCY, password=PASSWORD)[0]
        for name, role in (
            ("cata", "caseworker"),
            ("sofi", "supervisor"),
            ("bea", "border_officer"),
            ("ana", "analyst"),
        )
    }


def _register(node: Node, who: Principal, **cells: Any) -> str:
    row = intake.row_from_json({**application(programme=PROGRAMME), **cells})
    with transaction(node.sessions) as session:
        return applications.register(session, node, who, row).id


def _state(node: Node, application_id: str) -> tuple[str, int]:
    with node.sessions() as session:
        found = session.get(Application, application_id)
        assert found is not None
        return found.status, len(applications.decisions(session, application_id))


def test_a_caseworker_sees_the_list_and_the_explanation(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    eligible = _register(node, staff["cata"], application_id="R-ELEGIBLE")
    _register(
        node, staff["cata"], application_id="R-DENEGADA", document_number="99887766",
        given_names="Luis", criminal_record_declared="true",
    )  # fmt: skip
    log_in(browser, "cata")
    assert f'href="{HOME}"' in browser.get("/consola").text
    listed = browser.get(HOME)
    assert listed.status_code == 200
    assert "R-ELEGIBLE" in listed.text and "R-DENEGADA" in listed.text
    only = browser.get(HOME, params={"resultado": "not_eligible"})
    assert "R-DENEGADA" in only.text and "R-ELEGIBLE" not in only.text

    shown = browser.get(f"{HOME}/solicitudes/{eligible}")
    assert shown.status_code == 200
    assert "María José" in shown.text
    table = shown.text.split('data-testid="condiciones"')[1].split("</table>")[0]
    with node.sessions() as session:
        stored = session.get(Application, eligible)
        assert stored is not None
        _, version = applications.version_of(stored)
    # Every condition of the version, with its legal source, and the protection one first.
    assert table.index(rules.PROTECTION) < table.index(version.conditions[0].id)
    for condition in version.conditions:
        assert condition.id in table
        assert condition.source.replace('"', "&#34;") in table
    assert "no cumple" not in table
    # An evaluated application offers the decision, not the letter.
    assert 'data-testid="decidir"' in shown.text and "carta.pdf" not in shown.text


def test_confirm_with_a_reason_and_download_the_letter(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    found = _register(node, staff["cata"])
    token = log_in(browser, "cata")
    base = f"{HOME}/solicitudes/{found}"
    decided = browser.post(
        f"{base}/decidir",
        data={"csrf": token, "decision": "confirm", "motivo": "cumple todo, revisado"},
    )
    assert decided.status_code == 200 and 'data-testid="hecho"' in decided.text
    assert _state(node, found) == ("final", 1)
    assert "cumple todo, revisado" in decided.text and "carta.pdf" in decided.text
    letter = browser.get(f"{base}/carta.pdf")
    assert letter.status_code == 200
    assert letter.headers["content-type"] == "application/pdf"
    assert letter.content.startswith(b"%PDF")
    assert "attachment" in letter.headers["content-disposition"]


def test_an_empty_reason_is_refused_by_name_and_changes_nothing(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    found = _register(node, staff["cata"])
    token = log_in(browser, "cata")
    base = f"{HOME}/solicitudes/{found}"
    for reason in ("", "   "):
        refused = browser.post(
            f"{base}/decidir", data={"csrf": token, "decision": "confirm", "motivo": reason}
        )
        assert refused.status_code == 422, reason
        assert "motivo" in refused.text and 'role="alert"' in refused.text
    no_csrf = browser.post(f"{base}/decidir", data={"decision": "confirm", "motivo": "x"})
    assert no_csrf.status_code == 403
    assert _state(node, found) == ("evaluated", 0)
    # A letter before a final decision is a conflict, named.
    early = browser.get(f"{base}/carta.pdf")
    assert early.status_code == 409 and "firme" in early.text


def test_a_refusal_waits_for_a_supervisor_who_signs_it(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    found = _register(node, staff["cata"], criminal_record_declared="true")
    base = f"{HOME}/solicitudes/{found}"
    token = log_in(browser, "cata")
    decided = browser.post(
        f"{base}/decidir", data={"csrf": token, "decision": "confirm", "motivo": "declara condena"}
    )
    assert decided.status_code == 200
    assert _state(node, found) == ("decided", 1)
    # The caseworker is not offered the sign-off, and is refused it if she posts.
    assert 'data-testid="firmar"' not in decided.text
    assert browser.post(f"{base}/firmar", data={"csrf": token}).status_code == 403
    token = log_in(browser, "sofi")
    page = browser.get(base)
    assert 'data-testid="firmar"' in page.text and "declara condena" in page.text
    signed = browser.post(f"{base}/firmar", data={"csrf": token, "nota": "revisado"})
    assert signed.status_code == 200
    assert _state(node, found) == ("final", 1)
    assert browser.get(f"{base}/carta.pdf").content.startswith(b"%PDF")


@pytest.mark.parametrize("who", ["bea", "ana"])
def test_police_and_border_roles_never_reach_the_pages(
    browser: TestClient, node: Node, staff: dict[str, Principal], who: str
) -> None:
    found = _register(node, staff["cata"], application_id="R-OCULTA")
    token = log_in(browser, who)
    assert f'href="{HOME}"' not in browser.get("/consola").text
    base = f"{HOME}/solicitudes/{found}"
    for path in (HOME, base, f"{base}/carta.pdf"):
        answer = browser.get(path)
        assert answer.status_code == 403, path
        assert "R-OCULTA" not in answer.text
    posted = browser.post(
        f"{base}/decidir", data={"csrf": token, "decision": "confirm", "motivo": "x"}
    )
    assert posted.status_code == 403
    assert _state(node, found) == ("evaluated", 0)


def test_another_agencys_application_is_not_found(
    browser: TestClient, node: Node, factory: Factory, staff: dict[str, Principal]
) -> None:
    other = factory.user("otro", "caseworker", agency="INCAMI", password=PASSWORD)[0]
    found = _register(node, other, application_id="R-INCAMI")
    log_in(browser, "cata")
    assert browser.get(f"{HOME}/solicitudes/{found}").status_code == 404
    assert "R-INCAMI" not in browser.get(HOME).text


def test_a_person_overrides_what_the_rules_leave_to_a_person(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    # Without the criminal-record certificate the rules leave it to a person.
    found = _register(node, staff["cata"], documents="pasaporte")
    token = log_in(browser, "cata")
    base = f"{HOME}/solicitudes/{found}"
    shown = browser.get(base)
    assert 'value="confirm"' not in shown.text and 'value="eligible"' in shown.text
    not_an_outcome = browser.post(
        f"{base}/decidir", data={"csrf": token, "decision": "quizás", "motivo": "dudoso"}
    )
    assert not_an_outcome.status_code == 422 and "resultado" in not_an_outcome.text
    confirm = browser.post(
        f"{base}/decidir", data={"csrf": token, "decision": "confirm", "motivo": "sí"}
    )
    assert confirm.status_code == 409 and "no se confirma" in confirm.text
    assert _state(node, found) == ("evaluated", 0)
    decided = browser.post(
        f"{base}/decidir",
        data={"csrf": token, "decision": "eligible", "motivo": "presentó el certificado en papel"},
    )
    assert decided.status_code == 200
    assert _state(node, found) == ("final", 1)
    assert "cambia la recomendación" in decided.text
    # An appeal reopens the case, keeping its history.
    appealed = browser.post(
        f"{base}/recurso", data={"csrf": token, "motivo": "pide revisar", "fecha": ""}
    )
    assert appealed.status_code == 200
    assert _state(node, found) == ("evaluated", 1)
    assert "presentó el certificado en papel" in appealed.text


def test_checks_through_the_exchange_and_a_hit_reviewed(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    plain = _register(node, staff["cata"], application_id="R-CONSULTA")
    token = log_in(browser, "cata")
    asked = browser.post(f"{HOME}/solicitudes/{plain}/consultas", data={"csrf": token})
    assert asked.status_code == 200
    table = asked.text.split('data-testid="consultas"')[1].split("</table>")[0]
    assert table.count("sin coincidencia") == 2  # both questions, this node (no partners)
    assert _state(node, plain)[0] == "evaluated"

    paused = _register(
        node, staff["cata"], application_id="R-PAUSA", document_number="55443322",
        given_names="Yurbis",
    )  # fmt: skip
    hit = checks.Answer("criminal_record", "ec-0123456789ab", "EC", "DINASED", "HIT", refs=["r1"])
    with transaction(node.sessions) as session:
        made = checks.record(
            session, node, staff["cata"], paused, answers=[hit], legal_basis="Ley 21.325"
        )
        check_id = made[0].id
    assert "en pausa por coincidencia" in browser.get(HOME).text
    base = f"{HOME}/solicitudes/{paused}"
    shown = browser.get(base)
    assert 'data-testid="decidir"' not in shown.text and "revisar" not in shown.text
    refused = browser.post(
        f"{base}/decidir", data={"csrf": token, "decision": "confirm", "motivo": "apurada"}
    )
    assert refused.status_code == 409 and "coincidencia" in refused.text
    token = log_in(browser, "sofi")
    assert f"consultas/{check_id}/revisar" in browser.get(base).text
    empty = browser.post(
        f"{base}/consultas/{check_id}/revisar",
        data={"csrf": token, "veredicto": "confirmed", "motivo": ""},
    )
    assert empty.status_code == 422 and "motivo" in empty.text
    assert _state(node, paused)[0] == "paused_hit"
    confirmed = browser.post(
        f"{base}/consultas/{check_id}/revisar",
        data={"csrf": token, "veredicto": "confirmed", "motivo": "misma persona, mismo RUN"},
    )
    assert confirmed.status_code == 200
    assert _state(node, paused)[0] == "evaluated"
    # A confirmed criminal record: a refusal may now be marked for removal.
    assert 'name="expulsion"' in confirmed.text
    # The check of one application is not reviewed through another's address.
    other = browser.post(
        f"{HOME}/solicitudes/{plain}/consultas/{check_id}/revisar",
        data={"csrf": token, "veredicto": "cleared", "motivo": "x"},
    )
    assert other.status_code == 404


def test_a_sign_off_note_too_long_is_refused_by_name_and_nothing_is_signed(
    browser: TestClient, node: Node, staff: dict[str, Principal]
) -> None:
    found = _register(node, staff["cata"], criminal_record_declared="true")
    base = f"{HOME}/solicitudes/{found}"
    token = log_in(browser, "cata")
    browser.post(
        f"{base}/decidir", data={"csrf": token, "decision": "confirm", "motivo": "declara condena"}
    )
    assert _state(node, found) == ("decided", 1)
    token = log_in(browser, "sofi")
    # Once cut to 4,000 characters and signed; now refused, naming the box.
    for note in ("y" * 10_000, "\x00", "visto\u202e"):
        refused = browser.post(f"{base}/firmar", data={"csrf": token, "nota": note})
        assert refused.status_code == 422, note[:10]
        assert "nota" in refused.text and 'role="alert"' in refused.text
    assert _state(node, found) == ("decided", 1)
    with node.sessions() as session:
        assert applications.decisions(session, found)[0].signed_off_by is None


_APPLICANTS = itertools.count()
TYPED = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),  # a form is UTF-8: a lone surrogate cannot be sent
        st.sampled_from(["\x00", "\x07", "\u202e", "\u2066", "\u200b", "\ufeff", "\r", "\n"]),
    ),
    max_size=30,
) | st.sampled_from(["x" * 10_000, " \u200b ", "a" * 4001, "ok\u202e"])


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(reason=TYPED)
def test_any_typed_reason_is_stored_clean_or_refused_by_name(
    browser: TestClient, node: Node, staff: dict[str, Principal], reason: str
) -> None:
    # A new applicant each example (document and birth date differ): no duplicate.
    day = next(_APPLICANTS)
    found = _register(
        node, staff["cata"], application_id=f"R-{day}", document_number=str(10_000_000 + day),
        birth_date=(date(1960, 1, 1) + timedelta(days=day)).isoformat(),
    )  # fmt: skip
    token = log_in(browser, "cata")
    base = f"{HOME}/solicitudes/{found}"
    cleaned, problem = text_problem(reason, multiline=True)
    answer = browser.post(
        f"{base}/decidir", data={"csrf": token, "decision": "confirm", "motivo": reason}
    )
    if problem is None and 0 < len(cleaned) <= 4000:
        assert answer.status_code == 200, answer.text[-300:]
        assert _state(node, found) == ("final", 1)
        with node.sessions() as session:
            assert applications.decisions(session, found)[0].reason == cleaned
        appealed = browser.post(f"{base}/recurso", data={"csrf": token, "motivo": reason})
        assert appealed.status_code == 200 and _state(node, found) == ("evaluated", 1)
    else:
        assert answer.status_code == 422, answer.text[-300:]
        assert "motivo" in answer.text and 'role="alert"' in answer.text
        assert _state(node, found) == ("evaluated", 0)
