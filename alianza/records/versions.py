"""Building and verifying signed record versions.

A version's signature covers its header (record, version, kind, owner, rules, tombstone,
time, author, reason, signer) and the SHA-256 of its data. Retention may later redact the
data itself; the signature still proves the header and the hash that was signed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alianza.node.keys import NodeKey, canonical, digest, verify
from alianza.records.models import RecordVersion


def version_header(
    *,
    record_id: str,
    version: int,
    kind: str,
    owner_country: str,
    owner_agency: str,
    tombstone: bool,
    rules: str,
    content_hash: str,
    created_at: str,
    author: str,
    reason: str,
    signer: str,
) -> bytes:
    """The exact bytes a version signature covers."""
    return canonical(
        {
            "record": record_id,
            "version": version,
            "kind": kind,
            "owner": [owner_country, owner_agency],
            "tombstone": tombstone,
            "rules": rules,
            "content": content_hash,
            "at": created_at,
            "author": author,
            "reason": reason,
            "signer": signer,
        }
    )


def signed_version_row(
    *,
    key: NodeKey,
    signer: str,
    record_id: str,
    version: int,
    kind: str,
    owner_country: str,
    owner_agency: str,
    data: dict[str, Any] | None,
    rules: dict[str, Any],
    tombstone: bool,
    created_at: str,
    author: str,
    reason: str,
) -> dict[str, Any]:
    """A ``record_versions`` row, signed by the node."""
    data_text = canonical(data).decode() if data is not None else None
    rules_text = canonical(rules).decode()
    content_hash = digest(data)
    header = version_header(
        record_id=record_id,
        version=version,
        kind=kind,
        owner_country=owner_country,
        owner_agency=owner_agency,
        tombstone=tombstone,
        rules=rules_text,
        content_hash=content_hash,
        created_at=created_at,
        author=author,
        reason=reason,
        signer=signer,
    )
    return {
        "record_id": record_id,
        "version": version,
        "kind": kind,
        "owner_country": owner_country,
        "owner_agency": owner_agency,
        "tombstone": tombstone,
        "data": data_text,
        "rules": rules_text,
        "content_hash": content_hash,
        "created_at": created_at,
        "author": author,
        "reason": reason,
        "signer": signer,
        "signature": key.sign(header),
    }


@dataclass(slots=True)
class VersionReport:
    """Outcome of checking stored versions."""

    checked: int = 0
    redacted: int = 0
    problems: list[str] = field(default_factory=list)


def check_version(row: RecordVersion, public_key: str) -> str | None:
    """Why ``row`` fails verification, or ``None`` if it holds."""
    header = version_header(
        record_id=row.record_id,
        version=row.version,
        kind=row.kind,
        owner_country=row.owner_country,
        owner_agency=row.owner_agency,
        tombstone=row.tombstone,
        rules=row.rules,
        content_hash=row.content_hash,
        created_at=row.created_at,
        author=row.author,
        reason=row.reason,
        signer=row.signer,
    )
    if not verify(public_key, header, row.signature):
        return f"{row.record_id} v{row.version}: firma inválida (cabecera o reglas alteradas)"
    if row.data is not None and digest(json.loads(row.data)) != row.content_hash:
        return f"{row.record_id} v{row.version}: los datos no coinciden con el hash firmado"
    return None


def verify_versions(session: Session, *, keys: dict[str, str]) -> VersionReport:
    """Check the signature and data hash of every stored version (``keys``: signer -> key)."""
    report = VersionReport()
    rows = session.scalars(
        select(RecordVersion).order_by(RecordVersion.id).execution_options(yield_per=5000)
    )
    for row in rows:  # read to the end: the server-side cursor closes itself
        report.checked += 1
        if row.data is None and not row.tombstone:
            report.redacted += 1
        public = keys.get(row.signer)
        problem = (
            f"{row.record_id} v{row.version}: firmante desconocido {row.signer}"
            if public is None
            else check_version(row, public)
        )
        if problem:
            report.problems.append(problem)
    return report
