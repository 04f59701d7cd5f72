"""Sync with the next page fetched and checked while the current one is stored."""

from __future__ import annotations

from sqlalchemy import func, select

from alianza.db import transaction
from alianza.exchange import flows as exchange
from alianza.exchange.pull import pending_acknowledgements
from alianza.records import service as records
from alianza.records.models import RecordVersion
from tests.exchange.conftest import Nodes, link
from tests.exchange.test_sync import copies, create


def test_deletions_in_early_pages_are_acknowledged_in_the_same_sync(nodes: Nodes) -> None:
    # One version per page: the request for page n+1 leaves before page n (a tombstone)
    # is stored, so its receipt must still reach the owner before the sync ends.
    cl = nodes.new("CL", "PDI")
    ec = nodes.new("EC", "Policía Nacional", ALIANZA_SYNC_PAGE="1")
    ec.node.settings.sync_page = 1
    link(cl, ec)
    link(ec, cl)
    ids = [create(cl, "ana", 20 + i, scope="members") for i in range(4)]
    first = exchange.sync_all(ec.node)[0]
    assert first.error == "" and first.received == 4, first
    with transaction(cl.node.sessions) as s:
        for rid in ids[:2]:
            records.delete_record(
                s, node=cl.node, principal=cl.users["ana"], record_id=rid, reason="error"
            )
    for n in range(3):
        create(cl, "ana", 40 + n, scope="members")
    second = exchange.sync_all(ec.node)[0]
    assert second.error == "" and second.deletions == 2, second
    got = copies(ec, cl)
    assert len(got) == 7 and {rid for rid, r in got.items() if r.deleted} == set(ids[:2])
    with cl.node.sessions() as s:
        assert pending_acknowledgements(s, node=cl.node) == []
    with ec.node.sessions() as s:
        assert s.scalar(select(func.count()).select_from(RecordVersion)) == 9
    # Nothing new: one empty page, nothing stored twice.
    third = exchange.sync_all(ec.node)[0]
    assert third.error == "" and third.received == 0, third
