"""Who may see and decide release and consent requests, and who may change the node's peers.

- An **outgoing** request (``direction = out``) is seen by the agency that filed it, by
  people whose role may query partners and reach the record's kind (a border officer never
  sees a container released to an analyst).
- An **incoming** request (``direction = in``) concerns one of this node's records: it is
  seen and decided only by those who decide releases (``release``) in the agency that owns
  the record, for kinds their role reaches.
- Peers are registered and changed only by the node's own agency (its administrators and
  its operator): another agency hosted on the node cannot add a partner that would then
  receive the node's records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select

from alianza.auth.permissions import Action, Principal, Rule
from alianza.exchange.models import ConsentRequest, ReleaseRequest
from alianza.records.models import Record
from alianza.records.policy import ROLE_KINDS


@dataclass(frozen=True, slots=True)
class ThisNode:
    """The node's own settings (its peers): only its own agency changes them."""

    country: str
    agency: str


def _suffix(principal: Principal) -> str:
    return f"@{principal.agency}.{principal.country}"


def _kinds(principal: Principal) -> set[str]:
    return {k.value for k in ROLE_KINDS[principal.role]}


def _owns(principal: Principal, record: Record | None) -> bool:
    return record is not None and (record.owner_country, record.owner_agency) == (
        principal.country,
        principal.agency,
    )


def _check_request(principal: Principal, action: str, row: Any) -> str | None:
    refused = "La solicitud no existe o no está dentro de su alcance."
    kind = row.kind if isinstance(row, ReleaseRequest) else (row.record.kind if row.record else "")
    if kind not in _kinds(principal):
        return refused
    if row.direction == "out":
        if action != Action.QUERY_PEERS or not row.requested_by.endswith(_suffix(principal)):
            return refused
        return None
    if action != Action.RELEASE or not _owns(principal, row.record):
        return refused
    return None


def _owned_record_ids(principal: Principal, kinds: list[str]) -> Any:
    return select(Record.id).where(
        Record.owner_country == principal.country,
        Record.owner_agency == principal.agency,
        Record.kind.in_(kinds),
    )


def _request_clause(
    principal: Principal, action: str, table: Any, *, of_kinds: Any
) -> ColumnElement[bool]:
    """Outgoing requests the principal's agency filed, or incoming ones on its records."""
    kinds = sorted(_kinds(principal))
    if not kinds:
        return false()
    if action == Action.QUERY_PEERS:
        return and_(
            table.direction == "out",
            table.requested_by.endswith(_suffix(principal), autoescape=True),
            of_kinds(kinds),
        )
    if action == Action.RELEASE:
        owned = _owned_record_ids(principal, kinds)
        return and_(table.direction == "in", table.record_id.in_(owned))
    return false()


def _release_clause(principal: Principal, action: str, table: Any) -> ColumnElement[bool]:
    # A release request carries its kind (the HIT's).
    return _request_clause(principal, action, table, of_kinds=table.kind.in_)


def _consent_clause(principal: Principal, action: str, table: Any) -> ColumnElement[bool]:
    # A consent request names a record (the partner's copy here): its kind is the record's.
    return _request_clause(
        principal,
        action,
        table,
        of_kinds=lambda kinds: table.record_id.in_(select(Record.id).where(Record.kind.in_(kinds))),
    )


def _check_node(principal: Principal, action: str, node: ThisNode) -> str | None:
    if (principal.country, principal.agency) != (node.country, node.agency):
        return f"Solo {node.agency} ({node.country}) administra los nodos asociados de este nodo."
    return None


def either(principal: Principal, table: Any) -> ColumnElement[bool]:
    """Requests the principal may see: outgoing ones they may follow, incoming they decide."""
    from alianza.auth.permissions import visible

    return or_(
        visible(principal, Action.QUERY_PEERS, table), visible(principal, Action.RELEASE, table)
    )


RELEASE_RULE = Rule(resource=ReleaseRequest, check=_check_request, clause=_release_clause)
CONSENT_RULE = Rule(resource=ConsentRequest, check=_check_request, clause=_consent_clause)
NODE_RULE = Rule(resource=ThisNode, check=_check_node)
