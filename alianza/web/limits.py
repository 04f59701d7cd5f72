"""Refuse oversized request bodies before they are read into memory."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alianza.errors import PayloadTooLarge


class BodyLimit:
    """ASGI middleware: 413 with a problem body when a request exceeds ``limit`` bytes.

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
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        seen = 0
        too_big = False

        async def counted() -> Message:
            nonlocal seen, too_big
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    too_big = True
                    raise PayloadTooLarge(self._detail())
            return message

        try:
            await self.app(scope, counted, send)
        except PayloadTooLarge:
            if too_big:
                await self._refuse(send)
                return
            raise

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
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
