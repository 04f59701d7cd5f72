"""``validate_data``: the single gate every record's data passes, for each of the seven kinds."""

from __future__ import annotations

from typing import Any

import pytest

from alianza.errors import InputError, NeutralityError
from alianza.records.kinds import validate_data
from alianza.records.rules import RecordKind

# One valid record of each kind, as a user might type it, and its canonical form.
VALID: dict[RecordKind, tuple[dict[str, Any], dict[str, Any]]] = {
    RecordKind.PERSON: (
        {
            "category": "suspect",
            "given_names": "  María José ",
            "surname_1": "de la Cruz",
            "surname_2": "Peña",
            "birth_date": "1987-03-14",
            "sex": "F",
            "nationality": "ec",
            "documents": [
                {"type": "CI_EC", "number": "171003406-5", "country": "ec"},
                {"type": "RUT_CL", "number": "12.345.678-5"},
            ],
            "aliases": ["La Flaca"],
        },
        {
            "category": "suspect",
            "given_names": "María José",
            "surname_1": "de la Cruz",
            "surname_2": "Peña",
            "birth_date": "1987-03-14",
            "sex": "F",
            "nationality": "EC",
            "documents": [
                {"type": "CI_EC", "number": "1710034065", "country": "EC"},
                {"type": "RUT_CL", "number": "12345678-5"},
            ],
            "aliases": ["La Flaca"],
        },
    ),
    RecordKind.DOCUMENT: (
        {
            "status": "stolen",
            "document_type": "CI_VE",
            "number": "v-12.345.678",
            "issuing_country": "ve",
            "holder_name": "Yoselin Colmenares Muñoz",
        },
        {
            "status": "stolen",
            "document_type": "CI_VE",
            "number": "V12345678",
            "issuing_country": "VE",
            "holder_name": "Yoselin Colmenares Muñoz",
        },
    ),
    RecordKind.VEHICLE: (
        {"plate": "bc-df-12", "country": "cl", "make": "Toyota", "model": "Hilux"},
        {"plate": "BCDF12", "country": "CL", "make": "Toyota", "model": "Hilux", "status": "watch"},
    ),
    RecordKind.VESSEL: (
        {"name": "Virgen del Cisne II", "imo": "IMO 9074729", "mmsi": "735 000 001", "flag": "ec"},
        {"name": "Virgen del Cisne II", "imo": "9074729", "mmsi": "735000001", "flag": "EC"},
    ),
    RecordKind.CONTAINER: (
        {"number": "csqu 305438 3", "status": "suspect", "last_port": "Guayaquil"},
        {"number": "CSQU3054383", "status": "suspect", "last_port": "Guayaquil"},
    ),
    RecordKind.ORGANISATION: (
        {"name": "Los Choneros", "country": "ec", "aliases": ["Choneros"]},
        {"name": "Los Choneros", "country": "EC", "aliases": ["Choneros"]},
    ),
    RecordKind.SEIZURE: (
        {
            "reference": "EC-GYE-2024-000123",
            "date": "2024-05-02",
            "country": "ec",
            "place": "Puerto de Guayaquil",
            "substance": "cocaína",
            "quantity_kg": 1250.5,
            "container": "CSQU 305438 3",
            "vessel_imo": "IMO 9074729",
        },
        {
            "reference": "EC-GYE-2024-000123",
            "date": "2024-05-02",
            "country": "EC",
            "place": "Puerto de Guayaquil",
            "substance": "cocaína",
            "quantity_kg": 1250.5,
            "container": "CSQU3054383",
            "vessel_imo": "9074729",
        },
    ),
}

# A field each kind requires.
REQUIRED = {
    RecordKind.PERSON: "category",
    RecordKind.DOCUMENT: "issuing_country",
    RecordKind.VEHICLE: "plate",
    RecordKind.VESSEL: "name",
    RecordKind.CONTAINER: "number",
    RecordKind.ORGANISATION: "name",
    RecordKind.SEIZURE: "substance",
}

