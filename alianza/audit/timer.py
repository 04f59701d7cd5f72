"""The audit domain's timer in the served app: sign the head, fold refusal counts.

Every ``ALIANZA_AUDIT_TIMER_SECONDS`` the node folds closed hours of refusal counts into
the log and signs its head if it is older than ``ALIANZA_AUDIT_MAX_AGE_SECONDS`` (a
checkpoint when entries were appended since the last one). Partners get the head at
every sync as well (``exchange.flows``). Several worker processes each run a timer; the
head's row lock makes them take turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from alianza.audit.refusals import fold_refusals
from alianza.audit.service import checkpoint_if_due
from alianza.db import transaction

if TYPE_CHECKING:
    from fastapi import FastAPI

    from alianza.node.context import Node


log = logging.getLogger("alianza.audit")


def tick(node: Node) -> None:
    """One round of the timer (also what a cron job or a test can call)."""
    with transaction(node.sessions) as session:
        fold_refusals(session, node)
        checkpoint_if_due(
            session, node, max_age=timedelta(seconds=node.settings.audit_max_age_seconds)
        )


async def _loop(node: Node) -> None:
    while True:
        await asyncio.sleep(node.settings.audit_timer_seconds)
        try:
            await asyncio.to_thread(tick, node)
        except Exception:  # a busy database now: the next tick tries again
            log.exception("no se pudo firmar la cabeza del registro de auditoría")


def attach(app: FastAPI, node: Node) -> None:
    """The audit domain's start-up hook: run the timer while the app is served."""
    if node.settings.audit_timer_seconds <= 0:
        return
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        task = asyncio.create_task(_loop(node), name="alianza-auditoria")
        try:
            async with inner(application) as state:
                yield state
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.router.lifespan_context = lifespan
