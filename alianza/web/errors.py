"""Map every error to one JSON problem body (RFC 9457), in one place.

Every body goes through ``problem_body``/``encodable``: an error may echo what the client
sent, lone surrogates included, and must still be rendered (finding C1 of issue 9).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from alianza.codes.problems import encodable, problem_body, problems_from_errors
from alianza.errors import AlianzaError, InputError

PROBLEM = "application/problem+json"


def problem_response(error: AlianzaError) -> JSONResponse:
    """The HTTP answer for one of our errors."""
    return JSONResponse(problem_body(error), status_code=error.http_status, media_type=PROBLEM)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(AlianzaError)
    async def _ours(_: Request, exc: AlianzaError) -> JSONResponse:
        return problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errs = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            if len(loc) > 1 and loc[0] in ("body", "query", "path", "header"):
                loc = loc[1:]
            errs.append({**err, "loc": loc})
        problems = problems_from_errors(errs, prefix="")
        message = "; ".join(f"{p.field}: {p.message}" for p in problems)
        return problem_response(InputError(message, problems=problems))

    @app.exception_handler(UnicodeEncodeError)
    async def _surrogates(_: Request, exc: UnicodeEncodeError) -> JSONResponse:
        # Last line of defence: text is gated where it enters (alianza.codes.text), so
        # this only answers for a lone surrogate that reached an encoder unchecked. It
        # came from the request, so it is the client's error, not a 500.
        if "surrogate" not in exc.reason:
            raise exc  # our bug: a 500 with its stack trace in the log
        return problem_response(
            InputError("Texto con caracteres no válidos (un sustituto UTF-16 suelto).")
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {
            404: "No encontrado",
            405: "Método no permitido",
            413: "Contenido demasiado grande",
        }
        body = {
            "type": "about:blank",
            "title": titles.get(exc.status_code, "Error HTTP"),
            "status": exc.status_code,
            "detail": str(exc.detail),
        }
        return JSONResponse(encodable(body), status_code=exc.status_code, media_type=PROBLEM)