# A field of each kind with a closed set of values: a wrong value, words of the answer.
CLOSED = {
    RecordKind.PERSON: ("sex", "Q", ["'M'", "'F'", "'X'"]),
    RecordKind.DOCUMENT: ("status", "robado", ["'stolen'", "'lost'", "'forged'"]),
    RecordKind.VEHICLE: ("status", "gone", ["stolen|wanted|watch"]),
    RecordKind.VESSEL: ("flag", "XX", ["país desconocido 'XX'"]),
    RecordKind.CONTAINER: ("status", "open", ["watch|suspect|seized|cleared"]),
    RecordKind.ORGANISATION: ("country", "Ecuador", ["país desconocido 'Ecuador'"]),
    RecordKind.SEIZURE: ("country", "XX", ["país desconocido 'XX'"]),
}


def _data(kind: RecordKind, **changes: Any) -> dict[str, Any]:
    data = dict(VALID[kind][0])
    data.update(changes)
    return data


def _refused(kind: RecordKind | str, data: Any) -> InputError:
    with pytest.raises(InputError) as info:
        validate_data(kind, data)
    return info.value


@pytest.mark.parametrize("kind", list(RecordKind))
def test_valid_data_is_normalised(kind: RecordKind) -> None:
    raw, canonical = VALID[kind]
    assert validate_data(kind, raw) == canonical
    assert validate_data(kind.value, canonical) == canonical  # idempotent


@pytest.mark.parametrize("kind", list(RecordKind))
def test_unknown_field_is_refused_by_name(kind: RecordKind) -> None:
    err = _refused(kind, _data(kind, apodo_secreto="x"))
    assert type(err) is InputError
    assert err.problems[0].field == "data.apodo_secreto"
    assert err.problems[0].message == "campo desconocido"


@pytest.mark.parametrize("kind", list(RecordKind))
def test_value_outside_allowed_set_is_refused(kind: RecordKind) -> None:
    field, value, allowed = CLOSED[kind]
    err = _refused(kind, _data(kind, **{field: value}))
    assert err.problems[0].field == f"data.{field}"
    assert f"'{value}'" in err.problems[0].message
    for word in allowed:
        assert word in err.problems[0].message
    assert err.message.startswith(f"data.{field}: ")


def test_unknown_category_lists_every_category() -> None:
    err = _refused(RecordKind.PERSON, _data(RecordKind.PERSON, category="boss"))
    assert err.problems[0].field == "data.category"
    assert err.problems[0].message.startswith("valor desconocido 'boss'; se admite: ")
    for value in ("wanted", "missing", "suspect", "watch"):
        assert f"'{value}'" in err.problems[0].message


def test_unknown_document_type_inside_person_names_the_nested_field() -> None:
    docs = [{"type": "DNI", "number": "12345678"}]
    err = _refused(RecordKind.PERSON, _data(RecordKind.PERSON, documents=docs))
    assert err.problems[0].field == "data.documents.0.type"
    assert "'RUT_CL'" in err.problems[0].message


@pytest.mark.parametrize("kind", list(RecordKind))
@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"religion": "católica"}, "data.religion"),
        ({"etnia": "mestiza"}, "data.etnia"),
        ({"Afiliación-Sindical": "sí"}, "data.Afiliación-Sindical"),
        ({"notes": {"political": "izquierda"}}, "data.notes.political"),
        ({"aliases": [{"Religión": "x"}]}, "data.aliases.0.Religión"),
    ],
)
def test_neutrality_fields_are_refused(kind: RecordKind, extra: dict[str, Any], field: str) -> None:
    err = _refused(kind, _data(kind, **extra))
    assert isinstance(err, NeutralityError)
    assert err.problems[0].field == field
    assert err.problems[0].message == "prohibido por neutralidad"


def test_neutrality_is_checked_inside_documents() -> None:
    docs = [{"type": "PASSPORT", "number": "AB123456", "raza": "x"}]
    err = _refused(RecordKind.PERSON, _data(RecordKind.PERSON, documents=docs))
    assert isinstance(err, NeutralityError)
    assert err.problems[0].field == "data.documents.0.raza"


@pytest.mark.parametrize("kind", list(RecordKind))
def test_missing_required_field_is_named(kind: RecordKind) -> None:
    data = _data(kind)
    del data[REQUIRED[kind]]
    err = _refused(kind, data)
    assert err.problems[0].field == f"data.{REQUIRED[kind]}"
    assert err.problems[0].message == "falta este campo obligatorio"


