"""Records: create, change, delete (tombstone), read, search, history, review, retention.

Services never commit: the caller (request, CLI command, flow) owns the transaction.
Every function checks permission through ``authorize``/``visible_clause`` and writes the
audit entry for what it did, in the same transaction as the act itself.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from alianza import domains
from alianza.audit.service import audit_act, lock_head
from alianza.auth.permissions import Action, Principal, allowed, authorize, visible_clause
from alianza.errors import Conflict, InputError, NotFound, PermissionDenied
from alianza.node.context import Node
from alianza.records.keys import query_keys, record_keys
from alianza.records.kinds import validate_data
from alianza.records.models import (
    RECORD_KEYS,
    RECORD_VERSIONS,
    Record,
    RecordKey,
    RecordVersion,
)
from alianza.records.policy import KindOf, RecordRef
from alianza.records.rules import (
    Discoverable,
    RecordKind,
    Rules,
    check_local_write,
    scope_text,
    widen_discoverable,
)
from alianza.records.state import apply_state, record_state
from alianza.records.versions import signed_version_row


@dataclass(slots=True)
class RecordView:
    """A record as shown to one principal: current state and current version."""

    record: Record
    version: RecordVersion

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the API's and the CLI's output)."""
        r, v = self.record, self.version
        return {
            "id": r.id,
            "kind": r.kind,
            "owner": {"country": r.owner_country, "agency": r.owner_agency},
            "version": r.version,
            "deleted": r.deleted,
            "label": r.label,
            "rules": json.loads(v.rules),
            "data": json.loads(v.data) if v.data else {},
            "created_at": r.created_at.isoformat(),
            "updated_at": r.updated_at.isoformat(),
            "signature": {"signer": v.signer, "value": v.signature, "content_hash": v.content_hash},
        }


def _now() -> datetime:
    return datetime.now(UTC)


def settle_rules(
    rules: Rules, *, node: Node, kind: RecordKind | str, today: date | None = None
) -> dict[str, Any]:
    """Rules with the review date filled in (default: today plus the review period) and
    discoverability (default: the node's for the kind, widened to cover the scope); a
    review date already past is refused (a local write, unlike a partner's version)."""
    check_local_write(rules)
    dumped = rules.model_dump(mode="json")
    if rules.discoverable is None:
        wanted = Discoverable(node.settings.discoverable.get(str(kind), "none"))
        found, countries = widen_discoverable(
            wanted, [], scope=rules.scope, scope_countries=rules.scope_countries
        )
        dumped["discoverable"], dumped["discoverable_countries"] = found.value, countries
    if rules.review_date is None:
        base = today or _now().date()
        try:
            review = base.replace(year=base.year + node.settings.review_years)
        except ValueError:  # 29 February
            review = base.replace(year=base.year + node.settings.review_years, day=28)
        dumped["review_date"] = review.isoformat()
    return dumped


def _version_row(
    node: Node,
    *,
    record_id: str,
    version: int,
    kind: RecordKind,
    owner: tuple[str, str],
    data: dict[str, Any] | None,
    rules: dict[str, Any],
    tombstone: bool,
    author: str,
    reason: str,
    at: datetime,
) -> dict[str, Any]:
    return signed_version_row(
        key=node.key,
        signer=node.node_id,
        record_id=record_id,
        version=version,
        kind=kind.value,
        owner_country=owner[0],
        owner_agency=owner[1],
        data=data,
        rules=rules,
        tombstone=tombstone,
        created_at=at.isoformat(timespec="microseconds"),
        author=author,
        reason=reason,
    )


def _derive(session: Session, row: dict[str, Any]) -> None:
    # What other domains derive from a new version (screening: a person's features).
    for hook in domains.version_hooks():
        hook(session, [row])


def _replace_keys(session: Session, record_id: str, keys: Iterable[str]) -> None:
    session.execute(delete(RecordKey).where(RecordKey.record_id == record_id))
    rows = [{"record_id": record_id, "key": k} for k in sorted(keys)]
    if rows:
        session.execute(insert(RECORD_KEYS), rows)


def create_record(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    kind: str,
    data: Any,
    rules: Rules,
    reason: str = "",
) -> RecordView:
    """Validate and store a new record owned by the principal's agency."""
    the_kind = _kind(kind)
    authorize(principal, Action.WRITE, KindOf(the_kind))
    clean = validate_data(the_kind, data)
    settled = settle_rules(rules, node=node, kind=the_kind)
    lock_head(session)
    now = _now()
    record = Record(
        id=str(uuid.uuid4()),
        kind=the_kind.value,
        owner_country=principal.country,
        owner_agency=principal.agency,
        origin=node.node_id,
        created_at=now,
        **record_state(
            kind=the_kind, data=clean, rules=settled, version=1, tombstone=False, at=now
        ),
    )
    session.add(record)
    session.flush()
    row = _version_row(
        node,
        record_id=record.id,
        version=1,
        kind=the_kind,
        owner=(principal.country, principal.agency),
        data=clean,
        rules=settled,
        tombstone=False,
        author=principal.label,
        reason=reason,
        at=now,
    )
    session.execute(insert(RECORD_VERSIONS), [row])
    _derive(session, row)
    _replace_keys(session, record.id, record_keys(the_kind, clean))
    audit_act(session, node, principal, "record.create", record.id, {"kind": the_kind.value})
    return _view(session, record)


