"""Who may see an interdiction plan: the routes domain's rule, in Python and SQL.

A plan says where controls will be. It stays with the agency that made it: its planners
(the roles holding ``plan_interdiction``) see their agency's plans, nobody else's; the
node itself (the operator at its console) sees the plans of the agencies it hosts. A plan
is shared with a partner only as a person decides, outside this table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_

from alianza.auth.permissions import Principal, Role, Rule
from alianza.routes.models import RoutePlan


def _check_plan(principal: Principal, action: str, plan: Any) -> str | None:
    if plan.owner_country != principal.country:
        return "El plan es de otro país."
    if principal.role is not Role.SYSTEM and plan.owner_agency != principal.agency:
        return f"El plan es de otra institución (solo {principal.agency} ve los suyos)."
    return None


def _plan_clause(principal: Principal, action: str, table: Any) -> ColumnElement[bool]:
    if principal.role is Role.SYSTEM:
        return table.owner_country == principal.country  # type: ignore[no-any-return]
    return and_(table.owner_country == principal.country, table.owner_agency == principal.agency)


PLAN_RULE = Rule(resource=RoutePlan, check=_check_plan, clause=_plan_clause)
