"""Who is at the console: the session cookie, the CSRF token, log-in and log-out.

The session cookie holds the token ``auth.login`` issues (256 random bits, only its
SHA-256 stored, the same token an API client gets, with the console's shorter lifetime,
``console_session_hours``). Each request checks it with ``auth.authenticate``, exactly as
the API checks a bearer token, so a disabled user, a revoked token and an expired one are
refused the same way; log-out revokes it on the node (a stolen cookie dies with it), not
only in the browser. It is HttpOnly, SameSite=Strict, and Secure when the console is
served over HTTPS. The log-in's lock-out is the API's (``auth.service``: counters in the
database, per name and per address, that survive restarts).

CSRF: every POST carries a token (form field ``csrf`` or header ``X-CSRF-Token``, which
``base.html`` gives every htmx request). Once logged in the token is an HMAC of the session
token, so it needs no storage and dies with the session; the log-in form, before there is
a session, uses a random double-submit cookie. A missing or wrong token is refused as
``PermissionDenied`` (audited like any other denial).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from alianza.auth import service as auth
from alianza.auth.permissions import Principal, authorize
from alianza.codes.problems import raise_validation
from alianza.errors import AuthenticationError, InputError, PermissionDenied
from alianza.node.context import Node
from alianza.web.deps import NodeDep, readable_path

PREFIX = "/consola"
SESSION_COOKIE = "alianza_sesion"
LOGIN_COOKIE = "alianza_csrf"
LANGUAGE_COOKIE = "alianza_idioma"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
MAX_FIELDS = 60
M = TypeVar("M", bound=BaseModel)


class LoginRequired(AuthenticationError):
    """No valid session: the console answers with the log-in page, not an error."""


def session_lifetime(node: Node) -> timedelta:
    """How long a console session lasts."""
    return timedelta(hours=node.settings.console_session_hours)


def csrf_for(session_token: str) -> str:
    """The CSRF token of a session (an HMAC keyed by the session's own secret token)."""
    return hmac.new(session_token.encode(), b"alianza-consola-csrf", hashlib.sha256).hexdigest()


def new_login_csrf() -> str:
    """A random token for the log-in form (double-submitted as a cookie)."""
    return secrets.token_urlsafe(24)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    """A console cookie: HttpOnly, SameSite=Strict, only for the console's paths."""
    response.set_cookie(
        name,
        value,
        max_age=age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def forget_cookie(request: Request, response: Response, name: str) -> None:
    """Remove a console cookie."""
    response.delete_cookie(
        name, path=PREFIX, httponly=True, samesite="strict", secure=_secure(request)
    )


def session_token(request: Request) -> str | None:
    """The session token the browser sent, if any."""
    return request.cookies.get(SESSION_COOKIE) or None


def current_principal(request: Request, node: NodeDep) -> Principal:
    """The user behind the session cookie (kept on the request: denials are audited)."""
    token = session_token(request)
    if token is None:
        raise LoginRequired("Inicie sesión para continuar.")
    try:
        with node.sessions() as session:
            principal = auth.principal_of(auth.authenticate(session, token))
    except AuthenticationError as exc:
        raise LoginRequired(exc.message) from None
    request.state.principal = principal
    request.state.session_token = token
    readable_path(request)
    return principal


ConsoleUser = Annotated[Principal, Depends(current_principal)]


def requires(action: str) -> Any:
    """A page's declared action, as ``web.deps.require`` declares a route's: the session's
    principal if their role holds it (the services behind the page check the resource)."""

    def dependency(principal: ConsoleUser) -> Principal:
        authorize(principal, action)
        return principal

    return Depends(dependency)


async def form(request: Request, *, before_login: bool = False) -> dict[str, str]:
    """A POSTed form (``application/x-www-form-urlencoded``) with its CSRF token checked.

    Read with the standard library: the console's forms hold no files. The token is
    checked against the session's, or (``before_login``) against the log-in cookie.
    """
    raw = await request.body()
    try:
        pairs = parse_qsl(
            raw.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=MAX_FIELDS,
            errors="strict",  # a percent-escape that is not UTF-8 is refused, not replaced
        )
    except UnicodeDecodeError:
        raise InputError.at("formulario", "el formulario no está en UTF-8") from None
    except ValueError:
        raise InputError.at("formulario", f"más de {MAX_FIELDS} campos") from None
    fields = dict(pairs)
    sent = request.headers.get(CSRF_HEADER) or fields.pop(CSRF_FIELD, "")
    fields.pop(CSRF_FIELD, None)
    token = None if before_login else session_token(request)
    expected = csrf_for(token) if token else request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise PermissionDenied(
            "Formulario caducado o no enviado desde la consola: vuelva a cargar la página."
        )
    return fields


def validated(model: type[M], data: dict[str, Any]) -> M:
    """``data`` checked by the API's own model for the same act (same limits, same
    Spanish messages naming each field)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise raise_validation(exc, prefix="") from None
