"""Pydantic errors (ours and FastAPI's) as Spanish field problems, for every entry point.

Whatever the input held, a problem can be rendered: every echoed value and field name
goes through ``shown`` (escaped, cut short), and ``problem_body`` makes the whole body
encodable, so an error about hostile text never becomes an error of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from alianza.codes.text import safe, shown
from alianza.errors import AlianzaError, FieldProblem, InputError


@dataclass(slots=True, frozen=True)
class RowProblem:
    """One refused row of a file: the row as a spreadsheet numbers it (the header is row
    1), the field, the reason. Every file contract (registries, declarations, seizures)
    reports its bad rows with it."""

    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"fila {self.row}, {self.field}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason}


_MESSAGES = {
    "missing": "falta este campo obligatorio",
    "extra_forbidden": "campo desconocido",
    "date_from_datetime_parsing": "fecha inválida (use AAAA-MM-DD)",
    "date_parsing": "fecha inválida (use AAAA-MM-DD)",
    "date_from_datetime_inexact": "fecha inválida (use AAAA-MM-DD)",
    "date_type": "fecha inválida (use AAAA-MM-DD)",
    "string_too_short": "texto vacío o demasiado corto",
    "string_too_long": "texto demasiado largo",
    "string_type": "se esperaba un texto",
    "string_unicode": "texto con caracteres no válidos (sustitutos UTF-16 sueltos)",
    "float_parsing": "se esperaba un número",
    "float_type": "se esperaba un número (no un texto ni un valor lógico)",
    "finite_number": "se esperaba un número finito",
    "too_long": "demasiados elementos",
    "list_type": "se esperaba una lista",
    "json_invalid": "JSON mal formado",
    "model_attributes_type": "se esperaba un objeto JSON",
    "model_type": "se esperaba un objeto JSON",
    "dict_type": "se esperaba un objeto JSON",
    "int_parsing": "se esperaba un número entero",
    "int_type": "se esperaba un número entero",
    "int_parsing_size": "número entero demasiado grande",
    "bool_parsing": "se esperaba true o false",
    "bool_type": "se esperaba true o false",
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
        parts = (prefix, *err["loc"])
        loc = ".".join(
            shown(p, limit=80) if isinstance(p, str) else str(p) for p in parts if str(p)
        )
        kind = err["type"]
        if kind == "enum":
            expected = err.get("ctx", {}).get("expected", "")
            message = f"valor desconocido '{shown(err.get('input'))}'; se admite: {expected}"
        elif kind == "string_pattern_mismatch":
            pattern = str(err.get("ctx", {}).get("pattern", "")).strip("^$()")
            message = f"valor no permitido '{shown(err.get('input'))}'; se admite: {pattern}"
        elif kind in ("value_error", "assertion_error"):
            message = str(err.get("ctx", {}).get("error", err["msg"]))
        else:
            message = _MESSAGES.get(kind, err["msg"])
        problems.append(FieldProblem(loc, safe(message)))
    return problems


def raise_validation(exc: ValidationError, *, prefix: str) -> InputError:
    """An ``InputError`` whose message names every offending field."""
    problems = problems_from_validation(exc, prefix=prefix)
    message = "; ".join(f"{p.field}: {p.message}" for p in problems)
    return InputError(message, problems=problems)


def encodable(value: Any) -> Any:
    """``value`` (JSON-like) with every text made encodable as UTF-8 (surrogates escaped)."""
    if isinstance(value, str):
        return safe(value)
    if isinstance(value, dict):
        return {encodable(k): encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encodable(v) for v in value]
    return value


def problem_body(error: AlianzaError) -> dict[str, Any]:
    """The RFC 9457 body of ``error``, encodable whatever input its message echoes."""
    body: dict[str, Any] = encodable(error.to_problem())
    return body


def printable(error: AlianzaError) -> str:
    """The one line the CLI prints for ``error`` (encodable on any terminal that takes UTF-8)."""
    return safe(error.message)
