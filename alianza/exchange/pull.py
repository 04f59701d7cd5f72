"""Sync, the puller's side: a partner's page checked (signatures, hashes, the same content
gate as a local write) and stored with the cursor in one transaction.

Checking needs no database, so it runs off the store path: the next page is fetched and
checked while one is stored, and a long sync checks its pages in spawned processes. A page
applied twice stores nothing twice. The owner's side (the feed) is ``feed``.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from alianza.audit.service import lock_head
from alianza.codes.problems import raise_validation
from alianza.errors import AuthenticationError, InputError, IntegrityFailure
from alianza.exchange.feed import VERSION_FIELDS, VersionRow, retraction_message, visible_to_peer
from alianza.exchange.models import DeletionReceipt, FeedRetraction, Peer
from alianza.node.context import Node
from alianza.node.keys import digest, verify
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
from alianza.records.rules import KIND_VALUES, RecordKind, Rules
from alianza.records.state import apply_state, record_state
from alianza.records.versions import version_header

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

log = logging.getLogger("alianza.exchange")


@dataclass(slots=True)
class _Checked:
    """A partner's version whose signature and hash held, with its rules and data parsed."""

    entry: dict[str, Any]
    rules: dict[str, Any]
    data: Any


@dataclass(slots=True)
class CheckedPage:
    """A page whose every signature and hash held; what may be stored and what may not.

    ``check_page`` makes it without the database (so the next page can be checked while
    this one is stored); ``store_page`` stores it, once the peer is locked.
    """

    peer: str
    public_key: str
    country: str
    versions: list[_Checked]
    refused: list[InputError]
    retractions: list[tuple[str, int]]
    next_cursor: Any
    entries: int


def _check_version(entry: Any, peer: Peer | PeerKey, where: str) -> _Checked:
    if not isinstance(entry, dict) or set(entry) != set(VERSION_FIELDS):
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
        **{f: entry[f] for f in VERSION_FIELDS if f not in ("data", "signature")}
    )
    if not verify(peer.public_key, header, entry["signature"]):
        raise AuthenticationError(f"{where}: firma inválida de la versión {entry['record_id']}")
    try:
        # Parsed once here; the content gate and the store use these same objects.
        rules = orjson.loads(entry["rules"])
        data = orjson.loads(entry["data"]) if entry["data"] is not None else None
    except ValueError:
        raise InputError.at(f"{where}.rules", "reglas o datos ilegibles") from None
    # Data erased by the owner's retention (a signed header whose data is gone) is
    # accepted as erased; otherwise the data must be exactly what was signed.
    if data is not None and digest(data) != entry["content_hash"]:
        raise IntegrityFailure(f"{where}: los datos no coinciden con el hash firmado")
    return _Checked(entry, rules, data)


def content_problem(entry: dict[str, Any], where: str) -> InputError | None:
    """Why a partner's (authentic) version may not be stored here, or None.

    The same gate as a local write: the neutrality rule first, then the kind's data model
    and the rules model. Review dates are not held to "not in the past": a partner's
    record can be due for review at its owner's.
    """
    try:
        rules = orjson.loads(entry["rules"])
        data = orjson.loads(entry["data"]) if entry["data"] is not None else None
    except ValueError:
        return InputError.at(f"{where}.rules", "reglas o datos ilegibles")
    return _content_problem(entry, rules, data, where)


def _content_problem(entry: dict[str, Any], rules: Any, data: Any, where: str) -> InputError | None:
    if isinstance(data, dict) and isinstance(rules, dict) and not entry["tombstone"]:
        # ``validate_data`` applies the neutrality rule itself, first: a version that
        # passes both models passes the sequence below, so the data is walked once. Any
        # problem is named by that sequence, exactly as always.
        try:
            validate_data(entry["kind"], data)
            Rules.model_validate(rules)
        except (InputError, ValidationError):
            pass
        else:
            return None
    try:
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


@dataclass(frozen=True, slots=True)
class PeerKey:
    """What checking a page needs to know of the peer (sent to the checking processes)."""

    node_id: str
    public_key: str
    country: str


# A long sync's pages are checked in chunks of this many entries by ``checking_pool``.
_CHUNK = 250


