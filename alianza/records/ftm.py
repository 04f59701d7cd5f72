"""FollowTheMoney (FtM) entities as JSON lines: our exchange format with other tools.

Each record is one FtM entity (``followthemoney`` validates schema and property names).
What FtM has a property for travels as that property; what it has not (a container's
status, a seizure's substance, a person's typed documents) travels in ``alianza.extra``,
and the record's rules in ``alianza.rules``. Person surnames: FtM has no slots for the
two Hispanic surnames, so the first (paternal) surname goes to ``fatherName`` and the
second (maternal) to ``motherName``, and ``lastName`` holds both, as printed on an ID.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from followthemoney import model

from alianza.codes.identifiers import DocumentType, document_type_for_country
from alianza.codes.shape import loads
from alianza.codes.text import clean_text, shown
from alianza.errors import InputError, NeutralityError
from alianza.records.importer import ImportItem
from alianza.records.keys import name_tokens
from alianza.records.rules import KIND_VALUES, RecordKind
from alianza.records.service import RecordView

# (our field, FtM property) per kind; the first value of the property is used.
_PROPS: dict[RecordKind, tuple[str, list[tuple[str, str]]]] = {
    RecordKind.PERSON: (
        "Person",
        [
            ("given_names", "firstName"),
            ("surname_1", "fatherName"),
            ("surname_2", "motherName"),
            ("birth_date", "birthDate"),
            ("nationality", "nationality"),
            ("category", "classification"),
            ("notes", "notes"),
        ],
    ),
    RecordKind.DOCUMENT: (
        "Identification",
        [
            ("number", "number"),
            ("issuing_country", "country"),
            ("document_type", "type"),
            ("holder_name", "namesMentioned"),
            ("notes", "description"),
        ],
    ),
    RecordKind.VEHICLE: (
        "Vehicle",
        [
            ("plate", "registrationNumber"),
            ("country", "country"),
            ("model", "model"),
            ("notes", "notes"),
        ],
    ),
    RecordKind.VESSEL: (
        "Vessel",
        [
            ("name", "name"),
            ("imo", "imoNumber"),
            ("mmsi", "mmsi"),
            ("flag", "flag"),
            ("vessel_type", "type"),
            ("notes", "notes"),
        ],
    ),
    RecordKind.CONTAINER: ("Asset", [("number", "name"), ("notes", "notes")]),
    RecordKind.ORGANISATION: (
        "Organization",
        [
            ("name", "name"),
            ("country", "country"),
            ("org_type", "classification"),
            ("notes", "notes"),
        ],
    ),
    RecordKind.SEIZURE: (
        "Event",
        [
            ("reference", "name"),
            ("date", "date"),
            ("country", "country"),
            ("place", "address"),
            ("notes", "notes"),
        ],
    ),
}
_SCHEMA_KIND = {
    "Person": RecordKind.PERSON,
    "Identification": RecordKind.DOCUMENT,
    "Passport": RecordKind.DOCUMENT,
    "Vehicle": RecordKind.VEHICLE,
    "Vessel": RecordKind.VESSEL,
    "Asset": RecordKind.CONTAINER,
    "Organization": RecordKind.ORGANISATION,
    "Company": RecordKind.ORGANISATION,
    "LegalEntity": RecordKind.ORGANISATION,
    "Event": RecordKind.SEIZURE,
}
_NEUTRAL_PROPS = ("political", "religion", "ethnicity")
_SEX_OUT = {"M": "male", "F": "female", "X": "other"}
_SEX_IN = {v: k for k, v in _SEX_OUT.items()}
_UPPER = {"nationality", "issuing_country", "country", "flag"}
_PARTICLES = {"de", "del", "la", "las", "los", "y", "da", "van", "von", "san"}
# FtM properties of free text (several lines allowed); every other value is one line.
_FREE_TEXT = frozenset({"notes", "description", "summary"})
_MAX_ID = 200


def to_entity(view: RecordView) -> dict[str, Any]:
    """One record as an FtM entity dict (with our rules in ``alianza``)."""
    kind = RecordKind(view.record.kind)
    shown = view.as_dict()  # parsed once: data and rules
    data = dict(shown["data"])
    surnames = (data.get("surname_1"), data.get("surname_2"))
    schema, pairs = _PROPS[kind]
    props: dict[str, list[str]] = {}
    for ours, theirs in pairs:
        value = data.pop(ours, None)
        if value is not None and value != "":
            props[theirs] = [str(value).lower() if ours in _UPPER else str(value)]
    if kind is RecordKind.PERSON:
        full = " ".join(str(p) for p in surnames if p)
        props["lastName"] = [full]
        props["name"] = [view.record.label]
        if "sex" in data:
            props["gender"] = [_SEX_OUT[data.pop("sex")]]
        if data.get("aliases"):
            props["alias"] = list(data.pop("aliases"))
        docs = data.get("documents", [])
        if docs:
            props["idNumber"] = [d["number"] for d in docs if d["type"] != DocumentType.PASSPORT]
            props["passportNumber"] = [
                d["number"] for d in docs if d["type"] == DocumentType.PASSPORT
            ]
            props = {k: v for k, v in props.items() if v}
    if kind is RecordKind.ORGANISATION and data.get("aliases"):
        props["alias"] = list(data.pop("aliases"))
    if not data.get("aliases"):
        data.pop("aliases", None)
    proxy = model.make_entity(schema)
    proxy.id = view.record.id
    for prop, values in props.items():
        proxy.add(prop, values, cleaned=True)
    entity = proxy.to_dict()
    entity["alianza"] = {
        "kind": kind.value,
        "owner": {"country": view.record.owner_country, "agency": view.record.owner_agency},
        "version": view.record.version,
        "rules": shown["rules"],
        "extra": data,
    }
    return dict(entity)


def split_surnames(last_name: str) -> tuple[str, str | None]:
    """``González Pérez`` -> (González, Pérez); particles stay with the surname they lead."""
    words = last_name.split()
    units: list[str] = []
    pending: list[str] = []
    for word in words:
        pending.append(word)
        if word.lower() not in _PARTICLES:
            units.append(" ".join(pending))
            pending = []
    if pending:
        units.append(" ".join(pending))
    if not units:
        return last_name, None
    return units[0], (" ".join(units[1:]) or None)


def from_entity(entity: Any, *, where: str) -> ImportItem:
    """An FtM entity dict as an import item (errors name ``where`` and the property)."""
    if not isinstance(entity, dict):
        raise InputError.at(where, "se esperaba un objeto JSON (entidad FtM)")
    properties = entity.get("properties") or {}
    if not isinstance(properties, dict):
        raise InputError.at(f"{where}: properties", "se esperaba un objeto")
    for prop in _NEUTRAL_PROPS:
        if properties.get(prop):
            raise NeutralityError(
                f"{where}: properties.{prop}: la regla de neutralidad prohíbe este dato"
            )
    # FtM's own proxy normalises every value on load, which costs more than our whole
    # validation; we only need the schema, its property names and the raw values.
    schema_name = _text(entity.get("schema", ""), field=f"{where}: schema")
    schema = model.get(schema_name)
    if schema is None:
        raise InputError.at(f"{where}: schema", f"esquema FtM desconocido '{shown(schema_name)}'")
    clean: dict[str, list[str]] = {}
    for prop, values in properties.items():
        name = clean_text(prop, field=f"{where}: properties")
        if name not in schema.properties:
            raise InputError.at(
                f"{where}: properties.{shown(name)}", f"propiedad desconocida en {schema.name}"
            )
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InputError.at(f"{where}: properties.{name}", "se esperaba una lista de textos")
        field, multiline = f"{where}: properties.{name}", name in _FREE_TEXT
        clean[name] = [clean_text(v, field=field, multiline=multiline) for v in values]
    source_id = entity.get("id")
    if source_id is not None:
        source_id = _text(source_id, field=f"{where}: id") or None
        if source_id is not None and len(source_id) > _MAX_ID:
            raise InputError.at(f"{where}: id", f"más de {_MAX_ID} caracteres")
    proxy = _Values(schema.name, clean)
    block = entity.get("alianza") or {}
    if not isinstance(block, dict):
        raise InputError.at(f"{where}: alianza", "se esperaba un objeto")
    by_schema = _SCHEMA_KIND.get(schema.name)
    given_kind = block.get("kind")
    if given_kind:
        kind_text = _text(given_kind, field=f"{where}: alianza.kind")
        if kind_text not in KIND_VALUES:
            allowed = ", ".join(sorted(KIND_VALUES))
            raise InputError.at(
                f"{where}: alianza.kind",
                f"tipo de registro desconocido '{shown(kind_text)}'; se admite: {allowed}",
            )
    elif by_schema is not None:
        kind_text = by_schema.value
    else:
        raise InputError.at(f"{where}: schema", f"esquema FtM no admitido '{schema.name}'")
    kind = RecordKind(kind_text)
    extra = block.get("extra") or {}
    if not isinstance(extra, dict):
        raise InputError.at(f"{where}: alianza.extra", "se esperaba un objeto")
    data: dict[str, Any] = dict(extra)
    for ours, theirs in _PROPS[kind][1]:
        if theirs in schema.properties:
            value = proxy.first(theirs)
            if value:
                data[ours] = value.upper() if ours in _UPPER else value
    if kind is RecordKind.PERSON:
        _person_fields(proxy, data)
    if kind is RecordKind.DOCUMENT and schema.name == "Passport":
        data.setdefault("document_type", DocumentType.PASSPORT.value)
    if kind is RecordKind.ORGANISATION and proxy.get("alias"):
        data["aliases"] = proxy.get("alias")
    rules = block.get("rules") or {}
    if not isinstance(rules, dict):
        raise InputError.at(f"{where}: alianza.rules", "se esperaba un objeto")
    return ImportItem(where=where, kind=kind.value, data=data, rules=rules, source_id=source_id)


def _text(value: Any, *, field: str) -> str:
    """A one-line text through the text gate, or ``InputError`` naming ``field``."""
    if not isinstance(value, str):
        raise InputError.at(field, "se esperaba un texto")
    return clean_text(value, field=field)


class _Values:
    """Read access to an entity's raw property values (first value, all values)."""

    __slots__ = ("properties", "schema")

    def __init__(self, schema: str, properties: dict[str, list[str]]) -> None:
        self.schema = schema
        self.properties = properties

    def first(self, prop: str) -> str | None:
        values = self.properties.get(prop) or []
        return values[0].strip() or None if values else None

    def get(self, prop: str) -> list[str]:
        return [v for v in (self.properties.get(prop) or []) if v.strip()]


