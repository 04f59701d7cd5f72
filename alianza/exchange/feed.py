"""Sync: the owner's signed changes feed per peer, and the puller's verified apply.

The feed is every version of this node's own records, in storage order, filtered by each
version's scope for the asking peer. A version the peer may no longer see (the scope was
narrowed) becomes a signed retraction. Pulling is by cursor and page: the puller applies a
page and moves its cursor in one transaction, so a sync cut off anywhere resumes where the
last committed page ended, and a version that arrives twice is stored once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from alianza.audit.service import lock_head
from alianza.auth.permissions import Action, Principal, allowed
from alianza.codes.problems import raise_validation
from alianza.errors import AuthenticationError, InputError, IntegrityFailure
from alianza.exchange.models import DeletionReceipt, FeedRetraction, Peer
from alianza.node.context import Node
from alianza.node.keys import canonical, digest, verify
from alianza.records.keys import record_keys
from alianza.records.kinds import check_neutrality, validate_data
from alianza.records.models import (
    RECORD_KEYS,
    RECORD_VERSIONS,
    RECORDS,
    Record,
    RecordKey,
    RecordVersion,
)
from alianza.records.policy import RecordRef
from alianza.records.rules import KIND_VALUES, RecordKind, Rules, scope_text
from alianza.records.state import apply_state, record_state
from alianza.records.versions import version_header

MAX_PAGE = 5000


@dataclass(frozen=True, slots=True)
class _Row:
    kind: str
    owner_country: str
    owner_agency: str


_VERSION_FIELDS = (
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


def _visible(rules: dict[str, Any], row: Any, peer: Peer) -> bool:
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
    found = session.execute(
        select(RecordVersion, Record)
        .join(Record, Record.id == RecordVersion.record_id)
        .where(RecordVersion.id > cursor, Record.origin == node.node_id)
        .order_by(RecordVersion.id)
        .limit(limit)
    ).all()
    rows = [version for version, _ in found]
    # What the peer may see now: an old version is not handed out (to a new or lagging
    # peer) once its record's scope no longer includes the peer.
    reader = as_principal(peer)
    now_visible = {record.id: allowed(reader, Action.READ, record) for _, record in found}
    previous = _previous_rules(session, rows)
    entries: list[dict[str, Any]] = []
    for row in rows:
        rules = json.loads(row.rules)
        if _visible(rules, row, peer) and now_visible[row.record_id]:
            entry = {f: getattr(row, f) for f in _VERSION_FIELDS}
            entries.append({"type": "version", "version": entry})
            continue
        before = previous.get((row.record_id, row.version - 1))
        if before is not None and _visible(before, row, peer):
            entries.append(_retraction(session, node=node, peer=peer, row=row))
    next_cursor = rows[-1].id if rows else cursor
    return {"entries": entries, "next_cursor": next_cursor, "more": len(rows) == limit}


def _previous_rules(
    session: Session, rows: list[RecordVersion]
) -> dict[tuple[str, int], dict[str, Any]]:
    wanted = {(r.record_id, r.version - 1) for r in rows if r.version > 1}
    if not wanted:
        return {}
    found = session.execute(
        select(RecordVersion.record_id, RecordVersion.version, RecordVersion.rules).where(
            RecordVersion.record_id.in_(sorted({w[0] for w in wanted}))
        )
    )
    return {(rid, v): json.loads(rules) for rid, v, rules in found if (rid, v) in wanted}


def _retraction(session: Session, *, node: Node, peer: Peer, row: RecordVersion) -> dict[str, Any]:
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


# ------------------------------------------------------------------ puller side


_TYPES: dict[str, type | tuple[type, ...]] = {
    "record_id": str,
    "version": int,
    "kind": str,
    "owner_country": str,
    "owner_agency": str,
    "tombstone": bool,
    "data": (str, type(None)),
    "rules": str,
    "content_hash": str,
    "created_at": str,
    "author": str,
    "reason": str,
    "signer": str,
    "signature": str,
}
_LIMITS = {
    "record_id": 36,
    "kind": 20,
    "owner_country": 2,
    "owner_agency": 80,
    "content_hash": 64,
    "created_at": 40,
    "author": 120,
    "reason": 500,
    "signer": 64,
    "signature": 128,
}


def _check_version(entry: Any, peer: Peer, where: str) -> dict[str, Any]:
    if not isinstance(entry, dict) or set(entry) != set(_VERSION_FIELDS):
        raise InputError.at(where, "versión mal formada")
    for name, expected in _TYPES.items():
        value = entry[name]
        if not isinstance(value, expected) or (name == "version" and isinstance(value, bool)):
            raise InputError.at(f"{where}.{name}", "tipo inválido")
        if name in _LIMITS and len(str(value)) > _LIMITS[name]:
            raise InputError.at(f"{where}.{name}", "demasiado largo")
    if not 1 <= entry["version"] < 2**31:
        raise InputError.at(f"{where}.version", "fuera de rango")
    if entry["signer"] != peer.node_id:
        raise AuthenticationError(
            f"{where}: versión firmada por {entry['signer']}, no por {peer.node_id}"
        )
    # A node may host several agencies of its own country (PDI and Carabineros on one
    # Chilean node), never another country's: that would be a copy, not its own record.
    if entry["owner_country"] != peer.country:
        raise AuthenticationError(f"{where}: {peer.node_id} envía un registro que no es suyo")
    if entry["kind"] not in KIND_VALUES:
        raise InputError.at(f"{where}.kind", f"tipo desconocido '{entry['kind']}'")
    header = version_header(
        **{f: entry[f] for f in _VERSION_FIELDS if f not in ("data", "signature")}
    )
    if not verify(peer.public_key, header, entry["signature"]):
        raise AuthenticationError(f"{where}: firma inválida de la versión {entry['record_id']}")
    try:
        json.loads(entry["rules"])
        data = json.loads(entry["data"]) if entry["data"] is not None else None
    except ValueError:
        raise InputError.at(f"{where}.rules", "reglas o datos ilegibles") from None
    # Data erased by the owner's retention (a signed header whose data is gone) is
    # accepted as erased; otherwise the data must be exactly what was signed.
    if data is not None and digest(data) != entry["content_hash"]:
        raise IntegrityFailure(f"{where}: los datos no coinciden con el hash firmado")
    return entry


def content_problem(entry: dict[str, Any], where: str) -> InputError | None:
    """Why a partner's (authentic) version may not be stored here, or None.

    The same gate as a local write: the neutrality rule first, then the kind's data model
    and the rules model. Review dates are not held to "not in the past": a partner's
    record can be due for review at its owner's.
    """
    try:
        rules = json.loads(entry["rules"])
        data = json.loads(entry["data"]) if entry["data"] is not None else None
        if data is not None:
            if not isinstance(data, dict):
                raise InputError.at(f"{where}.data", "se esperaba un objeto")
            check_neutrality(data, prefix=f"{where}.data")
        if not isinstance(rules, dict):
            raise InputError.at(f"{where}.rules", "se esperaba un objeto")
        try:
            Rules.model_validate(rules)
        except ValidationError as exc:
            raise raise_validation(exc, prefix=f"{where}.rules") from None
        if data is not None and not entry["tombstone"]:
            validate_data(entry["kind"], data)
    except InputError as exc:
        return exc
    return None


def apply_changes(
    session: Session,
    *,
    node: Node,
    peer: Peer,
    page: Any,
    refused: list[InputError] | None = None,
) -> list[dict[str, Any]]:
    """Verify and store one page from ``peer``; return the deletions to acknowledge.

    A page whose envelope, signatures or hashes fail is refused whole. An authentic
    version whose content fails the local gate (``content_problem``) is never stored:
    it is added to ``refused`` (the caller records it as a sync problem with the peer)
    and the rest of the page is applied, so one bad record cannot stall the sync.

    Every entry is checked first; then the page's versions are stored in a few bulk
    statements (one ORM round trip per version made a 100,000-version sync take minutes).
    """
    if not isinstance(page, dict) or not isinstance(page.get("entries"), list):
        raise InputError.at("body.entries", "se esperaba una lista de cambios")
    versions: list[dict[str, Any]] = []
    retractions: list[tuple[str, int]] = []
    for i, entry in enumerate(page["entries"]):
        where = f"cambio {i}"
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind == "version":
            checked = _check_version(entry.get("version"), peer, where)
            problem = content_problem(checked, f"{where} ({checked['record_id']})")
            if problem is None:
                versions.append(checked)
            elif refused is not None:
                refused.append(problem)
        elif kind == "retraction":
            rid, ver, sig = entry.get("record_id"), entry.get("version"), entry.get("signature")
            if not (isinstance(rid, str) and isinstance(ver, int) and isinstance(sig, str)):
                raise InputError.at(where, "retracción mal formada")
            message = retraction_message(
                signer=peer.node_id, record_id=rid, version=ver, peer=node.node_id
            )
            if not verify(peer.public_key, message, sig):
                raise AuthenticationError(f"{where}: firma inválida de la retracción")
            retractions.append((rid, ver))
        else:
            raise InputError.at(f"{where}.type", f"tipo de cambio desconocido '{kind}'")
    cursor = page.get("next_cursor")
    if not isinstance(cursor, int) or not peer.pull_cursor <= cursor < 2**31:
        raise InputError.at("body.next_cursor", "cursor inválido o retrocede")
    # Version ids in commit order (as local writers do): the screening index catches up
    # by the newest id and must never find an older one committed after it.
    lock_head(session)
    stored = _store_versions(session, peer=peer, versions=versions)
    acks = [
        {"record_id": v["record_id"], "version": v["version"]} for v in stored if v["tombstone"]
    ]
    for rid, ver in retractions:
        _drop_copy(session, peer=peer, record_id=rid, version=ver)
        acks.append({"record_id": rid, "version": ver})
    peer.pull_cursor = cursor
    session.flush()
    return acks


def _store_versions(
    session: Session, *, peer: Peer, versions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Store verified versions not stored yet (each exactly once); return those stored."""
    if not versions:
        return []
    ids = sorted({v["record_id"] for v in versions})
    have = {
        (str(rid), int(number))
        for rid, number in session.execute(
            select(RecordVersion.record_id, RecordVersion.version).where(
                RecordVersion.record_id.in_(ids)
            )
        )
    }
    records = {r.id: r for r in session.scalars(select(Record).where(Record.id.in_(ids)))}
    fresh: list[dict[str, Any]] = []
    for v in versions:
        key = (v["record_id"], v["version"])
        if key in have:
            continue
        have.add(key)
        record = records.get(v["record_id"])
        if record is not None and record.origin != peer.node_id:
            raise IntegrityFailure(
                f"El registro {v['record_id']} de {peer.node_id} choca con uno de otro nodo."
            )
        fresh.append(v)
    if not fresh:
        return []
    newest: dict[str, dict[str, Any]] = {}
    for v in fresh:
        if v["version"] > newest.get(v["record_id"], {"version": 0})["version"]:
            newest[v["record_id"]] = v
    now = datetime.now(UTC)
    new_rows: list[dict[str, Any]] = []
    moved: list[str] = []
    keys: list[dict[str, str]] = []
    for rid, v in newest.items():
        record = records.get(rid)
        if record is not None and v["version"] <= record.version:
            continue
        kind = RecordKind(v["kind"])
        rules = json.loads(v["rules"])
        data = json.loads(v["data"]) if v["data"] is not None else None
        state = record_state(
            kind=kind,
            data=data,
            rules=rules,
            version=v["version"],
            tombstone=bool(v["tombstone"]),
            at=now,
        )
        if record is None:
            new_rows.append(
                {
                    "id": rid,
                    "kind": kind.value,
                    "owner_country": v["owner_country"],
                    "owner_agency": v["owner_agency"],
                    "origin": peer.node_id,
                    "label": "",
                    "created_at": now,
                    **state,
                }
            )
        else:
            apply_state(record, state)
            moved.append(rid)
        if data is not None and not v["tombstone"]:
            keys.extend({"record_id": rid, "key": k} for k in sorted(record_keys(kind, data)))
    if new_rows:
        session.execute(insert(RECORDS), new_rows)
    session.flush()
    session.execute(insert(RECORD_VERSIONS), fresh)  # after their records (foreign key)
    if moved:
        session.execute(delete(RecordKey).where(RecordKey.record_id.in_(moved)))
    gone = [rid for rid, v in newest.items() if v["tombstone"]]
    if gone:
        session.execute(delete(RecordKey).where(RecordKey.record_id.in_(gone)))
        session.execute(
            update(RecordVersion).where(RecordVersion.record_id.in_(gone)).values(data=None)
        )
    if keys:
        session.execute(insert(RECORD_KEYS), keys)
    return fresh


