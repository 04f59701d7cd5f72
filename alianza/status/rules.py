"""Regularisation programmes as versioned rules: one TOML file per programme, each
parameter and condition citing its legal source.

A programme (``programmes/<id>.toml``) is a list of *versions*, each in force from
``valid_from`` to ``valid_to`` (inclusive; no end: still in force), with its own legal
basis, parameters (cut-off dates, windows, required documents, fees) and conditions. An
application evaluated on a date D is judged by the version in force on D and by no other:
a new decree is a new version, and a decision taken under the old one, re-run on its
date, comes out the same. A date on which no version is in force (before the programme
existed, or in a gap between two rounds) is refused, never judged by the nearest rules.

Each condition has an id (stable across versions, so ``failed_conditions`` can be
compared), a label in plain Spanish that reads after "Cumple:" or "No cumple:" and may
quote parameters (``{entry_before}``), the test in the condition language
(``language.py``), what a failure means (``if_failed``: ``not_eligible``, or
``needs_review`` when a person must look, e.g. a document that can still be provided),
and its ``source``. Every programme also gets, from the evaluator and not from its file,
the protection condition ``sin_bloqueo_de_proteccion`` (``alianza.corridor.blocks``).

Why not OpenFisca (openfisca-core 46, which installs cleanly next to our numpy 2.4 and
pandas 2.3): its model of legislation, parameters with dated values and formulas
evaluated at an instant over numpy vectors, is the model here, and this module borrows
it. What did not fit: (1) its parameters hold numbers, booleans and lists only, so a
cut-off *date* or a document code would be encoded as a number; (2) a change of rule, not
of value, is a dated ``formula_YYYY_MM_DD`` in Python, so a new decree would be a code
release rather than a reviewed data file; (3) a variable has one value per entity, and
an eligibility rule here has three (met, failed, unknown for an empty cell) plus a
plain-language explanation naming each condition and its article, which OpenFisca's
tracer (built for debugging computations) does not give; (4) it would bring pendulum,
psutil, numexpr, dpath and pytest (a runtime dependency of openfisca-core) to every node
for a few hundred lines of evaluator. Catala (law as literate code next to its article)
inspired the ``source`` on every parameter and condition, but its compiler is an OCaml
toolchain, not a Python library.
"""

from __future__ import annotations

import itertools
import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Literal

from babel.dates import format_date
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alianza.codes.countries import country_names
from alianza.codes.problems import raise_validation
from alianza.codes.text import shown
from alianza.errors import InputError
from alianza.status import language
from alianza.status.vocabulary import DOCUMENTS, FAMILY_TIES

PROTECTION = "sin_bloqueo_de_proteccion"
COUNTRIES = ("CL", "EC")
_ID = re.compile(r"^[a-z][a-z0-9_-]{1,63}$")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    NEEDS_REVIEW = "needs_review"


# ------------------------------------------------------------------ the file's shape


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class _Parameter(_Model):
    value: date | bool | int | float | str | list[str]
    source: str = Field(min_length=3, max_length=400)
    description: str = Field("", max_length=400)


class _Condition(_Model):
    id: str = Field(pattern=_NAME.pattern)
    label: str = Field(min_length=3, max_length=400)
    when: str = Field(min_length=1, max_length=language.MAX_LENGTH)
    if_failed: Literal["not_eligible", "needs_review"]
    source: str = Field(min_length=3, max_length=400)


class _Version(_Model):
    id: str = Field(min_length=1, max_length=32)
    valid_from: date
    valid_to: date | None = None
    legal_basis: str = Field(min_length=3, max_length=400)
    notes: str = Field("", max_length=2000)
    parameters: dict[str, _Parameter] = Field(default_factory=dict)
    # At most 30: the evaluator packs a row's condition states in one 64-bit key.
    conditions: list[_Condition] = Field(min_length=1, max_length=30)


class _Programme(_Model):
    id: str = Field(pattern=_ID.pattern)
    country: Literal["CL", "EC"]
    name: str = Field(min_length=3, max_length=200)
    summary: str = Field(min_length=3, max_length=2000)
    versions: list[_Version] = Field(min_length=1, max_length=100)


# ------------------------------------------------------------------ what the evaluator uses


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    value: object
    source: str
    description: str = ""

    def shown(self) -> str:
        """The value as a person reads it."""
        return render(self.value)


@dataclass(frozen=True, slots=True)
class Condition:
    id: str
    label: str  # with the version's parameters filled in
    when: str
    node: language.Node
    if_failed: Outcome
    source: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Version:
    id: str
    valid_from: date
    valid_to: date | None
    legal_basis: str
    notes: str
    parameters: Mapping[str, Parameter]
    conditions: tuple[Condition, ...]

    def in_force(self, on: date) -> bool:
        """Whether this version governs a decision taken on ``on``."""
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    @property
    def fields(self) -> tuple[str, ...]:
        """The application fields its conditions read (without ``evaluation_date``)."""
        found: dict[str, None] = {}
        for condition in self.conditions:
            found.update(dict.fromkeys(condition.fields))
        found.pop(language.EVALUATION_DATE, None)
        return tuple(found)


@dataclass(frozen=True, slots=True)
class Programme:
    id: str
    country: str
    name: str
    summary: str
    versions: tuple[Version, ...]

    def version_on(self, on: date) -> Version:
        """The version in force on ``on``; ``InputError`` naming ``--on`` when none is."""
        for version in self.versions:
            if version.in_force(on):
                return version
        first = self.versions[0].valid_from
        if on < first:
            raise InputError.at(
                "--on",
                f"el programa {self.id} no existía el {on.isoformat()} (rige desde el "
                f"{first.isoformat()})",
            )
        spans = "; ".join(
            f"{v.id}: {v.valid_from.isoformat()} a {v.valid_to.isoformat() if v.valid_to else '—'}"
            for v in self.versions
        )
        raise InputError.at(
            "--on",
            f"ninguna versión del programa {self.id} está vigente el {on.isoformat()} "
            f"(versiones: {spans})",
        )