def _kind(kind: str) -> RecordKind:
    try:
        return RecordKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in RecordKind)
        raise InputError.at(
            "kind", f"tipo de registro desconocido '{kind}'; se admite: {allowed}"
        ) from None


def _view(session: Session, record: Record) -> RecordView:
    version = session.scalar(
        select(RecordVersion).where(
            RecordVersion.record_id == record.id, RecordVersion.version == record.version
        )
    )
    assert version is not None, f"record {record.id} lacks its current version"
    return RecordView(record, version)


def _writable(
    session: Session,
    node: Node,
    principal: Principal,
    record_id: str,
    action: Action = Action.WRITE,
) -> Record:
    record = _readable(session, principal, record_id)
    authorize(principal, action, record)
    if record.origin != node.node_id:
        raise PermissionDenied(
            f"El registro {record_id} es una copia recibida de {record.owner_agency} "
            f"({record.owner_country}): solo su dueño lo modifica."
        )
    return record


def _readable(session: Session, principal: Principal, record_id: str) -> Record:
    record = session.get(Record, record_id)
    if record is None:
        raise NotFound(f"No existe el registro {record_id}.")
    try:
        authorize(principal, Action.READ, record)
    except PermissionDenied:
        # Out of scope looks exactly like absent: a caller learns nothing about existence.
        raise NotFound(f"No existe el registro {record_id}.") from None
    return record


def get_record(session: Session, *, node: Node, principal: Principal, record_id: str) -> RecordView:
    """One record, if the principal may see it (audited as a read)."""
    record = _readable(session, principal, record_id)
    audit_act(session, node, principal, "record.read", record.id, {"version": record.version})
    return _view(session, record)


def history(
    session: Session, *, node: Node, principal: Principal, record_id: str
) -> list[RecordVersion]:
    """The versions of a visible record the principal could see when each was written,
    oldest first (audited as a read).

    A record created for its own agency and later widened to the country must not show
    the agency-only versions to another agency: each version is checked with the rules it
    carried, exactly as sync checks what it sends.
    """
    record = _readable(session, principal, record_id)
    shown = [
        version
        for version in session.scalars(
            select(RecordVersion)
            .where(RecordVersion.record_id == record.id)
            .order_by(RecordVersion.version)
        )
        if allowed(principal, Action.READ, _version_ref(version))
    ]
    audit_act(session, node, principal, "record.history", record.id, {"versions": len(shown)})
    return shown


def _version_ref(version: RecordVersion) -> RecordRef:
    rules = json.loads(version.rules)
    return RecordRef(
        kind=version.kind,
        owner_country=version.owner_country,
        owner_agency=version.owner_agency,
        scope=str(rules.get("scope", "")),
        scope_countries=scope_text(rules.get("scope_countries") or []),
    )


def update_record(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    record_id: str,
    data: Any,
    rules: Rules,
    expected_version: int | None = None,
    reason: str = "",
) -> RecordView:
    """A new version with new data and rules; the old version stays readable in history."""
    record = _writable(session, node, principal, record_id)
    if record.deleted:
        raise Conflict(f"El registro {record_id} fue eliminado; no admite cambios.")
    if expected_version is not None and expected_version != record.version:
        raise Conflict(
            f"El registro {record_id} está en la versión {record.version}, no en "
            f"{expected_version}: recargue antes de modificar."
        )
    the_kind = RecordKind(record.kind)
    clean = validate_data(the_kind, data)
    settled = settle_rules(rules, node=node, kind=the_kind)
    _new_version(
        session,
        node=node,
        principal=principal,
        record=record,
        data=clean,
        rules=settled,
        tombstone=False,
        reason=reason,
    )
    _replace_keys(session, record.id, record_keys(the_kind, clean))
    audit_act(session, node, principal, "record.update", record.id, {"version": record.version})
    return _view(session, record)


def _new_version(
    session: Session,
    *,
    node: Node,
    principal: Principal | str,
    record: Record,
    data: dict[str, Any] | None,
    rules: dict[str, Any],
    tombstone: bool,
    reason: str,
) -> None:
    lock_head(session)
    now = _now()
    author = principal if isinstance(principal, str) else principal.label
    version = record.version + 1
    row = _version_row(
        node,
        record_id=record.id,
        version=version,
        kind=RecordKind(record.kind),
        owner=(record.owner_country, record.owner_agency),
        data=data,
        rules=rules,
        tombstone=tombstone,
        author=author,
        reason=reason,
        at=now,
    )
    session.execute(insert(RECORD_VERSIONS), [row])
    _derive(session, row)
    apply_state(
        record,
        record_state(
            kind=record.kind, data=data, rules=rules, version=version, tombstone=tombstone, at=now
        ),
    )
    session.flush()