@pytest.mark.parametrize(
    ("kind", "changes", "field", "words"),
    [
        (RecordKind.PERSON, {"birth_date": "1987-02-30"}, "data.birth_date", "AAAA-MM-DD"),
        (RecordKind.PERSON, {"given_names": "   "}, "data.given_names", "vacío"),
        (
            RecordKind.PERSON,
            {"documents": [{"type": "RUT_CL", "number": "12.345.678-4"}]},
            "data.documents.0.number",
            "dígito verificador incorrecto",
        ),
        (
            RecordKind.DOCUMENT,
            {"number": "1710034066", "document_type": "CI_EC"},
            "data.number",
            "dígito verificador incorrecto",
        ),
        (RecordKind.VEHICLE, {"plate": "A"}, "data.plate", "patente/placa inválida"),
        (RecordKind.VESSEL, {"imo": "9074728"}, "data.imo", "dígito verificador incorrecto"),
        (RecordKind.VESSEL, {"mmsi": "835000001"}, "data.mmsi", "MID de 2 a 7"),
        (RecordKind.CONTAINER, {"number": "CSQU3054384"}, "data.number", "dígito verificador"),
        (RecordKind.SEIZURE, {"container": "CSQU3054384"}, "data.container", "ISO 6346"),
        (RecordKind.SEIZURE, {"vessel_imo": "9074728"}, "data.vessel_imo", "IMO"),
        (RecordKind.SEIZURE, {"quantity_kg": -1}, "data.quantity_kg", "pequeño"),
        (RecordKind.SEIZURE, {"quantity_kg": "mucho"}, "data.quantity_kg", "número"),
    ],
)
def test_bad_values_are_refused_by_field(
    kind: RecordKind, changes: dict[str, Any], field: str, words: str
) -> None:
    err = _refused(kind, _data(kind, **changes))
    assert err.problems[0].field == field
    assert words in err.problems[0].message
    assert err.message.startswith(f"{field}: ")


def test_vessel_needs_imo_or_mmsi() -> None:
    err = _refused(RecordKind.VESSEL, {"name": "Don Lucho"})
    assert err.problems[0].field == "data.imo"
    assert err.problems[0].message == "un buque necesita número IMO o MMSI"
    assert validate_data(RecordKind.VESSEL, {"name": "Don Lucho", "mmsi": "725123456"}) == {
        "name": "Don Lucho",
        "mmsi": "725123456",
    }


def test_unknown_kind_and_non_object_data_are_refused() -> None:
    err = _refused("barco", {})
    assert err.problems[0].field == "kind"
    assert "person" in err.problems[0].message
    err = _refused(RecordKind.PERSON, ["no", "es", "objeto"])
    assert err.problems[0].field == "data"


# --- bugs found by the generator's tests (each failed before its fix) ---------------------


@pytest.mark.parametrize("key", ["política", "origen_étnico", "opinión_política"])
def test_accented_neutrality_keys_are_neutrality_errors(key: str) -> None:
    """Keys with í/é escaped the neutrality check (only "ó" was folded)."""
    err = _refused(RecordKind.PERSON, _data(RecordKind.PERSON, **{key: "x"}))
    assert isinstance(err, NeutralityError)


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        (RecordKind.VEHICLE, "country"),
        (RecordKind.DOCUMENT, "issuing_country"),
        (RecordKind.SEIZURE, "country"),
    ],
)
def test_required_country_cannot_be_empty(kind: RecordKind, field: str) -> None:
    err = _refused(kind, _data(kind, **{field: ""}))
    assert err.problems[0].field == f"data.{field}"


# --- issue 9, C4: text, dates and numbers every entry point shares ------------------------

# Hostile texts and the words of their refusal (each was stored before the text gate).
HOSTILE = [
    ("Ana\x00", "U+0000"),
    ("Ana\u202eanA", "bidireccional"),
    ("\u200b\u200b", "visible"),
    ("\ufeff", "visible"),
    ("Ana\x07", "U+0007"),
    ("Ana\ud800", "sustituto"),
    ("x" + "\u0301" * 119, "marcas diacríticas"),
]


