"""The watch list in memory: every person record this node holds, ready to screen against.

One entry per way a record can be met at a border: its name with each of its documents,
and each alias. Entries are filed under blocking keys (the same agreements that let a
pair through in batch linkage, ``identity/model.py``), so a traveller is compared with
the few hundred entries that share one of them, never with the whole list.

The index follows the database: before each search it asks for the newest record version
and re-reads only the records changed since (one indexed query when nothing changed).

A million entries must load in seconds and fit a serving process (issue 11), so the list
is columns, not objects. Each feature column is one NumPy array of codes (``ladders.code``:
the value's hash, 0 when missing) and one dict from code to value, so a name held by a
thousand entries is one string; the access rules are stored once per distinct
combination; the blocks are two sorted arrays (a key's hash and the entry's position),
the key's hash mixed from the codes of its parts in NumPy. Loading is then a handful of
array operations per thousand records, and the features themselves are read as computed
when each version was written (``stored.py``), computed here only when missing or stale.
A hash collision only adds an entry to the ones scored (it is weighed like any other), it
never loses one.
"""

from __future__ import annotations

import gc
import itertools
import logging
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from sqlalchemy import and_, func, literal, select
from sqlalchemy.orm import Session

from alianza.identity.features import FEATURE_COLUMNS
from alianza.records.models import Record, RecordFeatures, RecordVersion
from alianza.screening.ladders import MISSING, NUMERIC, OTHER, TYPO_WIDTH, code
from alianza.screening.stored import FAILURES, encode, revision, ways

Key = tuple[str, ...]
Array = np.ndarray[Any, Any]
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
COLUMNS = FEATURE_COLUMNS
# Entries filed after the last sort wait in a dict; past this many they are merged in.
_MERGE_AT = 50_000
# Records read (and their features parsed) per step of a load.
_CHUNK = 20_000
_SEP = "\x1f"  # between rules in one text (validated text never holds control characters)
_NONE = hash(None)
# The rungs of ``keys`` as tags mixed into a key's hash.
_D, _BD, _SG, _GB, _SB, _N, _X, _BG = range(1, 9)
_TAGS = {"d": _D, "bd": _BD, "sg": _SG, "gb": _GB, "sb": _SB, "n": _N, "x": _X, "bg": _BG}
_MULTIPLIER = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1
_MULTIPLY = np.uint64(_MULTIPLIER)
_SHIFT = np.uint64(31)
# Columns the blocking keys read: their codes, whether each value is there, two prefixes.
_KEYED = (
    "doc_key",
    "birth_date",
    "given_1",
    "surname_1",
    "given_1_phonetic",
    "surname_1_phonetic",
    "surname_2_phonetic",
    "name_sorted",
)

# Columns whose first characters make a key (``bd``: the document key's 3, ``bg``: the
# first given name's 2), hashed apart from the whole value.
_PREFIXED = {"doc_key": 3, "given_1": 2}

_ways = ways  # the features of a person's data, per way (``stored.ways``)


