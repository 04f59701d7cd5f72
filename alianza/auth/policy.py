"""Who may manage a user: the auth domain's rule, in Python and SQL.

An administrator manages the users of their own agency of their own country only:
creating, listing, issuing tokens, disabling, enabling and revoking. The node itself
(role ``system``: the operator at its console) manages the users of every agency it
hosts, which are agencies of its own country (a node serves only its own country's
records, so a user of another country has no place on it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_

from alianza.auth.models import User
from alianza.auth.permissions import Principal, Role, Rule


def _check_user(principal: Principal, action: str, user: Any) -> str | None:
    if user.country != principal.country:
        return f"Solo puede gestionar usuarios de su país ({principal.country})."
    if principal.role is not Role.SYSTEM and user.agency != principal.agency:
        return (
            f"Solo puede gestionar usuarios de su institución "
            f"({principal.agency}, {principal.country})."
        )
    return None


def _user_clause(principal: Principal, action: str, table: Any) -> ColumnElement[bool]:
    if principal.role is Role.SYSTEM:
        return table.country == principal.country  # type: ignore[no-any-return]
    return and_(table.country == principal.country, table.agency == principal.agency)


USER_RULE = Rule(resource=User, check=_check_user, clause=_user_clause)
