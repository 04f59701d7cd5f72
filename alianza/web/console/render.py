"""Rendering: one Jinja2 environment per language, the layout's context, error pages.

Templates live in ``console/templates`` (``base.html`` is the layout every page extends;
a name starting with ``_`` is a fragment that htmx swaps into a page). Every template
gets ``_``/``gettext`` (the language's catalogue, ``jinja2.ext.i18n``), the filters
``day`` (DD-MM-AAAA), ``moment`` (date and time in the node's zone), ``number`` and
``percent``, and the layout's context: the node, the principal and their role, the
navigation they may use, the CSRF token, the language and the current path.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from alianza.auth.permissions import ROLE_LABELS, Principal
from alianza.errors import AlianzaError, NotFound, PermissionDenied
from alianza.web.console import i18n
from alianza.web.console.i18n import N_
from alianza.web.console.nav import NavEntry, entries_for
from alianza.web.console.session import (
    LANGUAGE_COOKIE,
    PREFIX,
    LoginRequired,
    csrf_for,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"

# The role names of ``auth.permissions.ROLE_LABELS`` (Spanish), marked for extraction:
# the top bar shows them through the catalogue.
ROLE_MSGIDS = (
    N_("analista"),
    N_("oficial de frontera"),
    N_("analista portuario"),
    N_("gestor de casos"),
    N_("supervisor"),
    N_("administrador"),
    N_("nodo asociado"),
    N_("nodo"),
)


# Every page: never kept in a shared office PC's cache (records, travellers), never framed
# by another site (clickjacking), no guessing of content types, no address leaked.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@cache
def environment(lang: str) -> Environment:
    """The Jinja2 environment of one language (templates compiled once per process)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["day"] = lambda v: i18n.day(v, lang)
    env.filters["number"] = lambda v, digits=0: i18n.number(v, lang, digits)
    env.filters["percent"] = lambda v: i18n.percent(v, lang)
    env.globals["quote"] = lambda v: quote(str(v), safe="")
    return env


def language_of(request: Request) -> str:
    """The language the browser chose (the cookie the switch sets), Spanish by default."""
    return i18n.language(request.cookies.get(LANGUAGE_COOKIE))


def gettext(request: Request, message: str) -> str:
    """``message`` in the request's language."""
    return i18n.gettext_for(language_of(request))(message)


def _context(request: Request) -> dict[str, Any]:
    node = request.app.state.node
    lang = language_of(request)
    translate = i18n.gettext_for(lang)
    principal: Principal | None = getattr(request.state, "principal", None)
    token: str | None = getattr(request.state, "session_token", None)
    nav: list[NavEntry] = request.app.state.console_nav
    path = request.url.path
    return {
        "request": request,
        "node": node,
        "lang": lang,
        "other_lang": "en" if lang == "es" else "es",
        "path": path,
        "here": path + (f"?{request.url.query}" if request.url.query else ""),
        "principal": principal,
        "role_label": translate(ROLE_LABELS[principal.role]) if principal else "",
        "nav": [
            {"path": e.path, "label": translate(e.label), "current": path.startswith(e.path)}
            for e in (entries_for(principal, nav) if principal else [])
        ],
        "csrf": csrf_for(token) if token else "",
        "moment": lambda v: i18n.moment(v, lang, node.country),
        "static": f"{PREFIX}/static",
    }


def page(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **values: Any,
) -> HTMLResponse:
    """A page (or an htmx fragment) rendered in the request's language."""
    env = environment(language_of(request))
    html = env.get_template(template).render(**_context(request), **values)
    return HTMLResponse(html, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})


def is_console(request: Request) -> bool:
    """Whether the request is for the console (its pages, not its static files)."""
    path = request.url.path
    return (path == PREFIX or path.startswith(PREFIX + "/")) and not path.startswith(
        PREFIX + "/static/"
    )


def is_htmx(request: Request) -> bool:
    """Whether htmx sent the request (it swaps a fragment instead of loading a page)."""
    return request.headers.get("hx-request") == "true"


TITLES = {
    400: N_("Solicitud incorrecta"),
    401: N_("Sesión requerida"),
    403: N_("Sin permiso"),
    404: N_("No encontrado"),
    405: N_("Método no permitido"),
    409: N_("Conflicto"),
    413: N_("Contenido demasiado grande"),
    422: N_("Datos no válidos"),
    429: N_("Demasiados intentos"),
    500: N_("Error interno"),
    502: N_("Nodo asociado no disponible"),
    503: N_("Servicio ocupado"),
}


def error_page(request: Request, error: AlianzaError) -> Response | None:
    """The console's answer to one of our errors (None outside the console).

    No session: the log-in page (htmx is told to load it whole). A record out of the
    principal's scope reaches here as ``NotFound``, exactly like a missing one.
    """
    if not is_console(request):
        return None
    if isinstance(error, LoginRequired) or (
        error.http_status == 401 and not request.url.path.startswith(PREFIX + "/login")
    ):
        target = f"{PREFIX}/login"
        if request.method == "GET" and request.url.path != PREFIX + "/login":
            target += "?siguiente=" + quote(request.url.path, safe="/")
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    status = error.http_status
    if isinstance(error, NotFound):
        status = 404
    elif isinstance(error, PermissionDenied):
        status = 403
    # htmx swaps the fragment in place (``base.html`` lets it swap 4xx and 5xx answers).
    template = "_error.html" if is_htmx(request) else "error.html"
    return page(
        request,
        template,
        status=status,
        title=gettext(request, TITLES.get(status, TITLES[500])),
        message=error.message,
        problems=error.problems,
        code=status,
    )
