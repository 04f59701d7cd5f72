"""Who may see a return case: the corridor's rule, in Python and SQL.

A case holds a household's protection details (a pending asylum claim, a presumed victim
of trafficking): it stays with the agency that registered it. Its caseworkers and
supervisors see their agency's cases and nobody else's; the node itself (the operator at
its console, role ``system``) sees the cases of the agencies it hosts in its country.
Police roles hold neither corridor action, so the rule never reaches them
(``authorize`` refuses them first).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_

from alianza.auth.permissions import Principal, Role, Rule
from alianza.corridor.models import ReturnCase


def _check_case(principal: Principal, action: str, case: Any) -> str | None:
    if case.owner_country != principal.country:
        return "El caso es de otro país."
    if principal.role is not Role.SYSTEM and case.owner_agency != principal.agency:
        return f"El caso es de otra institución (solo {principal.agency} ve los suyos)."
    return None


def _case_clause(principal: Principal, action: str, table: Any) -> ColumnElement[bool]:
    if principal.role is Role.SYSTEM:
        return table.owner_country == principal.country  # type: ignore[no-any-return]
    return and_(table.owner_country == principal.country, table.owner_agency == principal.agency)


CASE_RULE = Rule(resource=ReturnCase, check=_check_case, clause=_case_clause)
