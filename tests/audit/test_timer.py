"""The served app runs the audit timer at the interval the settings give (0: none)."""

from __future__ import annotations

import dataclasses
import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from alianza.app import create_app
from alianza.audit.models import AuditHead
from tests.conftest import FreshNode


def test_a_served_app_signs_its_head_on_the_timer(fresh: FreshNode) -> None:
    node = fresh.init(audit_timer_seconds=0.2, audit_max_age_seconds=10)
    # Pretend the head was signed long ago: the next tick must sign it again.
    old = "2000-01-01T00:00:00+00:00"
    with node.engine.begin() as conn:
        conn.execute(AuditHead.__table__.update().values(signed_at=old))
    with TestClient(create_app(node=node)):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with node.sessions() as s:
                signed = s.scalars(select(AuditHead)).one().signed_at
            if signed != old:
                break
            time.sleep(0.2)
    assert signed > old


def test_no_timer_when_the_setting_is_zero(fresh: FreshNode) -> None:
    node = fresh.init()
    off = dataclasses.replace(
        node, settings=node.settings.model_copy(update={"audit_timer_seconds": 0})
    )
    app = create_app(node=off)
    assert app.router.lifespan_context.__name__ != "lifespan"