def sorted_unique(values: Array) -> Array:
    """``np.unique(values)`` for integers: sorted, each once. NumPy 2's ``unique`` hashes
    first and sorts the distinct values after; a plain sort and a comparison with the
    neighbour is about twenty times faster on the million (traveller, entry) pairs of a
    list's lookups (SIMD sort; measured on this machine)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


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


@dataclass(slots=True)
class ListState:
    """What a ``WatchIndex`` holds, in a form another process can take (``snapshot.py``).

    Live entries only, numbered from 0 record after record. No code is a hash of this
    process (``hash`` of a text differs from one process to the next): each text column is
    its distinct values and, per entry, the place of its value among them (-1: missing).
    """

    version: int  # the newest record version the list had read
    record_ids: list[str]
    record_versions: Array  # per record, int64
    record_of: Array  # per entry, int32, never decreasing
    rule_of: Array  # per entry, int32: its rules in ``rules``
    rules: list[tuple[str, ...]]
    numbers: dict[str, Array]  # the ``NUMERIC`` columns, per entry
    texts: dict[str, tuple[list[str], Array]]  # the other columns: values, int32 places
    chars: dict[str, Array]  # ``TYPO_WIDTH`` columns' bytes, per entry
    lengths: dict[str, Array]


def make_entry(record_id: str, rules: tuple[str, ...], features: dict[str, Any]) -> Entry:
    """An entry from its record id, its rules (``RULE_FIELDS`` order) and its features."""
    origin, country, agency, scope, scope_countries, discoverable, disc_countries, code = rules
    return Entry(
        record_id, origin, country, agency, scope, scope_countries, discoverable,
        disc_countries, code, features,
    )  # fmt: skip


def keys(f: dict[str, Any], *, query: bool = False) -> Iterator[Key]:
    """Blocking keys of an entry, or (``query``) the keys a traveller looks up.

    The specification of the keys: ``key_hashes`` files and looks up exactly these, as
    hashes mixed from the codes of their parts (one NumPy pass for a whole load).
    """
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


def codes_of(values: Sequence[Any]) -> tuple[Array, Array]:
    """``ladders.code`` of each value as one int64 array, and whether each value is there
    (truthy), in two C loops and no Python per value."""
    hashes = np.fromiter(map(hash, values), dtype=np.int64, count=len(values))
    # The values not there are None and "" ("" hashes to 0, None to ``_NONE``): read off
    # the hashes, not a second pass over the values. As ``ladders.code``: a hash of 0 is
    # coded 1, None 0. A text hashing to ``_NONE`` (one chance in 2**64) reads as missing,
    # which loses one comparison of one entry, never makes a wrong match.
    there = (hashes != 0) & (hashes != _NONE)
    out = hashes.copy()
    out[hashes == 0] = 1
    out[hashes == _NONE] = 0
    return out, there


def key_hashes(
    columns: Mapping[str, Sequence[Any]],
    *,
    query: bool = False,
    coded: Mapping[str, tuple[Array, Array]] | None = None,
    prefixes: tuple[Array, Array] | None = None,
) -> tuple[Array, Array]:
    """The hashes of ``keys`` of many rows at once (``columns``: the values of the
    ``_KEYED`` columns, one sequence each; ``coded``: their ``codes_of`` when already
    known; ``prefixes``: ``prefix_hashes`` of the document key and the first given name,
    when known; with both, ``columns`` is not read) and the row each hash belongs to."""
    coded = coded or {name: codes_of(columns[name]) for name in _KEYED}
    c = {name: coded[name][0] for name in _KEYED}
    there = {name: coded[name][1] for name in _KEYED}
    if prefixes is None:
        doc3, given2 = (prefix_hashes(columns[k], width) for k, width in _PREFIXED.items())
    else:
        doc3, given2 = prefixes
    doc, birth, g = there["doc_key"], there["birth_date"], there["given_1_phonetic"]
    s1, s2 = there["surname_1_phonetic"], there["surname_2_phonetic"]
    named = there["given_1"] & there["surname_1"]
    pair = ("surname_1", "given_1") if query else ("given_1", "surname_1")
    rungs: list[tuple[int, Array, tuple[Array, ...]]] = [
        (_D, doc, (c["doc_key"],)),
        (_BD, doc & birth, (c["birth_date"], doc3)),
        (_SG, g & s1, (c["surname_1_phonetic"], c["given_1_phonetic"])),
        (_SG, g & s2, (c["surname_2_phonetic"], c["given_1_phonetic"])),
        (_GB, g & birth, (c["given_1_phonetic"], c["birth_date"])),
        (_SB, s1 & birth, (c["surname_1_phonetic"], c["birth_date"])),
        (_N, there["name_sorted"], (c["name_sorted"],)),
        (_X, named, (c[pair[0]], c[pair[1]])),
        (_BG, birth & there["given_1"], (c["birth_date"], given2)),
    ]
    hashes, rows = [], []
    for tag, holds, parts in rungs:
        at = np.flatnonzero(holds)
        hashes.append(_mix(tag, [p[at] for p in parts]))
        rows.append(at)
    return np.concatenate(hashes), np.concatenate(rows)


def prefix_hashes(values: Sequence[Any], width: int) -> Array:
    """The hash of each value's first ``width`` characters (0 when missing), as the
    ``bd`` and ``bg`` keys take them."""
    return np.fromiter(
        (hash(v[:width]) if v else 0 for v in values), dtype=np.int64, count=len(values)
    )


def query_hashes(f: Mapping[str, Any]) -> list[int]:
    """``key_hashes`` of one traveller in plain Python (a few microseconds, where NumPy's
    calls on one row cost a few hundred): the same keys, the same arithmetic."""
    out = []
    for key in keys(dict(f), query=True):
        tag, *parts = key
        if tag == "bd" or tag == "bg":
            codes = [code(parts[0]), hash(parts[1])]
        else:
            codes = [code(p) for p in parts]
        out.append(_mix_one(_TAGS[tag], codes))
    return out


def _mix_one(tag: int, parts: list[int]) -> int:
    # ``_mix`` on Python ints: two's complement and products kept to 64 bits.
    h = tag
    for part in parts:
        h = ((h ^ (part & _MASK)) * _MULTIPLIER) & _MASK
        h ^= h >> 31
    return h - (1 << 64) if h >> 63 else h


def _mix(tag: int, parts: list[Array]) -> Array:
    # Equal tags and equal codes give equal hashes on both sides (entries and travellers);
    # the multiply-xorshift only spreads them so that unequal keys seldom collide.
    h = np.full(len(parts[0]), tag, dtype=np.uint64)
    for part in parts:
        h = (h ^ part.view(np.uint64)) * _MULTIPLY
        h ^= h >> _SHIFT
    return h.view(np.int64)


class WatchIndex:
    """Person entries of one node, filed by blocking key (thread-safe)."""

    def __init__(self) -> None:
        # Per record (in the order read): its id. Per entry: its record's number, its
        # rules' number, whether it is live.
        self.record_ids: list[str] = []
        self.record_versions: list[int] = []  # per record: the version its entries are of
        self.record_of = np.zeros(0, np.int32)
        self.rule_of = np.zeros(0, np.int32)
        self.alive = np.zeros(0, np.bool_)
        self.rules: list[tuple[str, ...]] = []
        self._rule_ids: dict[str, int] = {}
        # Position of a record's first entry; its entries are consecutive.
        self.by_record: dict[str, int] = {}
        self.size = 0  # positions used (live or not)
        self.live = 0
        # Every feature column as codes (``birth_year``: the number, 0 when missing), and
        # the value of each code.
        self.codes: dict[str, Array] = {c: np.empty(0, np.int64) for c in FEATURE_COLUMNS}
        self.values: dict[str, dict[int, Any]] = {c: {0: None} for c in FEATURE_COLUMNS}
        self.chars = {c: np.zeros((0, w), np.uint8) for c, w in TYPO_WIDTH.items()}
        self.lengths = {c: np.zeros(0, np.int16) for c in TYPO_WIDTH}
        # Entries holding each code of the term-frequency columns.
        self.counts: dict[str, Counter[int]] = {c: Counter() for c in TF_COLUMNS}
        self.version = -1
        self.computed = 0  # features computed at the last refresh (none stored, or stale)
        self.lock = threading.RLock()
        # Blocks: hashes of keys (sorted) and the positions filed under each, plus the
        # entries filed since the last sort.
        self._hashes: Array = np.empty(0, np.int64)
        self._positions: Array = np.empty(0, np.int32)
        self._recent: dict[int, list[int]] = {}
        self._recent_count = 0

    def __len__(self) -> int:
        return self.live

    def refresh(self, session: Session) -> int:
        """Catch up with the database; the number of records (re)read."""
        with self.lock:
            newest = session.scalar(select(func.max(RecordVersion.id))) or 0
            if newest == self.version:
                return 0
            if self.version < 0:
                stmt = _load_statement().where(Record.kind == "person")
            else:
                changed = select(RecordVersion.record_id).where(RecordVersion.id > self.version)
                stmt = _load_statement().where(Record.id.in_(changed))
            # The load makes few objects, but each one the collector would walk again.
            collecting = gc.isenabled()
            gc.disable()
            count = self.computed = 0
            pending = _Pending()
            try:
                result = session.connection().execute(stmt.execution_options(yield_per=_CHUNK))
                for rows in result.partitions():
                    count += self._read(session, rows, pending)
                self._file(*pending.blocks())
                self._append(pending)
            finally:
                if collecting:
                    gc.enable()
            if count > _MERGE_AT:
                gc.freeze()  # the list is there to stay: the collector need not walk it
            self.version = newest
            return count

    def positions(self, query: Mapping[str, Any]) -> Array:
        """Positions of live entries sharing at least one blocking key with the traveller,
        in order."""
        with self.lock:
            wanted = query_hashes(query)
            parts = []
            if wanted and len(self._hashes):
                asked = np.array(wanted, dtype=np.int64)
                lo = np.searchsorted(self._hashes, asked, side="left").tolist()
                hi = np.searchsorted(self._hashes, asked, side="right").tolist()
                parts += [self._positions[a:b] for a, b in zip(lo, hi, strict=True) if b > a]
            parts += [np.array(self._recent[h]) for h in wanted if h in self._recent]
            if not parts:
                return np.empty(0, np.int64)
            found = sorted_unique(np.concatenate(parts).astype(np.int64))
            return found[self.alive[found]]

    def positions_many(self, queries: Sequence[Mapping[str, Any]]) -> list[Array]:
        """``positions`` of each traveller, looked up together."""
        with self.lock:
            columns = {name: [q[name] for q in queries] for name in _KEYED}
            wanted, owner = key_hashes(columns, query=True)
            found: list[Array] = []
            whose: list[Array] = []
            if len(wanted) and len(self._hashes):
                # Needles in order: NumPy's binary search starts from the last one's place
                # (about half the time of the travellers' order on 8.7 million keys).
                order = np.argsort(wanted, kind="stable")
                wanted, owner = wanted[order], owner[order]
                lo = np.searchsorted(self._hashes, wanted, side="left")
                hi = np.searchsorted(self._hashes, wanted, side="right")
                sizes = hi - lo
                total = int(sizes.sum())
                if total:
                    # Every (key, position) pair of every span, without a Python loop.
                    starts = np.repeat(lo - np.cumsum(sizes) + sizes, sizes)
                    found.append(self._positions[starts + np.arange(total)].astype(np.int64))
                    whose.append(np.repeat(owner, sizes))
            if self._recent:
                for h, t in zip(wanted.tolist(), owner.tolist(), strict=True):
                    recent = self._recent.get(h)
                    if recent:
                        found.append(np.array(recent, dtype=np.int64))
                        whose.append(np.full(len(recent), t, dtype=np.int64))
            if not found:
                return [np.empty(0, np.int64) for _ in queries]
            pairs = sorted_unique(np.concatenate(whose) * (self.size + 1) + np.concatenate(found))
            traveller, position = np.divmod(pairs, self.size + 1)
            keep = self.alive[position]
            traveller, position = traveller[keep], position[keep]
            bounds = np.searchsorted(traveller, np.arange(len(queries) + 1))
            return [position[bounds[i] : bounds[i + 1]] for i in range(len(queries))]

    def text(self, column: str, positions: Array) -> list[Any]:
        """The values of ``column`` at ``positions``."""
        held = self.codes[column][positions].tolist()
        if column in NUMERIC:
            return [v or None for v in held]
        values = self.values[column]
        return [values[k] for k in held]

    def record_id(self, position: int) -> str:
        """The id of the record whose entry is at ``position``."""
        return self.record_ids[int(self.record_of[position])]

    def entry(self, position: int) -> Entry:
        """The entry at ``position`` (a live one), with its rules and features."""
        record_id = self.record_id(position)
        features: dict[str, Any] = {"unique_id": record_id}
        for column in FEATURE_COLUMNS:
            held = int(self.codes[column][position])
            features[column] = (held or None) if column in NUMERIC else self.values[column][held]
        return make_entry(record_id, self.rules[int(self.rule_of[position])], features)

    def live_positions(self) -> Array:
        """Positions of every live entry (callers hold ``lock`` while they use them)."""
        return np.flatnonzero(self.alive[: self.size])

    def forget(self, record_id: str) -> None:
        """Drop a record found gone (a retracted copy, an erasure)."""
        with self.lock:
            self._drop(record_id)

    def frequency(self, column: str, value: str) -> float:
        """Share of entries holding ``value`` in ``column`` (term-frequency adjustments)."""
        return self.counts[column][code(value)] / max(self.live, 1)

    def state(self) -> ListState:
        """What the index holds, for ``snapshot.py``: live entries only, renumbered, and
        free of this process's hashes.

        The lock is held only while the columns are taken, the rest is done while
        screening goes on, and nothing is copied that need not be (a serving process must
        stay under 1.5 GB while it writes). The columns below ``size`` are never written
        in place (entries are appended past it, and a drop only clears ``alive``), so
        when every entry is live they are taken as they are. The values' dicts are not
        copied either: they only grow, no key is ever removed, and each lookup of a code
        taken under the lock is one atomic operation under the GIL.
        """
        with self.lock:
            size = self.size
            if self.live == size:
                live: slice | Array = slice(0, size)
            else:
                live = np.flatnonzero(self.alive[:size])
            held = self.record_of[live]
            codes = {c: self.codes[c][live] for c in FEATURE_COLUMNS}
            values = {c: self.values[c] for c in FEATURE_COLUMNS if c not in NUMERIC}
            record_ids = self.record_ids[:]
            versions = np.asarray(self.record_versions, np.int64)
            rule_of, rules, version = self.rule_of[live], list(self.rules), self.version
            chars = {c: self.chars[c][live] for c in TYPO_WIDTH}
            lengths = {c: self.lengths[c][live] for c in TYPO_WIDTH}
        # Entries are appended record after record: numbers never decrease.
        first = np.ones(len(held), np.bool_)
        np.not_equal(held[1:], held[:-1], out=first[1:])
        kept = held[first]
        texts: dict[str, tuple[list[str], Array]] = {}
        for c, column in values.items():
            distinct, at = np.unique(codes[c], return_inverse=True)
            strings = [column[k] for k in distinct.tolist()]
            places = at.astype(np.int32)
            zero = int(np.searchsorted(distinct, 0))
            if zero < len(distinct) and distinct[zero] == 0:  # code 0: no value
                del strings[zero]
                missing = places == zero
                places[places > zero] -= 1
                places[missing] = -1
            texts[c] = strings, places
        return ListState(
            version=version,
            record_ids=[record_ids[k] for k in kept.tolist()],
            record_versions=versions[kept],
            record_of=(np.cumsum(first) - 1).astype(np.int32),
            rule_of=rule_of,
            rules=rules,
            numbers={c: codes[c] for c in NUMERIC},
            texts=texts,
            chars=chars,
            lengths=lengths,
        )

    def adopt(self, state: ListState, session: Session) -> int:
        """Take a list kept on disk (``snapshot.py``) into this empty index, then catch up
        with the database record by record; the number of records read or dropped.

        The kept list is trusted for a record only while its version and its rules are
        the database's: a record changed since (a new version, other rules) or new is read
        again, one gone (deleted, erased, a retracted copy) is dropped. What the index
        holds afterwards is what a load from the database would hold.
        """
        with self.lock:
            if self.version >= 0:
                return self.refresh(session)
            collecting = gc.isenabled()
            gc.disable()
            try:
                self._restore(state)
                return self._reconcile(session)
            except BaseException:
                # Half caught up is not a list to screen against: empty again, so that
                # the next refresh loads the database whole.
                lock = self.lock
                self.__dict__.update(WatchIndex().__dict__)
                self.lock = lock
                raise
            finally:
                if collecting:
                    gc.enable()

    def _restore(self, state: ListState) -> None:
        n = len(state.record_of)
        self.record_ids = list(state.record_ids)
        self.record_versions = state.record_versions.tolist()
        self.record_of = state.record_of
        self.rule_of = state.rule_of
        self.alive = np.ones(n, np.bool_)
        self.rules = list(state.rules)
        self._rule_ids = {_SEP.join(rules): i for i, rules in enumerate(self.rules)}
        starts = np.searchsorted(self.record_of, np.arange(len(self.record_ids)))
        self.by_record = dict(zip(self.record_ids, starts.tolist(), strict=True))
        self.size = self.live = n
        coded: dict[str, tuple[Array, Array]] = {}
        prefixes: dict[str, Array] = {}
        for c in FEATURE_COLUMNS:
            if c in NUMERIC:
                self.codes[c] = state.numbers[c]
                continue
            strings, places = state.texts[c]
            hashed, there = codes_of(strings)
            # Place -1 (missing) reads the 0 appended last.
            self.codes[c] = np.append(hashed, 0)[places]
            coded[c] = self.codes[c], np.append(there, False)[places]
            self.values[c] = {0: None}
            self.values[c].update(zip(hashed.tolist(), strings, strict=True))
            if c in _PREFIXED:
                prefixes[c] = np.append(prefix_hashes(strings, _PREFIXED[c]), 0)[places]
        for c in TF_COLUMNS:
            codes, there = coded[c]
            distinct, counts = np.unique(codes[there], return_counts=True)
            self.counts[c] = Counter(dict(zip(distinct.tolist(), counts.tolist(), strict=True)))
        for c in TYPO_WIDTH:
            self.chars[c] = state.chars[c]
            self.lengths[c] = state.lengths[c]
        both = prefixes["doc_key"], prefixes["given_1"]
        self._file(*key_hashes({}, coded=coded, prefixes=both))
        self.version = state.version

    def _reconcile(self, session: Session) -> int:
        """Read again the records whose version or rules differ from the index's, and the
        new ones; drop the ones gone."""
        newest = session.scalar(select(func.max(RecordVersion.id))) or 0
        # Each record's version and rules at its first entry's position: one dict lookup
        # per row (``by_record``), then plain list indexing.
        starts = np.searchsorted(self.record_of, np.arange(len(self.record_ids)))
        at_start = np.zeros(self.size, np.int64)
        at_start[starts] = self.record_versions
        versions = at_start.tolist()
        rule_of = self.rule_of[: self.size].tolist()
        by_record = self.by_record
        seen = bytearray(self.size)
        changed = []
        stmt = select(Record.id, Record.version, _joined_rules()).where(
            Record.kind == "person", Record.deleted.is_(False)
        )
        result = session.connection().execute(stmt.execution_options(yield_per=_CHUNK))
        for rows in result.partitions():
            for record_id, version, rules in rows:
                start = by_record.get(record_id)
                if start is None:
                    changed.append(record_id)
                    continue
                seen[start] = 1
                if versions[start] != version or self._rule_ids.get(rules) != rule_of[start]:
                    changed.append(record_id)
        unseen = np.frombuffer(bytes(seen), np.uint8)[starts] == 0
        gone = [self.record_ids[i] for i in np.flatnonzero(unseen).tolist()]
        for record_id in gone:
            self._drop(record_id)
        pending = _Pending()
        count = 0
        for at in range(0, len(changed), 500):
            stmt = _load_statement().where(Record.id.in_(changed[at : at + 500]))
            count += self._read(session, session.connection().execute(stmt).all(), pending)
        self._file(*pending.blocks())
        self._append(pending)
        self.version = newest
        return count + len(gone)

    def _read(self, session: Session, rows: Sequence[Any], pending: _Pending) -> int:
        """Take one chunk of records: drop their old entries, queue their new ones."""
        stored: list[str | None] = []
        ids: list[str] = []
        versions: list[int] = []
        rule_ids: list[int] = []
        redo: list[str] = []
        dropping = self.version >= 0  # a first load has nothing to drop
        for record_id, version, kind, deleted, features, rules in rows:
            if dropping:
                self._drop(record_id)
            if kind != "person" or deleted:
                continue
            rule_id = self._rule_ids.get(rules)
            if rule_id is None:
                rule_id = self._rule_ids[rules] = len(self.rules)
                self.rules.append(tuple(rules.split(_SEP)))
            stored.append(features)
            ids.append(record_id)
            versions.append(version)
            rule_ids.append(rule_id)
        missing = [i for i, features in enumerate(stored) if features is None]
        if missing:
            # No features of this revision: computed from the data, as they would have
            # been when the version was written. Redacted data leaves the record out.
            held = _data_of(session, [ids[i] for i in missing])
            for i in missing:
                stored[i] = self._compute(ids[i], held.get(ids[i]))
            kept = [i for i, features in enumerate(stored) if features is not None]
            if len(kept) < len(stored):
                stored = [stored[i] for i in kept]
                ids = [ids[i] for i in kept]
                versions = [versions[i] for i in kept]
                rule_ids = [rule_ids[i] for i in kept]
        if not ids:
            return len(rows)
        texts = [features for features in stored if features is not None]
        per_record = _parse(texts)
        if per_record is None:
            # A stored row this code cannot read: each record is read alone, and the ones
            # that fail are computed again from their data.
            per_record = []
            for record_id, text in zip(ids, texts, strict=True):
                one = _parse([text])
                if one is None:
                    redo.append(record_id)
                    data = _data_of(session, [record_id]).get(record_id)
                    one = _parse([self._compute(record_id, data) or "[]"])
                per_record.append(one[0] if one else [])
            log.warning("rasgos guardados ilegibles, recalculados: %s", ", ".join(redo))
        pending.add(self, ids, versions, rule_ids, per_record)
        return len(rows)

    def _compute(self, record_id: str, data: str | None) -> str | None:
        """The stored form of a record's features, computed now (none stored, or stale)."""
        if not data:
            return None
        try:
            features = encode(orjson.loads(data), record_id)
        except FAILURES as exc:
            # A partner's copy in a shape of its own must not stop screening against the
            # rest of the list; the record is left out and the log says which.
            log.warning("registro %s fuera de la lista de vigilancia: %s", record_id, exc)
            return None
        self.computed += 1
        return features

    def _file(self, hashes: Array, at: Array) -> None:
        """File new (hash, position) pairs: sorted into the arrays, or kept aside if few."""
        if len(hashes) + self._recent_count < _MERGE_AT and len(self._hashes):
            for h, p in zip(hashes.tolist(), at.tolist(), strict=True):
                self._recent.setdefault(h, []).append(p)
            self._recent_count += len(hashes)
            return
        parts_h = [self._hashes, hashes]
        parts_p = [self._positions, at.astype(np.int32)]
        for h, ps in self._recent.items():
            parts_h.append(np.full(len(ps), h, dtype=np.int64))
            parts_p.append(np.array(ps, dtype=np.int32))
        all_h = np.concatenate(parts_h)
        all_p = np.concatenate(parts_p)
        # Not stable: the positions under one key are read as a set (``np.unique``).
        order = np.argsort(all_h)
        self._hashes = all_h[order]
        self._positions = all_p[order]
        self._recent = {}
        self._recent_count = 0

    def _append(self, pending: _Pending) -> None:
        """Append the queued entries' columns (room to spare: a refresh that adds a record
        must not copy a million codes)."""
        if not pending.count:
            return
        end = self.size + pending.count
        self.record_of = _extend(self.record_of, _joined(pending.record_of, np.int32), end)
        self.rule_of = _extend(self.rule_of, _joined(pending.rule_of, np.int32), end)
        self.alive = _extend(self.alive, np.ones(pending.count, np.bool_), end)
        for c in FEATURE_COLUMNS:
            self.codes[c] = _extend(self.codes[c], _joined(pending.codes[c], np.int64), end)
        for c, width in TYPO_WIDTH.items():
            held = np.frombuffer(b"".join(pending.chars[c]), np.uint8).reshape(-1, width)
            self.chars[c] = _extend(self.chars[c], held, end)
            self.lengths[c] = _extend(self.lengths[c], _joined(pending.lengths[c], np.int16), end)
        self.size = end
        self.live += pending.count

    def _drop(self, record_id: str) -> None:
        start = self.by_record.pop(record_id, None)
        if start is None:
            return
        number = self.record_of[start]
        position = start
        # A record's entries are consecutive; the next record's start ends them.
        while position < self.size and self.record_of[position] == number:
            if not self.alive[position]:
                break
            for c in TF_COLUMNS:
                held = int(self.codes[c][position])
                if self.values[c][held]:
                    self.counts[c][held] -= 1
            # Blocks keep the stale position; positions() skips dead entries.
            self.alive[position] = False
            self.live -= 1
            position += 1


