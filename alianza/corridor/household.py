"""The household file of a return case (``HOGAR.json``): the planner's household contract
with what casework needs to tell one person from another, checked whole; and the keys
that compare persons (document numbers as written on the document, folded names).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import Field, ValidationError

from alianza.codes.text import shown
from alianza.corridor import contract
from alianza.errors import InputError
from alianza.identity.names import fold

ADULT_AGE = 18


class CaseMember(contract.Member):
    """A member as the planner's contract has it, plus what casework needs to tell one
    person from another (all optional: a file for the planner alone is accepted)."""

    given_names: str = Field("", max_length=200)
    surname_1: str = Field("", max_length=200)
    surname_2: str | None = Field(None, max_length=200)
    document_number: str | None = Field(None, max_length=64)
    nationality: str | None = Field(None, max_length=2)


class CaseHousehold(contract.Household):
    members: list[CaseMember] = Field(min_length=1, max_length=64)  # type: ignore[assignment]


_DOCUMENT_JUNK = re.compile(r"[\s.\-/]")
_ALPHA2 = re.compile(r"[A-Z]{2}")


def normal_document(raw: str | None) -> str | None:
    """A document number compared as written on the document: upper case, without the
    spaces, dots, dashes and slashes forms add."""
    if raw is None:
        return None
    text = _DOCUMENT_JUNK.sub("", raw).upper()
    return text or None


def parse_household(raw: Any) -> CaseHousehold:
    """The household JSON checked whole; the first problem is an ``InputError`` naming the
    field by its path (``members[1] (m2).birth_date``)."""
    try:
        household = CaseHousehold.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = contract.error_location(tuple(error["loc"]), raw) if error["loc"] else "hogar"
        message = contract.ERROR_MESSAGES.get(error["type"], error["msg"])
        raise InputError.at(where, message) from None
    seen: set[str] = set()
    for j, member in enumerate(household.members):
        at = f"members[{j}] ({shown(member.id)})"
        if member.id in seen:
            raise InputError.at(at, "identificador repetido en el hogar")
        seen.add(member.id)
        if member.nationality is not None:
            code = member.nationality.strip().upper()
            if not _ALPHA2.fullmatch(code):
                raise InputError.at(f"{at}.nationality", "código de país ISO alfa-2 (p. ej. VE)")
            member.nationality = code
        if member.birth_date is not None and member.birth_date > date.today():
            raise InputError.at(f"{at}.birth_date", "la fecha de nacimiento está en el futuro")
    return household


def is_minor(birth: date | None, today: date) -> bool:
    if birth is None:
        return False
    years = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return years < ADULT_AGE


def name_key(given: str, surname_1: str, birth: date | None) -> tuple[str, str, date] | None:
    g, s = fold(given), fold(surname_1)
    if not g or not s or birth is None:
        return None
    return g, s, birth
