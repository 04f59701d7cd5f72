"""The breach register of the node's agencies: when a personal-data breach was found, what
and whom it touched, what was done, and when the authority was told. Ecuador's LOPDP
(art. 43) gives 5 days from discovery; Chile's Ley 21.719 asks for notification "sin
dilaciones indebidas", so 5 days is the deadline that binds the alliance. The service
layer (``protect_data``): authorizes, audits, never commits.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal, authorize, visible
from alianza.codes.text import shown
from alianza.corridor.models import Breach
from alianza.corridor.protection import PROTECT, aware, columns_of, field_text, iso, now_utc
from alianza.errors import Conflict, InputError, NotFound
from alianza.node.context import Node

# LOPDP (Ecuador) art. 43: the authority is told within 5 days of discovering a breach.
NOTIFY_DAYS = 5
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_PERSONS_AFFECTED = 100_000_000


class BreachState(StrEnum):
    NOTIFIED = "notificada"
    PENDING = "pendiente"
    OVERDUE = "vencida"


def _moment(value: datetime, field: str, now: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError.at(field, "indique la zona horaria (p. ej. 2026-12-01T10:00-03:00)")
    if value > now:
        raise InputError.at(field, "la fecha está en el futuro")
    if value < EARLIEST:
        raise InputError.at(field, "fecha inverosímil (antes del año 2000)")
    return value.astimezone(UTC)


def record_breach(
    session: Session,
    node: Node,
    principal: Principal,
    *,
    discovered_at: datetime,
    description: str,
    data_categories: str,
    persons_affected: int,
    measures: str,
) -> Breach:
    """Register a personal-data breach, to be notified within 5 days of its discovery.

    Ecuador's LOPDP (art. 43) gives the controller 5 days to notify the authority; Chile's
    Ley 21.719 asks for notification "sin dilaciones indebidas", with no number of days, so
    5 days is the deadline that binds the alliance."""
    authorize(principal, PROTECT)
    now = now_utc()
    found = _moment(discovered_at, "--discovered", now)
    texts = {
        "description": field_text(description, "--description", 4000, multiline=True),
        "data_categories": field_text(data_categories, "--categories", 500),
        "measures": field_text(measures, "--measures", 4000, multiline=True),
    }
    if isinstance(persons_affected, bool) or not 0 <= persons_affected <= MAX_PERSONS_AFFECTED:
        raise InputError.at("--affected", f"un número entero entre 0 y {MAX_PERSONS_AFFECTED:,}")
    row = Breach(
        id=str(uuid.uuid4()),
        owner_country=principal.country,
        owner_agency=principal.agency,
        discovered_at=found,
        persons_affected=persons_affected,
        reported_by=principal.label,
        notify_by=found + timedelta(days=NOTIFY_DAYS),
        **texts,
    )
    session.add(row)
    session.flush()
    detail = {"notify_by": row.notify_by.isoformat(), "persons_affected": persons_affected}
    audit_act(session, node, principal, "corridor.breach.recorded", row.id, detail)
    return row


def notify_breach(
    session: Session,
    node: Node,
    principal: Principal,
    *,
    breach_id: str,
    notified_to: str,
    at: datetime,
) -> Breach:
    """Record that (and when) the authority was told of a breach."""
    authorize(principal, PROTECT)
    authority = field_text(notified_to, "--to", 500)
    when = _moment(at, "--at", now_utc())
    row = session.scalars(
        select(Breach)
        .where(Breach.id == breach_id, visible(principal, PROTECT, Breach))
        .with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"No existe la brecha {shown(breach_id)}.")
    authorize(principal, PROTECT, row)
    if row.notified_at is not None:
        raise Conflict(
            f"La brecha {row.id} ya fue notificada el {iso(row.notified_at)} a "
            f"{shown(row.notified_to or '')}."
        )
    if when < aware(row.discovered_at):
        raise InputError.at("--at", "anterior al descubrimiento de la brecha")
    row.notified_at, row.notified_to = when, authority
    session.flush()
    detail = {"to": authority, "at": when.isoformat(), "late": when > aware(row.notify_by)}
    audit_act(session, node, principal, "corridor.breach.notified", row.id, detail)
    return row


def breach_view(row: Breach, now: datetime) -> dict[str, Any]:
    """A breach as JSON, with its state at ``now`` (and the hours left or overdue)."""
    deadline = aware(row.notify_by)
    left = (deadline - now).total_seconds()
    hours = round(abs(left) / 3600, 1)
    if row.notified_at is not None:
        state = BreachState.NOTIFIED
    else:
        state = BreachState.PENDING if left >= 0 else BreachState.OVERDUE
    return {
        **columns_of(
            row,
            "id discovered_at description data_categories persons_affected measures "
            "reported_by notify_by notified_at notified_to",
        ),
        "state": state.value,
        "hours_left": hours if state is BreachState.PENDING else None,
        "hours_overdue": hours if state is BreachState.OVERDUE else None,
        "late": row.notified_at is not None and aware(row.notified_at) > deadline,
    }


def breaches(session: Session, principal: Principal, *, now: datetime) -> list[dict[str, Any]]:
    """The agency's breach register, newest discovery first, each with its state at ``now``."""
    authorize(principal, PROTECT)
    if now.tzinfo is None:
        raise InputError.at("now", "indique la zona horaria")
    rows = session.scalars(
        select(Breach)
        .where(visible(principal, PROTECT, Breach))
        .order_by(Breach.discovered_at.desc(), Breach.id)
    )
    return [breach_view(r, now) for r in rows]
