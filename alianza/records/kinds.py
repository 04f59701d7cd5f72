"""What each kind of record holds, validated at every entry point.

``validate_data(kind, data)`` is the single gate: the API, the CLI, CSV and FtM imports
and messages from peers all pass through it. It refuses neutrality fields first
(INTERPOL Article 3), then unknown fields, then bad values, naming the offending field.

Every text field passes the one text gate (``alianza.codes.text``: NFC, no control
characters, bidi overrides, lone surrogates or invisible-only text; ``notes`` may hold
several lines), dates are ISO ``AAAA-MM-DD`` and plausible (``alianza.codes.dates``: a
birth or a seizure has happened, since 1900), and numbers are JSON numbers (``"12"`` and
``true`` are not).
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any

from normality import ascii_text
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alianza.codes.countries import normalize_country
from alianza.codes.dates import PastDate
from alianza.codes.identifiers import (
    DocumentType,
    normalize_container,
    normalize_document,
    normalize_imo,
    normalize_mmsi,
    normalize_plate,
)
from alianza.codes.problems import raise_validation
from alianza.codes.shape import check_depth
from alianza.codes.text import shown, text_problem
from alianza.errors import FieldProblem, InputError, NeutralityError
from alianza.records.rules import FreeText, Line, RecordKind

# A quantity: a JSON number (an integer is fine), never a text, a boolean or NaN.
Quantity = Annotated[float, Field(strict=True, ge=0, le=1_000_000, allow_inf_nan=False)]

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


# Words that make a field name a neutrality field wherever they stand in it
# ("politicalOpinion", "partido_politico", "creencias", "etnias"): a false alarm only
# turns an unknown field's refusal into a neutrality refusal.
NEUTRALITY_WORDS = frozenset(
    {
        *("political", "politics", "politica", "politico", "politicas", "politicos"),
        *("party", "parties", "partido", "partidos"),
        *("religion", "religions", "religious", "religiones", "religioso", "religiosa"),
        *("faith", "belief", "beliefs", "creencia", "creencias", "credo"),
        *("ethnicity", "ethnic", "etnia", "etnias", "etnico", "etnica", "etnicos"),
        *("race", "racial", "raza", "razas", "caste", "casta", "tribe", "tribu"),
        *("union", "unions", "sindicato", "sindicatos", "sindical", "sindicales"),
    }
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@lru_cache(maxsize=4096)
def _norm_key(key: str) -> str:
    # ASCII-fold first so that "política", "origen_étnico" or "RELIGIÓN" are caught too;
    # camelCase split so that "politicalOpinion" is "political_opinion".
    folded = _CAMEL.sub("_", ascii_text(key) or "")
    return folded.strip().lower().replace("-", "_").replace(" ", "_")


def is_neutrality_field(key: str) -> bool:
    """Whether a field name (any language, case or spelling) names forbidden data."""
    name = _norm_key(key)
    return name in NEUTRALITY_FIELDS or not NEUTRALITY_WORDS.isdisjoint(name.split("_"))


def check_neutrality(data: Any, *, prefix: str = "data") -> None:
    """Refuse political, religious, racial/ethnic or union data anywhere in ``data``."""
    check_depth(data, field=prefix)  # the walk below recurses once per level
    _neutral(data, prefix=prefix)


def _neutral(data: Any, *, prefix: str) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if is_neutrality_field(str(key)):
                where = f"{prefix}.{shown(key)}"
                raise NeutralityError(
                    f"{where}: la regla de neutralidad prohíbe guardar o compartir "
                    "opinión política, religión, origen étnico o afiliación sindical",
                    problems=[FieldProblem(where, "prohibido por neutralidad")],
                )
            _neutral(value, prefix=f"{prefix}.{key}")
    elif isinstance(data, list):
        for i, item in enumerate(data):
            _neutral(item, prefix=f"{prefix}.{i}")


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
    number: Line = Field(min_length=1, max_length=40)
    country: Line | None = None

    _country = field_validator("country")(classmethod(lambda cls, v: _country(v)))


class PersonData(_Data):
    category: PersonCategory
    given_names: Line = Field(min_length=1, max_length=120)
    surname_1: Line = Field(min_length=1, max_length=80)
    surname_2: Line | None = Field(default=None, max_length=80)
    birth_date: PastDate | None = None
    sex: Sex | None = None
    nationality: Line | None = None
    documents: list[IdentityDocument] = Field(default_factory=list, max_length=20)
    aliases: list[Annotated[Line, Field(min_length=1, max_length=120)]] = Field(
        default_factory=list, max_length=20
    )
    notes: FreeText | None = Field(default=None, max_length=2000)

    _nat = field_validator("nationality")(classmethod(lambda cls, v: _country(v)))


class DocumentStatus(StrEnum):
    STOLEN = "stolen"
    LOST = "lost"
    FORGED = "forged"


class DocumentData(_Data):
    status: DocumentStatus
    document_type: DocumentType
    number: Line = Field(min_length=1, max_length=40)
    issuing_country: Line
    holder_name: Line | None = Field(default=None, max_length=200)
    notes: FreeText | None = Field(default=None, max_length=2000)

    _ic = field_validator("issuing_country")(classmethod(lambda cls, v: _required_country(v)))


class VehicleData(_Data):
    plate: Line = Field(max_length=40)
    country: Line
    make: Line | None = Field(default=None, max_length=60)
    model: Line | None = Field(default=None, max_length=60)
    colour: Line | None = Field(default=None, max_length=40)
    status: Line = Field(default="watch", pattern="^(stolen|wanted|watch)$")
    notes: FreeText | None = Field(default=None, max_length=2000)

    _c = field_validator("country")(classmethod(lambda cls, v: _required_country(v)))


class VesselData(_Data):
    name: Line = Field(min_length=1, max_length=120)
    imo: Line | None = Field(default=None, max_length=40)
    mmsi: Line | None = Field(default=None, max_length=40)
    flag: Line | None = None
    vessel_type: Line | None = Field(default=None, max_length=60)
    notes: FreeText | None = Field(default=None, max_length=2000)

    _f = field_validator("flag")(classmethod(lambda cls, v: _country(v)))


class ContainerData(_Data):
    number: Line = Field(max_length=40)
    status: Line = Field(default="watch", pattern="^(watch|suspect|seized|cleared)$")
    last_port: Line | None = Field(default=None, max_length=80)
    notes: FreeText | None = Field(default=None, max_length=2000)


class OrganisationData(_Data):
    name: Line = Field(min_length=1, max_length=200)
    country: Line | None = None
    org_type: Line | None = Field(default=None, max_length=60)
    aliases: list[Annotated[Line, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=20
    )
    notes: FreeText | None = Field(default=None, max_length=2000)

    _c = field_validator("country")(classmethod(lambda cls, v: _country(v)))


class SeizureUnit(StrEnum):
    """Units of UNODC's Individual Drug Seizures: a mass, a volume, or a count."""

    KG = "kg"
    G = "g"
    L = "l"
    ML = "ml"
    UNITS = "units"


