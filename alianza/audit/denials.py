"""Denied attempts go into the audit log, from the API (``web.denials``) and the CLI.

Written in a transaction of their own: the refused act's was rolled back with it.
"""

from __future__ import annotations

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal
from alianza.codes.text import shown
from alianza.db import transaction
from alianza.errors import AlianzaError
from alianza.node.context import Node


def record_denial(node: Node, principal: Principal, *, what: str, error: AlianzaError) -> None:
    """One audit entry for a refused attempt of ``principal`` (403, or 404 when probing).
    The attempt is written as ``shown`` escapes it: a probe's path may hold a NUL, which
    PostgreSQL refuses in a text column, and a denial must always be recorded."""
    with transaction(node.sessions) as session:
        audit_act(
            session,
            node,
            principal,
            "access.denied",
            shown(what, limit=200),
            {"status": error.http_status, "reason": shown(error.message, limit=300)},
        )
