"""Denied attempts go into the audit log, from the API (``web.denials``) and the CLI.

Written in a transaction of their own: the refused act's was rolled back with it.
"""

from __future__ import annotations

from alianza.audit.service import audit_act
from alianza.auth.permissions import Principal
from alianza.db import transaction
from alianza.errors import AlianzaError
from alianza.node.context import Node


def record_denial(node: Node, principal: Principal, *, what: str, error: AlianzaError) -> None:
    """One audit entry for a refused attempt of ``principal`` (403, or 404 when probing)."""
    with transaction(node.sessions) as session:
        audit_act(
            session,
            node,
            principal,
            "access.denied",
            what[:200],
            {"status": error.http_status, "reason": error.message[:300]},
        )
