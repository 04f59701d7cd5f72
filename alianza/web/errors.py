"""Map every error to one JSON problem body (RFC 9457), in one place.

Every body goes through ``problem_body``/``encodable``: an error may echo what the client
sent, lone surrogates included, and must still be rendered (finding C1 of issue 9).
The OpenAPI documents that body, as ``application/problem+json``, for every error status
a route can answer (``PROBLEM_STATUSES``), in place of FastAPI's own 422 shape, which
this module never sends.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from alianza.codes.problems import encodable, problem_body, problems_from_errors
from alianza.errors import AlianzaError, InputError, NotFound

PROBLEM = "application/problem+json"

# The error statuses any route may answer (a token, a role, a scope, a stale version, a
# body too large, bad input, a lock-out or a peer's rate): every operation documents them
# all rather than guess which of its dependencies raise which.
PROBLEM_STATUSES = {
    401: "No autenticado: falta el token, es inválido o venció",
    403: "Sin permiso",
    404: "No encontrado (o fuera de su alcance)",
    409: "Conflicto",
    413: "Contenido demasiado grande",
    422: "Entrada inválida: nombra cada campo con problemas",
    429: "Demasiados intentos o consultas",
}


class ProblemField(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An error answer (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemField] = Field(default_factory=list)  # absent when empty


def problem_response(error: AlianzaError) -> JSONResponse:
    """The HTTP answer for one of our errors."""
    return JSONResponse(problem_body(error), status_code=error.http_status, media_type=PROBLEM)


def respond(request: Request, error: AlianzaError) -> Response:
    """The answer to one of our errors: a page for a person at the console (the hook
    ``app.state.error_pages`` the console sets), else the problem body."""
    pages = getattr(request.app.state, "error_pages", None)
    answer = pages(request, error) if pages is not None else None
    return answer if answer is not None else problem_response(error)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app`` and document their answers in its OpenAPI."""
    _document(app)

    @app.exception_handler(AlianzaError)
    async def _ours(request: Request, exc: AlianzaError) -> Response:
        return respond(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _request(request: Request, exc: RequestValidationError) -> Response:
        errs = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            if len(loc) > 1 and loc[0] in ("body", "query", "path", "header"):
                loc = loc[1:]
            errs.append({**err, "loc": loc})
        problems = problems_from_errors(errs, prefix="")
        message = "; ".join(f"{p.field}: {p.message}" for p in problems)
        return respond(request, InputError(message, problems=problems))

    @app.exception_handler(UnicodeEncodeError)
    async def _surrogates(request: Request, exc: UnicodeEncodeError) -> Response:
        # Last line of defence: text is gated where it enters (alianza.codes.text), so
        # this only answers for a lone surrogate that reached an encoder unchecked. It
        # came from the request, so it is the client's error, not a 500.
        if "surrogate" not in exc.reason:
            raise exc  # our bug: a 500 with its stack trace in the log
        return respond(
            request, InputError("Texto con caracteres no válidos (un sustituto UTF-16 suelto).")
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (404, 405) and getattr(request.app.state, "error_pages", None):
            # A page that does not exist at the console: its 404 page, not a JSON body.
            refused = NotFound("No existe esa página.") if exc.status_code == 404 else None
            page = request.app.state.error_pages(
                request, refused or InputError("Método no permitido en esta página.")
            )
            if page is not None:
                return page  # type: ignore[no-any-return]
        if exc.status_code == 400:
            # FastAPI's answer to a body it cannot decode (not UTF-8, say): bad input
            # like malformed JSON, so the same 422 and Spanish problem.
            return respond(
                request, InputError("Cuerpo ilegible: envíe JSON válido en UTF-8.", problems=[])
            )
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


def _document(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _add_problems(generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override


def _add_problems(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    shape = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(shape.pop("$defs", {}))
    components["Problem"] = shape
    content = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in PROBLEM_STATUSES.items():
                known = responses.get(str(status), {}).get("description")
                documented = known if known and status != 422 else description
                responses[str(status)] = {"description": documented, "content": content}
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
