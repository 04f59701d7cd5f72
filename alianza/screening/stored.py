"""A person version's comparison features, computed once when the version is written.

Parsing a million names (``identity/features.py``: ICU transliteration, particles,
phonetic keys, document validators) was 40% of loading the watch list (issue 11), and the
answer never changes for a version that never changes. The writers of versions (a create,
an update, the bulk import) call ``store_features``; the index reads the stored rows and
computes only what is missing.

Stored features are trusted only when their ``revision`` is this code's: a fingerprint of
``FEATURE_COLUMNS``, ``FEATURES_REVISION`` (bump it when ``ways`` changes), the source of
the modules that compute features and the versions of the libraries they call. Edit the
name model, upgrade rigour or ICU, and every stored row is stale: the index recomputes it
(the same answer as before the store existed, only slower) until ``alianza screen
features`` stores the new ones. Features of a redacted version are never used (the index
reads them only beside data that is still there) and are deleted with its data (a trigger,
migration 0006).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.metadata
import inspect
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson
from sqlalchemy import and_, delete, func, insert, or_, select, tuple_
from sqlalchemy.orm import Session

from alianza.errors import AlianzaError
from alianza.identity.features import FEATURE_COLUMNS, features
from alianza.records.models import RECORD_FEATURES, Record, RecordFeatures, RecordVersion

log = logging.getLogger("alianza.screening")

#: Bump when ``ways`` (or anything it calls that the fingerprint does not read) changes.
FEATURES_REVISION = 1
# The code whose answer the stored features are: its source goes into the fingerprint.
_SOURCES = (
    "alianza.identity.features",
    "alianza.identity.names",
    "alianza.identity.documents",
    "alianza.codes.identifiers",
)
_LIBRARIES = ("rigour", "normality", "python-stdnum", "PyICU", "jellyfish")
# A version's features fail to compute only on a partner's data in a shape of its own.
FAILURES = (ValueError, TypeError, KeyError, AttributeError, AlianzaError)


@functools.cache
def revision() -> str:
    """The fingerprint of the code that computes features (32 hex characters)."""
    parts: list[str] = [str(FEATURES_REVISION), *FEATURE_COLUMNS]
    for name in _SOURCES:
        try:
            parts.append(inspect.getsource(importlib.import_module(name)))
        except (OSError, TypeError):
            # No source to read (a frozen build): then no stored feature is ever fresh,
            # which is slow but never wrong.
            parts.append(f"{name}: sin fuente")
    for function in (ways, encode):
        try:
            parts.append(inspect.getsource(function))
        except (OSError, TypeError):
            parts.append(f"{function.__name__}: sin fuente")
    for dist in _LIBRARIES:
        try:
            parts.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{dist} -")
    try:
        parts.append(f"ICU {importlib.import_module('icu').ICU_VERSION}")
    except ImportError:
        parts.append("ICU -")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def ways(data: Mapping[str, Any], record_id: str) -> Iterator[dict[str, Any]]:
    """Comparison columns for each name (main, aliases) with each document of a person."""
    base = {
        "record_id": record_id,
        "birth_date": data.get("birth_date") or "",
        "sex": data.get("sex") if data.get("sex") in ("M", "F") else "",
        "nationality": data.get("nationality") or "",
    }
    names = [
        (data.get("given_names") or "", data.get("surname_1") or "", data.get("surname_2") or "")
    ]
    names += [(alias, "", "") for alias in data.get("aliases") or []]
    documents = [(d.get("type", ""), d.get("number", "")) for d in data.get("documents") or []]
    for given, s1, s2 in names:
        for doc_type, number in documents or [("", "")]:
            row = {
                **base,
                "given_names": given,
                "surname_1": s1,
                "surname_2": s2,
                "document_type": doc_type,
                "document_number": number,
            }
            yield features(row)


def encode(data: Mapping[str, Any], record_id: str) -> str:
    """The stored form of a person's features: JSON, one list per way in
    ``FEATURE_COLUMNS`` order (raises one of ``FAILURES`` on data it cannot read)."""
    rows = [[f[c] for c in FEATURE_COLUMNS] for f in ways(data, record_id)]
    return orjson.dumps(rows).decode()


def store_features(session: Session, versions: Iterable[Mapping[str, Any]]) -> int:
    """Store the features of the person versions among ``versions`` (``record_versions``
    rows as written: ``data`` is canonical JSON); the number stored."""
    rows = []
    for v in versions:
        if v["kind"] != "person" or v["tombstone"] or not v["data"]:
            continue
        try:
            stored = encode(orjson.loads(v["data"]), v["record_id"])
        except FAILURES as exc:
            # The index will meet the same data, and leave the record out with a warning.
            log.warning("registro %s sin rasgos de comparación: %s", v["record_id"], exc)
            continue
        rows.append(
            {
                "record_id": v["record_id"],
                "version": v["version"],
                "revision": revision(),
                "features": stored,
            }
        )
    if rows:
        session.execute(insert(RECORD_FEATURES), rows)
    return len(rows)


def refresh_stored(session: Session, *, batch: int = 5_000) -> tuple[int, int]:
    """Compute and store the features of current person versions that have none of this
    revision (older nodes, partners' copies, a new name model); (stored, stale removed)."""
    current = (RecordVersion.record_id == Record.id) & (RecordVersion.version == Record.version)
    fresh = and_(
        RecordFeatures.record_id == Record.id,
        RecordFeatures.version == Record.version,
        RecordFeatures.revision == revision(),
    )
    stmt = (
        select(RecordVersion.record_id, RecordVersion.version, RecordVersion.data)
        .join(Record, current)
        .outerjoin(RecordFeatures, fresh)
        .where(
            Record.kind == "person",
            Record.deleted.is_(False),
            RecordVersion.data.is_not(None),
            RecordFeatures.record_id.is_(None),
        )
    )
    todo = session.execute(stmt).all()
    # Stale rows of any version, and rows of versions no longer current, go first.
    removed = session.execute(  # type: ignore[attr-defined]
        delete(RecordFeatures).where(
            or_(
                RecordFeatures.revision != revision(),
                ~tuple_(RecordFeatures.record_id, RecordFeatures.version).in_(
                    select(Record.id, Record.version)
                ),
            )
        )
    ).rowcount
    stored = 0
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        stored += store_features(
            session,
            (
                {"record_id": r, "version": v, "kind": "person", "tombstone": False, "data": d}
                for r, v, d in chunk
            ),
        )
    return stored, int(removed or 0)


def count_stored(session: Session) -> int:
    """How many stored feature rows are of this revision."""
    return int(
        session.scalar(select(func.count()).where(RecordFeatures.revision == revision())) or 0
    )