def _person_fields(proxy: _Values, data: dict[str, Any]) -> None:
    last_name = proxy.first("lastName")
    if "surname_1" not in data and last_name:
        first, second = split_surnames(last_name)
        data["surname_1"] = first
        if second:
            data["surname_2"] = second
    full_name = proxy.first("name")
    if "given_names" not in data and full_name and "surname_1" in data:
        # Only a full name: drop the surname words we know, keep the rest as given names.
        known = set(name_tokens(f"{data.get('surname_1', '')} {data.get('surname_2', '')}"))
        rest = [w for w in full_name.split() if (name_tokens(w) or [""])[0] not in known]
        if rest:
            data["given_names"] = " ".join(rest)
    gender = proxy.first("gender")
    if gender in _SEX_IN:
        data["sex"] = _SEX_IN[gender]
    if proxy.get("alias"):
        data["aliases"] = proxy.get("alias")
    if "documents" not in data:
        docs = [
            {"type": document_type_for_country(data.get("nationality")).value, "number": n}
            for n in proxy.get("idNumber")
        ]
        docs += [
            {"type": DocumentType.PASSPORT.value, "number": n} for n in proxy.get("passportNumber")
        ]
        if docs:
            data["documents"] = docs


def read_lines(lines: Iterable[str], *, start: int = 1) -> Iterator[ImportItem]:
    """Parse FtM JSON lines; blank lines are skipped, malformed ones stop with their number."""
    for number, line in enumerate(lines, start=start):
        if number == 1:
            line = line.removeprefix("\ufeff")  # a byte-order mark left by some editors
        if not line.strip():
            continue
        where = f"línea {number}"
        # Depth bounded before parsing: 5,000 nested brackets were a RecursionError (C2).
        yield from_entity(loads(line, field=where), where=where)


def write_lines(views: Iterable[RecordView]) -> Iterator[str]:
    """Records as FtM JSON lines."""
    for view in views:
        yield json.dumps(to_entity(view), ensure_ascii=False, sort_keys=True) + "\n"
