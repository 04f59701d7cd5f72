"""The watch list in memory: every person record this node holds, ready to screen against.

One entry per way a record can be met at a border: its name with each of its documents,
and each alias. Entries are filed under blocking keys (the same agreements that let a
pair through in batch linkage, ``identity/model.py``), so a traveller is compared with
the few hundred entries that share one of them, never with the whole list.

The index follows the database: before each search it asks for the newest record version
and re-reads only the records changed since (one indexed query when nothing changed).

A million entries must fit a serving process (issue 11): an entry is one tuple (record
id, the number of its access rules, then the feature columns in ``FEATURE_COLUMNS``
order), the values that repeat (names, dates, codes) are shared between entries, the
access rules are stored once per distinct combination, and the blocks are two sorted
NumPy arrays (the hash of the key and the entry's position) instead of a dict of lists.
The compared columns are kept a second time as NumPy columns of codes (and bytes, for
the typo levels), so that ``ladders.py`` weighs all of a traveller's candidates at once.
Measured on 1,000,000 persons: 1.3 GB per serving process where one object per entry
took 4.0 GB on the same machine the same day. A hash collision only adds an entry to
the ones scored (it is weighed like any other), it never loses one.
"""

from __future__ import annotations

import gc
import logging
import threading
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alianza.errors import AlianzaError
from alianza.identity.features import FEATURE_COLUMNS, features
from alianza.records.models import Record, RecordVersion
from alianza.screening.ladders import CODED, NUMERIC, TYPO_WIDTH, as_bytes, code

Key = tuple[str, ...]
log = logging.getLogger("alianza.screening")
TF_COLUMNS = ("given_1", "surname_1_core")
#: An entry's access rules, in this order (``Entry``'s fields of the same names).
RULE_FIELDS = (
    "origin",
    "owner_country",
    "owner_agency",
    "scope",
    "scope_countries",
    "discoverable",
    "discoverable_countries",
    "handling_code",
)
#: Field names of a stored row: ``dict(zip(ROW_FIELDS, row))`` is the entry's features
#: (the record id is the features' ``unique_id``; ``_rules`` is ignored by the scorer).
ROW_FIELDS = ("unique_id", "_rules", *FEATURE_COLUMNS)
FIRST_FEATURE = 2
COLUMNS = FEATURE_COLUMNS
# Entries filed after the last sort wait in a dict; past this many they are merged in.
_MERGE_AT = 50_000
_TF_AT = tuple((c, FIRST_FEATURE + FEATURE_COLUMNS.index(c)) for c in TF_COLUMNS)


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