class _Pending:
    """Entries read in one refresh, column by column, until they are appended at once."""

    def __init__(self) -> None:
        self.count = 0
        self.record_of: list[Array] = []
        self.rule_of: list[Array] = []
        self.codes: dict[str, list[Array]] = {c: [] for c in FEATURE_COLUMNS}
        self.chars: dict[str, list[bytes]] = {c: [] for c in TYPO_WIDTH}
        self.lengths: dict[str, list[Array]] = {c: [] for c in TYPO_WIDTH}
        self.hashes: list[Array] = []
        self.at: list[Array] = []

    def add(
        self,
        index: WatchIndex,
        ids: list[str],
        versions: list[int],
        rule_ids: list[int],
        per_record: list[list[list[Any]]],
    ) -> None:
        """Queue the entries of ``ids`` (their ways' values in ``FEATURE_COLUMNS`` order)."""
        sizes = np.fromiter(map(len, per_record), dtype=np.int64, count=len(per_record))
        entries = list(itertools.chain.from_iterable(per_record))
        n = len(entries)
        if not n:
            return
        first = index.size + self.count
        starts = first + np.cumsum(sizes) - sizes
        # A record without entries has no start: its "start" would be the next record's
        # first entry, and dropping it would drop that record instead.
        index.by_record.update(
            (i, s) for i, s, k in zip(ids, starts.tolist(), sizes.tolist(), strict=True) if k
        )
        numbers = np.arange(len(index.record_ids), len(index.record_ids) + len(ids))
        index.record_ids.extend(ids)
        index.record_versions.extend(versions)
        self.record_of.append(np.repeat(numbers, sizes))
        self.rule_of.append(np.repeat(np.asarray(rule_ids, dtype=np.int64), sizes))
        columns = dict(zip(FEATURE_COLUMNS, zip(*entries, strict=True), strict=True))
        coded: dict[str, tuple[Array, Array]] = {}
        for c, values in columns.items():
            if c in NUMERIC:
                codes = np.fromiter((v or 0 for v in values), dtype=np.int64, count=n)
            else:
                codes, there = coded[c] = codes_of(values)
                # One value per distinct code: a name held by many entries is kept once.
                distinct, at = np.unique(codes, return_index=True)
                index.values[c].update(
                    zip(distinct.tolist(), map(values.__getitem__, at.tolist()), strict=True)
                )
            self.codes[c].append(codes)
        for c in TF_COLUMNS:
            codes, there = coded[c]
            distinct, counts = np.unique(codes[there], return_counts=True)
            index.counts[c].update(dict(zip(distinct.tolist(), counts.tolist(), strict=True)))
        for c, width in TYPO_WIDTH.items():
            chars, lengths = typo_columns(columns[c], width)
            self.chars[c].append(chars)
            self.lengths[c].append(lengths)
        hashes, rows = key_hashes(columns, coded=coded)
        self.hashes.append(hashes)
        self.at.append(rows + first)
        self.count += n

    def blocks(self) -> tuple[Array, Array]:
        """Every (hash, position) pair queued."""
        return _joined(self.hashes, np.int64), _joined(self.at, np.int64)


