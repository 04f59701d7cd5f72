"""Review dates and retention: a person keeps a record for another period, or it goes.

Past its review date a record is listed for review; ``review_grace_days`` later, if no
person renewed it, it is tombstoned and the data of all its versions is erased (their
signed headers and hashes stay, so verification still holds): the retention limits of
Ley 21.719 and the LOPDP.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Action, Principal, authorize
from alianza.errors import Conflict, InputError
from alianza.node.context import Node
from alianza.records.models import Record, RecordVersion
from alianza.records.rules import Rules
from alianza.records.service import (
    RecordView,
    _new_version,
    _now,
    _replace_keys,
    _view,
    _writable,
    settle_rules,
)


def review_due(
    session: Session, *, node: Node, principal: Principal, today: date | None = None
) -> list[Record]:
    """The principal's agency's live records whose review date has come."""
    authorize(principal, Action.REVIEW)
    day = today or _now().date()
    stmt = (
        select(Record)
        .where(
            Record.owner_country == principal.country,
            Record.owner_agency == principal.agency,
            Record.origin == node.node_id,
            Record.deleted.is_(False),
            Record.review_date <= day,
        )
        .order_by(Record.review_date, Record.id)
    )
    rows = list(session.scalars(stmt))
    audit_act(
        session,
        node,
        principal,
        "record.review_due",
        "",
        {"results": len(rows), "day": day.isoformat()},
    )
    return rows


def renew(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    record_id: str,
    reason: str,
    until: date | None = None,
) -> RecordView:
    """A person keeps a record for another period: a new version with a new review date."""
    record = _writable(session, node, principal, record_id, Action.REVIEW)
    if record.deleted:
        raise Conflict(f"El registro {record_id} fue eliminado; no puede renovarse.")
    if not reason.strip():
        raise InputError.at("reason", "indique por qué se conserva el registro")
    today = _now().date()
    if until is not None and until <= today:
        raise InputError.at("until", "la nueva fecha de revisión debe ser futura")
    current = _view(session, record).version
    rules = json.loads(current.rules)
    rules["review_date"] = None
    settled = settle_rules(
        Rules.model_validate(rules).model_copy(update={"review_date": until}),
        node=node,
        kind=record.kind,
    )
    data = json.loads(current.data) if current.data else None
    _new_version(
        session,
        node=node,
        principal=principal,
        record=record,
        data=data,
        rules=settled,
        tombstone=False,
        reason=f"renovación: {reason}",
    )
    audit_act(
        session, node, principal, "record.renew", record.id, {"review_date": settled["review_date"]}
    )
    return _view(session, record)


def enforce_retention(
    session: Session, *, node: Node, principal: Principal, today: date | None = None
) -> list[str]:
    """Delete records left unrenewed past review date plus grace; redact their old data.

    The tombstone is signed; earlier versions keep their signed headers and hashes, but
    their personal data is erased (retention limits of Ley 21.719 and LOPDP).
    """
    authorize(principal, Action.REVIEW)
    day = today or _now().date()
    limit = day - timedelta(days=node.settings.review_grace_days)
    stmt = select(Record).where(
        Record.owner_country == principal.country,
        Record.owner_agency == principal.agency,
        Record.origin == node.node_id,
        Record.deleted.is_(False),
        Record.review_date < limit,
    )
    removed = []
    for record in session.scalars(stmt).all():
        current = _view(session, record).version
        _new_version(
            session,
            node=node,
            principal=principal,
            record=record,
            data=None,
            rules=json.loads(current.rules),
            tombstone=True,
            reason="plazo de conservación vencido sin renovación",
        )
        session.execute(
            update(RecordVersion).where(RecordVersion.record_id == record.id).values(data=None)
        )
        _replace_keys(session, record.id, [])
        removed.append(record.id)
    audit_act(
        session,
        node,
        principal,
        "record.retention",
        "",
        {"deleted": removed, "day": day.isoformat()},
    )
    return removed
