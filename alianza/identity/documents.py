"""Document numbers as evidence for the linker: checked, normalised, never a crash.

The check digits and formats live in :mod:`alianza.codes.identifiers` (python-stdnum for
Chile RUT, Ecuador cédula, Peru DNI/CUI and ISO 6346 containers). There a bad number is an
``InputError`` because a record must not be stored with it; here the same failure becomes
``DocumentCheck(valid=False, reason=...)`` because a number with a typo written by another
registry is still worth comparing. Only an unknown *document type* raises: that is a schema
error in the caller, not evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alianza.codes.identifiers import DocumentType, normalize_container, normalize_document
from alianza.errors import InputError

# The six national documents the linker knows, plus OTHER because records imported from
# FtM carry it for countries without a known national ID (document_type_for_country).
DOCUMENT_TYPES = frozenset(t.value for t in DocumentType)

_SEPARATORS = re.compile(r"[\s.\-/]")
_VE_PREFIXED = re.compile(r"^[VE](\d+)$")
_FIELD = "number"


@dataclass(slots=True, frozen=True)
class DocumentCheck:
    """Outcome of checking one document number.

    ``number`` is the canonical form when ``valid``; otherwise a best-effort compact,
    upper-case form that can still be compared. ``reason`` is Spanish, empty when valid.
    """

    type: str
    number: str
    valid: bool
    reason: str = ""


def check_document(document_type: str, number: str | None) -> DocumentCheck:
    """Check and normalise ``number`` as a ``document_type`` (e.g. ``"RUT_CL"``).

    Never raises for a bad number. Raises ``InputError`` naming ``document_type`` when the
    type is not one of :data:`DOCUMENT_TYPES` (an empty type is allowed: the number is then
    kept compact and reported as unverifiable).
    """
    kind = (document_type or "").strip().upper()
    if kind and kind not in DOCUMENT_TYPES:
        allowed = ", ".join(sorted(DOCUMENT_TYPES))
        raise InputError.at(
            "document_type",
            f"tipo de documento desconocido '{document_type}'; se admite: {allowed}",
        )
    raw = (number or "").strip()
    if not raw:
        return DocumentCheck(type="", number="", valid=False, reason="número de documento vacío")
    if not kind:
        return DocumentCheck(
            type="",
            number=_compact(raw),
            valid=False,
            reason="tipo de documento no indicado; no se puede verificar",
        )
    try:
        canonical = normalize_document(kind, raw, field=_FIELD)
    except InputError as exc:
        return DocumentCheck(
            type=kind, number=_best_effort(kind, raw), valid=False, reason=_reason(exc)
        )
    return DocumentCheck(type=kind, number=canonical, valid=True)


def check_container(number: str | None) -> DocumentCheck:
    """Check an ISO 6346 container number (e.g. ``CSQU3054383``) into a DocumentCheck.

    Type is ``"CONTAINER"`` (``""`` when the number is empty); never raises.
    """
    raw = (number or "").strip()
    if not raw:
        return DocumentCheck(type="", number="", valid=False, reason="número de contenedor vacío")
    try:
        canonical = normalize_container(raw, field=_FIELD)
    except InputError as exc:
        return DocumentCheck(
            type="CONTAINER", number=_compact(raw), valid=False, reason=_reason(exc)
        )
    return DocumentCheck(type="CONTAINER", number=canonical, valid=True)


def document_key(check: DocumentCheck) -> str:
    """A comparison key: the number without the RUT/CUI check digit or the VE V/E prefix.

    So ``12.345.678-5`` and ``12345678`` (check digit dropped by a foreign registry) give
    the same key, as do ``V-12345678`` and ``12345678``. The type is not part of the key:
    compare ``check.type`` separately where a mislabelled type should not match.

    A RUT written without a dash is ambiguous: it is taken as carrying its check digit
    when it verifies (``123456785``) and as the bare body when it does not. One bare body
    in eleven happens to verify with its last digit as check digit and then loses it.
    """
    number = check.number
    if check.type == DocumentType.RUT_CL:
        body, dash, _ = number.partition("-")
        # A valid RUT is always canonical with its dash; without one, a failed check
        # most likely means the check digit was dropped, so the whole number is the body.
        return body if dash else number
    if check.type == DocumentType.DNI_PE:
        # Valid DNIs are already reduced to their 8 digits; a 9th character is the CUI
        # check digit of a number that failed it.
        return number[:8] if len(number) == 9 else number
    if check.type == DocumentType.CI_EC:
        # The 10th digit is the check digit: registries that drop it keep the other nine.
        return number[:9] if len(number) == 10 else number
    if check.type == DocumentType.CI_VE:
        match = _VE_PREFIXED.match(number)
        return match.group(1) if match else number
    return number


def _compact(raw: str) -> str:
    return _SEPARATORS.sub("", raw).upper()


def _best_effort(kind: str, raw: str) -> str:
    compact = _compact(raw)
    # A RUT keeps its check digit apart when the writer marked it (dash) or it is a 'K',
    # so document_key can drop it even though it does not verify.
    marked = "-" in raw.strip()[-3:] or compact.endswith("K")
    if kind == DocumentType.RUT_CL and len(compact) > 1 and marked:
        return f"{compact[:-1]}-{compact[-1]}"
    return compact


def _reason(exc: InputError) -> str:
    # The problem message, without the "number: " prefix InputError.at puts in str(exc).
    return exc.problems[0].message if exc.problems else exc.message