def typo_columns(values: Sequence[str | None], width: int) -> tuple[bytes, Array]:
    """``ladders.as_bytes`` of many values: their bytes, joined, and their lengths (one
    NumPy conversion to fixed-width bytes instead of a call per value)."""
    lengths = [
        MISSING if v is None else (len(v) if len(v) <= width and v.isascii() else OTHER)
        for v in values
    ]
    kept = [v if 0 <= k <= width else "" for v, k in zip(values, lengths, strict=True)]
    chars = np.array(kept, dtype=f"S{width}") if kept else np.zeros(0, f"S{width}")
    return chars.tobytes(), np.array(lengths, dtype=np.int16)


def _joined(parts: list[Array], dtype: Any) -> Array:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype)


def _parse(stored: list[str]) -> list[list[list[Any]]] | None:
    """Stored features of many records in one parse (None: one of them is unreadable)."""
    try:
        parsed = orjson.loads("[" + ",".join(stored) + "]")
    except orjson.JSONDecodeError:
        return None
    width = len(FEATURE_COLUMNS)
    # One flat pass (a generator per record cost more than the check itself).
    if type(parsed) is not list or not all(type(ways_of) is list for ways_of in parsed):
        return None
    if not all(type(w) is list and len(w) == width for ways_of in parsed for w in ways_of):
        return None
    return parsed


