"""Bulk import of records: all or nothing, resumable by idempotency, with progress.

Every item passes the same gate as a single create (``validate_data`` and ``Rules``).
Rows go to the database in batches through SQLAlchemy Core (an ORM object per row would
cost more than validation and signing together). The caller's transaction wraps the whole
file, so an import that fails on line 900,001 leaves the node exactly as it was. Record ids
are derived from the source's ids, so importing the same file again after an interruption
creates nothing twice: unchanged records are skipped, changed ones get a new version.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from alianza import domains
from alianza.audit.service import audit_act, lock_head
from alianza.auth.permissions import Action, Principal, authorize
from alianza.codes.dates import iso_date
from alianza.codes.problems import raise_validation
from alianza.errors import FieldProblem, InputError, PermissionDenied
from alianza.node.context import Node
from alianza.node.keys import digest
from alianza.records.keys import record_keys
from alianza.records.kinds import validate_data
from alianza.records.models import (
    RECORD_KEYS,
    RECORD_VERSIONS,
    RECORDS,
    Record,
    RecordKey,
    RecordVersion,
)
from alianza.records.policy import KindOf
from alianza.records.rules import KIND_VALUES, RecordKind, Rules, check_review_date
from alianza.records.service import settle_rules
from alianza.records.state import apply_state, record_state
from alianza.records.versions import signed_version_row

_ANALYZE_AFTER = 10_000
_ANALYZE_AT = frozenset({20_000, 200_000})
_NAMESPACE = uuid.UUID("6f1c4a52-3b0e-4d7e-9a51-4c1f3e7a2b90")


@dataclass(slots=True)
class ImportItem:
    """One parsed input item; ``where`` names it in errors (``línea 12``)."""

    where: str
    kind: str
    data: dict[str, Any]
    rules: dict[str, Any] = field(default_factory=dict)
    source_id: str | None = None


@dataclass(slots=True)
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def _prefixed(exc: InputError, where: str) -> InputError:
    return type(exc)(
        f"{where}: {exc.message}",
        problems=[FieldProblem(f"{where}: {p.field}", p.message) for p in exc.problems],
    )


# (source id, kind, validated data, settled rules, where) of one item awaiting its batch
_Pending = tuple[str | None, RecordKind, dict[str, Any], dict[str, Any], str]


def derived_id(source_id: str | None, *, principal: Principal, kind: RecordKind) -> str:
    """A record id of the principal's own namespace for a source id (random if none).

    Namespacing by owner and kind means a source id can never address somebody else's
    record, nor a record of another kind: an import cannot probe what it may not see.
    """
    if not source_id:
        return str(uuid.uuid4())
    name = f"{principal.country}/{principal.agency}/{kind.value}/{source_id}"
    return str(uuid.uuid5(_NAMESPACE, name))


def _as_uuid(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(value)) if value else None
    except ValueError:
        return None


def _resolve_ids(
    session: Session, *, node: Node, principal: Principal, batch: list[_Pending]
) -> list[str]:
    """Our record id for each pending item.

    A source id that is the UUID of a record the principal's agency owns, of the same kind,
    addresses that record (re-importing an export updates in place); any other source id,
    a UUID of somebody else's record included, is mapped into the principal's namespace.
    """
    direct = {u for u in (_as_uuid(p[0]) for p in batch) if u}
    own: set[str] = set()
    if direct:
        # Look up by primary key alone and filter here: with more conditions PostgreSQL
        # chose the owner index and rescanned every imported row for each batch.
        mine = (principal.country, principal.agency, node.node_id)
        own = {
            f"{r_id}/{r_kind}"
            for r_id, r_kind, country, agency, origin in session.execute(
                select(
                    Record.id, Record.kind, Record.owner_country, Record.owner_agency, Record.origin
                ).where(Record.id.in_(sorted(direct)))
            )
            if (country, agency, origin) == mine
        }
    ids = []
    for source_id, kind, *_ in batch:
        as_uuid = _as_uuid(source_id)
        if as_uuid and f"{as_uuid}/{kind.value}" in own:
            ids.append(as_uuid)
        else:
            ids.append(derived_id(source_id, principal=principal, kind=kind))
    return ids


def _freeze(value: Any) -> Hashable:
    """A hashable image of a small JSON value (cheaper than serialising it)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return (type(value).__name__, value)


class _RulesCache:
    """Validated rules: most files share a handful of rule sets, each record its own date.

    The review date is checked apart, so a file where every record has its own date still
    validates its rule sets once (and the cache stays as small as the number of sets).
    """

    def __init__(self, node: Node, defaults: dict[str, Any]) -> None:
        self.node = node
        self.defaults = {k: v for k, v in defaults.items() if v is not None}
        self.today = datetime.now(UTC).date()
        self._seen: dict[Hashable, dict[str, Any]] = {}

    def settle(self, rules: dict[str, Any], kind: str) -> dict[str, Any]:
        merged = {**self.defaults, **{k: v for k, v in rules.items() if v is not None}}
        review = merged.pop("review_date", None)
        key = (kind, _freeze(merged))
        hit = self._seen.get(key)
        if hit is None:
            try:
                parsed = Rules.model_validate(merged)
            except ValidationError as exc:
                raise raise_validation(exc, prefix="rules") from None
            hit = settle_rules(parsed, node=self.node, kind=kind, today=self.today)
            self._seen[key] = hit
        if review is None:
            return hit
        return {**hit, "review_date": _review_date(review)}


