"""Map every error to one JSON problem body (RFC 9457), in one place."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from alianza.errors import AlianzaError, InputError
from alianza.records.kinds import problems_from_errors

PROBLEM = "application/problem+json"


def problem_response(error: AlianzaError) -> JSONResponse:
    """The HTTP answer for one of our errors."""
    return JSONResponse(error.to_problem(), status_code=error.http_status, media_type=PROBLEM)


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

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "No encontrado", 405: "Método no permitido"}
        body = {
            "type": "about:blank",
            "title": titles.get(exc.status_code, "Error HTTP"),
            "status": exc.status_code,
            "detail": str(exc.detail),
        }
        return JSONResponse(body, status_code=exc.status_code, media_type=PROBLEM)