def render(value: object) -> str:
    """A parameter's value in Spanish: dates spelled out, codes by their names."""
    if isinstance(value, bool):
        return "sí" if value else "no"
    if isinstance(value, date):
        return str(format_date(value, "d 'de' MMMM 'de' y", locale="es"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        names: Mapping[str, str] = {}
        for vocabulary in (DOCUMENTS, FAMILY_TIES, country_names()):
            if all(item in vocabulary for item in value):
                names = vocabulary
                break
        return "; ".join(names.get(item, item) for item in value)
    return str(value)


def _label(text: str, parameters: Mapping[str, Parameter], where: str) -> str:
    """The label with ``{name}`` replaced by the parameter's shown value."""
    try:
        wanted = [name for _, name, spec, conv in string.Formatter().parse(text) if name]
        specs = [(spec, conv) for _, name, spec, conv in string.Formatter().parse(text) if name]
    except ValueError as exc:
        raise InputError.at(where, f"etiqueta mal formada ({exc})") from None
    if any(spec or conv for spec, conv in specs):
        raise InputError.at(where, "la etiqueta solo admite {parámetro}, sin formato")
    for name in wanted:
        if name not in parameters:
            raise InputError.at(where, f"la etiqueta cita el parámetro desconocido '{name}'")
    return text.format_map({name: parameters[name].shown() for name in wanted})


def _version(raw: _Version, where: str) -> Version:
    if raw.valid_to is not None and raw.valid_to < raw.valid_from:
        raise InputError.at(f"{where}.valid_to", "anterior a valid_from")
    parameters: dict[str, Parameter] = {}
    for name, p in raw.parameters.items():
        if not _NAME.match(name):
            raise InputError.at(f"{where}.parameters.{name}", "nombre no válido (a-z, 0-9, _)")
        parameters[name] = Parameter(name, p.value, p.source, p.description)
    values = {name: p.value for name, p in parameters.items()}
    conditions: list[Condition] = []
    for i, c in enumerate(raw.conditions):
        at = f"{where}.conditions[{i}] ({c.id})"
        if c.id == PROTECTION:
            raise InputError.at(at, f"'{PROTECTION}' la añade el evaluador a todo programa")
        if any(c.id == seen.id for seen in conditions):
            raise InputError.at(at, "identificador de condición repetido")
        node = language.parse(c.when, params=values, where=f"{at}.when")
        conditions.append(
            Condition(
                id=c.id,
                label=_label(c.label, parameters, f"{at}.label"),
                when=c.when,
                node=node,
                if_failed=Outcome(c.if_failed),
                source=c.source,
                fields=language.fields_of(node),
            )
        )
    return Version(
        id=raw.id,
        valid_from=raw.valid_from,
        valid_to=raw.valid_to,
        legal_basis=raw.legal_basis,
        notes=raw.notes,
        parameters=parameters,
        conditions=tuple(conditions),
    )


def parse_programme(raw: Any, *, name: str) -> Programme:
    """A programme from its decoded TOML; ``InputError`` naming the file and the item."""
    try:
        checked = _Programme.model_validate(raw)
    except ValidationError as exc:
        raise raise_validation(exc, prefix=name) from None
    if f"{checked.id}.toml" != name:
        raise InputError.at(name, f"el archivo debe llamarse {checked.id}.toml")
    versions = [
        _version(v, f"{name}: versions[{i}] ({v.id})") for i, v in enumerate(checked.versions)
    ]
    for before, after in itertools.pairwise(versions):
        if before.valid_to is None or after.valid_from <= before.valid_to:
            raise InputError.at(
                f"{name}: versions ({after.id})",
                f"se superpone con la versión {before.id} (las versiones van en orden y "
                "sin superponerse)",
            )
    if len({v.id for v in versions}) != len(versions):
        raise InputError.at(f"{name}: versions", "identificador de versión repetido")
    return Programme(
        id=checked.id,
        country=checked.country,
        name=checked.name,
        summary=checked.summary,
        versions=tuple(versions),
    )


def load_text(text: str, *, name: str) -> Programme:
    """A programme from the text of its TOML file."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError.at(name, f"TOML mal formado ({exc})") from None
    return parse_programme(raw, name=name)


@cache
def programmes() -> dict[str, Programme]:
    """Every programme shipped with alianza, by id (read once)."""
    folder = resources.files("alianza.status").joinpath("programmes")
    found: dict[str, Programme] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            programme = load_text(entry.read_text(encoding="utf-8"), name=entry.name)
            found[programme.id] = programme
    return found


def country_option(value: str, option: str = "--country") -> str:
    """``CL`` or ``EC`` (case aside); ``InputError`` naming the option otherwise."""
    code = value.strip().upper()
    if code not in COUNTRIES:
        raise InputError.at(option, f"país no admitido '{shown(value, limit=20)}' (use CL o EC)")
    return code


def find(programme_id: str, *, country: str) -> Programme:
    """The programme ``programme_id`` of ``country``; ``InputError`` naming ``--programme``."""
    known = programmes()
    programme = known.get(programme_id.strip().lower())
    if programme is None:
        ids = ", ".join(p.id for p in known.values() if p.country == country)
        raise InputError.at(
            "--programme",
            f"programa desconocido '{shown(programme_id)}' (los de {country}: {ids})",
        )
    if programme.country != country:
        raise InputError.at(
            "--programme", f"el programa {programme.id} es de {programme.country}, no de {country}"
        )
    return programme
