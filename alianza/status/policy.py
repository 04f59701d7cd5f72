"""Who may see a regularisation application: the agency that registered it (its
caseworkers and supervisors), in Python and SQL; the corridor's rule, for the same
reason (an application holds protection details: an asylum claim, trafficking). Police
roles hold no status action, so ``authorize`` refuses them before the rule is read.
"""

from __future__ import annotations

from alianza.auth.permissions import Rule
from alianza.corridor.policy import _case_clause, _check_case
from alianza.status.models import Application

APPLICATION_RULE = Rule(resource=Application, check=_check_case, clause=_case_clause)
