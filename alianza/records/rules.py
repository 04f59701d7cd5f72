"""The rules that travel with every record (Europol SIENA handling codes, 4x4 grading).

A record's rules are stored on every version and enforced in code: who may see it
(scope), what it may be used for (handling code, purpose, legal basis), how reliable it
is (evaluation grade), and when a person must look at it again (review date).

``Rules`` validates rules wherever they come from, a partner's old versions included, so
it cannot refuse a review date in the past (a version written in 2025 legitimately says
2026-01-01). A local write must also call ``check_local_write`` (or validate with
``context=LOCAL_WRITE``), which refuses a review date already past.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from alianza.codes.countries import normalize_country
from alianza.codes.dates import IsoDate, not_past
from alianza.codes.text import gate_line, gate_multiline
from alianza.errors import InputError

# One-line text and free text of several lines, through the one text gate.
Line = Annotated[str, BeforeValidator(gate_line)]
FreeText = Annotated[str, BeforeValidator(gate_multiline)]

# Validation context of a local write: ``Rules.model_validate(data, context=LOCAL_WRITE)``.
LOCAL_WRITE = {"alianza.write": "local"}


class RecordKind(StrEnum):
    PERSON = "person"
    DOCUMENT = "document"
    VEHICLE = "vehicle"
    VESSEL = "vessel"
    CONTAINER = "container"
    ORGANISATION = "organisation"
    SEIZURE = "seizure"


KIND_VALUES = frozenset(k.value for k in RecordKind)


class HandlingCode(StrEnum):
    H0 = "H0"  # use only to prevent or fight crime
    H1 = "H1"  # not for judicial proceedings without the owner's permission
    H2 = "H2"  # no further dissemination without the owner's permission
    H3 = "H3"  # other restrictions, stated in handling_note


class SourceGrade(StrEnum):
    A = "A"  # no doubt about the source's reliability
    B = "B"  # source mostly reliable
    C = "C"  # source mostly not reliable
    X = "X"  # reliability cannot be judged


class InfoGrade(StrEnum):
    I1 = "1"  # known to be true without reservation
    I2 = "2"  # known personally to the source, not to the official passing it on
    I3 = "3"  # not known personally to the source, corroborated
    I4 = "4"  # not known personally to the source, cannot be corroborated


class Scope(StrEnum):
    AGENCY = "agency"  # only the owning agency
    COUNTRY = "country"  # every agency of the owning country
    PARTNERS = "partners"  # the owning country and the named partner countries
    MEMBERS = "members"  # every member of the alliance


class Discoverable(StrEnum):
    """Who may learn by hit/no-hit that a record exists (Prüm's step 1), never its fields."""

    NONE = "none"  # nobody beyond those who receive it (its scope)
    PARTNERS = "partners"  # also the named partner countries (discoverable_countries)
    MEMBERS = "members"  # every member of the alliance


def discoverable_floor(scope: Scope, countries: Sequence[str]) -> tuple[Discoverable, list[str]]:
    """The narrowest discoverability a scope allows: whoever receives a record may find it."""
    if scope is Scope.MEMBERS:
        return Discoverable.MEMBERS, []
    if scope is Scope.PARTNERS:
        return Discoverable.PARTNERS, sorted(countries)
    return Discoverable.NONE, []


def widen_discoverable(
    wanted: Discoverable, countries: Sequence[str], *, scope: Scope, scope_countries: Sequence[str]
) -> tuple[Discoverable, list[str]]:
    """``wanted`` widened, where needed, to cover ``scope`` (a default, or after a consent)."""
    floor, floor_countries = discoverable_floor(scope, scope_countries)
    order = list(Discoverable)
    if order.index(wanted) < order.index(floor):
        return floor, floor_countries
    if wanted is Discoverable.PARTNERS:
        return wanted, sorted(set(countries) | set(floor_countries))
    return wanted, []


def scope_text(countries: Sequence[str] | None) -> str:
    """Partner countries as stored on a record: ``",EC,PE,"`` (one LIKE finds a country)."""
    return f",{','.join(countries)}," if countries else ""


class Rules(BaseModel):
    """Rules of one record version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    handling_code: HandlingCode = HandlingCode.H0
    handling_note: FreeText | None = Field(default=None, max_length=500)
    source_grade: SourceGrade = SourceGrade.X
    info_grade: InfoGrade = InfoGrade.I4
    purpose: Line = Field(min_length=3, max_length=200)
    legal_basis: Line = Field(min_length=3, max_length=300)
    scope: Scope = Scope.AGENCY
    scope_countries: list[Line] = Field(default_factory=list, max_length=20)
    # None: the node's default for the record's kind (``Settings.discoverable``), widened
    # to cover the scope. Versions written before discoverability existed carry none.
    discoverable: Discoverable | None = None
    discoverable_countries: list[Line] = Field(default_factory=list, max_length=20)
    review_date: IsoDate | None = None

    @field_validator("scope_countries", "discoverable_countries")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        return sorted({normalize_country(c) for c in value})

    @field_validator("review_date")
    @classmethod
    def _review(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is not None and _is_local(info.context):
            not_past(value)
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Rules:
        if self.handling_code is HandlingCode.H3 and not (self.handling_note or "").strip():
            raise ValueError("H3 exige handling_note con la restricción en texto")
        if self.scope is Scope.PARTNERS and not self.scope_countries:
            raise ValueError("el alcance 'partners' exige al menos un país en scope_countries")
        if self.scope is not Scope.PARTNERS and self.scope_countries:
            raise ValueError("scope_countries solo se usa con el alcance 'partners'")
        found = self.discoverable
        if found is Discoverable.PARTNERS and not self.discoverable_countries:
            raise ValueError(
                "'discoverable: partners' exige al menos un país en discoverable_countries"
            )
        if found is not Discoverable.PARTNERS and self.discoverable_countries:
            raise ValueError("discoverable_countries solo se usa con 'discoverable: partners'")
        if found is not None:
            wide, countries = widen_discoverable(
                found,
                self.discoverable_countries,
                scope=self.scope,
                scope_countries=self.scope_countries,
            )
            if (wide, countries) != (found, self.discoverable_countries):
                raise ValueError(
                    "discoverable no puede ser más estrecho que el alcance: quien recibe el "
                    f"registro también puede encontrarlo (use '{wide.value}'"
                    + (f" con {', '.join(countries)}" if countries else "")
                    + ")"
                )
        return self


def _is_local(context: Any) -> bool:
    return isinstance(context, dict) and context.get("alianza.write") == "local"


def check_local_write(rules: Rules, *, today: date | None = None) -> Rules:
    """``rules`` if this node may write them now: a review date, if set, is not past.

    Only for local writes (create, update, import, renew): a partner's version keeps the
    review date it was written with.
    """
    check_review_date(rules.review_date, today=today)
    return rules


def check_review_date(
    value: date | None, *, today: date | None = None, field: str = "rules.review_date"
) -> None:
    """Refuse a review date in the past (``InputError`` naming ``field``)."""
    if value is None:
        return
    try:
        not_past(value, today=today)
    except ValueError as exc:
        raise InputError.at(field, str(exc)) from None
