"""Denied requests go into the audit log: a 403, or a 404 to an authenticated caller (an
out-of-scope record answers 404 exactly like a missing one, and both are worth knowing
about when someone probes)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from alianza.audit.denials import record_denial
from alianza.auth.permissions import Principal
from alianza.errors import AlianzaError, NotFound, PermissionDenied
from alianza.web.errors import respond

log = logging.getLogger("alianza.audit")


def install(app: FastAPI) -> None:
    """Register the auditing handlers (before the generic ones of ``web.errors``)."""

    async def _denied(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AlianzaError)
        principal = getattr(request.state, "principal", None)
        if isinstance(principal, Principal):
            what = f"{request.method} {request.url.path}"
            try:
                await run_in_threadpool(
                    record_denial, request.app.state.node, principal, what=what, error=exc
                )
            except AlianzaError as busy:  # the refusal still stands; the log says why not
                log.warning("no se pudo auditar un acceso denegado: %s", busy.message)
        return respond(request, exc)

    app.add_exception_handler(PermissionDenied, _denied)
    app.add_exception_handler(NotFound, _denied)