def _redact(session: Session, record_id: str) -> None:
    session.execute(
        update(RecordVersion).where(RecordVersion.record_id == record_id).values(data=None)
    )


def _drop_copy(session: Session, *, peer: Peer, record_id: str, version: int) -> None:
    record = session.get(Record, record_id)
    if record is None or record.version > version:
        return  # never held, or shared again by a newer version in the same page
    if record.origin != peer.node_id:
        raise AuthenticationError(f"{peer.node_id} no puede retirar un registro que no es suyo.")
    record.deleted = True
    session.execute(delete(RecordKey).where(RecordKey.record_id == record_id))
    _redact(session, record_id)
    session.flush()


def pending_acknowledgements(session: Session, *, node: Node) -> list[dict[str, Any]]:
    """Deletions each peer has been served but has not yet acknowledged with a receipt."""
    peers = list(session.scalars(select(Peer).order_by(Peer.node_id)))
    receipts = {
        (r.peer_node, r.record_id, r.version)
        for r in session.execute(
            select(DeletionReceipt.peer_node, DeletionReceipt.record_id, DeletionReceipt.version)
        ).all()
    }
    tombstones = session.execute(
        select(
            RecordVersion.id,
            RecordVersion.record_id,
            RecordVersion.version,
            RecordVersion.rules,
            RecordVersion.owner_country,
            RecordVersion.owner_agency,
            RecordVersion.kind,
        )
        .join(Record, Record.id == RecordVersion.record_id)
        .where(RecordVersion.tombstone.is_(True), Record.origin == node.node_id)
    ).all()
    parsed = [
        (row_id, rid, version, json.loads(rules), oc, oa, kind)
        for row_id, rid, version, rules, oc, oa, kind in tombstones
    ]
    pending: list[dict[str, Any]] = []
    for peer in peers:
        for row_id, rid, version, r, oc, oa, kind in parsed:
            seen = _visible(r, _Row(kind, oc, oa), peer)
            if (
                seen
                and row_id <= peer.served_cursor
                and (peer.node_id, rid, version) not in receipts
            ):
                pending.append(
                    {
                        "peer": peer.node_id,
                        "record_id": rid,
                        "version": version,
                        "kind": "tombstone",
                    }
                )
        for fr in session.scalars(
            select(FeedRetraction).where(FeedRetraction.peer_node == peer.node_id)
        ):
            if (peer.node_id, fr.record_id, fr.version) not in receipts:
                pending.append(
                    {
                        "peer": peer.node_id,
                        "record_id": fr.record_id,
                        "version": fr.version,
                        "kind": "retraction",
                    }
                )
    return pending