def _text_fields(kind: RecordKind) -> list[str]:
    """The plain text fields of a kind (enums, dates and numbers excluded)."""
    from alianza.records.kinds import MODELS

    fields = []
    for name, info in MODELS[kind].model_fields.items():
        hint = str(info.annotation)
        closed = ("Enum", "float", "SeizureUnit", "TransportMode")
        ids = ("status", "persons", "organisations")
        if "str" in hint and not any(w in hint for w in closed) and name not in ids:
            fields.append(name)
    return fields


@pytest.mark.parametrize("kind", list(RecordKind))
@pytest.mark.parametrize(("text", "words"), HOSTILE)
def test_every_text_field_passes_the_text_gate(kind: RecordKind, text: str, words: str) -> None:
    fields = _text_fields(kind)
    assert fields
    for field in fields:
        value: Any = [text] if field == "aliases" else text
        err = _refused(kind, _data(kind, **{field: value}))
        assert err.problems[0].field.startswith(f"data.{field}"), (field, err.message)
        assert words in err.problems[0].message, (field, err.message)
        err.message.encode("utf-8")


def test_newlines_only_in_notes() -> None:
    data = _data(RecordKind.PERSON, notes="Visto en Tulcán.\r\nVolvió a Ipiales.")
    assert validate_data(RecordKind.PERSON, data)["notes"] == "Visto en Tulcán.\nVolvió a Ipiales."
    err = _refused(RecordKind.PERSON, _data(RecordKind.PERSON, surname_1="Pérez\nSoto"))
    assert err.problems[0].field == "data.surname_1"


def test_text_is_nfc_normalised() -> None:
    clean = validate_data(RecordKind.PERSON, _data(RecordKind.PERSON, given_names="Jose\u0301"))
    assert clean["given_names"] == "José"


@pytest.mark.parametrize("birth", ["2999-01-01", "0001-01-01", "1899-12-31", 0, "0", "1987"])
def test_birth_date_must_be_a_plausible_iso_date(birth: object) -> None:
    err = _refused(RecordKind.PERSON, _data(RecordKind.PERSON, birth_date=birth))
    assert err.problems[0].field == "data.birth_date"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"date": "2999-01-01"}, "data.date", "futura"),
        ({"date": 0}, "data.date", "AAAA-MM-DD"),
        ({"quantity_kg": "12"}, "data.quantity_kg", "número"),
        ({"quantity_kg": True}, "data.quantity_kg", "número"),
        ({"quantity_kg": "1e3"}, "data.quantity_kg", "número"),
        ({"quantity_kg": float("nan")}, "data.quantity_kg", "finito"),
    ],
)
def test_seizure_date_has_happened_and_quantity_is_a_number(
    changes: dict[str, Any], field: str, words: str
) -> None:
    err = _refused(RecordKind.SEIZURE, _data(RecordKind.SEIZURE, **changes))
    assert err.problems[0].field == field
    assert words in err.problems[0].message


def test_integer_quantity_is_a_number() -> None:
    clean = validate_data(RecordKind.SEIZURE, _data(RecordKind.SEIZURE, quantity_kg=12))
    assert clean["quantity_kg"] == 12.0


# --- a seizure as UNODC's IDS records it (issue 12) ------------------------------------


def test_a_seizure_in_grams_gets_its_mass_in_kg_and_one_in_units_keeps_only_the_count() -> None:
    base = {k: v for k, v in _data(RecordKind.SEIZURE).items() if k != "quantity_kg"}
    grams = validate_data(RecordKind.SEIZURE, {**base, "amount": 2500, "unit": "g"})
    assert grams["quantity_kg"] == 2.5 and grams["unit"] == "g"
    pills = validate_data(RecordKind.SEIZURE, {**base, "amount": 4000, "unit": "units"})
    assert "quantity_kg" not in pills and pills["amount"] == 4000


