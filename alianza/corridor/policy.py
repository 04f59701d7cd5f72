"""Who may see a return case, a manifest, a check-in or a breach: the corridor's rules,
in Python and SQL (every corridor table has ``owner_country`` and ``owner_agency``).

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
from alianza.corridor.models import (
    Breach,
    Checkin,
    CheckinConflict,
    ReceivedManifest,
    ReturnCase,
    SentManifest,
)


def _check_case(principal: Principal, action: str, case: Any) -> str | None:
    if case.owner_country != principal.country:
        return "Es de otro país."
    if principal.role is not Role.SYSTEM and case.owner_agency != principal.agency:
        return f"Es de otra institución (solo {principal.agency} ve lo suyo)."
    return None


def _case_clause(principal: Principal, action: str, table: Any) -> ColumnElement[bool]:
    if principal.role is Role.SYSTEM:
        return table.owner_country == principal.country  # type: ignore[no-any-return]
    return and_(table.owner_country == principal.country, table.owner_agency == principal.agency)


CASE_RULE = Rule(resource=ReturnCase, check=_check_case, clause=_case_clause)
# The same rule for what the corridor keeps beside its cases: manifests sent (by the cases'
# agency) and received (by the agency they were addressed to), the check-ins and conflicts
# of the node's agency, its breach register.
SENT_RULE = Rule(resource=SentManifest, check=_check_case, clause=_case_clause)
RECEIVED_RULE = Rule(resource=ReceivedManifest, check=_check_case, clause=_case_clause)
CHECKIN_RULE = Rule(resource=Checkin, check=_check_case, clause=_case_clause)
CONFLICT_RULE = Rule(resource=CheckinConflict, check=_check_case, clause=_case_clause)
BREACH_RULE = Rule(resource=Breach, check=_check_case, clause=_case_clause)