class TransportMode(StrEnum):
    SEA = "sea"
    AIR = "air"
    ROAD = "road"
    RAIL = "rail"
    MAIL = "mail"
    PEDESTRIAN = "pedestrian"
    OTHER = "other"


_TO_KG = {SeizureUnit.KG: 1.0, SeizureUnit.G: 0.001}
# UN/LOCODE: country (2 letters) and place (3 letters or digits 2-9).
_LOCODE = r"^[A-Z]{2}[A-Z2-9]{3}$"
RecordId = Annotated[
    str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]


class SeizureData(_Data):
    """A seizure as UNODC's Individual Drug Seizures (IDS) records one, plus its links.

    ``quantity_kg`` stays the one comparable figure (aggregates add it up): given, or
    derived from ``amount`` in kg or g; a seizure counted in units or litres gives
    ``amount`` and ``unit`` and no mass.
    """

    reference: Line = Field(min_length=1, max_length=60)
    date: PastDate
    country: Line  # where it was seized
    place: Line = Field(min_length=1, max_length=120)
    port: Line | None = Field(default=None, pattern=_LOCODE)
    latitude: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    longitude: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    substance: Line = Field(min_length=1, max_length=60)
    quantity_kg: Quantity | None = None
    amount: Quantity | None = None
    unit: SeizureUnit | None = None
    concealment: Line | None = Field(default=None, max_length=120)
    transport_mode: TransportMode | None = None
    producing_country: Line | None = None
    departure_country: Line | None = None
    destination_country: Line | None = None
    container: Line | None = Field(default=None, max_length=40)
    booking: Line | None = Field(default=None, min_length=3, max_length=40)
    vessel_imo: Line | None = Field(default=None, max_length=40)
    # Absent rather than empty, so a seizure written before these fields existed keeps
    # its canonical form (and its signed versions stay what they were).
    persons: list[RecordId] | None = Field(default=None, max_length=50)
    organisations: list[RecordId] | None = Field(default=None, max_length=50)
    notes: FreeText | None = Field(default=None, max_length=2000)

    _c = field_validator("country")(classmethod(lambda cls, v: _required_country(v)))
    _cs = field_validator("producing_country", "departure_country", "destination_country")(
        classmethod(lambda cls, v: _country(v))
    )

    @model_validator(mode="after")
    def _ids(self) -> SeizureData:
        if self.container:
            self.container = normalize_container(self.container, field="container")
        if self.vessel_imo:
            self.vessel_imo = normalize_imo(self.vessel_imo, field="vessel_imo")
        if self.booking:
            self.booking = self.booking.upper()
        if (self.latitude is None) != (self.longitude is None):
            raise InputError.at("latitude", "las coordenadas van juntas: latitud y longitud")
        if (self.amount is None) != (self.unit is None):
            raise InputError.at("amount", "la cantidad va con su unidad (amount y unit)")
        if self.quantity_kg is None:
            if self.unit is None:
                raise InputError.at("quantity_kg", "falta la cantidad: quantity_kg o amount y unit")
            if self.unit in _TO_KG and self.amount is not None:
                self.quantity_kg = round(self.amount * _TO_KG[self.unit], 6)
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
            "kind", f"tipo de registro desconocido '{shown(kind)}'; se admite: {allowed}"
        ) from None
    if not isinstance(data, dict):
        raise InputError.at("data", "se esperaba un objeto JSON")
    check_neutrality(data)
    for key in data:
        if not isinstance(key, str) or text_problem(key)[1] is not None:
            # Pydantic reports a bad key without its name; name it here, escaped.
            raise InputError.at(f"data.{shown(key)}", "nombre de campo no válido")
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
