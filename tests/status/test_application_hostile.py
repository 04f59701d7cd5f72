"""Hostile input at the regularisation services, as an insider sends it through the API or
the console: an application or check id that no stored id can be (a NUL, a lone
surrogate, a bidi override) is simply not found on both backends (PostgreSQL refuses a
NUL in a query: that was a 500); a sign-off note longer than the limit is refused by
name, not cut short and stored; any text in a decision's or an appeal's reason is either
stored as the one text gate cleans it or refused with an ``InputError``, the application
left as it was. Both backends (``conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from alianza.audit.models import AuditEntry
from alianza.auth.permissions import Principal
from alianza.codes.text import text_problem
from alianza.errors import InputError, NotFound
from alianza.node.context import Node
from alianza.status import applications, checks, decisions
from tests.conftest import Factory
from tests.status.test_applications import AGENCY, row

URL = "/api/v1/status/applications"
# No stored id holds these: each must be "not found", never a database error.
BAD_IDS = ["\x00", "a\x00b", "\ud800", "\u202eabc", "x" * 5000, "../../etc/passwd"]


@pytest.fixture
def cata(factory: Factory) -> Principal:
    return factory.user("cata", "caseworker", agency=AGENCY)[0]


@pytest.fixture
def sofi(factory: Factory) -> Principal:
    return factory.user("sofi", "supervisor", agency=AGENCY)[0]


def _registered(node: Node, who: Principal, **cells: Any) -> str:
    with node.sessions() as session:
        found = applications.register(session, node, who, row(**cells))
        session.commit()
        return found.id


def _state(node: Node, application_id: str) -> tuple[str, list[tuple[str, str | None]]]:
    with node.sessions() as session:
        found = session.get(applications.Application, application_id)
        assert found is not None
        made = applications.decisions(session, application_id)
        return found.status, [(d.reason, d.signed_off_by) for d in made]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_an_impossible_id_is_not_found(node: Node, cata: Principal, bad: str) -> None:
    with node.sessions() as session:
        with pytest.raises(NotFound, match="No existe la solicitud"):
            applications.visible_application(session, cata, bad, lock=True)
        with pytest.raises(NotFound, match="No existe la consulta"):
            checks.visible_check(session, cata, bad)
        with pytest.raises(NotFound):
            decisions.decide(session, node, cata, bad, confirm=True, reason="en regla")


def test_an_id_with_a_nul_is_not_found_through_the_api(
    client: TestClient, factory: Factory, node: Node
) -> None:
    token = factory.user("cata", "caseworker", agency=AGENCY)[1]
    sofi = factory.user("sofi", "supervisor", agency=AGENCY)[1]
    cata = {"Authorization": f"Bearer {token}"}
    for path, method, body, who in (
        ("%00", "GET", None, cata),
        ("a%00b/decide", "POST", {"confirm": True, "reason": "en regla"}, cata),
        ("%00/letter", "GET", None, cata),
        ("%00/checks", "POST", {}, cata),
        ("x/checks/%00/review", "POST", {"verdict": "cleared", "reason": "no es"},
         {"Authorization": f"Bearer {sofi}"}),
    ):  # fmt: skip
        answer = client.request(method, f"{URL}/{path}", json=body, headers=who)
        assert answer.status_code == 404, (path, answer.text)
        assert "No existe" in answer.json()["detail"]
    # Each probe is in the audit log, its NUL written as an escape.
    with node.sessions() as session:
        targets = session.scalars(
            select(AuditEntry.target).where(AuditEntry.action == "access.denied")
        ).all()
    assert "GET /api/v1/status/applications/\\x00" in targets and len(targets) == 5


def test_a_sign_off_note_over_the_limit_is_refused_not_cut(
    node: Node, cata: Principal, sofi: Principal
) -> None:
    app_id = _registered(node, cata, criminal_record_declared="true")
    with node.sessions() as session:
        decisions.decide(session, node, cata, app_id, confirm=True, reason="declara condena")
        session.commit()
    before = _state(node, app_id)
    assert before[0] == "decided"
    with node.sessions() as session:
        with pytest.raises(InputError, match="nota") as info:
            decisions.sign_off(session, node, sofi, app_id, note="y" * 10_000)
        assert info.value.problems[0].field == "nota"
        session.rollback()
    assert _state(node, app_id) == before


HOSTILE = st.text(
    alphabet=st.one_of(
        st.characters(codec=None),  # any code point, lone surrogates included
        st.sampled_from(["\x00", "\u202e", "\u2066", "\u200b", "\ufeff", "\r", "\n", "\x85"]),
    ),
    max_size=40,
) | st.sampled_from(["x" * 10_000, "\ud800", " \u200b ", "a" * 4001])


@pytest.fixture
def decided_twice(node: Node, cata: Principal) -> Iterator[tuple[str, str]]:
    """An evaluated application and a final one (for the appeal)."""
    open_id = _registered(node, cata)
    final_id = _registered(node, cata, document_number="99887766", given_names="Luis")
    with node.sessions() as session:
        decisions.decide(session, node, cata, final_id, confirm=True, reason="en regla")
        session.commit()
    yield open_id, final_id


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(reason=HOSTILE)
def test_any_reason_is_stored_clean_or_refused_changing_nothing(
    node: Node, cata: Principal, decided_twice: tuple[str, str], reason: str
) -> None:
    open_id, final_id = decided_twice
    cleaned, problem = text_problem(reason, multiline=True)
    acceptable = problem is None and 0 < len(cleaned) <= decisions.MAX_REASON
    for app_id, act in (
        (open_id, lambda s: decisions.decide(s, node, cata, open_id, confirm=True, reason=reason)),
        (final_id, lambda s: decisions.appeal(s, node, cata, final_id, reason=reason)),
    ):
        before = _state(node, app_id)
        with node.sessions() as session:
            if acceptable:
                act(session)
                stored = [e.reason for e in applications.events(session, app_id)][-2:]
                assert any(cleaned in r for r in stored)
            else:
                with pytest.raises(InputError) as info:
                    act(session)
                assert info.value.problems[0].field == "motivo"
            session.rollback()
        assert _state(node, app_id) == before
