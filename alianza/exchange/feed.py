"""Sync, the owner's side: the signed changes feed per peer (the puller's side is ``pull``).

The feed is every version of this node's own records, in storage order, filtered by each
version's scope for the asking peer. A version the peer may no longer see (the scope was
narrowed) becomes a signed retraction. Pulling is by cursor and page: the puller applies a
page and moves its cursor in one transaction, so a sync cut off anywhere resumes where the
last committed page ended, and a version that arrives twice is stored once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from alianza.auth.permissions import Action, Principal, allowed
from alianza.errors import InputError
from alianza.exchange.models import DeletionReceipt, FeedRetraction, Peer
from alianza.node.context import Node
from alianza.node.keys import canonical
from alianza.records.models import (
    RECORD_VERSIONS,
    RECORDS,
    RecordVersion,
)
from alianza.records.policy import RecordRef
from alianza.records.rules import scope_text

MAX_PAGE = 5000


@dataclass(frozen=True, slots=True)
class VersionRow:
    kind: str
    owner_country: str
    owner_agency: str


VERSION_FIELDS = (
    "record_id",
    "version",
    "kind",
    "owner_country",
    "owner_agency",
    "tombstone",
    "data",
    "rules",
    "content_hash",
    "created_at",
    "author",
    "reason",
    "signer",
    "signature",
)


def retraction_message(*, signer: str, record_id: str, version: int, peer: str) -> bytes:
    """What the owner signs when a peer must drop its copy of a record."""
    return canonical({"retract": record_id, "version": version, "signer": signer, "to": peer})


def as_principal(peer: Peer) -> Principal:
    """A registered peer as the actor of its messages."""
    return Principal.peer(node_id=peer.node_id, country=peer.country, agency=peer.agency)


def visible_to_peer(rules: dict[str, Any], row: Any, peer: Peer) -> bool:
    """Whether a version with these rules was (or is) the peer's to receive."""
    ref = RecordRef(
        kind=row.kind,
        owner_country=row.owner_country,
        owner_agency=row.owner_agency,
        scope=rules["scope"],
        scope_countries=scope_text(rules.get("scope_countries") or []),
    )
    return allowed(as_principal(peer), Action.READ, ref)


def serve_changes(
    session: Session, *, node: Node, peer: Peer, cursor: int, limit: int
) -> dict[str, Any]:
    """One page of the feed after ``cursor``: versions, retractions, the next cursor."""
    if limit < 1 or limit > MAX_PAGE:
        raise InputError.at("limit", f"debe estar entre 1 y {MAX_PAGE}")
    # Core rows, not ORM objects: a page is thousands of versions read once and sent.
    rows = session.execute(
        select(*_PAGE_COLUMNS)
        .join(RECORDS, RECORDS.c.id == RECORD_VERSIONS.c.record_id)
        .where(RECORD_VERSIONS.c.id > cursor, RECORDS.c.origin == node.node_id)
        .order_by(RECORD_VERSIONS.c.id)
        .limit(limit)
    ).all()
    # What the peer may see now: an old version is not handed out (to a new or lagging
    # peer) once its record's scope no longer includes the peer.
    reader = as_principal(peer)
    now_visible = {
        row.record_id: allowed(
            reader,
            Action.READ,
            RecordRef(
                kind=row.now_kind,
                owner_country=row.now_owner_country,
                owner_agency=row.now_owner_agency,
                scope=row.now_scope,
                scope_countries=row.now_scope_countries,
            ),
        )
        for row in rows
    }
    previous = _previous_rules(session, rows)
    entries: list[dict[str, Any]] = []
    for row in rows:
        rules = orjson.loads(row.rules)
        if visible_to_peer(rules, row, peer) and now_visible[row.record_id]:
            entry = {f: getattr(row, f) for f in VERSION_FIELDS}
            entries.append({"type": "version", "version": entry})
            continue
        before = previous.get((row.record_id, row.version - 1))
        if before is not None and visible_to_peer(before, row, peer):
            entries.append(_retraction(session, node=node, peer=peer, row=row))
    next_cursor = rows[-1].id if rows else cursor
    return {"entries": entries, "next_cursor": next_cursor, "more": len(rows) == limit}


