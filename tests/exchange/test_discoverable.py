"""Prüm's two steps over two real node processes: a partner finds what it cannot read,
and reads only what a person released to its agency, until the owner takes it back.

Chile (PDI) and Ecuador (Policía Nacional). Ecuador's wanted person is shared with its
own agency only, but (the node's default for persons) discoverable by every member.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from alianza.audit.models import AuditEntry
from alianza.auth.permissions import Principal, Role
from alianza.db import transaction
from alianza.errors import Conflict, InputError
from alianza.exchange import feed, release, released
from alianza.exchange import flows as exchange
from alianza.exchange import service as exchange_service
from alianza.exchange.models import ReleaseRequest
from alianza.node.keys import canonical, verify
from alianza.records import service as records
from alianza.records.models import Record
from tests.exchange.conftest import Running
from tests.exchange.test_hits_release import PERSON, QUERY, owned


def _query(cl: Running, principal: Principal, **over: Any) -> dict[str, Any]:
    [answer] = exchange.query_peers(
        cl.node,
        principal=principal,
        kind="person",
        values={**QUERY, **over},
        purpose="investigation",
    )
    return answer


def _request(r: Running, request_id: str, direction: str) -> ReleaseRequest:
    with r.node.sessions() as s:
        row = s.scalar(
            select(ReleaseRequest).where(
                ReleaseRequest.request_id == request_id, ReleaseRequest.direction == direction
            )
        )
        assert row is not None
        s.expunge(row)
        return row


def _released(cl: Running, request_id: str) -> ReleaseRequest:
    return _request(cl, request_id, "out")


def _owner_row(ec: Running, request_id: str) -> ReleaseRequest:
    return _request(ec, request_id, "in")


def _actions(r: Running) -> list[str]:
    with r.node.sessions() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def _approved(cl: Running, ec: Running) -> tuple[str, str]:
    """Ecuador's agency-only record, found by Chile and released without ``notes``."""
    record_id = owned(ec, PERSON, scope="agency")
    ana = cl.users.get("ana") or cl.user("ana", "analyst")
    hit = _query(cl, ana)
    assert hit["result"] == "HIT", hit
    row = exchange.request_release(
        cl.node,
        principal=ana,
        peer_node=hit["peer"],
        ref=hit["hits"][0]["ref"],
        kind="person",
        purpose="investigación de tráfico",
        legal_basis="Acuerdo Chile-Ecuador, art. 4",
    )
    sup = ec.users.get("sup") or ec.user("sup", "supervisor")
    with transaction(ec.node.sessions) as s:
        release.decide_release(
            s,
            node=ec.node,
            principal=sup,
            request_id=row.request_id,
            approve=True,
            remove_fields=["notes"],
        )
    exchange.sync_all(cl.node)
    return record_id, row.request_id


