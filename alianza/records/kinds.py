"""What each kind of record holds, validated at every entry point.

``validate_data(kind, data)`` is the single gate: the API, the CLI, CSV and FtM imports
and (later) messages from peers all pass through it. It refuses neutrality fields first
(INTERPOL Article 3), then unknown fields, then bad values, naming the offending field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any

from normality import ascii_text
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alianza.errors import FieldProblem, InputError, NeutralityError
from alianza.records.countries import normalize_country
from alianza.records.identifiers import (
    DocumentType,
    normalize_container,
    normalize_document,
    normalize_imo,
    normalize_mmsi,
    normalize_plate,
)
from alianza.records.rules import RecordKind

# Field names (any language we receive) that carry data the neutrality rule forbids.
NEUTRALITY_FIELDS = frozenset(
    {
        "political",
        "politics",
        "political_opinion",
        "political_party",
        "party",
        "religion",
        "religious",
        "religious_belief",
        "faith",
        "belief",
        "ethnicity",
        "ethnic_group",
        "ethnic_origin",
        "race",
        "racial_origin",
        "union",
        "union_membership",
        "trade_union",
        "caste",
        "tribe",
        "politica",
        "opinion_politica",
        "partido",
        "afiliacion_politica",
        "religion_es",
        "creencia",
        "etnia",
        "raza",
        "origen_etnico",
        "sindicato",
        "afiliacion_sindical",
    }
)


@lru_cache(maxsize=4096)
def _norm_key(key: str) -> str:
    # ASCII-fold first so that "política", "origen_étnico" or "RELIGIÓN" are caught too.
    folded = ascii_text(key) or ""
    return folded.strip().lower().replace("-", "_").replace(" ", "_")


def check_neutrality(data: Any, *, prefix: str = "data") -> None:
    """Refuse political, religious, racial/ethnic or union data anywhere in ``data``."""
    if isinstance(data, dict):
        for key, value in data.items():
            if _norm_key(str(key)) in NEUTRALITY_FIELDS:
                raise NeutralityError(
                    f"{prefix}.{key}: la regla de neutralidad prohíbe guardar o compartir "
                    "opinión política, religión, origen étnico o afiliación sindical",
                    problems=[FieldProblem(f"{prefix}.{key}", "prohibido por neutralidad")],
                )
            check_neutrality(value, prefix=f"{prefix}.{key}")
    elif isinstance(data, list):
        for i, item in enumerate(data):
            check_neutrality(item, prefix=f"{prefix}.{i}")


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _country(value: str | None) -> str | None:
    return normalize_country(value) if value else None


def _required_country(value: str) -> str:
    if not value:
        raise ValueError("falta el país (ISO 3166 alfa-2)")
    return normalize_country(value)


class PersonCategory(StrEnum):
    WANTED = "wanted"
    MISSING = "missing"
    SUSPECT = "suspect"
    WATCH = "watch"


class Sex(StrEnum):
    M = "M"
    F = "F"
    X = "X"


class IdentityDocument(_Data):
    type: DocumentType
    number: str = Field(min_length=1, max_length=40)
    country: str | None = None

    _country = field_validator("country")(classmethod(lambda cls, v: _country(v)))


class PersonData(_Data):
    category: PersonCategory
    given_names: str = Field(min_length=1, max_length=120)
    surname_1: str = Field(min_length=1, max_length=80)
    surname_2: str | None = Field(default=None, max_length=80)
    birth_date: date | None = None
    sex: Sex | None = None
    nationality: str | None = None
    documents: list[IdentityDocument] = Field(default_factory=list, max_length=20)
    aliases: list[str] = Field(default_factory=list, max_length=20)
    notes: str | None = Field(default=None, max_length=2000)

    _nat = field_validator("nationality")(classmethod(lambda cls, v: _country(v)))


class DocumentStatus(StrEnum):
    STOLEN = "stolen"
    LOST = "lost"
    FORGED = "forged"


class DocumentData(_Data):
    status: DocumentStatus
    document_type: DocumentType
    number: str = Field(min_length=1, max_length=40)
    issuing_country: str
    holder_name: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=2000)

    _ic = field_validator("issuing_country")(classmethod(lambda cls, v: _required_country(v)))


class VehicleData(_Data):
    plate: str
    country: str
    make: str | None = Field(default=None, max_length=60)
    model: str | None = Field(default=None, max_length=60)
    colour: str | None = Field(default=None, max_length=40)
    status: str = Field(default="watch", pattern="^(stolen|wanted|watch)$")
    notes: str | None = Field(default=None, max_length=2000)

    _c = field_validator("country")(classmethod(lambda cls, v: _required_country(v)))


class VesselData(_Data):
    name: str = Field(min_length=1, max_length=120)
    imo: str | None = None
    mmsi: str | None = None
    flag: str | None = None
    vessel_type: str | None = Field(default=None, max_length=60)
    notes: str | None = Field(default=None, max_length=2000)

    _f = field_validator("flag")(classmethod(lambda cls, v: _country(v)))


class ContainerData(_Data):
    number: str
    status: str = Field(default="watch", pattern="^(watch|suspect|seized|cleared)$")
    last_port: str | None = Field(default=None, max_length=80)
    notes: str | None = Field(default=None, max_length=2000)


class OrganisationData(_Data):
    name: str = Field(min_length=1, max_length=200)
    country: str | None = None
    org_type: str | None = Field(default=None, max_length=60)
    aliases: list[str] = Field(default_factory=list, max_length=20)
    notes: str | None = Field(default=None, max_length=2000)

    _c = field_validator("country")(classmethod(lambda cls, v: _country(v)))


class SeizureData(_Data):
    reference: str = Field(min_length=1, max_length=60)
    date: date
    country: str
    place: str = Field(min_length=1, max_length=120)
    substance: str = Field(min_length=1, max_length=60)
    quantity_kg: float = Field(ge=0, le=1_000_000)
    container: str | None = None
    vessel_imo: str | None = None
    notes: str | None = Field(default=None, max_length=2000)

    _c = field_validator("country")(classmethod(lambda cls, v: _required_country(v)))

    @model_validator(mode="after")
    def _ids(self) -> SeizureData:
        if self.container:
            self.container = normalize_container(self.container, field="container")
        if self.vessel_imo:
            self.vessel_imo = normalize_imo(self.vessel_imo, field="vessel_imo")
        return self


MODELS: dict[RecordKind, type[_Data]] = {
    RecordKind.PERSON: PersonData,
    RecordKind.DOCUMENT: DocumentData,
    RecordKind.VEHICLE: VehicleData,
    RecordKind.VESSEL: VesselData,
    RecordKind.CONTAINER: ContainerData,
    RecordKind.ORGANISATION: OrganisationData,
    RecordKind.SEIZURE: SeizureData,
}

_MESSAGES = {
    "missing": "falta este campo obligatorio",
    "extra_forbidden": "campo desconocido",
    "date_from_datetime_parsing": "fecha inválida (use AAAA-MM-DD)",
    "date_parsing": "fecha inválida (use AAAA-MM-DD)",
    "date_from_datetime_inexact": "fecha inválida (use AAAA-MM-DD)",
    "string_too_short": "texto vacío o demasiado corto",
    "string_too_long": "texto demasiado largo",
    "string_type": "se esperaba un texto",
    "float_parsing": "se esperaba un número",
    "too_long": "demasiados elementos",
    "json_invalid": "JSON mal formado",
    "model_attributes_type": "se esperaba un objeto JSON",
    "dict_type": "se esperaba un objeto JSON",
    "int_parsing": "se esperaba un número entero",
    "greater_than_equal": "valor demasiado pequeño",
    "less_than_equal": "valor demasiado grande",
}


def problems_from_validation(exc: ValidationError, *, prefix: str) -> list[FieldProblem]:
    """Pydantic errors as Spanish field problems (``prefix.field.sub``)."""
    return problems_from_errors(list(exc.errors()), prefix=prefix)


def problems_from_errors(errors: Sequence[Any], *, prefix: str) -> list[FieldProblem]:
    """Pydantic-style error dicts (also FastAPI's) as Spanish field problems."""
    problems = []
    for err in errors:
        loc = ".".join(str(p) for p in (prefix, *err["loc"]) if str(p))
        kind = err["type"]
        if kind == "enum":
            expected = err.get("ctx", {}).get("expected", "")
            message = f"valor desconocido '{err.get('input')}'; se admite: {expected}"
        elif kind == "string_pattern_mismatch":
            pattern = str(err.get("ctx", {}).get("pattern", "")).strip("^$()")
            message = f"valor no permitido '{err.get('input')}'; se admite: {pattern}"
        elif kind in ("value_error", "assertion_error"):
            message = str(err.get("ctx", {}).get("error", err["msg"]))
        else:
            message = _MESSAGES.get(kind, err["msg"])
        problems.append(FieldProblem(loc, message))
    return problems


def raise_validation(exc: ValidationError, *, prefix: str) -> InputError:
    """An ``InputError`` whose message names every offending field."""
    problems = problems_from_validation(exc, prefix=prefix)
    message = "; ".join(f"{p.field}: {p.message}" for p in problems)
    return InputError(message, problems=problems)


def _normalise_ids(kind: RecordKind, model: _Data) -> None:
    # Identifier checks run after the shape is known, so errors name the exact field.
    if isinstance(model, PersonData):
        for i, doc in enumerate(model.documents):
            doc.number = normalize_document(
                doc.type, doc.number, field=f"data.documents.{i}.number"
            )
    elif isinstance(model, DocumentData):
        model.number = normalize_document(model.document_type, model.number, field="data.number")
    elif isinstance(model, VehicleData):
        model.plate = normalize_plate(model.plate, field="data.plate")
    elif isinstance(model, VesselData):
        if not (model.imo or model.mmsi):
            raise InputError.at("data.imo", "un buque necesita número IMO o MMSI")
        if model.imo:
            model.imo = normalize_imo(model.imo, field="data.imo")
        if model.mmsi:
            model.mmsi = normalize_mmsi(model.mmsi, field="data.mmsi")
    elif isinstance(model, ContainerData):
        model.number = normalize_container(model.number, field="data.number")


def validate_data(kind: RecordKind | str, data: Any) -> dict[str, Any]:
    """Validate and normalise a record's data; return its canonical JSON-ready form."""
    try:
        record_kind = RecordKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in RecordKind)
        raise InputError.at(
            "kind", f"tipo de registro desconocido '{kind}'; se admite: {allowed}"
        ) from None
    if not isinstance(data, dict):
        raise InputError.at("data", "se esperaba un objeto JSON")
    check_neutrality(data)
    try:
        model = MODELS[record_kind].model_validate(data)
    except ValidationError as exc:
        raise raise_validation(exc, prefix="data") from None
    except InputError as exc:
        raise InputError(
            f"data.{exc.message}",
            problems=[FieldProblem(f"data.{p.field}", p.message) for p in exc.problems],
        ) from None
    _normalise_ids(record_kind, model)
    return model.model_dump(mode="json", exclude_none=True)
