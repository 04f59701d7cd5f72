"""An appeal's deadline (``alianza.status.appeals`` and ``decisions.appeal``): counted in
working days from the day the letter was first issued, an appeal after it refused naming
the deadline and changing nothing, one within it (or before any letter) reopening the
case; the date an appeal was filed checked. Both backends (``conftest.py``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alianza.auth.permissions import Principal
from alianza.errors import Conflict, InputError
from alianza.node.context import Node
from alianza.status import applications, decisions, letter
from alianza.status.appeals import APPEALS, deadline, working
from tests.conftest import Factory
from tests.status.conftest import run
from tests.status.test_application_letter import text
from tests.status.test_applications import AGENCY, row


def test_the_deadline_counts_working_days() -> None:
    friday = date(2026, 12, 4)
    # 5 working days in Chile: 8 December (Inmaculada Concepción) is a holiday there.
    assert deadline(friday, country="CL") == date(2026, 12, 14)
    assert deadline(friday, country="EC") == date(2026, 12, 18)  # 10, no holiday between
    assert deadline(date(2026, 12, 7), country="CL") == date(2026, 12, 15)  # Monday
    # Christmas, in both: notified on 23 December, the period runs past the 25th.
    assert deadline(date(2026, 12, 23), country="CL") == date(2026, 12, 31)
    assert deadline(date(2026, 12, 23), country="EC") == date(2027, 1, 8)  # and 1 January


@settings(max_examples=200)
@given(
    notified=st.dates(date(2024, 1, 1), date(2030, 12, 31)), country=st.sampled_from(["CL", "EC"])
)
def test_a_deadline_is_a_working_day_after_exactly_the_periods_working_days(
    notified: date, country: str
) -> None:
    last = deadline(notified, country=country)
    assert working(last, country=country)
    days = [notified + timedelta(days=k) for k in range(1, (last - notified).days + 1)]
    assert sum(working(d, country=country) for d in days) == APPEALS[country].days
    assert last.weekday() < 5


@pytest.fixture
def cata(factory: Factory) -> Principal:
    return factory.user("cata", "caseworker", agency=AGENCY)[0]


def _final(node: Node, cata: Principal, *, days_ago: int) -> str:
    """An eligible application decided and its letter issued ``days_ago`` days ago."""
    with node.sessions() as session:
        found = applications.register(session, node, cata, row())
        made = decisions.decide(session, node, cata, found.id, confirm=True, reason="en regla")
        body = letter.letter(session, node, cata, found.id)
        assert made.notified_at is not None
        then = made.notified_at - timedelta(days=days_ago)
        made.at = made.notified_at = then  # as if decided and notified back then
        session.commit()
        assert "es decir, hasta el" in text(body)
        return found.id


def test_a_late_appeal_is_refused_naming_its_deadline(node: Node, cata: Principal) -> None:
    app_id = _final(node, cata, days_ago=30)
    with node.sessions() as session:
        made = decisions.latest_decision(session, applications.visible_application(
            session, cata, app_id))  # fmt: skip
        assert made is not None and made.notified_at is not None
        last = deadline(made.notified_at.date(), country="CL")
        with pytest.raises(Conflict, match="venció el") as info:
            decisions.appeal(session, node, cata, app_id, reason="no estuve de acuerdo")
        assert "5 días hábiles" in info.value.message and "llega tarde" in info.value.message
        assert applications.visible_application(session, cata, app_id).status == "final"
        with pytest.raises(Conflict, match="venció"):
            decisions.appeal(session, node, cata, app_id, reason="x",
                             filed_on=last + timedelta(days=1))  # fmt: skip
        with pytest.raises(InputError, match="anterior a la decisión"):
            decisions.appeal(session, node, cata, app_id, reason="x",
                             filed_on=made.notified_at.date() - timedelta(days=2))  # fmt: skip
        with pytest.raises(InputError, match="posterior a hoy"):
            decisions.appeal(session, node, cata, app_id, reason="x",
                             filed_on=date.today() + timedelta(days=3))  # fmt: skip
        # Filed on its last day, on paper, and registered today: within the period.
        decisions.appeal(session, node, cata, app_id, reason="presentado en oficina",
                         filed_on=last)  # fmt: skip
        found = applications.visible_application(session, cata, app_id)
        assert found.status == "evaluated"
        reasons = [e.reason for e in applications.events(session, app_id)]
        assert any("presentado el" in r for r in reasons)


def test_an_appeal_in_time_or_before_any_letter_reopens(node: Node, cata: Principal) -> None:
    app_id = _final(node, cata, days_ago=0)
    with node.sessions() as session:
        decisions.appeal(session, node, cata, app_id, reason="nueva prueba")
        assert applications.visible_application(session, cata, app_id).status == "evaluated"
        # Never notified (no letter): the period has not begun.
        other = applications.register(session, node, cata, row(application_id="a2",
                                      given_names="Otra", document_number="99"))  # fmt: skip
        decisions.decide(session, node, cata, other.id, confirm=True, reason="en regla")
        decisions.appeal(session, node, cata, other.id, reason="quiero recurrir")
        assert other.status == "evaluated"


def test_the_command_refuses_a_bad_filing_date() -> None:
    done = run("application", "appeal", "abcd", "--reason", "r", "--filed-on", "2026-13-01",
               "--user", "u")  # fmt: skip
    assert done.code == 2 and "--filed-on" in done.error


def test_an_appeal_made_now_is_never_before_a_decision_made_late_in_utc(
    node: Node, cata: Principal
) -> None:
    """Regression: decided at 00:30 UTC (21:30 the day before in Santiago), an appeal made
    straight away was dated by UTC-12 the day before and refused as before the decision."""
    with node.sessions() as session:
        found = applications.register(session, node, cata, row())
        made = decisions.decide(session, node, cata, found.id, confirm=True, reason="en regla")
        # A decision whose UTC day is always after today's earliest day anywhere.
        made.at = made.at + timedelta(hours=13)
        local_day = (made.at - timedelta(hours=12)).date()
        session.flush()
        decisions.appeal(session, node, cata, found.id, reason="recurro de inmediato")
        assert found.status == "evaluated"
        decisions.decide(session, node, cata, found.id, confirm=True, reason="en regla")
        found.status = "final"  # decided again; appealed on paper the same (local) day
        decisions.appeal(session, node, cata, found.id, reason="en papel", filed_on=local_day)