def checking_pool() -> Executor | None:
    """Processes that check a long sync's pages beside the one storing them (None: one core).

    Checking (signatures, hashes, the content gate) is pure Python holding the interpreter
    lock; in processes it runs on every core. Fresh interpreters (``spawn``), never a
    fork of a process that runs threads (the server).
    """
    workers = min(2, os.cpu_count() or 1)
    if workers < 2:
        return None
    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"))


def check_page(
    *, node: Node, peer: Peer | PeerKey, page: Any, pool: Executor | None = None
) -> CheckedPage:
    """Check every entry of a page from ``peer`` (no database): signatures, hashes, content.

    Raises on anything that refuses the whole page (a bad envelope, signature or hash);
    an authentic version that fails the local gate is set aside in ``refused``. With a
    ``pool`` the entries are checked in chunks there; the chunks' results are taken in
    page order, so the error raised is the first entry's, as when checked here.
    """
    if not isinstance(page, dict) or not isinstance(page.get("entries"), list):
        raise InputError.at("body.entries", "se esperaba una lista de cambios")
    key = PeerKey(node_id=peer.node_id, public_key=peer.public_key, country=peer.country)
    entries: list[Any] = page["entries"]
    parts = None
    if pool is not None and len(entries) > _CHUNK:
        try:
            chunks = [
                pool.submit(_check_entries, node.node_id, key, entries[i : i + _CHUNK], i)
                for i in range(0, len(entries), _CHUNK)
            ]
            parts = [chunk.result() for chunk in chunks]
        except (BrokenExecutor, RuntimeError):
            # The processes could not start (a script without a ``__main__`` guard) or
            # died, or the pool is shut down: the page is checked here instead.
            log.warning("procesos de verificación no disponibles; se verifica en este proceso")
    if parts is None:
        parts = [_check_entries(node.node_id, key, entries, 0)]
    checked = CheckedPage(
        peer=key.node_id,
        public_key=key.public_key,
        country=key.country,
        versions=[],
        refused=[],
        retractions=[],
        next_cursor=page.get("next_cursor"),
        entries=len(entries),
    )
    for versions, refused, retractions in parts:
        checked.versions.extend(versions)
        checked.refused.extend(refused)
        checked.retractions.extend(retractions)
    return checked


