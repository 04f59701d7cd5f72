"""Statistics for leaders (``alianza.status.stats``): counts and median processing days by
country, programme and month from aggregate queries that read no person's field, small
cells suppressed and named, another agency's applications left out, only supervisors and
administrators; the command and the route. Both backends (``conftest.py``)."""

from __future__ import annotations

import statistics as pystats
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from alianza.auth.permissions import Principal
from alianza.errors import PermissionDenied
from alianza.node.context import Node
from alianza.status import applications, decisions, stats
from tests.conftest import Factory
from tests.status.test_applications import AGENCY, row

NAMES = ("Ana", "Berta", "Carla", "Diana", "Elena", "Fabiola", "Gabriela", "Hilda")
PERSONAL = ("given_names", "surname_1", "surname_2", "birth_date", "document_number")


@pytest.fixture
def people(factory: Factory) -> dict[str, tuple[Principal, str]]:
    return {
        name: factory.user(name, role, agency=agency)
        for name, role, agency in (
            ("cata", "caseworker", AGENCY),
            ("sofi", "supervisor", AGENCY),
            ("adm", "administrator", AGENCY),
            ("otro", "caseworker", "INCAMI"),
        )
    }


def _apply(session: Any, node: Node, who: Principal, n: int, day: str) -> str:
    found = applications.register(
        session, node, who,
        row(application_id=f"a{n}", given_names=NAMES[n], document_number=f"{n}000{n}",
            application_date=day),
    )  # fmt: skip
    return found.id


def test_counts_medians_and_small_cells(
    node: Node, people: dict[str, tuple[Principal, str]]
) -> None:
    cata, sofi, adm, otro = (people[k][0] for k in ("cata", "sofi", "adm", "otro"))
    june = [f"2021-06-0{d}" for d in range(1, 7)]
    with node.sessions() as session:
        ids = [_apply(session, node, cata, n, day) for n, day in enumerate(june)]
        for app_id in ids[:5]:  # five decided, one left open
            decisions.decide(session, node, cata, app_id, confirm=True, reason="en regla")
        _apply(session, node, cata, 6, "2021-07-01")
        _apply(session, node, cata, 7, "2021-07-02")
        _apply(session, node, otro, 0, "2021-06-01")  # another agency's: never counted
        with pytest.raises(PermissionDenied):
            stats.statistics(session, node, cata)
        seen: list[str] = []

        def keep(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            seen.append(statement)

        engine = session.get_bind().engine
        event.listen(engine, "before_cursor_execute", keep)
        try:
            body = stats.statistics(session, node, sofi)
        finally:
            event.remove(engine, "before_cursor_execute", keep)
        assert stats.statistics(session, node, adm)["rows"] == body["rows"]
        decisions.decide(session, node, cata, ids[5], confirm=True, reason="en regla")
        after = stats.statistics(session, node, sofi)["rows"][0]
    queries = [s for s in seen if "status_applications" in s]
    assert len(queries) == 2 and all("GROUP BY" in s.upper() for s in queries)
    assert not [f for f in PERSONAL for s in queries if f in s], queries
    assert body["small_cell"] == 5
    first, second = body["rows"]
    today = datetime.now(UTC).date()
    days = [(today - date.fromisoformat(d)).days for d in june[:5]]
    assert first == {
        "country": "CL", "programme": "cl-regularizacion-extraordinaria", "month": "2021-06",
        "applications": 6, "eligible": 5,
        # One open application (1 < 5) hidden, and the next smallest count with it, so
        # that 6 - 5 does not give it back.
        "not_eligible": None, "open": None, "paused_hit": 0,
        "median_days": float(pystats.median(days)),
        "suppressed": ["open", "not_eligible"],
    }  # fmt: skip
    assert second["month"] == "2021-07" and second["applications"] is None
    assert set(second["suppressed"]) == {*stats.COUNTS, "median_days"}
    assert all(second[k] is None for k in stats.COUNTS)
    # The sixth decided: nothing small is left, and the median of six is the mean of two.
    assert (after["open"], after["not_eligible"], after["suppressed"]) == (0, 0, [])
    all_days = [(today - date.fromisoformat(d)).days for d in june]
    assert after["median_days"] == float(pystats.median(all_days))


def test_stats_through_the_api(
    client: TestClient, people: dict[str, tuple[Principal, str]]
) -> None:
    def get(who: str) -> Any:
        return client.get(
            "/api/v1/status/stats", headers={"Authorization": f"Bearer {people[who][1]}"}
        )

    assert get("cata").status_code == 403
    answer = get("sofi")
    assert answer.status_code == 200 and answer.json() == {"small_cell": 5, "rows": []}