def make_entry(record_id: str, rules: tuple[str, ...], features: dict[str, Any]) -> Entry:
    """An entry from its record id, its rules (``RULE_FIELDS`` order) and its features."""
    origin, country, agency, scope, scope_countries, discoverable, disc_countries, code = rules
    return Entry(
        record_id, origin, country, agency, scope, scope_countries, discoverable,
        disc_countries, code, features,
    )  # fmt: skip


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
        self.rows: list[tuple[Any, ...] | None] = []
        self.rules: list[tuple[str, ...]] = []
        self._rule_ids: dict[tuple[str, ...], int] = {}
        # Position of a record's first entry; its entries are consecutive.
        self.by_record: dict[str, int] = {}
        self.frequencies: dict[str, Counter[str]] = {c: Counter() for c in TF_COLUMNS}
        self.version = -1
        self.lock = threading.RLock()
        self.live = 0
        # Blocks: hashes of keys (sorted) and the positions filed under each, plus the
        # entries filed since the last sort.
        self._hashes: np.ndarray[Any, np.dtype[np.int64]] = np.empty(0, np.int64)
        self._positions: np.ndarray[Any, np.dtype[np.int32]] = np.empty(0, np.int32)
        self._recent: dict[int, list[int]] = {}
        self._recent_count = 0
        # The compared columns again, as one int64 code per entry (``ladders.code``).
        self.codes: dict[str, np.ndarray[Any, np.dtype[np.int64]]] = {
            c: np.empty(0, np.int64) for c in (*CODED, *NUMERIC)
        }
        self.chars = {c: np.zeros((0, w), np.uint8) for c, w in TYPO_WIDTH.items()}
        # Per entry: its rules' number, its record's number, and whether it is live.
        self.rule_of = np.zeros(0, np.int32)
        self.record_of = np.zeros(0, np.int32)
        self.alive = np.zeros(0, np.bool_)
        self._records = 0
        self.lengths = {c: np.zeros(0, np.int16) for c in TYPO_WIDTH}

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
            new_hashes: array[int] = array("q")
            new_positions: array[int] = array("i")
            shared: dict[Any, Any] = {}  # one object per repeated value, for this load
            coded: dict[str, array[int]] = {c: array("q") for c in self.codes}
            typed = {c: (bytearray(), array("h")) for c in TYPO_WIDTH}
            coded["_rule"], coded["_record"] = array("q"), array("q")
            try:
                result = session.connection().execute(stmt.execution_options(yield_per=5000))
                for row in result:
                    self._drop(row[0])
                    kind, deleted, data = row[1], row[2], row[-1]
                    if kind == "person" and not deleted and data:
                        self._add(row, shared, new_hashes, new_positions, coded, typed)
                    count += 1
                self._file(new_hashes, new_positions)
                self._file_codes(coded, typed)
            finally:
                shared.clear()
                if collecting:
                    gc.enable()
            if count > _MERGE_AT:
                # The list is there to stay: the collector need not walk it again.
                gc.freeze()
            self.version = newest
            return count

    def positions(self, query: dict[str, Any]) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Positions of live entries sharing at least one blocking key with the traveller,
        in order."""
        with self.lock:
            wanted = [hash(k) for k in keys(query, query=True)]
            parts = []
            if wanted and len(self._hashes):
                asked = np.array(wanted, dtype=np.int64)
                lo = np.searchsorted(self._hashes, asked, side="left")
                hi = np.searchsorted(self._hashes, asked, side="right")
                spans = zip(lo.tolist(), hi.tolist(), strict=True)
                parts += [self._positions[a:b] for a, b in spans if b > a]
            parts += [np.array(self._recent[h]) for h in wanted if h in self._recent]
            if not parts:
                return np.empty(0, np.int64)
            found = np.unique(np.concatenate(parts).astype(np.int64))
            return found[self.alive[found]]

    def entry(self, position: int) -> Entry:
        """The entry at ``position`` (a live one), with its rules and features."""
        row = self.rows[position]
        assert row is not None
        features = dict(zip(ROW_FIELDS, row, strict=True))
        del features["_rules"]
        return make_entry(row[0], self.rules[row[1]], features)

    def live_rows(self) -> Iterator[tuple[Any, ...]]:
        """Every live row (callers hold ``lock`` while they iterate)."""
        return (row for row in self.rows if row is not None)

    def forget(self, record_id: str) -> None:
        """Drop a record found gone (a retracted copy, an erasure)."""
        with self.lock:
            self._drop(record_id)

    def frequency(self, column: str, value: str) -> float:
        """Share of entries holding ``value`` in ``column`` (term-frequency adjustments)."""
        return self.frequencies[column][value] / max(self.live, 1)

    def _add(
        self,
        row: Any,
        shared: dict[Any, Any],
        hashes: array[int],
        at: array[int],
        coded: dict[str, array[int]],
        typed: dict[str, tuple[bytearray, array[int]]],
    ) -> None:
        record_id = row[0]
        try:
            ways = list(_ways(orjson.loads(row[-1]), record_id))
        except (ValueError, TypeError, KeyError, AttributeError, AlianzaError) as exc:
            # A partner's copy in a shape of its own must not stop screening against the
            # rest of the list; the record is left out and the log says which.
            log.warning("registro %s fuera de la lista de vigilancia: %s", record_id, exc)
            return
        rules = tuple(row[3:-1])
        rule_id = self._rule_ids.get(rules)
        if rule_id is None:
            rule_id = self._rule_ids[rules] = len(self.rules)
            self.rules.append(rules)
        self.by_record[record_id] = len(self.rows)
        self._records += 1
        add_rule, add_record = coded["_rule"].append, coded["_record"].append
        frequencies = [(c, self.frequencies[c]) for c in TF_COLUMNS]
        by_code = [(coded[c].append, c) for c in CODED]
        by_number = [(coded[c].append, c) for c in NUMERIC]
        for f in ways:
            position = len(self.rows)
            share = shared.setdefault
            self.rows.append((record_id, rule_id, *[share(v, v) for v in map(f.get, COLUMNS)]))
            add_rule(rule_id)
            add_record(self._records)
            self.live += 1
            filed = {hash(key) for key in keys(f)}
            hashes.extend(filed)
            at.extend([position] * len(filed))
            for c, counter in frequencies:
                if f[c]:
                    counter[f[c]] += 1
            for append, c in by_code:
                append(code(f[c]))
            for append, c in by_number:
                append(f[c] or 0)
            for c, (chars, lengths) in typed.items():
                held, length = as_bytes(f[c], TYPO_WIDTH[c])
                chars += held
                lengths.append(length)

    def _file(self, hashes: array[int], at: array[int]) -> None:
        """File new (hash, position) pairs: sorted into the arrays, or kept aside if few."""
        if len(hashes) + self._recent_count < _MERGE_AT and len(self._hashes):
            for h, p in zip(hashes, at, strict=True):
                self._recent.setdefault(h, []).append(p)
            self._recent_count += len(hashes)
            return
        parts_h = [self._hashes, np.frombuffer(hashes, dtype=np.int64)]
        parts_p = [self._positions, np.frombuffer(at, dtype=np.int32)]
        for h, ps in self._recent.items():
            parts_h.append(np.full(len(ps), h, dtype=np.int64))
            parts_p.append(np.array(ps, dtype=np.int32))
        all_h = np.concatenate(parts_h)
        all_p = np.concatenate(parts_p)
        order = np.argsort(all_h, kind="stable")
        self._hashes = all_h[order]
        self._positions = all_p[order]
        self._recent = {}
        self._recent_count = 0

    def _file_codes(
        self, coded: dict[str, array[int]], typed: dict[str, tuple[bytearray, array[int]]]
    ) -> None:
        """Append the new entries' codes to the code columns (room to spare: a refresh
        that adds a record must not copy a million codes)."""
        end = len(self.rows)
        rules, records = coded.pop("_rule"), coded.pop("_record")
        if len(rules):
            self.rule_of = _extend(self.rule_of, np.frombuffer(rules, np.int64), end)
            self.record_of = _extend(self.record_of, np.frombuffer(records, np.int64), end)
            self.alive = _extend(self.alive, np.ones(len(rules), np.bool_), end)
        for c, values in coded.items():
            if len(values):
                self.codes[c] = _extend(self.codes[c], np.frombuffer(values, np.int64), end)
        for c, (chars, lengths) in typed.items():
            if len(lengths):
                held = np.frombuffer(bytes(chars), np.uint8).reshape(-1, TYPO_WIDTH[c])
                self.chars[c] = _extend(self.chars[c], held, len(self.rows))
                self.lengths[c] = _extend(
                    self.lengths[c], np.frombuffer(lengths, np.int16), len(self.rows)
                )

    def _drop(self, record_id: str) -> None:
        start = self.by_record.pop(record_id, None)
        if start is None:
            return
        rows = self.rows
        position = start
        # A record's entries are consecutive; the next record's start ends them.
        while position < len(rows) and (row := rows[position]) is not None:
            if row[0] != record_id:
                break
            for c, column in _TF_AT:
                if row[column]:
                    self.frequencies[c][row[column]] -= 1
            # Blocks keep the stale position; positions() skips empty slots.
            rows[position] = None
            if position < len(self.alive):
                self.alive[position] = False
            self.live -= 1
            position += 1


def _extend(column: Any, new: Any, end: int) -> Any:
    """``column`` with ``new`` written just before row ``end``, grown if need be."""
    start = end - len(new)
    if end > len(column):
        room = end if start == 0 else int(end * 1.25)
        grown = np.zeros((room, *column.shape[1:]), column.dtype)
        grown[:start] = column[:start]
        column = grown
    column[start:end] = new
    return column


def _current() -> Any:
    return select(
        Record.id,
        Record.kind,
        Record.deleted,
        *(getattr(Record, name) for name in RULE_FIELDS),
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
