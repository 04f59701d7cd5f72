"""Log-in, log-out and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from alianza.auth import service as auth
from alianza.errors import AuthenticationError, RateLimited
from alianza.web.console import i18n
from alianza.web.console.render import page
from alianza.web.console.session import (
    LANGUAGE_COOKIE,
    LOGIN_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    ConsoleUser,
    forget_cookie,
    form,
    new_login_csrf,
    session_lifetime,
    session_token,
    set_cookie,
)
from alianza.web.deps import NodeDep, unit

router = APIRouter(include_in_schema=False)

Next = Annotated[str, Query(alias="siguiente", max_length=300)]


def _safe_next(target: str) -> str:
    """Only a console path (never another site: no open redirect)."""
    if target.startswith(PREFIX) and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX


def _login_page(
    request: Request, *, target: str, username: str = "", error: str = "", status: int = 200
) -> Response:
    token = new_login_csrf()
    answer = page(
        request,
        "login.html",
        status=status,
        login_csrf=token,
        target=_safe_next(target),
        username=username,
        error=error,
    )
    set_cookie(request, answer, LOGIN_COOKIE, token, 3600)
    return answer


@router.get(f"{PREFIX}/login")
def login_form(request: Request, target: Next = PREFIX) -> Response:
    return _login_page(request, target=target)


@router.post(f"{PREFIX}/login")
async def login(request: Request, node: NodeDep) -> Response:
    fields = await form(request, before_login=True)
    username = fields.get("usuario", "")[:80]
    password = fields.get("clave", "")[:200]
    target = fields.get("siguiente", PREFIX)
    address = request.client.host if request.client else ""
    refused: AuthenticationError | RateLimited | None = None
    with unit(node) as session:
        try:
            _, token, _ = auth.login(
                session,
                node=node,
                username=username,
                password=password,
                address=address,
                lifetime=session_lifetime(node),
            )
        except (AuthenticationError, RateLimited) as exc:
            # The failure's count and audit entry are committed all the same.
            refused = exc
    if refused is not None:
        return _login_page(
            request,
            target=target,
            username=username,
            error=refused.message,
            status=refused.http_status,
        )
    answer = RedirectResponse(_safe_next(target), status_code=303)
    set_cookie(request, answer, SESSION_COOKIE, token, int(session_lifetime(node).total_seconds()))
    forget_cookie(request, answer, LOGIN_COOKIE)
    return answer


@router.post(f"{PREFIX}/salir")
async def logout(request: Request, node: NodeDep, principal: ConsoleUser) -> Response:
    await form(request)
    token = session_token(request)
    if token:
        with unit(node) as session:
            auth.revoke_own_token(session, node=node, principal=principal, token=token)
    answer = RedirectResponse(f"{PREFIX}/login", status_code=303)
    forget_cookie(request, answer, SESSION_COOKIE)
    return answer


@router.get(PREFIX + "/idioma/{lang}")
def switch_language(request: Request, lang: str, target: Next = PREFIX) -> Response:
    answer = RedirectResponse(_safe_next(target), status_code=303)
    set_cookie(request, answer, LANGUAGE_COOKIE, i18n.language(lang), 365 * 24 * 3600)
    return answer
