"""Who may read an audit entry: the audit domain's rule, in Python and SQL.

An entry belongs to the agency of its actor (actors are ``username@agency.country``
labels). The administrators and supervisors of an agency read the entries of their own
agency's users (and of a partner node of that same agency). The node's own agency, the
one that runs the node, also reads the entries of no hosted user: the node itself, its
console, its timers, and partner nodes (their hit/no-hit queries, with the names and
birth dates asked, are addressed to the node, not to one agency). Another agency hosted
on the node never reads those, nor another agency's users' entries. The node itself
(role ``system``: the operator at the console) reads everything.

Labels are cut to 120 characters when written; a user is recognised by its label cut the
same way, so a long name neither hides an entry from its agency nor shows it to another.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, true
from sqlalchemy.orm import Session, object_session

from alianza.audit.models import AuditEntry
from alianza.auth.models import User
from alianza.auth.permissions import Principal, Role, Rule
from alianza.node.models import NodeIdentity

ACTOR_LENGTH = 120  # ``audit.service.append`` cuts actors to this


def _suffix(principal: Principal) -> str:
    return f"@{principal.agency}.{principal.country}"


def _user_label() -> ColumnElement[str]:
    label = User.username + "@" + User.agency + "." + User.country
    return func.substr(label, 1, ACTOR_LENGTH)


def _hosted_user(actor: Any) -> ColumnElement[bool]:
    """The actor is one of the node's users (of any agency)."""
    return exists().where(_user_label() == actor)


def _own_user(principal: Principal, actor: Any) -> ColumnElement[bool]:
    return exists().where(
        User.country == principal.country,
        User.agency == principal.agency,
        _user_label() == actor,
    )


def _runs_node(principal: Principal) -> ColumnElement[bool]:
    """The principal belongs to the agency that runs this node."""
    return exists().where(
        NodeIdentity.country == principal.country, NodeIdentity.agency == principal.agency
    )


def _entry_clause(principal: Principal, action: str, table: Any) -> ColumnElement[bool]:
    if principal.role is Role.SYSTEM:
        return true()
    return or_(
        table.actor.endswith(_suffix(principal), autoescape=True),
        _own_user(principal, table.actor),
        and_(_runs_node(principal), ~_hosted_user(table.actor)),
    )


def _check_entry(principal: Principal, action: str, entry: Any) -> str | None:
    refused = "La entrada no existe o no está dentro de su alcance."
    if principal.role is Role.SYSTEM or entry.actor.endswith(_suffix(principal)):
        return None
    session = object_session(entry)
    if not isinstance(session, Session):
        return refused  # nothing to look the actor up in: refuse rather than guess
    facts = select(
        _own_user(principal, entry.actor),
        _runs_node(principal),
        _hosted_user(entry.actor),
    )
    own_user, runs_node, hosted_user = session.execute(facts).one()
    if own_user or (runs_node and not hosted_user):
        return None
    return refused


ENTRY_RULE = Rule(resource=AuditEntry, check=_check_entry, clause=_entry_clause)
