"""The one permission function, in Python and in SQL.

``authorize(principal, action, resource)`` decides whether a principal may perform an
action, on a resource when one is given; ``visible(principal, action, table)`` is the same
rule as a SQL predicate for lists, so a list can never show what a single read would
refuse. Every route, CLI command, sync page, screening result and list goes through one of
the two; nothing else checks a role.

Two tables feed them, both declared by the domains (``alianza.domains``):

- **grants**: which roles hold which action (``Domain.grants``);
- **rules**: for each kind of resource (a record, a release request, a user, ...), who may
  act on one, as a Python check and a SQL clause, declared next to the domain's models
  (``Domain.rules``).

Actors are always a ``Principal``: a user, a partner node (role ``peer``) or the node
itself (role ``system``, for acts of the operator at the console and of the node's own
timers), audited under their label.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, false

from alianza import domains
from alianza.errors import PermissionDenied


class Role(StrEnum):
    ANALYST = "analyst"
    BORDER_OFFICER = "border_officer"
    PORT_ANALYST = "port_analyst"
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    ADMINISTRATOR = "administrator"
    # Not given to users: a partner node acting through signed messages, and the node
    # itself (the operator at its console, its timers).
    PEER = "peer"
    SYSTEM = "system"


USER_ROLES = tuple(r for r in Role if r not in (Role.PEER, Role.SYSTEM))


class Action(StrEnum):
    """The core actions (declared with their roles by the records, auth, audit and
    exchange domains). New domains declare their own action names the same way."""

    READ = "read"  # see a record, search, read its history
    WRITE = "write"  # create, change, delete, import
    EXPORT = "export"  # bulk disclosure of records
    REVIEW = "review"  # list records due for review, renew them, enforce retention
    MANAGE_USERS = "manage_users"
    AUDIT = "audit"  # read and verify the audit log
    QUERY_PEERS = "query_peers"  # hit/no-hit at partners, release and consent requests
    RELEASE = "release"  # decide partners' release and consent requests on our records
    FEDERATE = "federate"  # register and change peers
    SYNC = "sync"  # pull from peers, exchange witnesses
    DISCOVER = "discover"  # learn by hit/no-hit that a record exists (partner nodes)


ROLE_LABELS = {
    Role.ANALYST: "analista",
    Role.BORDER_OFFICER: "oficial de frontera",
    Role.PORT_ANALYST: "analista portuario",
    Role.CASEWORKER: "gestor de casos",
    Role.SUPERVISOR: "supervisor",
    Role.ADMINISTRATOR: "administrador",
    Role.PEER: "nodo asociado",
    Role.SYSTEM: "nodo",
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a user of an agency with one role, a partner node, or the node."""

    username: str
    country: str
    agency: str
    role: Role

    @property
    def label(self) -> str:
        """How the audit log names the actor: ``user@agency.country``, ``sistema@agency.country``
        for the node itself, ``nodo:NODE_ID`` for a partner node."""
        if self.role is Role.PEER:
            return f"nodo:{self.username}"
        return f"{self.username}@{self.agency}.{self.country}"

    @classmethod
    def system(cls, *, country: str, agency: str) -> Principal:
        """The node itself (the operator at its console, its timers)."""
        return cls(username="sistema", country=country, agency=agency, role=Role.SYSTEM)

    @classmethod
    def peer(cls, *, node_id: str, country: str, agency: str) -> Principal:
        """A registered partner node acting through signed messages."""
        return cls(username=node_id, country=country, agency=agency, role=Role.PEER)


@dataclass(frozen=True, slots=True)
class Rule:
    """A domain's rule for one kind of resource.

    ``check(principal, action, resource)`` returns why the act is refused, or None.
    ``clause(principal, action, table)`` is the same rule as SQL over ``table``'s rows.
    """

    resource: type
    check: Callable[[Principal, str, Any], str | None]
    clause: Callable[[Principal, str, Any], ColumnElement[bool]] | None = None


@cache
def _grants() -> dict[str, frozenset[str]]:
    return domains.grants()


@cache
def _rules() -> dict[type, Rule]:
    table: dict[type, Rule] = {}
    for domain in domains.domains():
        for ref in domain.rules:
            rule = domains.load(ref)
            if not isinstance(rule, Rule):
                raise TypeError(f"{ref} is not a Rule")
            table[rule.resource] = rule
    return table


def _forget() -> None:
    _grants.cache_clear()
    _rules.cache_clear()


domains.on_change(_forget)


def grant_table() -> dict[str, frozenset[str]]:
    """Action -> roles holding it, as the domains declared them."""
    return dict(_grants())


def holds(principal: Principal, action: str) -> bool:
    """Whether the principal's role holds ``action`` at all."""
    roles = _grants().get(str(action))
    if roles is None:
        raise KeyError(f"action {action!r} is declared by no domain")
    return principal.role.value in roles


def _rule_for(kind: type) -> Rule:
    for cls in kind.__mro__:
        rule = _rules().get(cls)
        if rule is not None:
            return rule
    raise KeyError(f"no domain declares a rule for {kind.__name__}")


def authorize(principal: Principal, action: str, resource: Any = None) -> None:
    """Raise ``PermissionDenied`` unless ``principal`` may do ``action`` (on ``resource``)."""
    if not holds(principal, action):
        raise PermissionDenied(
            f"El rol {ROLE_LABELS[principal.role]} no permite la acción '{action}'."
        )
    if resource is None:
        return
    reason = _rule_for(type(resource)).check(principal, str(action), resource)
    if reason is not None:
        raise PermissionDenied(reason)


def allowed(principal: Principal, action: str, resource: Any = None) -> bool:
    """``authorize`` as a yes or no."""
    try:
        authorize(principal, action, resource)
    except PermissionDenied:
        return False
    return True


def visible(principal: Principal, action: str, table: Any) -> ColumnElement[bool]:
    """SQL form of ``authorize(principal, action, row)`` over ``table``'s rows."""
    if not holds(principal, action):
        return false()
    rule = _rule_for(table if isinstance(table, type) else type(table))
    if rule.clause is None:
        raise KeyError(f"the rule for {rule.resource.__name__} has no SQL form")
    return rule.clause(principal, str(action), table)


def visible_clause(principal: Principal, table: Any) -> ColumnElement[bool]:
    """The rows of ``table`` the principal may read."""
    return visible(principal, Action.READ, table)
