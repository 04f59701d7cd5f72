"""An applicant's checks between real node processes: Chile's migration service checks an
application at its own node and at Ecuador's; Ecuador holds the applicant's criminal
record, answers HIT (a reference, never the data), Chile's node files a release request
there, the application is paused and no decision is taken until a supervisor reviews
the hit; an applicant nobody holds gets no hit (asked through the command line). (Real
``alianza serve`` processes: run once, on the SQLite pass.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from alianza.db import transaction
from alianza.errors import Conflict
from alianza.exchange.models import ReleaseRequest
from alianza.records.rules import Rules
from alianza.records.service import create_record
from alianza.status import applications, checks, decisions, flows, intake
from tests.conftest import PgDatabases
from tests.exchange.conftest import Nodes, link
from tests.status.conftest import application
from tests.status.test_applications import PROGRAMME

pytestmark = pytest.mark.once

NATIONAL = "Servicio Nacional de Migraciones"
RECORD = {
    "category": "wanted",
    "given_names": "Carlos Andrés",
    "surname_1": "Mendoza",
    "surname_2": "Rivas",
    "birth_date": "1984-02-11",
    "nationality": "VE",
    "documents": [{"type": "CI_VE", "number": "V-14.222.333"}],
    "notes": "Condena por robo con violencia, Guayaquil 2019 (sintético)",
}


@pytest.fixture
def nodes(tmp_path: Path, pg: PgDatabases | None) -> Iterator[Nodes]:
    made = Nodes(tmp_path, pg)
    yield made
    made.close()


def _row(**cells: Any) -> dict[str, str]:
    return intake.row_from_json({**application(programme=PROGRAMME), **cells})


def test_a_partners_hit_pauses_the_application_until_a_person_reviews_it(nodes: Nodes) -> None:
    cl = nodes.new("CL", NATIONAL)
    ec = nodes.new("EC", "Policía Nacional")
    link(cl, ec)
    link(ec, cl)
    elena, sara = cl.user("elena", "caseworker"), cl.user("sara", "supervisor")
    pablo = ec.user("pablo", "analyst")
    with transaction(ec.node.sessions) as session:
        create_record(
            session, node=ec.node, principal=pablo, kind="person", data=RECORD,
            rules=Rules(purpose="Investigación de robos", legal_basis="COIP art. 189",
                        scope="agency", discoverable="members"),
        )  # fmt: skip
    with transaction(cl.node.sessions) as session:
        found = applications.register(
            session, cl.node, elena,
            _row(given_names="Carlos Andrés", surname_1="Mendoza", surname_2="Rivas",
                 birth_date="1984-02-11", document_number="14222333"),
        )  # fmt: skip
        app_id = found.id
    report = flows.run_checks(cl.node, elena, app_id)
    assert report.status == "paused_hit"
    answered = {(c["node"], c["kind"]): c for c in report.checks}
    here, there = cl.node.node_id, ec.node.node_id
    assert answered[(here, "criminal_record")]["result"] == "NO_HIT"
    assert answered[(here, "document_alert")]["result"] == "NO_HIT"
    hit = answered[(there, "criminal_record")]
    assert hit["result"] == "HIT" and answered[(there, "document_alert")]["result"] == "HIT"
    assert hit["purpose"] == "migration_status" and hit["country"] == "EC"
    assert "Guayaquil" not in json.dumps(report.checks)  # a reference, never the data
    # A release request filed at Ecuador for each hit, with the check's purpose and basis.
    with cl.node.sessions() as session:
        sent = session.scalar(
            select(ReleaseRequest).where(
                ReleaseRequest.request_id == hit["release_request_id"],
                ReleaseRequest.direction == "out",
            )
        )
        assert sent is not None and sent.status == "pending"
        assert sent.legal_basis == hit["legal_basis"] and "Regularización" in sent.purpose
    with ec.node.sessions() as session:
        got = session.scalar(
            select(ReleaseRequest).where(
                ReleaseRequest.request_id == hit["release_request_id"],
                ReleaseRequest.direction == "in",
            )
        )
        assert got is not None and got.requested_by == elena.label
    with (
        transaction(cl.node.sessions) as session,
        pytest.raises(Conflict, match="revisa primero cada coincidencia"),
    ):
        decisions.decide(session, cl.node, elena, app_id, confirm=True, reason="en regla")
    with transaction(cl.node.sessions) as session:
        for c in report.checks:
            if c["result"] == "HIT":
                checks.review(
                    session, cl.node, sara, c["id"], verdict="confirmed",
                    reason="misma persona según la entrega de Ecuador",
                )  # fmt: skip
        assert applications.visible_application(session, elena, app_id).status == "evaluated"
        made = decisions.decide(
            session, cl.node, elena, app_id, confirm=False, outcome="not_eligible",
            reason="antecedente penal confirmado en Ecuador", removal=True,
        )  # fmt: skip
        assert made.removal and made.needs_sign_off
    # Nobody holds this applicant: no hit anywhere, asked through the command line.
    with transaction(cl.node.sessions) as session:
        other = applications.register(
            session, cl.node, elena, _row(application_id="a2", given_names="Luisa",
                                          surname_1="Parra", document_number="20111222"),
        )  # fmt: skip
        other_id = other.id
    done = subprocess.run(
        [sys.executable, "-m", "alianza.cli", "status", "application", "check", other_id[:8],
         "--user", "elena", "--json"],
        env=cl.env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["status"] == "evaluated"
    assert sorted(c["result"] for c in body["checks"]) == ["NO_HIT"] * 4
    refused = subprocess.run(
        [sys.executable, "-m", "alianza.cli", "status", "application", "review-hit",
         body["checks"][0]["id"], "--verdict", "cleared", "--reason", "x", "--user", "sara"],
        env=cl.env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert refused.returncode != 0 and "no dio coincidencia" in refused.stderr
