"""check_document / check_container / document_key: evidence, never a crash."""

from __future__ import annotations

import dataclasses

import pytest
from stdnum import iso6346
from stdnum.cl import rut
from stdnum.ec import ci as ec_ci
from stdnum.pe import cui

from alianza.errors import InputError
from alianza.identity.documents import (
    DOCUMENT_TYPES,
    DocumentCheck,
    check_container,
    check_document,
    document_key,
)

CHECKSUM = "dígito verificador incorrecto"


def _wrong(check: str) -> str:
    """A check character that is not ``check``."""
    return "1" if check != "1" else "2"


def _ec_cedula(prefix: str) -> str:
    """A valid Ecuadorian cédula: stdnum has no calc_check_digit, so find the one it accepts."""
    (number,) = [prefix + str(d) for d in range(10) if ec_ci.is_valid(prefix + str(d))]
    return number


def _rut_body_with_k() -> str:
    return next(
        str(b) for b in range(10_000_000, 10_001_000) if rut.calc_check_digit(str(b)) == "K"
    )


def test_rut_valid_in_every_writing() -> None:
    check = rut.calc_check_digit("12345678")
    for raw in (f"12.345.678-{check}", f"12345678-{check}", f" 12345678{check} "):
        assert check_document("RUT_CL", raw) == DocumentCheck("RUT_CL", f"12345678-{check}", True)
    body = _rut_body_with_k()
    assert check_document("rut_cl", f"{body}-k") == DocumentCheck("RUT_CL", f"{body}-K", True)


def test_rut_wrong_check_digit_is_evidence() -> None:
    wrong = _wrong(rut.calc_check_digit("12345678"))
    result = check_document("RUT_CL", f"12.345.678-{wrong}")
    assert result.type == "RUT_CL"
    assert not result.valid
    assert CHECKSUM in result.reason
    assert result.number == f"12345678-{wrong}"
    assert document_key(result) == "12345678"


def test_rut_without_check_digit_matches_the_full_rut() -> None:
    full = check_document("RUT_CL", f"12.345.678-{rut.calc_check_digit('12345678')}")
    bare = check_document("RUT_CL", "12345678")
    assert full.valid
    assert not bare.valid
    assert bare.number == "12345678"
    assert document_key(full) == document_key(bare) == "12345678"


def test_rut_malformed() -> None:
    result = check_document("RUT_CL", "12.AB5.678-9")
    assert not result.valid
    assert result.number == "12AB5678-9"
    assert result.reason


def test_ecuador_cedula() -> None:
    valid = _ec_cedula("171430710")
    assert check_document("CI_EC", f"{valid[:9]}-{valid[9]}") == DocumentCheck("CI_EC", valid, True)
    bad = valid[:9] + str((int(valid[9]) + 1) % 10)
    result = check_document("CI_EC", bad)
    assert (result.type, result.number, result.valid) == ("CI_EC", bad, False)
    assert CHECKSUM in result.reason
    short = check_document("CI_EC", valid[:9])
    assert not short.valid
    assert "largo incorrecto" in short.reason
    # The key leaves the check digit out, so a registry that dropped it still agrees.
    assert document_key(check_document("CI_EC", valid)) == valid[:9]
    assert document_key(short) == document_key(check_document("CI_EC", valid))


def test_peru_dni_with_and_without_cui_check_digit() -> None:
    digits = cui.calc_check_digits("10117410")
    digit, letter = digits[0], digits[1]
    for raw in ("10117410", f"10117410-{digit}", f"10117410{letter.lower()}"):
        assert check_document("DNI_PE", raw) == DocumentCheck("DNI_PE", "10117410", True)
    wrong = "0" if digit != "0" else "1"
    result = check_document("DNI_PE", f"10117410-{wrong}")
    assert (result.number, result.valid) == (f"10117410{wrong}", False)
    assert CHECKSUM in result.reason
    assert document_key(result) == document_key(check_document("DNI_PE", "10117410"))
    assert not check_document("DNI_PE", "1011741").valid


def test_venezuela_prefix_and_key() -> None:
    national = check_document("CI_VE", "12.345.678")
    assert national == DocumentCheck("CI_VE", "V12345678", True)
    foreign = check_document("CI_VE", "e-84.123.456")
    assert foreign == DocumentCheck("CI_VE", "E84123456", True)
    assert document_key(national) == "12345678"
    assert document_key(foreign) == "84123456"
    bad = check_document("CI_VE", "X-12")
    assert (bad.number, bad.valid) == ("X12", False)
    assert "formato inválido" in bad.reason


def test_colombia_passport_and_other() -> None:
    assert check_document("CC_CO", "1.020.304.050") == DocumentCheck("CC_CO", "1020304050", True)
    assert not check_document("CC_CO", "12AB").valid
    assert check_document("PASSPORT", "l898902c3") == DocumentCheck("PASSPORT", "L898902C3", True)
    too_long = check_document("PASSPORT", "L898902C3X")
    assert (too_long.number, too_long.valid) == ("L898902C3X", False)
    assert check_document("OTHER", "ab-12") == DocumentCheck("OTHER", "AB12", True)


def test_empty_number_or_type() -> None:
    for empty in ("", "   ", None):
        result = check_document("RUT_CL", empty)
        assert (result.type, result.number, result.valid) == ("", "", False)
        assert result.reason == "número de documento vacío"
    untyped = check_document("", "12.345 678")
    assert (untyped.type, untyped.number, untyped.valid) == ("", "12345678", False)
    assert "tipo de documento no indicado" in untyped.reason


def test_unknown_type_is_a_schema_error() -> None:
    with pytest.raises(InputError) as info:
        check_document("DNI_AR", "12345678")
    assert info.value.problems[0].field == "document_type"
    assert "DNI_AR" in info.value.message


@pytest.mark.parametrize("document_type", sorted(DOCUMENT_TYPES))
@pytest.mark.parametrize("raw", ["x", "ñ", "--", "<<<", "0" * 100, "K", "-K", "V", "12-"])
def test_never_raises_for_bad_numbers(document_type: str, raw: str) -> None:
    result = check_document(document_type, raw)
    assert result.type == document_type
    assert result.valid == (result.reason == "")
    assert isinstance(document_key(result), str)


def test_check_is_frozen() -> None:
    result = check_document("CC_CO", "123456")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.valid = False  # type: ignore[misc]


def test_container() -> None:
    number = "CSQU305438" + iso6346.calc_check_digit("CSQU305438")
    assert check_container(f" {number[:4].lower()} {number[4:10]} {number[10]}") == DocumentCheck(
        "CONTAINER", number, True
    )
    bad = check_container(number[:10] + _wrong(number[10]))
    assert (bad.type, bad.valid) == ("CONTAINER", False)
    assert bad.number == number[:10] + _wrong(number[10])
    assert CHECKSUM in bad.reason
    assert check_container("") == DocumentCheck("", "", False, "número de contenedor vacío")
