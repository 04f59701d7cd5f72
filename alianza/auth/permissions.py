"""The one permission function, in Python and in SQL.

``authorize`` decides whether a principal may perform an action (on a record, when one is
given); ``visible_clause`` is the same rule as a SQL predicate for queries, built from the
same tables, so a list can never show what a single read would refuse. Every endpoint and
every CLI command goes through one of the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy import ColumnElement, and_, false, or_

from alianza.errors import PermissionDenied
from alianza.records.models import Record
from alianza.records.rules import RecordKind, Scope


class Role(StrEnum):
    ANALYST = "analyst"
    BORDER_OFFICER = "border_officer"
    PORT_ANALYST = "port_analyst"
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    ADMINISTRATOR = "administrator"


class Action(StrEnum):
    READ = "read"  # see a record, search, read its history
    WRITE = "write"  # create, change, delete, import
    EXPORT = "export"  # bulk disclosure of records
    REVIEW = "review"  # list records due for review, renew them, enforce retention
    MANAGE_USERS = "manage_users"
    AUDIT = "audit"  # read and verify the audit log
    QUERY_PEERS = "query_peers"  # hit/no-hit at partners, release and consent requests
    RELEASE = "release"  # decide partners' release and consent requests on our records
    FEDERATE = "federate"  # register peers, run sync


ALL_KINDS = frozenset(RecordKind)
PORT_KINDS = frozenset(
    {RecordKind.CONTAINER, RecordKind.VESSEL, RecordKind.ORGANISATION, RecordKind.SEIZURE}
)
BORDER_KINDS = frozenset({RecordKind.PERSON, RecordKind.DOCUMENT, RecordKind.VEHICLE})

# Which kinds of record each role may touch at all. Caseworkers (return corridor) and
# administrators see no police records: purpose limitation, not a missing feature.
ROLE_KINDS: dict[Role, frozenset[RecordKind]] = {
    Role.ANALYST: ALL_KINDS,
    Role.SUPERVISOR: ALL_KINDS,
    Role.BORDER_OFFICER: BORDER_KINDS,
    Role.PORT_ANALYST: PORT_KINDS,
    Role.CASEWORKER: frozenset(),
    Role.ADMINISTRATOR: frozenset(),
}

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.ANALYST: frozenset({Action.READ, Action.WRITE, Action.EXPORT, Action.QUERY_PEERS}),
    Role.SUPERVISOR: frozenset(
        {
            Action.READ,
            Action.WRITE,
            Action.EXPORT,
            Action.REVIEW,
            Action.AUDIT,
            Action.QUERY_PEERS,
            Action.RELEASE,
            Action.FEDERATE,
        }
    ),
    Role.BORDER_OFFICER: frozenset({Action.READ, Action.QUERY_PEERS}),
    Role.PORT_ANALYST: frozenset({Action.READ, Action.WRITE, Action.QUERY_PEERS}),
    Role.CASEWORKER: frozenset(),
    Role.ADMINISTRATOR: frozenset({Action.MANAGE_USERS, Action.AUDIT, Action.FEDERATE}),
}

ROLE_LABELS = {
    Role.ANALYST: "analista",
    Role.BORDER_OFFICER: "oficial de frontera",
    Role.PORT_ANALYST: "analista portuario",
    Role.CASEWORKER: "gestor de casos",
    Role.SUPERVISOR: "supervisor",
    Role.ADMINISTRATOR: "administrador",
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a user of an agency with one role."""

    username: str
    country: str
    agency: str
    role: Role

    @property
    def label(self) -> str:
        return f"{self.username}@{self.agency}.{self.country}"


class RecordLike(Protocol):
    """What the permission function needs to know about a record."""

    @property
    def kind(self) -> str: ...
    @property
    def owner_country(self) -> str: ...
    @property
    def owner_agency(self) -> str: ...
    @property
    def scope(self) -> str: ...
    @property
    def scope_countries(self) -> str: ...


def in_scope(
    *,
    country: str,
    agency: str,
    owner_country: str,
    owner_agency: str,
    scope: str,
    scope_countries: str,
) -> bool:
    """Whether an agency of ``country`` falls inside a record's distribution scope.

    The same rule serves users of this node and partner nodes (peers).
    """
    own_country = owner_country == country
    if own_country and owner_agency == agency:
        return True
    the_scope = Scope(scope)
    if the_scope is Scope.COUNTRY:
        return own_country
    if the_scope is Scope.PARTNERS:
        return own_country or f",{country}," in scope_countries
    return the_scope is Scope.MEMBERS


def _in_scope(principal: Principal, record: RecordLike) -> bool:
    return in_scope(
        country=principal.country,
        agency=principal.agency,
        owner_country=record.owner_country,
        owner_agency=record.owner_agency,
        scope=record.scope,
        scope_countries=record.scope_countries,
    )


def authorize(
    principal: Principal,
    action: Action,
    *,
    record: RecordLike | None = None,
    kind: RecordKind | str | None = None,
) -> None:
    """Raise ``PermissionDenied`` unless ``principal`` may do ``action`` (on ``record``)."""
    role_label = ROLE_LABELS[principal.role]
    if action not in ROLE_ACTIONS[principal.role]:
        raise PermissionDenied(f"El rol {role_label} no permite la acción '{action.value}'.")
    the_kind = record.kind if record is not None else kind
    if the_kind is not None and RecordKind(the_kind) not in ROLE_KINDS[principal.role]:
        raise PermissionDenied(f"El rol {role_label} no accede a registros de tipo '{the_kind}'.")
    if record is None:
        return
    if action in (Action.WRITE, Action.REVIEW, Action.RELEASE):
        # Only the owning agency changes, deletes or renews its records.
        if (record.owner_country, record.owner_agency) != (principal.country, principal.agency):
            raise PermissionDenied(
                f"Solo {record.owner_agency} ({record.owner_country}) puede modificar "
                "este registro."
            )
        return
    if not _in_scope(principal, record):
        # Same message as a missing record would give elsewhere: no existence leak.
        raise PermissionDenied("El registro no está dentro de su alcance.")


def visible_clause(principal: Principal, table: type[Record]) -> ColumnElement[bool]:
    """SQL form of ``authorize(principal, READ, record=...)`` over ``table``'s rows."""
    kinds = sorted(k.value for k in ROLE_KINDS[principal.role])
    if Action.READ not in ROLE_ACTIONS[principal.role] or not kinds:
        return false()
    return and_(
        table.kind.in_(kinds),
        scope_clause(country=principal.country, agency=principal.agency, table=table),
    )


def scope_clause(*, country: str, agency: str, table: type[Record]) -> ColumnElement[bool]:
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
