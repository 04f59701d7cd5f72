"""Sync between two real node processes: scope, idempotency, tombstones, retractions, resume."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import func, select

from alianza.db import transaction
from alianza.exchange import flows as exchange
from alianza.exchange.models import Peer
from alianza.exchange.pull import pending_acknowledgements
from alianza.records import service as records
from alianza.records.models import Record, RecordVersion
from alianza.records.rules import Rules
from alianza.records.versions import verify_versions
from tests.conftest import RULES
from tests.exchange.conftest import Nodes, Running, link


def container(n: int) -> dict[str, Any]:
    from stdnum import iso6346

    body = f"MSCU{n:06d}"
    return {"number": body + iso6346.calc_check_digit(body), "status": "suspect"}


def create(owner: Running, user: str, n: int, **rules: Any) -> str:
    principal = owner.users.get(user) or owner.user(user, "analyst")
    with transaction(owner.node.sessions) as s:
        view = records.create_record(
            s,
            node=owner.node,
            principal=principal,
            kind="container",
            data=container(n),
            rules=Rules(**{**RULES, **rules}),
        )
        return view.record.id


def copies(holder: Running, origin: Running) -> dict[str, Record]:
    with holder.node.sessions() as s:
        rows = s.scalars(select(Record).where(Record.origin == origin.node.node_id))
        return {r.id: r for r in rows}


def keys_of(*nodes: Running) -> dict[str, str]:
    return {n.node.node_id: n.node.key.public_hex for n in nodes}


def test_sync_sends_only_what_the_scope_allows_once(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    hidden = [
        create(cl, "ana", 1, scope="agency"),
        create(cl, "ana", 2, scope="country"),
        create(cl, "ana", 3, scope="partners", scope_countries=["PE"]),
    ]
    shared = [
        create(cl, "ana", 4, scope="partners", scope_countries=["EC"]),
        create(cl, "ana", 5, scope="members"),
    ]
    report = exchange.sync_all(ec.node)[0]
    assert report.error == "" and report.received == 2 and report.witnessed
    got = copies(ec, cl)
    assert set(got) == set(shared) and not set(got) & set(hidden)
    assert all(r.owner_country == "CL" and r.owner_agency == "PDI" for r in got.values())
    with ec.node.sessions() as s:
        assert verify_versions(s, keys=keys_of(cl, ec)).problems == []
    # Again, and again from the start: every version is stored exactly once.
    assert exchange.sync_all(ec.node)[0].received == 0
    with transaction(ec.node.sessions) as s:
        s.execute(Peer.__table__.update().values(pull_cursor=0))
    assert exchange.sync_all(ec.node)[0].received == 2
    with ec.node.sessions() as s:
        assert s.scalar(select(func.count()).select_from(RecordVersion)) == 2


def test_received_copies_are_read_only_and_scoped(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    rid = create(cl, "ana", 6, scope="partners", scope_countries=["EC"])
    exchange.sync_all(ec.node)
    pn = ec.user("pablo", "analyst")
    with ec.node.sessions() as s:
        assert records.get_record(s, node=ec.node, principal=pn, record_id=rid)
        try:
            records.update_record(
                s,
                node=ec.node,
                principal=pn,
                record_id=rid,
                data=container(6),
                rules=Rules(**RULES),
            )
        except Exception as exc:
            assert "PermissionDenied" in type(exc).__name__
        else:
            raise AssertionError("a received copy was modified")


def test_tombstones_and_retractions_propagate_with_receipts(pair: tuple[Running, Running]) -> None:
    cl, ec = pair
    deleted = create(cl, "ana", 7, scope="members")
    narrowed = create(cl, "ana", 8, scope="partners", scope_countries=["EC"])
    exchange.sync_all(ec.node)
    assert set(copies(ec, cl)) == {deleted, narrowed}
    ana = cl.users["ana"]
    with transaction(cl.node.sessions) as s:
        records.delete_record(s, node=cl.node, principal=ana, record_id=deleted, reason="error")
        records.update_record(
            s,
            node=cl.node,
            principal=ana,
            record_id=narrowed,
            data=container(8),
            rules=Rules(**RULES, scope="agency"),
        )
    report = exchange.sync_all(ec.node)[0]
    assert report.deletions == 2, report
    got = copies(ec, cl)
    assert got[deleted].deleted and got[narrowed].deleted
    with ec.node.sessions() as s:
        data = s.scalars(
            select(RecordVersion.data).where(RecordVersion.record_id.in_([deleted, narrowed]))
        ).all()
        assert set(data) == {None}
    with cl.node.sessions() as s:
        assert pending_acknowledgements(s, node=cl.node) == []


def test_owner_lists_peers_that_have_not_acknowledged(nodes: Nodes) -> None:
    cl = nodes.new("CL", "PDI")
    ec = nodes.new("EC", "Policía Nacional")
    link(cl, ec)
    link(ec, cl)
    rid = create(cl, "ana", 9, scope="members")
    exchange.sync_all(ec.node)
    with transaction(cl.node.sessions) as s:
        records.delete_record(s, node=cl.node, principal=cl.users["ana"], record_id=rid, reason="x")
    # EC pulls the tombstone but dies before its receipt reaches CL.
    exchange.sync_peer(ec.node, cl.node.node_id, max_pages=1)
    with cl.node.sessions() as s:
        pending = pending_acknowledgements(s, node=cl.node)
    assert [(p["peer"], p["record_id"]) for p in pending] == [(ec.node.node_id, rid)]
    exchange.sync_all(ec.node)
    with cl.node.sessions() as s:
        assert pending_acknowledgements(s, node=cl.node) == []


def test_sync_resumes_after_the_peer_process_is_killed(nodes: Nodes) -> None:
    cl = nodes.new("CL", "PDI")
    ec = nodes.new("EC", "Policía Nacional", ALIANZA_SYNC_PAGE="50")
    ec.node.settings.sync_page = 50
    link(cl, ec)
    link(ec, cl)
    ana = cl.user("ana", "analyst")
    from alianza.records.importer import ImportItem, import_items

    items = [
        ImportItem(
            where=str(i),
            kind="container",
            data=container(100 + i),
            rules={**RULES, "scope": "members"},
            source_id=f"c{i}",
        )
        for i in range(1500)
    ]
    with transaction(cl.node.sessions) as s:
        import_items(s, node=cl.node, principal=ana, items=items)

    def cursor() -> int:
        with ec.node.sessions() as s:
            return int(s.scalar(select(Peer.pull_cursor)) or 0)

    result: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: result.update(r=exchange.sync_all(ec.node)[0]))
    worker.start()
    deadline = time.monotonic() + 60
    while cursor() < 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    cl.kill()  # the serving node dies mid-sync
    worker.join(timeout=120)
    first = result["r"]
    assert first.error and 0 < first.received < 1500
    partial = len(copies(ec, cl))
    assert 0 < partial < 1500  # the copies of the pages committed before the kill
    cl.start()
    second = exchange.sync_all(ec.node)[0]
    assert second.error == ""
    assert first.received + second.received >= 1500
    with ec.node.sessions() as s:
        assert s.scalar(select(func.count()).select_from(RecordVersion)) == 1500
    assert len(copies(ec, cl)) == 1500


def test_a_new_peer_gets_nothing_of_a_record_no_longer_shared(nodes: Nodes) -> None:
    cl = nodes.new("CL", "PDI")
    ec = nodes.new("EC", "Policía Nacional")
    link(cl, ec)
    link(ec, cl)
    rid = create(cl, "ana", 11, scope="members")
    with transaction(cl.node.sessions) as s:
        records.update_record(
            s,
            node=cl.node,
            principal=cl.users["ana"],
            record_id=rid,
            data=container(11),
            rules=Rules(**RULES, scope="agency"),
        )
    exchange.sync_all(ec.node)
    with ec.node.sessions() as s:
        assert s.scalar(select(func.count()).select_from(RecordVersion)) == 0


def test_a_changed_record_resynced_has_every_field_of_its_state(
    pair: tuple[Running, Running],
) -> None:
    from datetime import date

    cl, ec = pair
    rid = create(cl, "ana", 41, scope="partners", scope_countries=["EC"], review_date="2030-01-15")
    assert exchange.sync_all(ec.node)[0].error == ""
    with transaction(cl.node.sessions) as s:
        records.update_record(
            s,
            node=cl.node,
            principal=cl.users["ana"],
            record_id=rid,
            data={"number": "CSQU3054383", "status": "seized", "last_port": "Posorja"},
            rules=Rules(
                **{
                    **RULES,
                    "handling_code": "H2",
                    "scope": "partners",
                    "scope_countries": ["EC", "PE"],
                    "review_date": "2031-06-30",
                }
            ),
        )
    report = exchange.sync_all(ec.node)[0]
    assert report.error == "" and report.received == 1
    copy = copies(ec, cl)[rid]
    assert copy.version == 2
    assert copy.deleted is False
    assert copy.handling_code == "H2"
    assert copy.scope == "partners"
    assert copy.scope_countries == ",EC,PE,"
    assert copy.review_date == date(2031, 6, 30)
    assert copy.label == "CSQU3054383"
    assert (copy.owner_country, copy.owner_agency, copy.kind) == ("CL", "PDI", "container")
    assert copy.origin == cl.node.node_id
