"""Seizures in and out of the node: import with a report, IDS export, aggregates.

Everything goes through the records' own paths: ``import_items`` (rules, signed versions,
audit), ``iter_visible`` (the permission function in SQL), ``authorize`` (roles and
kinds). Only what a user may see is exported or counted, and each disclosure is audited.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Action, Principal, authorize
from alianza.errors import InputError
from alianza.node.context import Node
from alianza.records.importer import ImportItem, ImportResult, import_items
from alianza.records.policy import KindOf
from alianza.records.rules import RecordKind
from alianza.records.service import iter_visible
from alianza.seizures.ids import (
    FORMATS,
    IDS_COLUMNS,
    SEIZURE_COLUMNS,
    Checked,
    check,
    ids_row,
    read_file,
    write_csv,
)

KIND = RecordKind.SEIZURE.value
#: File the IDS report and read aggregates (no personal data); see ``__init__``.
REPORT = "report_seizures"
GROUPS = ("month", "port", "route", "substance")


@dataclass(slots=True)
class Imported:
    """What an import stored, and the rows it skipped (with why)."""

    checked: Checked
    result: ImportResult = field(default_factory=ImportResult)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.checked.total,
            "created": self.result.created,
            "updated": self.result.updated,
            "unchanged": self.result.unchanged,
            "skipped": [p.as_dict() for p in self.checked.problems],
        }


def check_file(path: Path) -> Checked:
    """Read and check a file of seizures; nothing is stored."""
    return check(read_file(path))


def import_checked(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    checked: Checked,
    rules: dict[str, Any],
    source: str,
    progress: Callable[[int], None] | None = None,
) -> Imported:
    """Store the good rows of a checked file as seizure records (the reference names the
    record: importing the same reference again updates it)."""
    authorize(principal, Action.WRITE, KindOf(KIND))
    items = (
        ImportItem(
            where=f"fila {row}", kind=KIND, data=data, source_id=f"seizure:{data['reference']}"
        )
        for row, data in checked.rows
    )
    result = import_items(
        session,
        node=node,
        principal=principal,
        items=items,
        defaults=rules,
        source=source,
        progress=progress,
    )
    return Imported(checked, result)


def _visible(session: Session, principal: Principal) -> Iterator[tuple[str, dict[str, Any]]]:
    for view in iter_visible(session, principal=principal, kind=KIND):
        data = view.version.data
        yield view.record.id, json.loads(data) if data else {}


def masses(session: Session, *, principal: Principal) -> Iterator[dict[str, Any]]:
    """Where and how much was seized, for flow estimates (``alianza.routes.estimate``):
    mass, year, port, coordinates and substance of each seizure the principal may see,
    nothing else (no reference, no person, no note). Seizures without a mass are left out."""
    authorize(principal, REPORT, KindOf(KIND))
    for _, data in _visible(session, principal):
        if not data.get("quantity_kg"):
            continue
        yield {
            "kilograms": float(data["quantity_kg"]),
            "year": int(str(data["date"])[:4]),
            "port": data.get("port") or "",
            "lat": data.get("latitude"),
            "lon": data.get("longitude"),
            "substance": str(data["substance"]).lower(),
        }


def export(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    fmt: str,
    write: Callable[[str], object],
) -> int:
    """Every seizure the principal may see, as IDS CSV, full CSV or JSON; audited."""
    if fmt not in FORMATS:
        raise InputError.at(
            "--format", f"formato desconocido '{fmt}'; se admite: {', '.join(FORMATS)}"
        )
    # The IDS layout has no personal data; the full record (persons, notes) is an export.
    authorize(principal, REPORT if fmt == "ids" else Action.EXPORT, KindOf(KIND))
    ids: list[str] = []

    def rows() -> Iterator[dict[str, Any]]:
        for record_id, data in _visible(session, principal):
            ids.append(record_id)
            if fmt == "ids":
                yield ids_row(data)
            else:
                yield {"id": record_id, **data}

    if fmt == "json":
        write("[")
        for i, row in enumerate(rows()):
            write(("," if i else "") + "\n" + json.dumps(row, ensure_ascii=False))
        write("\n]\n")
    else:
        columns = [c for c, _ in IDS_COLUMNS] if fmt == "ids" else ["id", *SEIZURE_COLUMNS]
        for chunk in write_csv(rows(), columns):
            write(chunk)
    audit_act(session, node, principal, "seizure.export", fmt, {"count": len(ids), "ids": ids})
    return len(ids)


def aggregates(
    session: Session, *, node: Node, principal: Principal, by: str
) -> list[dict[str, Any]]:
    """Seizures the principal may see, counted and weighed per month, port, route
    (departure -> destination country) or substance: no reference, no person, no notes."""
    if by not in GROUPS:
        raise InputError.at(
            "--by", f"agrupación desconocida '{by}'; se admite: {', '.join(GROUPS)}"
        )
    authorize(principal, REPORT, KindOf(KIND))
    groups: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"seizures": 0, "quantity_kg": 0.0}
    )
    for _, data in _visible(session, principal):
        key = _group(data, by)
        group = groups[(key, str(data["substance"]).lower())]
        group["seizures"] += 1
        group["quantity_kg"] += float(data.get("quantity_kg") or 0.0)
    audit_act(session, node, principal, "seizure.aggregate", by, {"groups": len(groups)})
    return [
        {
            by: key,
            "substance": substance,
            "seizures": g["seizures"],
            "quantity_kg": round(g["quantity_kg"], 3),
        }
        for (key, substance), g in sorted(groups.items())
    ]


def _group(data: dict[str, Any], by: str) -> str:
    if by == "month":
        return str(data["date"])[:7]
    if by == "port":
        return str(data.get("port") or f"{data['country']} (fuera de puerto)")
    if by == "route":
        return f"{data.get('departure_country') or '?'} → {data.get('destination_country') or '?'}"
    return str(data["substance"]).lower()