_PAGE_COLUMNS = (
    RECORD_VERSIONS.c.id,
    *(RECORD_VERSIONS.c[f] for f in VERSION_FIELDS),
    # The record as it is now (its current scope decides whether old versions go out).
    RECORDS.c.kind.label("now_kind"),
    RECORDS.c.owner_country.label("now_owner_country"),
    RECORDS.c.owner_agency.label("now_owner_agency"),
    RECORDS.c.scope.label("now_scope"),
    RECORDS.c.scope_countries.label("now_scope_countries"),
)


def _previous_rules(session: Session, rows: Sequence[Any]) -> dict[tuple[str, int], dict[str, Any]]:
    wanted = {(r.record_id, r.version - 1) for r in rows if r.version > 1}
    if not wanted:
        return {}
    found = session.execute(
        select(RecordVersion.record_id, RecordVersion.version, RecordVersion.rules).where(
            RecordVersion.record_id.in_(sorted({w[0] for w in wanted}))
        )
    )
    return {(rid, v): orjson.loads(rules) for rid, v, rules in found if (rid, v) in wanted}


def _retraction(session: Session, *, node: Node, peer: Peer, row: Any) -> dict[str, Any]:
    existing = session.scalar(
        select(FeedRetraction).where(
            FeedRetraction.record_id == row.record_id,
            FeedRetraction.version == row.version,
            FeedRetraction.peer_node == peer.node_id,
        )
    )
    if existing is None:
        signature = node.key.sign(
            retraction_message(
                signer=node.node_id, record_id=row.record_id, version=row.version, peer=peer.node_id
            )
        )
        existing = FeedRetraction(
            record_id=row.record_id,
            version=row.version,
            peer_node=peer.node_id,
            at=datetime.now(UTC).isoformat(),
            signature=signature,
        )
        session.add(existing)
        session.flush()
    return {
        "type": "retraction",
        "record_id": row.record_id,
        "version": row.version,
        "signature": existing.signature,
    }


def store_receipts(
    session: Session, *, peer: Peer, acks: Any, envelope: dict[str, Any], signature: str
) -> int:
    """Keep a peer's signed acknowledgements of deletions it applied (duplicates ignored)."""
    if not isinstance(acks, list):
        raise InputError.at("body.acks", "se esperaba una lista")
    stored = 0
    for i, ack in enumerate(acks):
        if (
            not isinstance(ack, dict)
            or not isinstance(ack.get("record_id"), str)
            or len(ack["record_id"]) > 36
            or not isinstance(ack.get("version"), int)
            or not 0 < ack["version"] < 2**31
        ):
            raise InputError.at(f"body.acks.{i}", "se esperaba {record_id, version}")
        exists = session.scalar(
            select(DeletionReceipt.id).where(
                DeletionReceipt.peer_node == peer.node_id,
                DeletionReceipt.record_id == ack["record_id"],
                DeletionReceipt.version == ack["version"],
            )
        )
        if exists is None:
            session.add(
                DeletionReceipt(
                    peer_node=peer.node_id,
                    record_id=ack["record_id"],
                    version=ack["version"],
                    received_at=datetime.now(UTC),
                    message=canonical(envelope).decode(),
                    signature=signature,
                )
            )
            stored += 1
    session.flush()
    return stored


def receipts(session: Session, *, limit: int = 50) -> list[dict[str, Any]]:
    """The latest signed receipts partners returned for deletions we served, newest first
    (the signed envelope stays in the table as proof)."""
    rows = session.scalars(
        select(DeletionReceipt)
        .order_by(DeletionReceipt.received_at.desc(), DeletionReceipt.id.desc())
        .limit(max(1, min(limit, 500)))
    )
    return [
        {
            "peer": r.peer_node,
            "record_id": r.record_id,
            "version": r.version,
            "received_at": r.received_at,
        }
        for r in rows
    ]
