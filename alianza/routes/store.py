"""The node's side of route planning: plans computed for a user are kept (``RoutePlan``),
listed and read back through the permission function (``policy.PLAN_RULE``), and each
act is in the audit log."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal, authorize, visible
from alianza.errors import NotFound
from alianza.node.context import Node
from alianza.routes.models import RoutePlan

PLAN = "plan_interdiction"
MODELS = ("max_flow", "shortest_path")


def keep(
    session: Session,
    *,
    node: Node,
    principal: Principal,
    model: str,
    network: str,
    body: dict[str, Any],
) -> RoutePlan:
    """Store a computed plan for the principal's agency, and audit it."""
    authorize(principal, PLAN)
    before_key, after_key = (
        ("flow_before", "flow_after")
        if model == "max_flow"
        else (
            "cost_before",
            "cost_after",
        )
    )
    plan = RoutePlan(
        id=str(uuid.uuid4()),
        model=model,
        network=network[:120],
        budget=float(body["budget"]),
        before=float(body[before_key]),
        after=float(body[after_key]),
        optimal=bool(body["optimal"]),
        result=json.dumps(body, ensure_ascii=False, allow_nan=False),
        created_by=principal.label,
        created_at=datetime.now(UTC),
        owner_country=principal.country,
        owner_agency=principal.agency,
    )
    session.add(plan)
    session.flush()
    audit_act(
        session,
        node,
        principal,
        f"routes.{model}",
        plan.id,
        {
            "network": plan.network,
            "budget": plan.budget,
            "before": plan.before,
            "after": plan.after,
            "optimal": plan.optimal,
            "controls": len(body["interdicted"]) + len(body.get("interdicted_places", [])),
        },
    )
    return plan


def plans(session: Session, *, principal: Principal, limit: int = 100) -> Iterator[RoutePlan]:
    """The plans the principal may see, newest first."""
    authorize(principal, PLAN)
    stmt = (
        select(RoutePlan)
        .where(visible(principal, PLAN, RoutePlan))
        .order_by(RoutePlan.created_at.desc(), RoutePlan.id)
        .limit(max(1, min(limit, 1000)))
    )
    yield from session.scalars(stmt)


def plan(session: Session, *, principal: Principal, plan_id: str) -> RoutePlan:
    """One plan the principal may see; ``NotFound`` otherwise (another agency's plan is
    not said to exist)."""
    authorize(principal, PLAN)
    stmt = select(RoutePlan).where(RoutePlan.id == plan_id, visible(principal, PLAN, RoutePlan))
    found = session.scalars(stmt).first()
    if found is None:
        raise NotFound(f"No existe el plan {plan_id}.")
    return found


def summary(found: RoutePlan) -> dict[str, Any]:
    return {
        "id": found.id,
        "model": found.model,
        "network": found.network,
        "budget": found.budget,
        "before": found.before,
        "after": found.after,
        "optimal": found.optimal,
        "created_by": found.created_by,
        "created_at": found.created_at.isoformat(),
    }