def _check_entries(
    node_id: str, peer: PeerKey, entries: list[Any], start: int
) -> tuple[list[_Checked], list[InputError], list[tuple[str, int]]]:
    """Check ``entries`` (the page's from ``start`` on), in order."""
    versions: list[_Checked] = []
    refused: list[InputError] = []
    retractions: list[tuple[str, int]] = []
    for i, entry in enumerate(entries, start=start):
        where = f"cambio {i}"
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind == "version":
            version = _check_version(entry.get("version"), peer, where)
            problem = _content_problem(
                version.entry,
                version.rules,
                version.data,
                f"{where} ({version.entry['record_id']})",
            )
            if problem is None:
                versions.append(version)
            else:
                refused.append(problem)
        elif kind == "retraction":
            rid, ver, sig = entry.get("record_id"), entry.get("version"), entry.get("signature")
            if not (isinstance(rid, str) and isinstance(ver, int) and isinstance(sig, str)):
                raise InputError.at(where, "retracción mal formada")
            message = retraction_message(
                signer=peer.node_id, record_id=rid, version=ver, peer=node_id
            )
            if not verify(peer.public_key, message, sig):
                raise AuthenticationError(f"{where}: firma inválida de la retracción")
            retractions.append((rid, ver))
        else:
            raise InputError.at(f"{where}.type", f"tipo de cambio desconocido '{kind}'")
    return versions, refused, retractions


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
    """
    checked = check_page(node=node, peer=peer, page=page)
    return store_page(session, node=node, peer=peer, checked=checked, refused=refused)


def store_page(
    session: Session,
    *,
    node: Node,
    peer: Peer,
    checked: CheckedPage,
    refused: list[InputError] | None = None,
) -> list[dict[str, Any]]:
    """Store a page ``check_page`` passed; ``peer`` is the live (locked) row.

    Every version is stored in a few bulk statements (one ORM round trip per version made
    a 100,000-version sync take minutes).
    """
    if (checked.peer, checked.public_key, checked.country) != (
        peer.node_id,
        peer.public_key,
        peer.country,
    ):
        # Re-keyed or changed while the page was checked: nothing checked is trusted.
        raise AuthenticationError(f"El nodo {peer.node_id} cambió durante la sincronización.")
    if refused is not None:
        refused.extend(checked.refused)
    cursor = checked.next_cursor
    if not isinstance(cursor, int) or not peer.pull_cursor <= cursor < 2**31:
        raise InputError.at("body.next_cursor", "cursor inválido o retrocede")
    # Version ids in commit order (as local writers do): the screening index catches up
    # by the newest id and must never find an older one committed after it.
    lock_head(session)
    stored = _store_versions(session, peer=peer, versions=checked.versions)
    acks = [
        {"record_id": v["record_id"], "version": v["version"]} for v in stored if v["tombstone"]
    ]
    for rid, ver in checked.retractions:
        _drop_copy(session, peer=peer, record_id=rid, version=ver)
        acks.append({"record_id": rid, "version": ver})
    peer.pull_cursor = cursor
    session.flush()
    return acks


def _store_versions(
    session: Session, *, peer: Peer, versions: list[_Checked]
) -> list[dict[str, Any]]:
    """Store verified versions not stored yet (each exactly once); return those stored."""
    if not versions:
        return []
    ids = sorted({v.entry["record_id"] for v in versions})
    have = {
        (str(rid), int(number))
        for rid, number in session.execute(
            select(RecordVersion.record_id, RecordVersion.version).where(
                RecordVersion.record_id.in_(ids)
            )
        )
    }
    records = {r.id: r for r in session.scalars(select(Record).where(Record.id.in_(ids)))}
    fresh: list[_Checked] = []
    for v in versions:
        key = (v.entry["record_id"], v.entry["version"])
        if key in have:
            continue
        have.add(key)
        record = records.get(key[0])
        if record is not None and record.origin != peer.node_id:
            raise IntegrityFailure(
                f"El registro {key[0]} de {peer.node_id} choca con uno de otro nodo."
            )
        fresh.append(v)
    if not fresh:
        return []
    newest: dict[str, _Checked] = {}
    for v in fresh:
        rid = v.entry["record_id"]
        if rid not in newest or v.entry["version"] > newest[rid].entry["version"]:
            newest[rid] = v
    now = datetime.now(UTC)
    new_rows: list[dict[str, Any]] = []
    moved: list[str] = []
    keys: list[dict[str, str]] = []
    for rid, v in newest.items():
        entry, data = v.entry, v.data
        record = records.get(rid)
        if record is not None and entry["version"] <= record.version:
            continue
        kind = RecordKind(entry["kind"])
        state = record_state(
            kind=kind,
            data=data,
            rules=v.rules,
            version=entry["version"],
            tombstone=bool(entry["tombstone"]),
            at=now,
        )
        if record is None:
            new_rows.append(
                {
                    "id": rid,
                    "kind": kind.value,
                    "owner_country": entry["owner_country"],
                    "owner_agency": entry["owner_agency"],
                    "origin": peer.node_id,
                    "label": "",
                    "created_at": now,
                    **state,
                }
            )
        else:
            apply_state(record, state)
            moved.append(rid)
        if data is not None and not entry["tombstone"]:
            keys.extend({"record_id": rid, "key": k} for k in sorted(record_keys(kind, data)))
    if new_rows:
        session.execute(insert(RECORDS), new_rows)
    session.flush()
    # After their records (foreign key).
    session.execute(insert(RECORD_VERSIONS), [v.entry for v in fresh])
    if moved:
        session.execute(delete(RecordKey).where(RecordKey.record_id.in_(moved)))
    gone = [rid for rid, v in newest.items() if v.entry["tombstone"]]
    if gone:
        session.execute(delete(RecordKey).where(RecordKey.record_id.in_(gone)))
        session.execute(
            update(RecordVersion).where(RecordVersion.record_id.in_(gone)).values(data=None)
        )
    if keys:
        session.execute(insert(RECORD_KEYS), keys)
    return [v.entry for v in fresh]


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
        (row_id, rid, version, orjson.loads(rules), oc, oa, kind)
        for row_id, rid, version, rules, oc, oa, kind in tombstones
    ]
    pending: list[dict[str, Any]] = []
    for peer in peers:
        for row_id, rid, version, r, oc, oa, kind in parsed:
            seen = visible_to_peer(r, VersionRow(kind, oc, oa), peer)
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
