"""Validation and normalisation of identifiers: national IDs, vessels, containers, plates.

python-stdnum does the check digits wherever it knows the identifier (Chile RUT, Ecuador
cédula, Peru CUI/DNI, IMO numbers, ISO 6346 containers). What it does not cover is
checked by format here, by hand, and says so: MMSI (no check digit exists; we check the
Maritime Identification Digits range), Colombian and Venezuelan cédulas (no check digit),
passport numbers (ICAO 9303 allows up to nine characters) and vehicle plates.
"""

from __future__ import annotations

import re
from enum import StrEnum

from stdnum import imo as std_imo
from stdnum import iso6346
from stdnum.cl import rut
from stdnum.ec import ci as ec_ci
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pe import cui as pe_cui

from alianza.errors import InputError


class DocumentType(StrEnum):
    RUT_CL = "RUT_CL"  # Chile: RUN/RUT, modulo-11 check digit
    CI_EC = "CI_EC"  # Ecuador: cédula de identidad, modulo-10 check digit
    DNI_PE = "DNI_PE"  # Peru: DNI (8 digits), optional CUI check digit
    CC_CO = "CC_CO"  # Colombia: cédula de ciudadanía, no check digit
    CI_VE = "CI_VE"  # Venezuela: cédula V- (national) or E- (foreigner), no check digit
    PASSPORT = "PASSPORT"
    OTHER = "OTHER"


_PASSPORT = re.compile(r"^[A-Z0-9]{5,9}$")
_OTHER = re.compile(r"^[A-Z0-9]{1,30}$")
_CC_CO = re.compile(r"^\d{3,10}$")
_CI_VE = re.compile(r"^([VE])?(\d{5,9})$")
_PLATE = re.compile(r"^[A-Z0-9]{3,10}$")
_MMSI = re.compile(r"^\d{9}$")
_SEPARATORS = re.compile(r"[\s.\-/]")


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", value).upper()


def normalize_document(doc_type: DocumentType | str, number: str, *, field: str) -> str:
    """Return the canonical form of a document number, or raise naming ``field``."""
    try:
        kind = DocumentType(doc_type)
    except ValueError:
        allowed = ", ".join(t.value for t in DocumentType)
        raise InputError.at(
            field, f"tipo de documento desconocido '{doc_type}'; se admite: {allowed}"
        ) from None
    raw = number.strip()
    if not raw:
        raise InputError.at(field, "número de documento vacío")
    try:
        if kind is DocumentType.RUT_CL:
            compact = rut.validate(raw)
            return f"{compact[:-1]}-{compact[-1]}"
        if kind is DocumentType.CI_EC:
            return str(ec_ci.validate(raw))
        if kind is DocumentType.DNI_PE:
            # The 8-digit DNI is the identifier; the 9th (CUI check) digit is optional.
            return str(pe_cui.validate(raw))[:8]
    except StdnumError as exc:
        raise InputError.at(
            field, f"número {kind.value} inválido '{raw}' ({_stdnum_reason(exc)})"
        ) from None
    compact = _compact(raw)
    if kind is DocumentType.CC_CO and _CC_CO.match(compact):
        return compact
    if kind is DocumentType.CI_VE:
        match = _CI_VE.match(compact)
        if match:
            return f"{match.group(1) or 'V'}{match.group(2)}"
    if kind is DocumentType.PASSPORT and _PASSPORT.match(compact):
        return compact
    if kind is DocumentType.OTHER and _OTHER.match(compact):
        return compact
    raise InputError.at(field, f"número {kind.value} con formato inválido '{raw}'")


def _stdnum_reason(exc: StdnumError) -> str:
    name = type(exc).__name__
    return {
        "InvalidChecksum": "dígito verificador incorrecto",
        "InvalidLength": "largo incorrecto",
        "InvalidFormat": "formato incorrecto",
        "InvalidComponent": "componente inválido",
    }.get(name, str(exc))


def normalize_imo(value: str, *, field: str) -> str:
    """IMO ship number with its check digit verified, as 7 digits."""
    try:
        return str(std_imo.validate(value))
    except StdnumError as exc:
        raise InputError.at(
            field, f"número IMO inválido '{value}' ({_stdnum_reason(exc)})"
        ) from None


def normalize_mmsi(value: str, *, field: str) -> str:
    """MMSI (ITU-R M.585): nine digits; a ship station starts with MID digits 2-7.

    Written by hand: python-stdnum has no MMSI and MMSI has no check digit.
    """
    compact = _compact(value)
    if not _MMSI.match(compact):
        raise InputError.at(field, f"MMSI inválido '{value}' (debe tener 9 dígitos)")
    if compact[0] not in "234567":
        raise InputError.at(
            field, f"MMSI inválido '{value}' (un buque empieza con un MID de 2 a 7)"
        )
    return compact


def normalize_container(value: str, *, field: str) -> str:
    """ISO 6346 container number with its check digit verified, e.g. ``CSQU3054383``."""
    try:
        return str(iso6346.validate(value))
    except StdnumError as exc:
        raise InputError.at(
            field, f"contenedor ISO 6346 inválido '{value}' ({_stdnum_reason(exc)})"
        ) from None


def normalize_plate(value: str, *, field: str) -> str:
    """Vehicle plate, upper case without separators (formats differ by country)."""
    compact = _compact(value)
    if not _PLATE.match(compact):
        raise InputError.at(field, f"patente/placa inválida '{value}'")
    return compact


def document_type_for_country(country: str | None) -> DocumentType:
    """The usual national identity document of a country (for FtM idNumber imports)."""
    return {
        "CL": DocumentType.RUT_CL,
        "EC": DocumentType.CI_EC,
        "PE": DocumentType.DNI_PE,
        "CO": DocumentType.CC_CO,
        "VE": DocumentType.CI_VE,
    }.get((country or "").upper(), DocumentType.OTHER)
