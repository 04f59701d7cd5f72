"""Who may act on a record: the records domain's rule, in Python and SQL.

A record is visible to its own agency; with scope ``country`` to every agency of its
country; with ``partners`` also to the named countries; with ``members`` to every
member. Roles limit kinds (border officers: persons, documents, vehicles; port analysts:
containers, vessels, organisations, seizures); caseworkers and administrators see no
police records at all (purpose limitation). Only the owning agency changes, deletes,
renews or releases a record. Partner nodes (role ``peer``) are limited by scope alone.

``discover`` (a partner's hit/no-hit) reaches further than reading: a record is found by
the agencies in its scope and by those its ``discoverable`` names (``partners`` with
``discoverable_countries``, or ``members``), but only ever as HIT or NO_HIT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, true

from alianza.auth.permissions import Action, Principal, Role, Rule
from alianza.records.models import Record
from alianza.records.rules import RecordKind, Scope

ALL_KINDS = frozenset(RecordKind)
PORT_KINDS = frozenset(
    {RecordKind.CONTAINER, RecordKind.VESSEL, RecordKind.ORGANISATION, RecordKind.SEIZURE}
)
BORDER_KINDS = frozenset({RecordKind.PERSON, RecordKind.DOCUMENT, RecordKind.VEHICLE})

# Which kinds of record each role may touch at all.
ROLE_KINDS: dict[Role, frozenset[RecordKind]] = {
    Role.ANALYST: ALL_KINDS,
    Role.SUPERVISOR: ALL_KINDS,
    Role.BORDER_OFFICER: BORDER_KINDS,
    Role.PORT_ANALYST: PORT_KINDS,
    Role.CASEWORKER: frozenset(),
    Role.ADMINISTRATOR: frozenset(),
    Role.PEER: ALL_KINDS,
    Role.SYSTEM: ALL_KINDS,
}

_OWNER_ONLY = frozenset({Action.WRITE, Action.REVIEW, Action.RELEASE})


@dataclass(frozen=True, slots=True)
class KindOf:
    """Records of one kind in general: what a create, an import or a query touches."""

    kind: str


@dataclass(frozen=True, slots=True)
class RecordRef:
    """A record's owner, kind and scope without its row (a partner's hit, a release)."""

    kind: str
    owner_country: str
    owner_agency: str
    scope: str
    scope_countries: str = ""
    discoverable: str = "none"
    discoverable_countries: str = ""


def in_scope(
    *,
    country: str,
    agency: str,
    owner_country: str,
    owner_agency: str,
    scope: str,
    scope_countries: str,
) -> bool:
    """Whether an agency of ``country`` falls inside a record's distribution scope."""
    own_country = owner_country == country
    if own_country and owner_agency == agency:
        return True
    try:
        the_scope = Scope(scope)
    except ValueError:
        return False
    if the_scope is Scope.COUNTRY:
        return own_country
    if the_scope is Scope.PARTNERS:
        return own_country or f",{country}," in scope_countries
    return the_scope is Scope.MEMBERS


def scope_clause(*, country: str, agency: str, table: Any) -> ColumnElement[bool]:
    """SQL form of ``in_scope`` for an agency of ``country``."""
    own_country = table.owner_country == country
    return or_(
        and_(own_country, table.owner_agency == agency),
        and_(table.scope == Scope.COUNTRY.value, own_country),
        and_(
            table.scope == Scope.PARTNERS.value,
            or_(own_country, table.scope_countries.like(f"%,{country},%")),
        ),
        table.scope == Scope.MEMBERS.value,
    )


def discoverable_to(*, country: str, discoverable: str, discoverable_countries: str) -> bool:
    """Whether agencies of ``country`` may find a record by hit/no-hit beyond its scope."""
    if discoverable == "members":
        return True
    return discoverable == "partners" and f",{country}," in discoverable_countries


def discoverable_clause(*, country: str, table: Any) -> ColumnElement[bool]:
    """SQL form of ``discoverable_to``."""
    return or_(
        table.discoverable == "members",
        and_(
            table.discoverable == "partners",
            table.discoverable_countries.like(f"%,{country},%"),
        ),
    )


def _kind_reason(principal: Principal, kind: str) -> str | None:
    try:
        the_kind = RecordKind(kind)
    except ValueError:
        return f"Tipo de registro desconocido '{kind}'."
    if the_kind not in ROLE_KINDS[principal.role]:
        return f"Su rol no accede a registros de tipo '{kind}'."
    return None


def _check_kind(principal: Principal, action: str, resource: KindOf) -> str | None:
    return _kind_reason(principal, resource.kind)


def _check_record(principal: Principal, action: str, record: Any) -> str | None:
    reason = _kind_reason(principal, record.kind)
    if reason is not None:
        return reason
    if action in _OWNER_ONLY:
        if (record.owner_country, record.owner_agency) != (principal.country, principal.agency):
            owner = f"{record.owner_agency} ({record.owner_country})"
            return f"Solo {owner} puede modificar este registro."
        return None
    if in_scope(
        country=principal.country,
        agency=principal.agency,
        owner_country=record.owner_country,
        owner_agency=record.owner_agency,
        scope=record.scope,
        scope_countries=record.scope_countries,
    ):
        return None
    if action == Action.DISCOVER and discoverable_to(
        country=principal.country,
        discoverable=record.discoverable,
        discoverable_countries=record.discoverable_countries,
    ):
        return None
    return "El registro no está dentro de su alcance."


def _record_clause(principal: Principal, action: str, table: Any) -> ColumnElement[bool]:
    kinds = sorted(k.value for k in ROLE_KINDS[principal.role])
    if not kinds:
        return false()
    by_kind = true() if len(kinds) == len(ALL_KINDS) else table.kind.in_(kinds)
    if action in _OWNER_ONLY:
        return and_(
            by_kind,
            table.owner_country == principal.country,
            table.owner_agency == principal.agency,
        )
    within = scope_clause(country=principal.country, agency=principal.agency, table=table)
    if action == Action.DISCOVER:
        within = or_(within, discoverable_clause(country=principal.country, table=table))
    return and_(by_kind, within)


RECORD_RULE = Rule(resource=Record, check=_check_record, clause=_record_clause)
REF_RULE = Rule(resource=RecordRef, check=_check_record)
KIND_RULE = Rule(resource=KindOf, check=_check_kind)
