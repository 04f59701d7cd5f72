"""The console: server-rendered pages (Jinja2, htmx) for the people of each role.

Layout::

    console/
      __init__.py   PAGES, the one list of page modules; attach() mounts them on the app
      session.py    the session cookie, CSRF, ``requires(action)`` for a page's routes
      render.py     Jinja2 per language, the layout's context, error pages
      i18n.py       Babel catalogues (../translations/{es,en}), DD-MM-AAAA, 1.234,5
      nav.py        NavEntry: a top-bar link shown to roles holding its action
      pages/        one module per page or group: its router and its NAV entries
      templates/    base.html (layout), error.html, <page>/*.html, _fragments for htmx
    ../static/      console.css, maps.js and corridor-map.js (Leaflet maps over the
                    shipped outlines), vendor/ (htmx, Leaflet: update.sh)

Adding a page:

1. ``pages/<name>.py`` with ``router = APIRouter(prefix="/consola/...")`` and, if it goes in
   the top bar, ``NAV = (NavEntry("/consola/...", N_("Etiqueta"), action="<action>"),)``:
   the action is the one the page's service authorises, so the link shows exactly to
   the roles that may use it.
2. Its handlers take the principal from ``session.requires(action)`` (or ``ConsoleUser``),
   read POSTed fields with ``await session.form(request)`` (which checks the CSRF token),
   call the domain's service function, the same as its API route (the service authorises
   and audits), and answer ``render.page(request, "<name>/x.html", ...)``. Errors need no
   handling: an ``AlianzaError`` becomes the console's error page (a forbidden record
   and a missing one both as 404), a missing session the log-in page.
3. Templates extend ``base.html``; every label goes through ``_()``; dates through
   ``|day`` or ``moment()``, numbers through ``|number``.
4. One line in ``PAGES`` below, and its routes × roles in the console's page matrix
   (``tests/web/console/test_page_matrix.py``, written by hand: a page without a line
   fails). Its labels into the catalogues: ``.venv/bin/python tools/console_catalogues.py``
   extracts them (``pybabel``, map in ``alianza/web/translations/babel.cfg``) into both
   ``.po`` files; translate the new English entries. ``tests/web/console/test_i18n.py``
   fails while a label is missing or untranslated. The ``.po`` files are compiled in
   memory at start (``i18n.translations``): no ``.mo`` to build or commit.
5. A browser test in ``tests/e2e/`` that walks the page as the roles that use it, takes
   its screenshot and runs axe-core on it (``tests/e2e/conftest.py``: the ``visit``
   fixture logs a user in; ``Visit.check(name)`` screenshots and runs axe-core).
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from alianza.errors import AlianzaError
from alianza.node.context import Node
from alianza.web.console.nav import NavEntry
from alianza.web.console.render import error_page, is_console, page
from alianza.web.console.session import PREFIX

STATIC = Path(__file__).resolve().parent.parent / "static"

# The console's page modules, in the order their routes are added.
PAGES: list[str] = [
    "alianza.web.console.pages.access",
    "alianza.web.console.pages.home",
    "alianza.web.console.pages.screening",
    "alianza.web.console.pages.records",
    "alianza.web.console.pages.corridor",
    "alianza.web.console.pages.corridor_plan",
    "alianza.web.console.pages.corridor_map",
    "alianza.web.console.pages.checkin",
    "alianza.web.console.pages.status",
    "alianza.web.console.pages.exchange",
    "alianza.web.console.pages.exchange_status",
    "alianza.web.console.pages.maps",
    "alianza.web.console.pages.ports",
    "alianza.web.console.pages.seizures",
    "alianza.web.console.pages.routes",
    "alianza.web.console.pages.situation",
]

log = logging.getLogger("alianza.web")


def attach(app: FastAPI, node: Node) -> None:
    """The web domain's start-up hook: the console's pages, static files and error pages."""
    nav: list[NavEntry] = []
    for name in PAGES:
        module = importlib.import_module(name)
        app.include_router(module.router)
        nav.extend(getattr(module, "NAV", ()))
    app.state.console_nav = nav
    app.state.error_pages = error_page
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="console-static")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(PREFIX, status_code=307)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        # Our bug, never the user's input: its trace goes to the log, a page to the person.
        log.error("error no previsto en %s", request.url.path, exc_info=exc)
        if is_console(request):
            try:
                return page(
                    request,
                    "error.html",
                    status=500,
                    title="Error interno",
                    message="Ocurrió un error no previsto; quedó registrado para revisión.",
                    problems=[],
                    code=500,
                )
            except AlianzaError:
                pass
        return PlainTextResponse("Internal Server Error", status_code=500)