def _data_of(session: Session, ids: list[str]) -> dict[str, str | None]:
    """The data of the current versions of ``ids`` (none for a redacted one)."""
    current = (RecordVersion.record_id == Record.id) & (RecordVersion.version == Record.version)
    out: dict[str, str | None] = {}
    for start in range(0, len(ids), 500):
        stmt = (
            select(Record.id, RecordVersion.data)
            .join(RecordVersion, current)
            .where(Record.id.in_(ids[start : start + 500]), RecordVersion.data.is_not(None))
        )
        out.update((record_id, data) for record_id, data in session.execute(stmt))
    return out


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


def _load_statement() -> Any:
    """Current records with their rules (one text) and their stored features of this
    revision, if any.

    Not their versions: a million probes into ``record_versions`` would double the load,
    and stored features never outlive their data (the trigger of migration 0006 deletes
    them when it is redacted). The data is read only for the records without features.
    """
    fresh = and_(
        RecordFeatures.record_id == Record.id,
        RecordFeatures.version == Record.version,
        RecordFeatures.revision == revision(),
    )
    return select(
        Record.id,
        Record.version,
        Record.kind,
        Record.deleted,
        RecordFeatures.features,
        _joined_rules(),
    ).outerjoin(RecordFeatures, fresh)


def _joined_rules() -> Any:
    """A record's rules as one text (``RULE_FIELDS`` joined by ``_SEP``)."""
    rules = [getattr(Record, name) for name in RULE_FIELDS]
    joined = rules[0]
    for column in rules[1:]:
        joined = joined + literal(_SEP) + column
    return joined


def _current() -> Any:
    """Current versions with their rules and data (what the index is a view of)."""
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