def _review_date(value: Any) -> str:
    try:
        day = iso_date(value)
    except ValueError as exc:
        raise InputError.at("rules.review_date", str(exc)) from None
    check_review_date(day)
    return day.isoformat()


def import_items(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    items: Iterable[ImportItem],
    defaults: dict[str, Any] | None = None,
    source: str = "",
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Store every item as a record owned by the principal's agency, or raise and store none."""
    authorize(principal, Action.WRITE)
    lock_head(session)
    cache = _RulesCache(node, defaults or {})
    result = ImportResult()
    batch: list[_Pending] = []
    size = node.settings.import_batch
    for item in items:
        try:
            kind = RecordKind(item.kind) if item.kind in KIND_VALUES else None
            if kind is None:
                raise InputError.at("kind", f"tipo de registro desconocido '{item.kind}'")
            authorize(principal, Action.WRITE, KindOf(kind))
            clean = validate_data(kind, item.data)
            rules = cache.settle(item.rules, item.kind)
        except InputError as exc:
            raise _prefixed(exc, item.where) from None
        except PermissionDenied as exc:
            raise PermissionDenied(f"{item.where}: {exc.message}") from None
        batch.append((item.source_id, kind, clean, rules, item.where))
        if len(batch) >= size:
            _flush(session, node=node, principal=principal, batch=batch, result=result)
            if progress:
                progress(len(batch))
            batch = []
            if result.total in _ANALYZE_AT:
                # The tables grew inside this transaction; without fresh statistics
                # PostgreSQL keeps planning for the empty tables it last saw.
                session.execute(text("ANALYZE records"))
                session.execute(text("ANALYZE record_keys"))
    if batch:
        _flush(session, node=node, principal=principal, batch=batch, result=result)
        if progress:
            progress(len(batch))
    if result.created + result.updated >= _ANALYZE_AFTER:
        # Fresh statistics keep the planner on the selective search-key index after a
        # large load (PostgreSQL's autovacuum would get there later; SQLite never would).
        session.execute(text("ANALYZE"))
    audit_act(
        session,
        node,
        principal,
        "record.import",
        source,
        {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )
    return result


def _flush(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    batch: list[_Pending],
    result: ImportResult,
) -> None:
    ids = _resolve_ids(session, node=node, principal=principal, batch=batch)
    seen: set[str] = set()
    for rid, (source_id, *_, where) in zip(ids, batch, strict=True):
        if rid in seen:
            raise InputError.at(where, f"identificador repetido en el archivo ({source_id})")
        seen.add(rid)
    existing = {r.id: r for r in session.scalars(select(Record).where(Record.id.in_(ids)))}
    current: dict[str, RecordVersion] = {}
    if existing:
        for v in session.scalars(
            select(RecordVersion).where(RecordVersion.record_id.in_(list(existing)))
        ):
            if v.version == existing[v.record_id].version:
                current[v.record_id] = v
    now = datetime.now(UTC)
    at = now.isoformat(timespec="microseconds")
    new_records: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    keys: list[dict[str, str]] = []
    changed_ids: list[str] = []
    for rid, (_, kind, clean, rules, _where) in zip(ids, batch, strict=True):
        version = 1
        old = existing.get(rid)
        if old is not None:
            # _resolve_ids guarantees the principal's agency owns it and the kind matches.
            cur = current[rid]
            if (
                not old.deleted
                and cur.content_hash == digest(clean)
                and json.loads(cur.rules) == rules
            ):
                result.unchanged += 1
                continue
            version = old.version + 1
            apply_state(
                old,
                record_state(
                    kind=kind, data=clean, rules=rules, version=version, tombstone=False, at=now
                ),
            )
            changed_ids.append(rid)
            result.updated += 1
        else:
            new_records.append(
                {
                    "id": rid,
                    "kind": kind.value,
                    "owner_country": principal.country,
                    "owner_agency": principal.agency,
                    "origin": node.node_id,
                    "created_at": now,
                    **record_state(
                        kind=kind, data=clean, rules=rules, version=1, tombstone=False, at=now
                    ),
                }
            )
            result.created += 1
        versions.append(
            signed_version_row(
                key=node.key,
                signer=node.node_id,
                record_id=rid,
                version=version,
                kind=kind.value,
                owner_country=principal.country,
                owner_agency=principal.agency,
                data=clean,
                rules=rules,
                tombstone=False,
                created_at=at,
                author=principal.label,
                reason="importación",
            )
        )
        keys.extend({"record_id": rid, "key": k} for k in sorted(record_keys(kind, clean)))
    if new_records:
        session.execute(insert(RECORDS), new_records)
    if changed_ids:
        session.flush()
        session.execute(delete(RecordKey).where(RecordKey.record_id.in_(changed_ids)))
    if versions:
        session.execute(insert(RECORD_VERSIONS), versions)
        for hook in domains.version_hooks():  # what other domains derive (screening)
            hook(session, versions)
    if keys:
        session.execute(insert(RECORD_KEYS), keys)
