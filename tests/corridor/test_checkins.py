"""Check-ins on one node (``alianza.corridor.checkins``): who may record them and for whom,
the contradictions that become conflicts (and the sequences that do not), a post's batch
stored once however often it arrives, and the commands' bad input. Both backends; the
exchange between real processes is ``test_tracking.py``."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.corridor import casework, checkins
from alianza.corridor.models import Checkin, CheckinConflict, ReceivedManifest
from alianza.db import transaction
from alianza.errors import InputError, NotFound, PermissionDenied
from alianza.exchange.models import Peer
from alianza.node.context import Node
from tests.conftest import Factory, FreshNode

AGENCY = "SERMIG"
NOW = datetime.now(UTC) - timedelta(days=3)


@pytest.fixture
def people(node: Node, factory: Factory) -> dict[str, Any]:
    cata = factory.user("cata", "caseworker", agency=AGENCY)[0]
    bruno = factory.user("bruno", "border_officer", agency=AGENCY)[0]
    otro = factory.user("otro", "caseworker", agency="Cruz Roja")[0]
    with node.sessions() as session:
        found = casework.register(
            session,
            node,
            cata,
            {
                "id": "H-1",
                "origin": "santiago",
                "ready_date": "2027-01-05",
                "members": [
                    {"id": "m1", "consent": True, "given_names": "Ana", "surname_1": "Páez",
                     "document_number": "V-1.234", "birth_date": "1980-01-01"},
                ],
            },
        )  # fmt: skip
        [m1] = casework.members(session, cata, found.id)
        session.commit()
    return {"cata": cata, "bruno": bruno, "otro": otro, "m1": m1.id}


def _add(node: Node, who: Principal, person: str, kind: str, stop: str, minutes: int) -> Checkin:
    with node.sessions() as session:
        row = checkins.record(
            session,
            node,
            who,
            person=person,
            kind=kind,
            stop=stop,
            at=NOW + timedelta(minutes=minutes),
        )
        session.commit()
        return row


def _open(node: Node) -> list[str]:
    with node.sessions() as session:
        return list(
            session.scalars(select(CheckinConflict.reason).where(CheckinConflict.status == "open"))
        )


def test_a_case_member_is_checked_in_by_casework_and_a_road_is_no_conflict(
    node: Node, people: dict[str, Any]
) -> None:
    cata, m1 = people["cata"], people["m1"]
    _add(node, cata, m1, "boarded", "santiago", 0)
    _add(node, cata, m1, "crossed", "chacalluta", 60)  # boarding, then the border: the road
    assert _open(node) == []
    _add(node, cata, m1, "crossed", "huaquillas", 90)  # two borders in half an hour
    assert len(_open(node)) == 1 and "dos lugares" in _open(node)[0]
    # Another agency's case, and the case seen by a border officer: nobody is there.
    for who in (people["otro"], people["bruno"]):
        with node.sessions() as session, pytest.raises(NotFound):
            checkins.record(session, node, who, person=m1, kind="arrived", stop="quito", at=NOW)


def test_missing_here_and_seen_there_is_a_conflict_and_both_stay(
    node: Node, people: dict[str, Any]
) -> None:
    cata, m1 = people["cata"], people["m1"]
    _add(node, cata, m1, "missing", "tacna", 0)
    _add(node, cata, m1, "crossed", "chacalluta", 30)
    _add(node, cata, m1, "arrived", "quito", 600)
    _add(node, cata, m1, "arrived", "cucuta", 2000)  # two destinations, however far apart
    reasons = _open(node)
    assert len(reasons) == 2
    assert any("desaparecida" in r for r in reasons) and any("dos destinos" in r for r in reasons)
    with node.sessions() as session:
        assert len(checkins.checkins_of(session, cata, m1)) == 4


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    a=st.tuples(st.sampled_from(checkins.KINDS), st.sampled_from(["x", "y"]), st.integers(0, 600)),
    b=st.tuples(st.sampled_from(checkins.KINDS), st.sampled_from(["x", "y"]), st.integers(0, 600)),
    same_node=st.booleans(),
)
def test_a_contradiction_does_not_depend_on_which_arrived_first(
    a: tuple[str, str, int], b: tuple[str, str, int], same_node: bool
) -> None:
    def make(kind: str, stop: str, minutes: int, made: str) -> Checkin:
        return Checkin(kind=kind, stop=stop, at=NOW + timedelta(minutes=minutes), made_at_node=made)

    first = make(*a, "post-1")
    second = make(*b, "post-1" if same_node else "post-2")
    assert checkins._contradiction(first, second) == checkins._contradiction(second, first)
    if first.stop == second.stop and same_node:
        assert checkins._contradiction(first, second) is None


def _peer(node: Node) -> Peer:
    with node.sessions() as session:
        peer = Peer(
            node_id="post-chacalluta",
            country="CL",
            agency="PDI Chacalluta",
            url="http://127.0.0.1:9",
            public_key="00" * 32,
            added_at=datetime.now(UTC),
        )
        session.add(peer)
        session.commit()
        session.expunge(peer)
        return peer


def test_a_post_batch_is_stored_once_and_a_changed_copy_is_refused(
    node: Node, people: dict[str, Any]
) -> None:
    peer = _peer(node)
    item = {
        "id": str(uuid.uuid4()),
        "person": people["m1"],
        "kind": "crossed",
        "stop": "chacalluta",
        "at": NOW.isoformat(),
        "note": "",
        "recorded_by": "bruno@PDI Chacalluta.CL",
    }
    for _ in range(2):
        with node.sessions() as session:
            reply = checkins.receive(session, node, peer=peer, body={"checkins": [item]})
            session.commit()
        assert reply["accepted"] == [item["id"]]
    with node.sessions() as session:
        changed = checkins.receive(
            session, node, peer=peer, body={"checkins": [{**item, "stop": "huaquillas"}]}
        )
        assert changed["refused"][0]["reason"] == "ya recibido con otro contenido"
        assert session.scalar(select(func.count()).select_from(Checkin)) == 1
        stored = session.get(Checkin, item["id"])
        assert stored is not None and stored.owner_agency == AGENCY
        with pytest.raises(InputError, match=r"body\.checkins"):
            checkins.receive(session, node, peer=peer, body={"checkins": []})


def test_a_border_officer_works_from_the_manifests_received(
    node: Node, people: dict[str, Any]
) -> None:
    bruno = people["bruno"]
    person = {
        "ref": "r-9",
        "given_names": "Luis",
        "surname_1": "Páez",
        "surname_2": None,
        "document_number": "V77",
        "nationality": "VE",
        "birth_date": "1990-01-01",
    }
    with node.sessions() as session:
        session.add(
            ReceivedManifest(
                id=str(uuid.uuid4()),
                owner_country="CL",
                owner_agency=AGENCY,
                from_node="ec",
                from_country="EC",
                from_agency="Ministerio del Interior",
                departure="bus-1",
                leg_date=date(2027, 1, 1),
                purpose="p",
                legal_basis="b",
                persons=1,
                payload=json.dumps({"persons": [person]}),
                signature="00",
                sha256="0" * 64,
                received_at=datetime.now(UTC),
                retain_until=date(2027, 1, 31),
            )
        )
        session.commit()
    with node.sessions() as session:
        assert checkins.by_document(session, node, bruno, "v-77") == "r-9"
        with pytest.raises(NotFound):
            checkins.by_document(session, node, bruno, "V-1.234")  # a case: not his to see
        with pytest.raises(PermissionDenied):
            checkins.settle(session, node, bruno, conflict_id="x", decision="y")
        for kind, at, field in (
            ("teleported", NOW, "kind"),
            ("crossed", NOW - timedelta(days=4000), "diez años"),
            ("crossed", datetime.now(UTC) + timedelta(days=1), "at"),
            ("crossed", NOW.replace(tzinfo=None), "at"),
        ):
            with pytest.raises(InputError, match=field):
                checkins.record(
                    session, node, bruno, person="r-9", kind=kind, stop="chacalluta", at=at
                )
        assert session.scalar(select(func.count()).select_from(Checkin)) == 0


def test_the_commands_refuse_bad_input_and_write_nothing(fresh: FreshNode) -> None:
    node = fresh.init(country="CL", agency=AGENCY)
    with transaction(node.sessions) as session:
        auth.add_user(
            session, node=node, principal=node.system, username="cata", full_name="Cata",
            country="CL", agency=AGENCY, role="caseworker",
        )  # fmt: skip
    base = ["corridor", "checkin", "add", "--user", "cata", "--kind", "crossed", "--stop", "x"]
    cases = [
        (base, 2, "--person"),
        ([*base, "--person", "a", "--document", "b"], 2, "--person"),
        ([*base, "--person", "a", "--at", "ayer"], 2, "--at"),
        ([*base, "--person", "a", "--at", "2026-01-01T10:00"], 2, "zona horaria"),
        ([*base, "--person", "nadie"], 5, "no figura"),
        (["corridor", "manifest", "send", "--user", "cata", "--to", "x"], 2, "--departure"),
        (["corridor", "manifest", "send", "--user", "cata", "--departure", "b", "--to", "x",
          "--date", "2027-02-30", "--legal-basis", "l"], 2, "--date"),
        (["corridor", "manifest", "send", "--user", "cata", "--departure", "b", "--to", "x",
          "--date", "2027-02-03", "--legal-basis", "l"], 5, "nodo asociado"),
        (["corridor", "checkin", "sync", "--user", "cata", "--to", "x"], 5, "nodo asociado"),
    ]  # fmt: skip
    for argv, code, said in cases:
        result = fresh.cli(*argv)
        assert result.returncode == code, (argv, result.stderr)
        assert said in result.stderr, (argv, result.stderr)
    with node.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Checkin)) == 0
    listed = fresh.cli("corridor", "checkin", "list", "--user", "cata", "--json", check=True)
    assert json.loads(listed.stdout) == {"checkins": []}
