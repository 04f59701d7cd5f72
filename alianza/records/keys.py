"""Search keys and display labels of a record's data.

Keys are normalised strings stored in ``record_keys``: ``id:<ALNUM>`` for identifiers
(document numbers, plates, IMO, MMSI, containers, seizure references) and ``tok:<word>``
for words of names. The identity-matching issue brings fuzzy matching; these keys serve
exact, scoped lookups and hit/no-hit.
"""

from __future__ import annotations

import re
from typing import Any

from normality import ascii_text

from alianza.records.rules import RecordKind

_NON_ALNUM = re.compile(r"[^A-Z0-9]")
_WORD = re.compile(r"[a-z0-9]+")
# Particles carry no identity on their own ("de la Cruz" must not match every "de").
_STOP = frozenset({"de", "del", "la", "las", "los", "y", "e", "da", "do", "dos", "san"})


def compact_id(value: str) -> str:
    """Identifier without separators, upper case: ``12.345.678-5`` -> ``123456785``."""
    return _NON_ALNUM.sub("", (ascii_text(value) or "").upper())


def name_tokens(value: str) -> list[str]:
    """Lower-case ASCII words of a name, particles dropped: ``Peña de la Cruz`` -> ``pena cruz``."""
    text = (ascii_text(value) or "").lower()
    return [w for w in _WORD.findall(text) if w not in _STOP]


_ID_FIELDS: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.DOCUMENT: ("number",),
    RecordKind.VEHICLE: ("plate",),
    RecordKind.VESSEL: ("imo", "mmsi"),
    RecordKind.CONTAINER: ("number",),
    RecordKind.SEIZURE: ("reference", "container", "booking", "vessel_imo"),
}
_NAME_FIELDS: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.PERSON: ("given_names", "surname_1", "surname_2"),
    RecordKind.DOCUMENT: ("holder_name",),
    RecordKind.VESSEL: ("name",),
    RecordKind.ORGANISATION: ("name",),
}


def record_keys(kind: RecordKind, data: dict[str, Any]) -> set[str]:
    """Every search key of one record's data."""
    keys: set[str] = set()
    for name in _ID_FIELDS.get(kind, ()):
        if data.get(name):
            keys.add("id:" + compact_id(str(data[name])))
    for doc in data.get("documents", []) if kind is RecordKind.PERSON else []:
        keys.add("id:" + compact_id(doc["number"]))
    if kind is RecordKind.PERSON and data.get("birth_date"):
        keys.add("dob:" + str(data["birth_date"]))
    texts = [str(data[n]) for n in _NAME_FIELDS.get(kind, ()) if data.get(n)]
    texts.extend(str(a) for a in data.get("aliases", []))
    for text in texts:
        keys.update("tok:" + t for t in name_tokens(text))
    return {k[:200] for k in keys if len(k) > 4}


def query_keys(query: str) -> tuple[str, list[str]]:
    """The identifier key and the name-word keys a free-text query may match."""
    return "id:" + compact_id(query), ["tok:" + t for t in name_tokens(query)]


def label(kind: RecordKind, data: dict[str, Any]) -> str:
    """Short human label of a record (shown in lists, never used for matching)."""
    if kind is RecordKind.PERSON:
        parts = [data.get("given_names"), data.get("surname_1"), data.get("surname_2")]
        return " ".join(str(p) for p in parts if p)
    field = {
        RecordKind.DOCUMENT: "number",
        RecordKind.VEHICLE: "plate",
        RecordKind.VESSEL: "name",
        RecordKind.CONTAINER: "number",
        RecordKind.ORGANISATION: "name",
        RecordKind.SEIZURE: "reference",
    }[kind]
    return str(data.get(field, ""))[:300]
