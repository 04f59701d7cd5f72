"""The watch list in memory: every person record this node holds, ready to screen against.

One entry per way a record can be met at a border: its name with each of its documents,
and each alias. Entries are filed under blocking keys (the same agreements that let a
pair through in batch linkage, ``identity/model.py``), so a traveller is compared with
the few hundred entries that share one of them, never with the whole list.

The index follows the database: before each search it asks for the newest record version
and re-reads only the records changed since (one indexed query when nothing changed).
"""

from __future__ import annotations

import gc
import json
import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alianza.errors import AlianzaError
from alianza.identity.features import features
from alianza.records.models import Record, RecordVersion

Key = tuple[str, ...]
log = logging.getLogger("alianza.screening")
TF_COLUMNS = ("given_1", "surname_1_core")


@dataclass(slots=True, frozen=True)
class Entry:
    """One way of meeting a record: its comparison columns and the rules that guard it."""

    record_id: str
    origin: str
    owner_country: str
    owner_agency: str
    scope: str
    scope_countries: str
    discoverable: str
    discoverable_countries: str
    handling_code: str
    features: dict[str, Any]


def keys(f: dict[str, Any], *, query: bool = False) -> Iterator[Key]:
    """Blocking keys of an entry, or (``query``) the keys a traveller looks up."""
    s1, s2, g = f["surname_1_phonetic"], f["surname_2_phonetic"], f["given_1_phonetic"]
    birth, doc = f["birth_date"], f["doc_key"]
    if doc:
        yield ("d", doc)
        if birth:
            yield ("bd", birth, doc[:3])
    if g:
        # Entries are filed under both surnames and travellers look both up: paternal
        # written as maternal is found either way.
        for s in (s1, s2):
            if s:
                yield ("sg", s, g)
        if birth:
            yield ("gb", g, birth)
    if s1 and birth:
        yield ("sb", s1, birth)
    if f["name_sorted"]:
        yield ("n", f["name_sorted"])
    if f["given_1"] and f["surname_1"]:
        pair = (f["surname_1"], f["given_1"]) if query else (f["given_1"], f["surname_1"])
        yield ("x", *pair)
    if birth and f["given_1"]:
        yield ("bg", birth, f["given_1"][:2])


class WatchIndex:
    """Person entries of one node, filed by blocking key (thread-safe)."""

    def __init__(self) -> None:
        self.entries: list[Entry | None] = []
        self.blocks: dict[Key, list[int]] = defaultdict(list)
        self.by_record: dict[str, list[int]] = {}
        self.frequencies: dict[str, Counter[str]] = {c: Counter() for c in TF_COLUMNS}
        self.version = -1
        self.lock = threading.RLock()
        self.live = 0

    def __len__(self) -> int:
        return self.live

    def refresh(self, session: Session) -> int:
        """Catch up with the database; the number of records (re)read."""
        with self.lock:
            newest = session.scalar(select(func.max(RecordVersion.id))) or 0
            if newest == self.version:
                return 0
            if self.version < 0:
                stmt = _current().where(Record.kind == "person")
            else:
                changed = select(RecordVersion.record_id).where(RecordVersion.id > self.version)
                stmt = _current().where(Record.id.in_(changed))
            count = 0
            # A million entries are millions of small objects: the collector's full passes
            # over them while loading took a quarter of the time, for nothing to collect.
            collecting = gc.isenabled()
            gc.disable()
            try:
                for row in session.execute(stmt.execution_options(yield_per=5000)):
                    self._drop(row.id)
                    if row.kind == "person" and not row.deleted and row.data:
                        self._add(row)
                    count += 1
            finally:
                if collecting:
                    gc.enable()
            self.version = newest
            return count

    def candidates(self, query: dict[str, Any]) -> list[Entry]:
        """Entries sharing at least one blocking key with the traveller."""
        with self.lock:
            seen: set[int] = set()
            for key in keys(query, query=True):
                seen.update(self.blocks.get(key, ()))
            return [e for i in sorted(seen) if (e := self.entries[i]) is not None]

    def forget(self, record_id: str) -> None:
        """Drop a record found gone (a retracted copy, an erasure)."""
        with self.lock:
            self._drop(record_id)

    def frequency(self, column: str, value: str) -> float:
        """Share of entries holding ``value`` in ``column`` (term-frequency adjustments)."""
        return self.frequencies[column][value] / max(self.live, 1)

    def _add(self, row: Any) -> None:
        try:
            ways = list(_ways(json.loads(row.data), row.id))
        except (ValueError, TypeError, KeyError, AttributeError, AlianzaError) as exc:
            # A partner's copy in a shape of its own must not stop screening against the
            # rest of the list; the record is left out and the log says which.
            log.warning("registro %s fuera de la lista de vigilancia: %s", row.id, exc)
            return
        positions = []
        for f in ways:
            entry = Entry(
                record_id=row.id,
                origin=row.origin,
                owner_country=row.owner_country,
                owner_agency=row.owner_agency,
                scope=row.scope,
                scope_countries=row.scope_countries,
                discoverable=row.discoverable,
                discoverable_countries=row.discoverable_countries,
                handling_code=row.handling_code,
                features=f,
            )
            position = len(self.entries)
            self.entries.append(entry)
            self.live += 1
            positions.append(position)
            for key in set(keys(f)):
                self.blocks[key].append(position)
            for c in TF_COLUMNS:
                if f[c]:
                    self.frequencies[c][f[c]] += 1
        self.by_record[row.id] = positions

    def _drop(self, record_id: str) -> None:
        for position in self.by_record.pop(record_id, []):
            entry = self.entries[position]
            if entry is not None:
                for c in TF_COLUMNS:
                    if entry.features[c]:
                        self.frequencies[c][entry.features[c]] -= 1
            # Block lists keep the stale position; candidates() skips empty slots.
            self.entries[position] = None
            self.live -= 1


def _current() -> Any:
    return select(
        Record.id,
        Record.kind,
        Record.deleted,
        Record.origin,
        Record.owner_country,
        Record.owner_agency,
        Record.scope,
        Record.scope_countries,
        Record.discoverable,
        Record.discoverable_countries,
        Record.handling_code,
        RecordVersion.data,
    ).join(
        RecordVersion,
        (RecordVersion.record_id == Record.id) & (RecordVersion.version == Record.version),
    )


def _ways(data: dict[str, Any], record_id: str) -> Iterator[dict[str, Any]]:
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