def test_a_record_chile_cannot_read_is_a_hit(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    record_id = owned(ec, PERSON, scope="agency")
    exchange.sync_all(cl.node)
    ana = cl.user("ana", "analyst")
    with cl.node.sessions() as s:
        # Not synced, not readable: Chile holds nothing of it.
        assert s.get(Record, record_id) is None
    hit = _query(cl, ana)
    assert hit["result"] == "HIT" and hit["hits"][0]["kind"] == "person"
    text = json.dumps(hit, ensure_ascii=False)
    for secret in ("Posorja", "1710034065", "González", record_id):
        assert secret not in text


def test_discoverable_none_and_role_kinds(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    owned(ec, PERSON, scope="agency", discoverable="none")
    owned(ec, {"number": "CSQU3054383"}, kind="container", scope="agency")
    ana = cl.user("ana", "analyst")
    assert _query(cl, ana)["result"] == "NO_HIT"
    # A container, discoverable by members by default, is a HIT for an analyst...
    [box] = exchange.query_peers(
        cl.node,
        principal=ana,
        kind="container",
        values={"number": "CSQU3054383"},
        purpose="port_control",
    )
    assert box["result"] == "HIT"
    # ...but a border officer does not ask about containers, nor a port analyst about persons.
    officer = cl.user("ofi", "border_officer")
    carla = cl.user("carla", "port_analyst")
    from alianza.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        exchange.query_peers(
            cl.node,
            principal=officer,
            kind="container",
            values={"number": "CSQU3054383"},
            purpose="port_control",
        )
    with pytest.raises(PermissionDenied):
        _query(cl, carla)


def test_release_gives_the_approved_fields_to_the_requesting_agency_only(
    pair: tuple[Running, Running],
) -> None:
    cl, ec = pair
    record_id, request_id = _approved(cl, ec)
    row = _released(cl, request_id)
    payload = release.answer_payload(row)
    assert row.status == "approved" and payload is not None
    expected = {k: v for k, v in PERSON.items() if k != "notes"}
    assert {k: v for k, v in payload["data"].items() if v not in ([], None)} == expected
    assert "Posorja" not in json.dumps(payload, ensure_ascii=False)
    assert payload["removed_fields"] == ["notes"]
    # The owner's rules travel with the copy.
    rules = release.owner_rules(payload)
    assert rules is not None
    assert rules["purpose"] == "investigación de tráfico de drogas"
    assert rules["legal_basis"] == "Ley 20.000" and rules["handling_code"] == "H0"
    assert date.fromisoformat(rules["review_date"]) > date.today()
    # Only the requesting agency's users whose role covers persons see it.
    other = Principal(username="felipe", country="CL", agency="Carabineros", role=Role.ANALYST)
    carla = cl.user("carla", "port_analyst")
    with transaction(cl.node.sessions) as s:
        assert [
            r.request_id for r in release.list_releases(s, node=cl.node, principal=cl.users["ana"])
        ] == [request_id]
        assert release.list_releases(s, node=cl.node, principal=other) == []
        assert release.list_releases(s, node=cl.node, principal=carla) == []
        # A released copy is not a record: not readable as one, never in a sync feed.
        assert s.get(Record, record_id) is None
        ec_peer = exchange_service.get_peer(s, ec.node.node_id)
        page = feed.serve_changes(s, node=cl.node, peer=ec_peer, cursor=0, limit=1000)
        assert record_id not in json.dumps(page)
        assert "José Luis" not in json.dumps(page, ensure_ascii=False)


def test_a_retraction_erases_the_copy_and_comes_back_with_a_receipt(
    pair: tuple[Running, Running],
) -> None:
    cl, ec = pair
    _, request_id = _approved(cl, ec)
    sup = ec.users["sup"]
    with transaction(ec.node.sessions) as s, pytest.raises(InputError, match="reason"):
        release.retract_release(s, node=ec.node, principal=sup, request_id=request_id, reason="")
    # Only the owning agency retracts: Chile's supervisor cannot.
    cl_sup = cl.user("csup", "supervisor")
    from alianza.errors import NotFound

    with transaction(cl.node.sessions) as s, pytest.raises(NotFound):
        release.retract_release(
            s, node=cl.node, principal=cl_sup, request_id=request_id, reason="no"
        )
    # Asked again about a copy it holds, Chile gets nothing while it stands: released data
    # is never sent twice.
    with transaction(ec.node.sessions) as s:
        cl_peer = exchange_service.get_peer(s, cl.node.node_id)
        body = {"request_ids": [], "approved_ids": [request_id]}
        assert release.answers_for(s, node=ec.node, peer=cl_peer, body=body)["answers"] == []
    with transaction(ec.node.sessions) as s:
        release.retract_release(
            s, node=ec.node, principal=sup, request_id=request_id, reason="orden judicial"
        )
        cl_peer = exchange_service.get_peer(s, cl.node.node_id)
        [withdrawn] = release.answers_for(s, node=ec.node, peer=cl_peer, body=body)["answers"]
        assert withdrawn["payload"]["status"] == "retracted" and "data" not in withdrawn["payload"]
    with transaction(ec.node.sessions) as s, pytest.raises(Conflict):
        release.retract_release(
            s, node=ec.node, principal=sup, request_id=request_id, reason="otra vez"
        )
    exchange.sync_all(cl.node)
    copy = _released(cl, request_id)
    assert copy.status == "erased"
    assert release.answer_payload(copy) is not None
    assert "data" not in (release.answer_payload(copy) or {})
    assert "José Luis" not in (copy.answer or "")
    assert copy.reason == "orden judicial"
    owner = _owner_row(ec, request_id)
    assert owner.status == "erased" and owner.receipt
    receipt = json.loads(owner.receipt)
    assert receipt["payload"]["receipt"] == request_id
    assert receipt["payload"]["erased_by"] == cl.node.node_id
    assert verify(cl.node.key.public_hex, canonical(receipt["payload"]), receipt["signature"])
    assert "release.retracted" in _actions(ec) and "release.erasure_receipt" in _actions(ec)
    assert "exchange.release_erased" in _actions(cl)
    # Syncing again neither resurrects the copy nor stores the receipt twice.
    exchange.sync_all(cl.node)
    assert _released(cl, request_id).status == "erased"
    assert _actions(ec).count("release.erasure_receipt") == 1


def test_a_copy_is_erased_when_the_owners_review_date_passes(
    pair: tuple[Running, Running],
) -> None:
    cl, ec = pair
    _, request_id = _approved(cl, ec)
    with transaction(cl.node.sessions) as s:
        assert released.expire_copies(s, node=cl.node) == []
        assert released.expire_copies(s, node=cl.node, today=date(2099, 1, 1)) == [request_id]
    copy = _released(cl, request_id)
    assert copy.status == "expired" and copy.answer is None
    assert "release.expired" in _actions(cl)


def test_discoverable_is_never_narrower_than_the_scope(pair: tuple[Running, Running]) -> None:
    _, ec = pair
    from alianza.records.rules import Rules
    from tests.conftest import RULES

    with pytest.raises(ValueError, match="más estrecho"):
        Rules(**RULES, scope="members", discoverable="none")
    with pytest.raises(ValueError, match="más estrecho"):
        Rules(
            **RULES,
            scope="partners",
            scope_countries=["PE", "CO"],
            discoverable="partners",
            discoverable_countries=["PE"],
        )
    # A consent that widens the scope widens discoverability with it.
    rid = owned(
        ec,
        PERSON,
        scope="partners",
        scope_countries=["CL"],
        discoverable="partners",
        discoverable_countries=["CL", "AR"],
    )
    with ec.node.sessions() as s:
        rec = s.get(Record, rid)
        assert rec is not None
        assert (rec.discoverable, rec.discoverable_countries) == ("partners", ",AR,CL,")
    pn = ec.users["pn"]
    with transaction(ec.node.sessions) as s:
        view = records.get_record(s, node=ec.node, principal=pn, record_id=rid)
        assert view.as_dict()["rules"]["discoverable_countries"] == ["AR", "CL"]


def test_a_partners_answer_is_stored_within_its_columns(pair: tuple[Running, Running]) -> None:
    """A signed but oversized or unknown answer is cut or refused, never a database error."""
    cl, ec = pair
    owned(ec, PERSON, scope="agency")
    ana = cl.user("ana", "analyst")
    hit = _query(cl, ana)
    row = exchange.request_release(
        cl.node,
        principal=ana,
        peer_node=hit["peer"],
        ref=hit["hits"][0]["ref"],
        kind="person",
        purpose="investigación",
        legal_basis="Ley 20.000",
    )

    def signed(**payload: Any) -> dict[str, Any]:
        body = {"request_id": row.request_id, "owner": ec.node.node_id, "to": cl.node.node_id}
        body.update(payload)
        return {"payload": body, "signature": ec.node.key.sign(canonical(body))}

    with transaction(cl.node.sessions) as s:
        peer = exchange_service.get_peer(s, ec.node.node_id)
        with pytest.raises(InputError, match="estado desconocido"):
            released.store_answer(s, node=cl.node, peer=peer, answer=signed(status="quizás"))
        stored = released.store_answer(
            s,
            node=cl.node,
            peer=peer,
            answer=signed(status="refused", reason="x" * 10_000, decided_by="y" * 1_000),
        )
        assert stored == row.request_id
    copy = _released(cl, row.request_id)
    assert copy.status == "refused" and len(copy.reason) == 500 and len(copy.decided_by) == 120