def delete_record(
    session: Session, *, node: Node, principal: Principal, record_id: str, reason: str
) -> RecordView:
    """Tombstone a record: a new, signed, empty version; history is kept."""
    record = _writable(session, node, principal, record_id)
    if not reason.strip():
        raise InputError.at("reason", "indique el motivo de la eliminación")
    if record.deleted:
        raise Conflict(f"El registro {record_id} ya estaba eliminado.")
    current = _view(session, record).version
    _new_version(
        session,
        node=node,
        principal=principal,
        record=record,
        data=None,
        rules=json.loads(current.rules),
        tombstone=True,
        reason=reason,
    )
    _replace_keys(session, record.id, [])
    audit_act(session, node, principal, "record.delete", record.id, {"reason": reason})
    return _view(session, record)


def search(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    q: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[RecordView]:
    """Records the principal may see, optionally matching ``q`` and ``kind`` (audited)."""
    if not 1 <= limit <= 500:
        raise InputError.at("limit", "debe estar entre 1 y 500")
    if offset < 0:
        raise InputError.at("offset", "no puede ser negativo")
    stmt = select(Record).where(visible_clause(principal, Record), Record.deleted.is_(False))
    if kind:
        stmt = stmt.where(Record.kind == _kind(kind).value)
    if q is not None and q.strip():
        id_key, tokens = query_keys(q)
        id_match = select(RecordKey.record_id).where(RecordKey.key == id_key)
        if tokens:
            tok_match = (
                select(RecordKey.record_id)
                .where(RecordKey.key.in_(tokens))
                .group_by(RecordKey.record_id)
                .having(func.count(func.distinct(RecordKey.key)) == len(set(tokens)))
            )
            stmt = stmt.where(Record.id.in_(id_match.union(tok_match)))
        else:
            stmt = stmt.where(Record.id.in_(id_match))
    records = list(
        session.scalars(
            stmt.order_by(Record.updated_at.desc(), Record.id).limit(limit).offset(offset)
        )
    )
    audit_act(
        session,
        node,
        principal,
        "record.query",
        q or "",
        {"kind": kind, "results": len(records), "ids": [r.id for r in records]},
    )
    return _views(session, records)


def _views(session: Session, records: Sequence[Record]) -> list[RecordView]:
    if not records:
        return []
    wanted = {(r.id, r.version) for r in records}
    versions = session.scalars(
        select(RecordVersion).where(RecordVersion.record_id.in_([r.id for r in records]))
    )
    by_id = {v.record_id: v for v in versions if (v.record_id, v.version) in wanted}
    return [RecordView(r, by_id[r.id]) for r in records]


def iter_visible(
    session: Session, *, principal: Principal, kind: str | None = None, batch: int = 2000
) -> Iterator[RecordView]:
    """Every live record the principal may see, in pages (for exports)."""
    last = ""
    while True:
        stmt = select(Record).where(
            visible_clause(principal, Record), Record.deleted.is_(False), Record.id > last
        )
        if kind:
            stmt = stmt.where(Record.kind == _kind(kind).value)
        page = list(session.scalars(stmt.order_by(Record.id).limit(batch)))
        if not page:
            return
        yield from _views(session, page)
        last = page[-1].id


def export(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    fmt: str,
    kind: str | None = None,
    write: Callable[[str], object],
) -> int:
    """Write every live record the principal may see, as FtM lines or CSV, through
    ``write``; the disclosure is audited with the ids it contained. Returns the count."""
    from alianza.records import csvio, ftm  # the writers load followthemoney's model

    authorize(principal, Action.EXPORT)
    if fmt not in ("ftm", "csv"):
        raise InputError.at("format", f"formato desconocido '{fmt}'; se admite: ftm, csv")
    if kind:
        authorize(principal, Action.EXPORT, KindOf(_kind(kind).value))
    ids: list[str] = []

    def tracked() -> Iterator[RecordView]:
        for view in iter_visible(session, principal=principal, kind=kind):
            ids.append(view.record.id)
            yield view

    writer = ftm.write_lines if fmt == "ftm" else csvio.write_rows
    for chunk in writer(tracked()):
        write(chunk)
    audit_act(session, node, principal, "record.export", fmt, {"count": len(ids), "ids": ids})
    return len(ids)


def count_records(session: Session) -> dict[str, int]:
    """Live records per kind (for the node summary)."""
    rows = session.execute(
        select(Record.kind, func.count()).where(Record.deleted.is_(False)).group_by(Record.kind)
    )
    return {str(k): int(n) for k, n in rows}
