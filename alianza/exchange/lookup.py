"""Release and consent requests found by their id or a unique prefix of it (at least
``MIN_PREFIX`` characters), among those the principal may see (``exchange.policy``).

A prefix that matches nothing visible gets the same ``NotFound`` as an id that does not
exist: a request of another agency is never confirmed, nor listed when a prefix is
ambiguous. The command line types ids this way; the API takes them whole.
"""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Action, Principal, authorize, holds
from alianza.cli_support import MIN_PREFIX, by_prefix
from alianza.exchange.models import ConsentRequest, ReleaseRequest
from alianza.exchange.policy import either
from alianza.node.context import Node

__all__ = ["MIN_PREFIX", "find_consent", "find_release", "show_release"]

_DIRECTIONS = ("in", "out")


def _check_direction(direction: str | None) -> None:
    if direction is not None and direction not in _DIRECTIONS:
        raise ValueError(f"direction must be 'in', 'out' or None, not {direction!r}")


def _refuse_without_role(principal: Principal, direction: str | None) -> None:
    # A role that holds neither action is told so (as the services do), before "not found".
    if direction is None:
        if not holds(principal, Action.RELEASE):
            authorize(principal, Action.QUERY_PEERS)
    else:
        authorize(principal, Action.RELEASE if direction == "in" else Action.QUERY_PEERS)


def find_release(
    session: Session, *, principal: Principal, request_id: str, direction: str | None = None
) -> ReleaseRequest:
    """The release request the principal may see whose id is or starts with ``request_id``
    (``direction`` ``in``: received, to decide; ``out``: sent; None: either)."""
    _check_direction(direction)
    _refuse_without_role(principal, direction)
    visible = either(principal, ReleaseRequest)
    if direction is not None:
        visible = and_(visible, ReleaseRequest.direction == direction)
    missing = f"No existe la solicitud de entrega {request_id.strip()}."
    full = by_prefix(
        session,
        column=ReleaseRequest.request_id,
        visible=visible,
        prefix=request_id,
        name="REQUEST_ID",
        missing=missing,
    )
    # Both sides of one request on one node (a node peered with itself): received first.
    row = session.scalars(
        select(ReleaseRequest)
        .where(visible, ReleaseRequest.request_id == full)
        .order_by(ReleaseRequest.direction)
    ).first()
    assert row is not None, f"release request {full} vanished"
    return row


def find_consent(
    session: Session, *, principal: Principal, request_id: str, direction: str | None = None
) -> ConsentRequest:
    """The consent request the principal may see whose id is or starts with ``request_id``."""
    _check_direction(direction)
    _refuse_without_role(principal, direction)
    visible = either(principal, ConsentRequest)
    if direction is not None:
        visible = and_(visible, ConsentRequest.direction == direction)
    full = by_prefix(
        session,
        column=ConsentRequest.request_id,
        visible=visible,
        prefix=request_id,
        name="REQUEST_ID",
        missing=f"No existe la solicitud de consentimiento {request_id.strip()}.",
    )
    row = session.scalars(
        select(ConsentRequest)
        .where(visible, ConsentRequest.request_id == full)
        .order_by(ConsentRequest.direction)
    ).first()
    assert row is not None, f"consent request {full} vanished"
    return row


def show_release(
    session: Session, *, node: Node, principal: Principal, request_id: str
) -> ReleaseRequest:
    """One release request the principal may see, released data included (audited: the
    data a partner released is personal data, and who looked at it is kept)."""
    row = find_release(session, principal=principal, request_id=request_id)
    audit_act(
        session,
        node,
        principal,
        "release.show",
        row.request_id,
        {"direction": row.direction, "peer": row.peer_node, "status": row.status},
    )
    return row
