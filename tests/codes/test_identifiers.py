"""Identifier validators: canonical form, wrong check digit and malformed input for each."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from alianza.codes.identifiers import (
    DocumentType,
    document_type_for_country,
    normalize_container,
    normalize_document,
    normalize_imo,
    normalize_mmsi,
    normalize_plate,
)
from alianza.errors import InputError

CHECKSUM = "dígito verificador incorrecto"


def _doc(doc_type: str) -> Callable[[str], str]:
    def normalize(number: str) -> str:
        return normalize_document(doc_type, number, field="data.number")

    return normalize


def _refused(normalize: Callable[[str], str], value: str) -> InputError:
    with pytest.raises(InputError) as info:
        normalize(value)
    err = info.value
    assert err.problems[0].field == "data.number"
    assert err.message.startswith("data.number: ")
    return err


@pytest.mark.parametrize(
    ("doc_type", "raw", "canonical"),
    [
        ("RUT_CL", "12.345.678-5", "12345678-5"),
        ("RUT_CL", "123456785", "12345678-5"),
        ("RUT_CL", "7.654.321-6", "7654321-6"),
        ("RUT_CL", "10.000.013-k", "10000013-K"),
        ("CI_EC", "1710034065", "1710034065"),
        ("CI_EC", "171003406-5", "1710034065"),
        ("DNI_PE", "12345678", "12345678"),
        ("DNI_PE", "04567890", "04567890"),
        ("DNI_PE", "12345678-1", "12345678"),  # 9th digit: the optional CUI check digit
        ("DNI_PE", "12345678E", "12345678"),
        ("CC_CO", "1.020.304.050", "1020304050"),
        ("CC_CO", "79845123", "79845123"),
        ("CI_VE", "V-12.345.678", "V12345678"),
        ("CI_VE", "e-81234567", "E81234567"),
        ("CI_VE", "12345678", "V12345678"),  # without a letter, a Venezuelan national
        ("PASSPORT", "ab 123456", "AB123456"),
        ("PASSPORT", "F12345678", "F12345678"),
        ("OTHER", "x-99", "X99"),
    ],
)
def test_valid_documents_are_normalised(doc_type: str, raw: str, canonical: str) -> None:
    assert _doc(doc_type)(raw) == canonical


@pytest.mark.parametrize(
    ("doc_type", "raw"),
    [
        ("RUT_CL", "12.345.678-4"),
        ("RUT_CL", "10000013-0"),
        ("CI_EC", "1710034066"),
        ("DNI_PE", "123456785"),
        ("DNI_PE", "12345678K"),
    ],
)
def test_wrong_check_digit_is_refused(doc_type: str, raw: str) -> None:
    err = _refused(_doc(doc_type), raw)
    assert CHECKSUM in err.problems[0].message
    assert raw in err.problems[0].message


@pytest.mark.parametrize(
    ("doc_type", "raw", "reason"),
    [
        ("RUT_CL", "12345", "largo incorrecto"),
        ("RUT_CL", "12.3A5.678-5", "formato incorrecto"),
        ("CI_EC", "171003406", "largo incorrecto"),
        ("CI_EC", "17100340AB", "formato incorrecto"),
        ("CI_EC", "2510034065", "componente inválido"),  # province 25 does not exist
        ("CI_EC", "1790034065", "componente inválido"),  # third digit above 6
        ("DNI_PE", "1234567", "largo incorrecto"),
        ("DNI_PE", "ABCDEFGH", "formato incorrecto"),
        ("CC_CO", "12", "formato inválido"),
        ("CC_CO", "12345678901", "formato inválido"),
        ("CC_CO", "12AB5678", "formato inválido"),
        ("CI_VE", "X12345678", "formato inválido"),
        ("CI_VE", "V1234", "formato inválido"),
        ("CI_VE", "V1234567890", "formato inválido"),
        ("PASSPORT", "A123", "formato inválido"),
        ("PASSPORT", "AB12345678", "formato inválido"),
        ("PASSPORT", "AB#12345", "formato inválido"),
    ],
)
def test_malformed_documents_are_refused(doc_type: str, raw: str, reason: str) -> None:
    err = _refused(_doc(doc_type), raw)
    assert reason in err.problems[0].message


def test_empty_document_number_is_refused() -> None:
    err = _refused(_doc("RUT_CL"), "   ")
    assert err.problems[0].message == "número de documento vacío"


def test_unknown_document_type_names_the_allowed_ones() -> None:
    err = _refused(_doc("DNI"), "12345678")
    assert err.problems[0].message.startswith("tipo de documento desconocido 'DNI'")
    for doc_type in DocumentType:
        assert doc_type.value in err.problems[0].message


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("cl", DocumentType.RUT_CL),
        ("EC", DocumentType.CI_EC),
        ("PE", DocumentType.DNI_PE),
        ("CO", DocumentType.CC_CO),
        ("VE", DocumentType.CI_VE),
        ("AR", DocumentType.OTHER),
        (None, DocumentType.OTHER),
    ],
)
def test_document_type_for_country(country: str | None, expected: DocumentType) -> None:
    assert document_type_for_country(country) is expected


# --- vessels, containers, plates --------------------------------------------------------


def _field(normalize: Callable[..., str]) -> Callable[[str], str]:
    def call(value: str) -> str:
        return normalize(value, field="data.number")

    return call


@pytest.mark.parametrize(
    ("normalize", "raw", "canonical"),
    [
        (normalize_imo, "IMO 9074729", "9074729"),
        (normalize_imo, "9176187", "9176187"),
        (normalize_mmsi, "735 000 001", "735000001"),
        (normalize_mmsi, "725-123-456", "725123456"),
        (normalize_mmsi, "636012345", "636012345"),
        (normalize_container, "CSQU3054383", "CSQU3054383"),
        (normalize_container, "csqu 305438 3", "CSQU3054383"),
        (normalize_container, "MSCU1234566", "MSCU1234566"),
        (normalize_plate, "BC-DF-12", "BCDF12"),
        (normalize_plate, "pba-1234", "PBA1234"),
        (normalize_plate, "AB 1234", "AB1234"),
    ],
)
def test_valid_identifiers_are_normalised(
    normalize: Callable[..., str], raw: str, canonical: str
) -> None:
    assert _field(normalize)(raw) == canonical


@pytest.mark.parametrize(
    ("normalize", "raw"),
    [
        (normalize_imo, "9074728"),
        (normalize_imo, "IMO 9176188"),
        (normalize_container, "CSQU3054384"),
        (normalize_container, "MSCU1234567"),
    ],
)
def test_identifier_with_wrong_check_digit_is_refused(
    normalize: Callable[..., str], raw: str
) -> None:
    err = _refused(_field(normalize), raw)
    assert CHECKSUM in err.problems[0].message


@pytest.mark.parametrize(
    ("normalize", "raw", "reason"),
    [
        (normalize_imo, "907472", "largo incorrecto"),
        (normalize_imo, "90747X9", "formato incorrecto"),
        (normalize_mmsi, "73500001", "debe tener 9 dígitos"),
        (normalize_mmsi, "73500000A", "debe tener 9 dígitos"),
        (normalize_mmsi, "835000001", "MID de 2 a 7"),
        (normalize_mmsi, "135000001", "MID de 2 a 7"),
        (normalize_container, "CSQU305438", "largo incorrecto"),
        (normalize_container, "CSQX3054383", "formato incorrecto"),
        (normalize_plate, "AB", "patente/placa inválida"),
        (normalize_plate, "ABC_123", "patente/placa inválida"),
        (normalize_plate, "ABCDEFGHIJK", "patente/placa inválida"),
    ],
)
def test_malformed_identifiers_are_refused(
    normalize: Callable[..., str], raw: str, reason: str
) -> None:
    err = _refused(_field(normalize), raw)
    assert reason in err.problems[0].message
    assert raw in err.problems[0].message
