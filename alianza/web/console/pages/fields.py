"""Form fields named as the person sees them: a service or an API model names a field
``reason`` or ``--sheet``; the console's error names the form's field (``motivo``,
``versión de la hoja``), so the person knows which box to correct. Nothing is changed
when a field is wrong: the error is raised before the service writes, or rolls the
request's transaction back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel

from alianza.codes.text import text_problem
from alianza.errors import FieldProblem, InputError
from alianza.web.console.session import form, validated

M = TypeVar("M", bound=BaseModel)


@contextmanager
def named(labels: dict[str, str]) -> Iterator[None]:
    """Re-raise an ``InputError`` with its fields named by ``labels`` (unknown ones kept)."""
    try:
        yield
    except InputError as exc:
        problems = [FieldProblem(_label(p.field, labels), p.message) for p in exc.problems] or [
            FieldProblem("formulario", exc.message)
        ]
        message = "; ".join(f"{p.field}: {p.message}" for p in problems)
        raise InputError(message, problems=problems) from None


def _label(field: str, labels: dict[str, str]) -> str:
    head = field.split(".", 1)[0]
    return labels.get(field, labels.get(head, field))


def checked(model: type[M], data: dict[str, Any], labels: dict[str, str]) -> M:
    """``data`` checked by the API's own model for the same act, its problems named by
    the form's fields."""
    with named(labels):
        return validated(model, data)


async def posted(
    request: Request, labels: dict[str, str], *, multiline: frozenset[str] = frozenset()
) -> dict[str, str]:
    """A POSTed form (its CSRF token checked) with every box's text cleaned by the
    project's one text gate (``codes.text``: control characters, bidi overrides,
    invisible-only text refused, naming the box; NFC): some of the services behind these
    pages take reasons and names as given."""
    fields = await form(request)
    problems = []
    for name, value in fields.items():
        cleaned, problem = text_problem(value, multiline=name in multiline)
        if problem is not None:
            problems.append(FieldProblem(labels.get(name, name), problem))
        fields[name] = cleaned
    if problems:
        message = "; ".join(f"{p.field}: {p.message}" for p in problems)
        raise InputError(message, problems=problems)
    return fields


def blank_to_none(value: str | None) -> str | None:
    """A form's empty box as no value."""
    text = (value or "").strip()
    return text or None
