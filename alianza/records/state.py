"""The one function that writes a record's state from one of its versions.

A record's row (``records``) repeats what its current version says: its rules (handling
code, scope, partner countries, review date), its label, whether it is deleted. The
service, the importer and the sync feed all derive that row here, so a field added to the
state is added once, and none of the three can forget one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from alianza.records.keys import label
from alianza.records.models import Record
from alianza.records.rules import (
    Discoverable,
    RecordKind,
    Scope,
    discoverable_floor,
    scope_text,
    widen_discoverable,
)


def record_state(
    *,
    kind: RecordKind | str,
    data: dict[str, Any] | None,
    rules: dict[str, Any],
    version: int,
    tombstone: bool,
    at: datetime,
) -> dict[str, Any]:
    """The ``records`` columns that follow from a version (label only when it has data)."""
    state: dict[str, Any] = {
        "version": version,
        "deleted": tombstone,
        "handling_code": rules["handling_code"],
        "scope": rules["scope"],
        "scope_countries": scope_text(rules.get("scope_countries") or []),
        **discoverable_state(rules),
        "review_date": date.fromisoformat(str(rules["review_date"])[:10]),
        "updated_at": at,
    }
    if data is not None and not tombstone:
        state["label"] = label(RecordKind(kind), data)
    return state


def discoverable_state(rules: dict[str, Any]) -> dict[str, str]:
    """The two discoverability columns; a version that does not say (written before it
    existed, or by an older partner) is as discoverable as it is shared."""
    scope = Scope(rules["scope"])
    countries = rules.get("scope_countries") or []
    said = rules.get("discoverable")
    if said is None:
        found, listed = discoverable_floor(scope, countries)
    else:
        found, listed = widen_discoverable(
            Discoverable(said),
            rules.get("discoverable_countries") or [],
            scope=scope,
            scope_countries=countries,
        )
    return {"discoverable": found.value, "discoverable_countries": scope_text(listed)}


def apply_state(record: Record, state: dict[str, Any]) -> None:
    """Write a state computed by ``record_state`` onto a loaded record."""
    for name, value in state.items():
        setattr(record, name, value)
