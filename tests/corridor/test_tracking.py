"""Manifests and check-ins between real node processes: Chile's migration service sends a
departure's manifest to Ecuador's node and keeps its signed receipt; a border post of
Chile, cut off from its national node, records check-ins and syncs them when the link
returns, and a check-in that contradicts one made elsewhere becomes a conflict for a
person to settle. (Real ``alianza serve`` processes: run once, on the SQLite pass.)
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from alianza.audit.models import AuditEntry
from alianza.auth.permissions import Principal
from alianza.corridor import casework, checkins, consents, flows, manifests
from alianza.corridor.models import (
    Checkin,
    CheckinConflict,
    ReceivedManifest,
    ReturnCase,
    SentManifest,
)
from alianza.db import transaction
from alianza.errors import Conflict, NotFound, PeerError, PermissionDenied
from alianza.exchange import client
from alianza.exchange.models import Peer
from alianza.node.keys import canonical, verify
from alianza.records.models import Record
from tests.conftest import PgDatabases
from tests.exchange.conftest import Nodes, Running, link

pytestmark = pytest.mark.once

NATIONAL = "Servicio Nacional de Migraciones"
LEG = date(2027, 1, 12)


@pytest.fixture
def nodes(tmp_path: Path, pg: PgDatabases | None) -> Iterator[Nodes]:
    made = Nodes(tmp_path, pg)
    yield made
    made.close()


def member(ref: str, given: str, surname: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": ref,
        "birth_date": "1988-03-10",
        "consent": True,
        "flags": [],
        "given_names": given,
        "surname_1": surname,
        "nationality": "VE",
        **extra,
    }


def scheduled_case(
    running: Running, who: Principal, boss: Principal, ref: str, people: list[dict[str, Any]]
) -> ReturnCase:
    """A household walked from registration to scheduling on departure bus-7."""
    node = running.node
    with transaction(node.sessions) as session:
        found = casework.register(
            session,
            node,
            who,
            {"id": ref, "origin": "santiago", "ready_date": "2027-01-05", "members": people},
        )
        casework.move(session, node, who, found.id, "counselled", "orientación")
        adults = [m for m in casework.members(session, who, found.id) if not m.is_minor]
        for m in casework.members(session, who, found.id):
            consents.record_consent(
                session,
                node,
                who,
                found.id,
                m.person_ref,
                sheet_version="v2",
                language="es",
                counsellor="Laura Vidal",
                guardian_member_id=adults[0].person_ref if m.is_minor else None,
            )
        casework.move(session, node, who, found.id, "consented", "firmado")
        casework.move(session, node, who, found.id, "screened", "evaluación")
        if found.status == "screened":
            casework.move(session, node, boss, found.id, "approved", "revisado")
            casework.move(session, node, who, found.id, "scheduled", "plan", departure="bus-7")
        session.expunge(found)
        return found


@pytest.fixture
def corridor(nodes: Nodes) -> dict[str, Any]:
    cl = nodes.new("CL", NATIONAL)
    ec = nodes.new("EC", "Ministerio del Interior")
    post = nodes.new("CL", "PDI Control Fronterizo Chacalluta")
    for a, b in ((cl, ec), (ec, cl), (cl, post), (post, cl)):
        link(a, b)
    elena = cl.user("elena", "caseworker")
    sara = cl.user("sara", "supervisor")
    family = scheduled_case(
        cl,
        elena,
        sara,
        "H-1",
        [
            member(
                "m1",
                "Yurbis",
                "Carrasquel",
                document_number="V-20.111.222",
                flags=["needs_medical_escort"],
            ),
            member("m2", "Jesús", "Carrasquel", document_number="V19888777"),
            member("m3", "Sofía", "Carrasquel", birth_date="2019-02-02"),
        ],
    )
    held = scheduled_case(
        cl, elena, sara, "H-2", [member("p1", "Ana", "Mora", flags=["asylum_pending"])]
    )
    return {"cl": cl, "ec": ec, "post": post, "elena": elena, "family": family, "held": held}


def send(cl: Running, who: Principal, to: Running) -> SentManifest:
    with transaction(cl.node.sessions) as session:
        row = manifests.prepare(
            session,
            cl.node,
            who,
            departure="bus-7",
            peer_node=to.node.node_id,
            leg_date=LEG,
            purpose="Tránsito del retorno voluntario",
            legal_basis="Acuerdo Chile-Ecuador 2025; LOPDP art. 7",
        )
        manifest_id = row.id
    return flows.deliver_manifest(cl.node, who, manifest_id=manifest_id)


def test_a_manifest_reaches_ecuador_with_only_its_fields_and_a_signed_receipt(
    corridor: dict[str, Any],
) -> None:
    cl, ec, elena = corridor["cl"], corridor["ec"], corridor["elena"]
    assert corridor["held"].status == "on_hold"
    row = send(cl, elena, ec)
    assert row.status == "acknowledged" and row.receipt
    proof = json.loads(row.receipt)
    # The receipt is Ecuador's: its key signed the hash of what was sent.
    assert verify(ec.node.key.public_hex, canonical(proof["receipt"]), proof["signature"])
    assert proof["receipt"]["sha256"] == row.sha256 and proof["receipt"]["persons"] == 3
    with ec.node.sessions() as session:
        got = session.get(ReceivedManifest, row.id)
        assert got is not None and got.from_node == cl.node.node_id
        persons = manifests.persons_of(got)
        # Only the leg's fields: no flag, no medical need, no case, and nobody on hold.
        assert all(set(p) == set(manifests.MANIFEST_FIELDS) for p in persons)
        assert "needs_medical_escort" not in (got.payload or "")
        assert "asylum" not in (got.payload or "")
        assert {p["given_names"] for p in persons} == {"Yurbis", "Jesús", "Sofía"}
        # A one-off disclosure: never a record, so never in anyone's sync feed.
        assert session.scalar(select(func.count()).select_from(Record)) == 0
        received = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "corridor.manifest.received")
        )
        assert received == 1
    luis = ec.user("luis", "border_officer")
    with transaction(ec.node.sessions) as session:
        assert manifests.received(session, ec.node, luis, row.id).persons == 3
    # Another agency on Ecuador's node does not see it; a port analyst holds no access.
    worker = ec.user("otra", "caseworker")
    other = Principal(username=worker.username, country="EC", agency="Cruz Roja", role=worker.role)
    rosa = ec.user("rosa", "port_analyst")
    with ec.node.sessions() as session:
        with pytest.raises(NotFound):
            manifests.received(session, ec.node, other, row.id)
        with pytest.raises(PermissionDenied):
            manifests.received_list(session, rosa)
    # Sent again (a lost reply): the same receipt, still one manifest.
    with transaction(cl.node.sessions) as session:
        session.get(SentManifest, row.id).status = "pending"  # type: ignore[union-attr]
    again = flows.deliver_manifest(cl.node, elena, manifest_id=row.id)
    assert json.loads(again.receipt or "{}")["receipt"]["sha256"] == row.sha256
    with ec.node.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ReceivedManifest)) == 1


def _raw_manifest(cl: Running, ec: Running, **change: Any) -> dict[str, Any]:
    payload = {
        "kind": "corridor.manifest",
        "manifest_id": str(uuid.uuid4()),
        "from_node": cl.node.node_id,
        "from_country": "CL",
        "from_agency": NATIONAL,
        "to_node": ec.node.node_id,
        "to_country": "EC",
        "to_agency": "Ministerio del Interior",
        "departure": "bus-9",
        "leg_date": LEG.isoformat(),
        "purpose": "Tránsito",
        "legal_basis": "Acuerdo",
        "issued_at": datetime.now(UTC).isoformat(),
        "retain_until": (LEG + timedelta(days=30)).isoformat(),
        "persons": [
            {
                "ref": "x1",
                "given_names": "Luis",
                "surname_1": "Páez",
                "surname_2": None,
                "document_number": "V1",
                "nationality": "VE",
                "birth_date": "1990-01-01",
            }
        ],
    }
    payload.update(change)
    return payload


def _peer(a: Running, b: Running) -> Peer:
    with a.node.sessions() as session:
        peer = session.scalar(select(Peer).where(Peer.node_id == b.node.node_id))
        assert peer is not None
        session.expunge(peer)
        return peer


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"extra_person_field": "flags"}, "persons[0].flags"),
        ({"leg_date": "2027-02-30"}, "leg_date"),
        ({"to_node": "otro-nodo"}, "otro nodo"),
        ({"from_agency": "Carabineros"}, "otra institución"),
        ({"persons": []}, "persons"),
        ({"retain_until": "2029-01-01"}, "retain_until"),
        ({"departure": "bus\u202e9"}, "departure"),
        ({"leg_date": "2031-01-01"}, "leg_date"),
        ({"birth_of_first": "2999-01-01"}, "persons[0].birth_date"),
    ],
)
def test_a_partner_that_oversends_or_sends_garbage_is_refused_and_nothing_is_kept(
    corridor: dict[str, Any], change: dict[str, Any], named: str
) -> None:
    cl, ec = corridor["cl"], corridor["ec"]
    if "extra_person_field" in change:
        payload = _raw_manifest(cl, ec)
        payload["persons"][0]["flags"] = ["asylum_pending"]
    elif "birth_of_first" in change:
        payload = _raw_manifest(cl, ec)
        payload["persons"][0]["birth_date"] = change["birth_of_first"]
    else:
        payload = _raw_manifest(cl, ec, **change)
    body = {"payload": payload, "signature": cl.node.key.sign(canonical(payload))}
    with pytest.raises(PeerError, match=re.escape(named)):
        client.send(cl.node, _peer(cl, ec), type="corridor.manifest", body=body)
    # A signature over other bytes is refused too.
    good = _raw_manifest(cl, ec)
    forged = {"payload": good, "signature": cl.node.key.sign(b"otra cosa")}
    with pytest.raises(PeerError, match="firma"):
        client.send(cl.node, _peer(cl, ec), type="corridor.manifest", body=forged)
    with ec.node.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ReceivedManifest)) == 0
    # The same id with other content is a conflict, not an overwrite.
    first = _raw_manifest(cl, ec)
    client.send(
        cl.node,
        _peer(cl, ec),
        type="corridor.manifest",
        body={"payload": first, "signature": cl.node.key.sign(canonical(first))},
    )
    second = {**first, "departure": "bus-10"}
    with pytest.raises(PeerError, match="otro contenido"):
        client.send(
            cl.node,
            _peer(cl, ec),
            type="corridor.manifest",
            body={"payload": second, "signature": cl.node.key.sign(canonical(second))},
        )
    with ec.node.sessions() as session:
        kept = session.get(ReceivedManifest, first["manifest_id"])
        assert kept is not None and kept.departure == "bus-9"


def test_a_post_offline_keeps_its_check_ins_and_a_contradiction_is_a_conflict(
    corridor: dict[str, Any],
) -> None:
    cl, post, elena = corridor["cl"], corridor["post"], corridor["elena"]
    roster = send(cl, elena, post)
    assert roster.status == "acknowledged"
    bruno = post.user("bruno", "border_officer")
    cl.kill()  # the link to the national node is down
    base = datetime.now(UTC) - timedelta(hours=2)
    with transaction(post.node.sessions) as session:
        yurbis = checkins.by_document(session, post.node, bruno, "v 20111222")
        got = session.get(ReceivedManifest, roster.id)
        assert got is not None
        people = manifests.persons_of(got)
        jesus = next(p["ref"] for p in people if p["given_names"] == "Jesús")
        for who, kind, minutes in ((yurbis, "boarded", 0), (yurbis, "crossed", 50),
                                   (jesus, "crossed", 55)):  # fmt: skip
            checkins.record(
                session,
                post.node,
                bruno,
                person=who,
                kind=kind,
                stop="chacalluta" if kind == "crossed" else "arica",
                at=base + timedelta(minutes=minutes),
            )
        with pytest.raises(NotFound):
            checkins.record(
                session, post.node, bruno, person="nadie", kind="crossed", stop="x", at=base
            )
    offline = flows.push_checkins(post.node, bruno, peer_node=cl.node.node_id)
    assert offline.error and offline.pending == 3 and offline.accepted == 0
    # Meanwhile the national node hears Jesús did not show up at Tacna's bus.
    with transaction(cl.node.sessions) as session:
        checkins.record(
            session,
            cl.node,
            elena,
            person=jesus,
            kind="missing",
            stop="tacna",
            at=base + timedelta(minutes=70),
            note="no subió al bus en Tacna",
        )
    cl.start()  # the link returns
    synced = flows.push_checkins(post.node, bruno, peer_node=cl.node.node_id)
    assert (synced.accepted, synced.pending, synced.conflicts, synced.error) == (3, 0, 1, None)
    assert flows.push_checkins(post.node, bruno, peer_node=cl.node.node_id).sent == 0
    with transaction(cl.node.sessions) as session:
        kept = session.scalars(select(Checkin).where(Checkin.person == jesus)).all()
        assert {c.kind for c in kept} == {"crossed", "missing"}  # both kept, none overwritten
        [conflict] = checkins.conflicts(session, elena)
        assert "desaparecida" in conflict.reason and conflict.person == jesus
        with pytest.raises(PermissionDenied):
            checkins.settle(
                session,
                cl.node,
                Principal(username="b", country="CL", agency=NATIONAL, role=bruno.role),
                conflict_id=conflict.id,
                decision="x",
            )
        checkins.settle(
            session,
            cl.node,
            elena,
            conflict_id=conflict.id,
            decision="Cruzó en Chacalluta: el aviso de Tacna era de otro bus.",
        )
        with pytest.raises(Conflict):
            checkins.settle(session, cl.node, elena, conflict_id=conflict.id, decision="otra")
        assert (
            session.scalar(
                select(func.count())
                .select_from(CheckinConflict)
                .where(CheckinConflict.status == "open")
            )
            == 0
        )


def test_a_post_sending_garbage_check_ins_is_refused_whole(corridor: dict[str, Any]) -> None:
    cl, post = corridor["cl"], corridor["post"]
    good = {
        "id": str(uuid.uuid4()),
        "person": "x",
        "kind": "crossed",
        "stop": "chacalluta",
        "at": datetime.now(UTC).isoformat(),
        "note": "",
        "recorded_by": "bruno",
    }
    for bad, named in (
        ({**good, "kind": "teleported"}, "kind"),
        ({**good, "at": "2026-13-01T00:00:00+00:00"}, "at"),
        ({**good, "at": (datetime.now(UTC) + timedelta(days=2)).isoformat()}, "futuro"),
        ({**good, "flags": ["refugee"]}, "flags"),
        ({**good, "id": "no-es-un-uuid"}, "id"),
    ):
        with pytest.raises(PeerError, match=re.escape(named)):
            client.send(
                post.node,
                _peer(post, cl),
                type="corridor.checkins",
                body={"checkins": [dict(good, id=str(uuid.uuid4())), bad]},
            )
    with cl.node.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Checkin)) == 0
    # Well formed but about nobody the national node knows: refused alone, with why.
    reply = client.send(
        post.node, _peer(post, cl), type="corridor.checkins", body={"checkins": [good]}
    )
    assert reply.body["accepted"] == [] and "desconocida" in reply.body["refused"][0]["reason"]
