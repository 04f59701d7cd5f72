"""Refuse oversized request bodies before the application sees them."""

from __future__ import annotations

import json
from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alianza.errors import PayloadTooLarge


class BodyLimit:
    """ASGI middleware: 413 with a problem body when a request exceeds ``limit`` bytes.

    A declared ``Content-Length`` is checked at once (the server never delivers more than
    it declares). A body without one (``Transfer-Encoding: chunked``) is read here, up to
    the limit, before the application runs: refusing it from inside the application's
    ``receive`` reached FastAPI's body parser, which answers any exception with 400.

    Written by hand: Starlette and FastAPI have no body-size limit, and uvicorn's
    ``--limit-*`` options cover concurrency, not size.
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit():
            if int(declared) > self.limit:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)
            return
        buffered: deque[Message] = deque()
        seen = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break  # the client went away: the application will see it too
            seen += len(message.get("body", b""))
            if seen > self.limit:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            if buffered:
                return buffered.popleft()
            return await receive()

        await self.app(scope, replay, send)

    def _detail(self) -> str:
        return f"El contenido supera el máximo de {self.limit} bytes (ALIANZA_MAX_BODY_BYTES)."

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(PayloadTooLarge(self._detail()).to_problem()).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
