"""Hit/no-hit never leaks data; release with removed fields; the 48-hour clock; H2 consent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from alianza.audit.models import AuditEntry
from alianza.db import transaction
from alianza.errors import InputError, NotFound, PermissionDenied
from alianza.exchange import flows as exchange
from alianza.exchange import release
from alianza.exchange import service as exchange_service
from alianza.exchange.models import ReleaseRequest
from alianza.records import service as records
from alianza.records.rules import Rules
from tests.conftest import RULES
from tests.exchange.conftest import Nodes, Running, link

PERSON = {
    "category": "wanted",
    "given_names": "José Luis",
    "surname_1": "González",
    "surname_2": "Pérez",
    "birth_date": "1985-07-14",
    "nationality": "EC",
    "documents": [{"type": "CI_EC", "number": "1710034065"}],
    "notes": "Vinculado a carga en Posorja",
}
QUERY = {
    "given_names": "JOSE LUIS",
    "surname_1": "gonzalez",
    "surname_2": "Perez",
    "birth_date": "1985-07-14",
}


def owned(ec: Running, data: dict[str, Any], kind: str = "person", **rules: Any) -> str:
    pn = ec.users.get("pn") or ec.user("pn", "analyst")
    with transaction(ec.node.sessions) as s:
        return records.create_record(
            s, node=ec.node, principal=pn, kind=kind, data=data, rules=Rules(**{**RULES, **rules})
        ).record.id


def actions(r: Running) -> list[str]:
    with r.node.sessions() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_hit_no_hit_carries_references_never_data(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    owned(ec, PERSON, scope="partners", scope_countries=["CL"])
    # Born another year: her only resemblance to the shared record is the surnames (the
    # fuzzy matcher rightly takes same surnames *and* birth date for a possible match).
    owned(
        ec,
        {**PERSON, "given_names": "Ana", "birth_date": "1990-02-03", "documents": []},
        scope="agency",
        discoverable="none",
    )
    ana = cl.user("ana", "analyst")
    [hit] = exchange.query_peers(
        cl.node, principal=ana, kind="person", values=QUERY, purpose="investigation"
    )
    assert hit["result"] == "HIT" and len(hit["hits"]) == 1
    assert set(hit["hits"][0]) == {"ref", "kind"}
    text = json.dumps(hit, ensure_ascii=False)
    for secret in ("Posorja", "1710034065", "González", "1985"):
        assert secret not in text
    # The undiscoverable record exists but is not the partner's to find.
    [miss] = exchange.query_peers(
        cl.node,
        principal=ana,
        kind="person",
        values={**QUERY, "given_names": "Ana", "birth_date": "1990-02-03"},
        purpose="investigation",
    )
    assert miss["result"] == "NO_HIT" and miss["hits"] == []
    [doc] = exchange.query_peers(
        cl.node,
        principal=ana,
        kind="document",
        values={"number": "171003406-5"},
        purpose="border_control",
    )
    assert doc["result"] == "HIT" and doc["hits"][0]["kind"] == "person"
    assert "exchange.query_received" in actions(ec)
    assert "exchange.query_sent" in actions(cl)


def test_queries_are_validated_and_need_a_purpose(pair: tuple[Running, Running]) -> None:
    cl, _ = pair
    ana = cl.user("ana", "analyst")
    with pytest.raises(InputError, match="purpose"):
        exchange.query_peers(
            cl.node, principal=ana, kind="person", values=QUERY, purpose="curiosidad"
        )
    with pytest.raises(InputError, match=r"values\.birth_date"):
        exchange.query_peers(
            cl.node,
            principal=ana,
            kind="person",
            values={**QUERY, "birth_date": "14/07/1985"},
            purpose="investigation",
        )
    eva = cl.user("eva", "caseworker")
    with pytest.raises(PermissionDenied):
        exchange.query_peers(
            cl.node, principal=eva, kind="person", values=QUERY, purpose="investigation"
        )


def test_queries_are_rate_limited_per_peer(nodes: Nodes) -> None:
    cl = nodes.new("CL", "PDI")
    ec = nodes.new(
        "EC", "Policía Nacional", ALIANZA_PEER_QUERY_RATE="0.5", ALIANZA_PEER_QUERY_BURST="2"
    )
    link(cl, ec)
    link(ec, cl)
    ana = cl.user("ana", "analyst")
    results = [
        exchange.query_peers(
            cl.node,
            principal=ana,
            kind="container",
            values={"number": "CSQU3054383"},
            purpose="port_control",
        )[0]
        for _ in range(4)
    ]
    assert [r["result"] for r in results[:2]] == ["NO_HIT", "NO_HIT"]
    assert results[3]["result"] == "ERROR" and "429" in results[3]["error"]


def _hit(cl: Running, ec: Running) -> tuple[str, str]:
    owned(ec, PERSON, scope="partners", scope_countries=["CL"], handling_code="H2")
    ana = cl.users.get("ana") or cl.user("ana", "analyst")
    [hit] = exchange.query_peers(
        cl.node, principal=ana, kind="person", values=QUERY, purpose="investigation"
    )
    return hit["peer"], hit["hits"][0]["ref"]


def _ask(cl: Running, peer: str, ref: str, legal_basis: str = "Ley 20.000") -> ReleaseRequest:
    return exchange.request_release(
        cl.node,
        principal=cl.users["ana"],
        peer_node=peer,
        ref=ref,
        kind="person",
        purpose="investigación",
        legal_basis=legal_basis,
    )


def test_release_with_removed_fields_end_to_end(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    peer, ref = _hit(cl, ec)
    out = _ask(cl, peer, ref, legal_basis="Acuerdo Chile-Ecuador, art. 4")
    hours = (out.due_at.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds() / 3600
    assert 47.5 < hours <= 48
    sup = ec.user("sup", "supervisor")
    with transaction(ec.node.sessions) as s, pytest.raises(InputError, match="remove_fields"):
        release.decide_release(
            s,
            node=ec.node,
            principal=sup,
            request_id=out.request_id,
            approve=True,
            remove_fields=["color_de_ojos"],
        )
    with transaction(ec.node.sessions) as s:
        release.decide_release(
            s,
            node=ec.node,
            principal=sup,
            request_id=out.request_id,
            approve=True,
            remove_fields=["documents", "notes"],
        )
    report = exchange.sync_all(cl.node)[0]
    assert report.answers == 1
    with cl.node.sessions() as s:
        row = s.scalar(select(ReleaseRequest).where(ReleaseRequest.direction == "out"))
        assert row is not None and row.status == "approved"
        payload = json.loads(row.answer or "{}")["payload"]
    assert payload["data"]["surname_1"] == "González"
    assert "documents" not in payload["data"] and "notes" not in payload["data"]
    assert payload["removed_fields"] == ["documents", "notes"]
    assert payload["handling_code"] == "H2"


def test_release_refused_with_reason_and_unknown_refs(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    peer, ref = _hit(cl, ec)
    from alianza.errors import PeerError

    with pytest.raises(PeerError, match="404"):
        exchange.request_release(
            cl.node,
            principal=cl.users["ana"],
            peer_node=peer,
            ref="inventada-123",
            kind="person",
            purpose="investigación",
            legal_basis="Ley 20.000",
        )
    out = _ask(cl, peer, ref)
    sup = ec.user("sup", "supervisor")
    with transaction(ec.node.sessions) as s, pytest.raises(InputError, match="reason"):
        release.decide_release(
            s, node=ec.node, principal=sup, request_id=out.request_id, approve=False
        )
    with transaction(ec.node.sessions) as s:
        release.decide_release(
            s,
            node=ec.node,
            principal=sup,
            request_id=out.request_id,
            approve=False,
            reason="investigación judicial en curso",
        )
    exchange.sync_all(cl.node)
    with cl.node.sessions() as s:
        row = s.scalar(select(ReleaseRequest).where(ReleaseRequest.direction == "out"))
        assert row is not None and row.status == "refused"
        assert row.reason == "investigación judicial en curso"
        assert "data" not in json.loads(row.answer or "{}")["payload"]


def test_the_48_hour_clock_lists_overdue_requests(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    peer, ref = _hit(cl, ec)
    out = _ask(cl, peer, ref)
    with ec.node.sessions() as s:
        row = s.scalar(select(ReleaseRequest).where(ReleaseRequest.request_id == out.request_id))
        assert row is not None and not release.is_overdue(row)
        later = datetime.now(UTC) + timedelta(hours=49)
        assert release.is_overdue(row, later)
        assert release.hours_left(row, later) < 0
    with transaction(ec.node.sessions) as s:
        s.execute(update(ReleaseRequest).values(due_at=datetime.now(UTC) - timedelta(hours=1)))
    sup = ec.user("sup", "supervisor")
    token = ec.token("sup")
    import httpx2

    overdue = httpx2.get(
        ec.url + "/api/v1/releases",
        params={"overdue": "true"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    assert [r["request_id"] for r in overdue] == [out.request_id]
    assert overdue[0]["overdue"] is True and overdue[0]["hours_left"] < 0
    assert sup.role == "supervisor"


def test_h2_reshare_is_a_consent_request_never_a_copy(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    rid = owned(ec, PERSON, scope="partners", scope_countries=["CL"], handling_code="H2")
    exchange.sync_all(cl.node)
    ana = cl.user("ana", "analyst")
    with pytest.raises(NotFound):  # one's own records are shared by scope, not by consent
        own = owned(cl, {**PERSON, "nationality": "CL", "documents": []})
        exchange.request_consent(
            cl.node,
            principal=ana,
            record_id=own,
            third_country="PE",
            purpose="investigación conjunta",
        )
    asked = exchange.request_consent(
        cl.node,
        principal=ana,
        record_id=rid,
        third_country="PE",
        purpose="investigación conjunta con Perú",
    )
    sup = ec.user("sup", "supervisor")
    with transaction(ec.node.sessions) as s:
        release.decide_consent(
            s, node=ec.node, principal=sup, request_id=asked.request_id, approve=True
        )
    with ec.node.sessions() as s:
        rules = records.get_record(s, node=ec.node, principal=sup, record_id=rid).as_dict()["rules"]
    assert rules["scope"] == "partners" and rules["scope_countries"] == ["CL", "PE"]
    assert exchange.sync_all(cl.node)[0].answers == 1
    import httpx2

    token = cl.token("ana")
    consents = httpx2.get(
        cl.url + "/api/v1/consents", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()
    assert consents[0]["status"] == "approved" and consents[0]["third_country"] == "PE"


def test_judicial_queries_do_not_find_h1_records(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    owned(ec, PERSON, scope="partners", scope_countries=["CL"], handling_code="H1")
    ana = cl.user("ana", "analyst")
    [judicial] = exchange.query_peers(
        cl.node, principal=ana, kind="person", values=QUERY, purpose="judicial"
    )
    [police] = exchange.query_peers(
        cl.node, principal=ana, kind="person", values=QUERY, purpose="investigation"
    )
    assert (judicial["result"], police["result"]) == ("NO_HIT", "HIT")


def test_consent_only_for_records_the_partner_may_see(pair: tuple[Running, Running]) -> None:
    from alianza.errors import PeerError
    from alianza.exchange import client

    cl, ec = pair
    hidden = owned(ec, PERSON, scope="agency")
    with cl.node.sessions() as s:
        me = exchange_service.get_peer(s, ec.node.node_id)
        s.expunge(me)
    with pytest.raises(PeerError, match="404"):
        client.send(
            cl.node,
            me,
            type="consent.request",
            body={
                "request_id": "0" * 36,
                "record_id": hidden,
                "third_country": "PE",
                "purpose": "probar",
                "requested_by": "x",
            },
        )


def test_released_data_is_shown_only_to_the_requesting_agency_and_role(
    pair: tuple[Running, Running],
) -> None:
    from alianza.exchange.release import list_releases

    cl, ec = pair
    peer, ref = _hit(cl, ec)
    _ask(cl, peer, ref)
    carla = cl.user("carla", "port_analyst")
    from alianza.auth.permissions import Principal, Role

    other = Principal(username="felipe", country="CL", agency="Carabineros", role=Role.ANALYST)
    with cl.node.sessions() as s:
        assert len(list(s.scalars(select(ReleaseRequest)))) == 1
        assert len(list_releases(s, node=cl.node, principal=cl.users["ana"])) == 1
        # Persons are not a port analyst's kind; another agency's request is not theirs.
        assert list_releases(s, node=cl.node, principal=carla) == []
        assert list_releases(s, node=cl.node, principal=other) == []