def test_a_seizure_written_before_the_ids_fields_keeps_its_canonical_form() -> None:
    raw, canonical = VALID[RecordKind.SEIZURE]
    assert set(validate_data(RecordKind.SEIZURE, raw)) == set(canonical)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"quantity_kg": None}, "data.quantity_kg", "falta la cantidad"),
        ({"amount": 3}, "data.amount", "unidad"),
        ({"amount": 3, "unit": "toneladas"}, "data.unit", "kg"),
        ({"latitude": -2.2}, "data.latitude", "longitud"),
        ({"latitude": 95, "longitude": 0}, "data.latitude", "grande"),
        ({"port": "Guayaquil"}, "data.port", "[A-Z]"),
        ({"transport_mode": "barco"}, "data.transport_mode", "sea"),
        ({"destination_country": "XX"}, "data.destination_country", "XX"),
        ({"persons": ["no-es-un-id"]}, "data.persons.0", "[0-9a-f]"),
    ],
)
def test_ids_fields_are_checked_by_name(changes: dict[str, Any], field: str, words: str) -> None:
    data = {k: v for k, v in _data(RecordKind.SEIZURE, **changes).items() if v is not None}
    err = _refused(RecordKind.SEIZURE, data)
    assert err.problems[0].field == field, err.problems
    assert words in err.problems[0].message


def test_data_nested_too_deep_is_refused_not_a_recursion_error() -> None:
    deep: Any = "x"
    for _ in range(5000):
        deep = [deep]
    err = _refused(RecordKind.PERSON, _data(RecordKind.PERSON, notes=deep))
    assert "anidado" in err.message


def test_surrogate_kind_and_key_are_echoed_escaped() -> None:
    err = _refused("\ud800", {})
    assert "\\ud800" in err.message
    err.message.encode("utf-8")
    err = _refused(RecordKind.PERSON, _data(RecordKind.PERSON, **{"\ud800": "x"}))
    assert err.problems[0].field == "data.\\ud800"


# --- the rules: the same text gate; the past review date is a local write's check --------


def test_rules_text_goes_through_the_gate() -> None:
    from pydantic import ValidationError

    from alianza.records.rules import Rules

    for field in ("purpose", "legal_basis"):
        with pytest.raises(ValidationError, match="U\\+202E"):
            Rules.model_validate({"purpose": "abc", "legal_basis": "Ley 1", field: "a\u202ebcd"})
    with pytest.raises(ValidationError, match="AAAA-MM-DD"):
        Rules.model_validate({"purpose": "abc", "legal_basis": "Ley 1", "review_date": 0})
    note = Rules(purpose="abc", legal_basis="Ley 1", handling_code="H3", handling_note="a\nb")
    assert note.handling_note == "a\nb"


def test_past_review_date_is_refused_only_for_local_writes() -> None:
    from datetime import date

    from pydantic import ValidationError

    from alianza.records.rules import LOCAL_WRITE, Rules, check_local_write

    old = {"purpose": "abc", "legal_basis": "Ley 1", "review_date": "1900-01-01"}
    partners = Rules.model_validate(old)  # a partner's old version keeps its date
    assert partners.review_date == date(1900, 1, 1)
    with pytest.raises(InputError) as info:
        check_local_write(partners)
    assert info.value.problems[0].field == "rules.review_date"
    with pytest.raises(ValidationError, match="pasada"):
        Rules.model_validate(old, context=LOCAL_WRITE)
    fine = Rules.model_validate({**old, "review_date": "2999-01-01"}, context=LOCAL_WRITE)
    assert check_local_write(fine) is fine
    assert check_local_write(Rules(purpose="abc", legal_basis="Ley 1")).review_date is None


@pytest.mark.parametrize("key", ["politicalOpinion", "partido_politico", "creencias", "etnias"])
def test_neutrality_words_anywhere_in_a_key(key: str) -> None:
    """Issue 9, D3: a partner's spellings escaped the list of whole field names."""
    err = _refused(RecordKind.PERSON, _data(RecordKind.PERSON, **{key: "x"}))
    assert isinstance(err, NeutralityError)


def test_no_field_of_ours_looks_like_a_neutrality_field() -> None:
    from alianza.records.csvio import COLUMNS
    from alianza.records.kinds import is_neutrality_field

    assert [c for c in COLUMNS if is_neutrality_field(c)] == []
