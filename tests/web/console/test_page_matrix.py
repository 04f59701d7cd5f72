"""Every console page × every role: who gets the page, who gets 403 (the page's declared
action, the same grant table the API's routes use). A page added without a line here
fails ``test_every_page_has_an_expectation``; the truth table is written by hand."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient

from alianza.app import create_app
from alianza.auth.permissions import USER_ROLES
from alianza.node.context import Node
from tests.conftest import Factory

ALL = frozenset(r.value for r in USER_ROLES)
READERS = frozenset({"analyst", "supervisor", "border_officer", "port_analyst"})
SCREENERS = frozenset({"analyst", "supervisor", "border_officer"})
ASKERS = READERS
AUDITORS = frozenset({"administrator", "supervisor"})
CASEWORK = frozenset({"caseworker", "supervisor"})
CHECKIN = frozenset({"caseworker", "supervisor", "border_officer"})
TARGETERS = frozenset({"port_analyst", "supervisor"})
REPORTERS = frozenset({"analyst", "supervisor", "port_analyst"})
WRITERS = REPORTERS
PLANNERS = REPORTERS
LEADERS = frozenset({"supervisor"})
PUBLIC = None
UNKNOWN = "00000000-0000-4000-8000-000000000000"

EXPECTED: dict[tuple[str, str], frozenset[str] | None] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/consola/login"): PUBLIC,
    ("POST", "/consola/login"): PUBLIC,
    ("GET", "/consola/idioma/{lang}"): PUBLIC,
    ("POST", "/consola/salir"): ALL,
    ("GET", "/consola"): ALL,
    ("GET", "/consola/control"): SCREENERS,
    ("POST", "/consola/control"): SCREENERS,
    ("POST", "/consola/control/socio"): ASKERS,
    ("GET", "/consola/intercambio/entrega"): ASKERS,
    ("POST", "/consola/intercambio/entrega"): ASKERS,
    ("GET", "/consola/registros"): READERS,
    ("GET", "/consola/registros/{record_id}"): READERS,
    ("GET", "/consola/registros/{record_id}/versiones"): READERS,
    ("GET", "/consola/registros/{record_id}/accesos"): AUDITORS,
    ("GET", "/consola/revision"): frozenset({"supervisor"}),
    ("POST", "/consola/registros/{record_id}/renovar"): frozenset({"supervisor"}),
    # The corridor (pages/corridor*.py, checkin.py): casework for caseworkers and
    # supervisors; check-ins and the map also for border officers; never a police role.
    ("GET", "/consola/corredor"): CASEWORK,
    ("GET", "/consola/corredor/hogares/{case_id}"): CASEWORK,
    ("POST", "/consola/corredor/hogares/{case_id}/mover"): CASEWORK,
    ("POST", "/consola/corredor/hogares/{case_id}/consentimiento"): CASEWORK,
    ("POST", "/consola/corredor/hogares/{case_id}/desistir"): CASEWORK,
    ("POST", "/consola/corredor/hogares/{case_id}/embarque"): CASEWORK,
    ("GET", "/consola/corredor/plan"): CASEWORK,
    ("GET", "/consola/mapa/corredor"): CHECKIN,
    ("GET", "/consola/mapa/corredor/paises.json"): ALL,
    ("GET", "/consola/paso"): CHECKIN,
    ("POST", "/consola/paso"): CHECKIN,
    ("GET", "/consola/paso/conflictos"): CHECKIN,
    ("POST", "/consola/paso/conflictos/{conflict_id}"): CASEWORK,
    # Regularisation (pages/status.py): casework for caseworkers and supervisors; the
    # sign-off of a refusal and the review of a hit for supervisors; never a police role.
    ("GET", "/consola/regularizacion"): CASEWORK,
    ("GET", "/consola/regularizacion/solicitudes/{application_id}"): CASEWORK,
    ("POST", "/consola/regularizacion/solicitudes/{application_id}/decidir"): CASEWORK,
    ("POST", "/consola/regularizacion/solicitudes/{application_id}/firmar"): LEADERS,
    ("POST", "/consola/regularizacion/solicitudes/{application_id}/recurso"): CASEWORK,
    ("POST", "/consola/regularizacion/solicitudes/{application_id}/consultas"): CASEWORK,
    ("POST", "/consola/regularizacion/solicitudes/{application_id}/consultas/{check_id}/revisar"): (
        LEADERS
    ),
    ("GET", "/consola/regularizacion/solicitudes/{application_id}/carta.pdf"): CASEWORK,
    # The exchange inbox (pages/exchange.py, exchange_status.py).
    ("GET", "/consola/intercambio"): ASKERS,
    ("GET", "/consola/intercambio/entregas/{request_id}"): ASKERS,
    ("POST", "/consola/intercambio/entregas/{request_id}/aprobar"): frozenset({"supervisor"}),
    ("POST", "/consola/intercambio/entregas/{request_id}/negar"): frozenset({"supervisor"}),
    ("GET", "/consola/auditoria/consultas"): AUDITORS,
    ("GET", "/consola/auditoria"): AUDITORS,
    ("GET", "/consola/nodos"): frozenset({"administrator"}),
    # Ports, seizures, routes and the situation picture (pages/ports.py, seizures.py,
    # routes.py, situation.py, maps.py): port targeting, seizure reports and writes,
    # interdiction plans, and the leaders' picture (supervisors).
    ("GET", "/consola/mapa/paises.geojson"): ALL,
    ("GET", "/consola/puertos"): TARGETERS,
    ("POST", "/consola/puertos/fijar"): TARGETERS,
    ("GET", "/consola/incautaciones"): REPORTERS,
    ("GET", "/consola/incautaciones/mapa.geojson"): REPORTERS,
    ("GET", "/consola/incautaciones/nueva"): WRITERS,
    ("POST", "/consola/incautaciones/nueva"): WRITERS,
    ("GET", "/consola/rutas"): PLANNERS,
    ("GET", "/consola/rutas/red.geojson"): PLANNERS,
    ("POST", "/consola/rutas/plan"): PLANNERS,
    ("GET", "/consola/rutas/planes/{plan_id}"): PLANNERS,
    ("GET", "/consola/rutas/planes/{plan_id}/mapa.geojson"): PLANNERS,
    ("GET", "/consola/situacion"): LEADERS,
    ("GET", "/consola/situacion.png"): LEADERS,
    ("GET", "/consola/situacion.pdf"): LEADERS,
}


def _flat(routes: list[Any]) -> Iterator[Any]:
    # FastAPI keeps included routers as nodes of their own (the console's have no prefix).
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from _flat(inner.routes) if inner is not None else (route,)


def _pages(node: Node) -> set[tuple[str, str]]:
    app = create_app(node=node)
    found = set()
    for route in _flat(app.routes):
        path = getattr(route, "path", "")
        if path == "/" or (path.startswith("/consola") and "static" not in path):
            for method in getattr(route, "methods", ()) or ():
                if method != "HEAD":
                    found.add((method, path))
    return found


def test_every_page_has_an_expectation(node: Node) -> None:
    pages = _pages(node)
    assert not pages - set(EXPECTED), (
        f"console pages without an expectation: {pages - set(EXPECTED)}"
    )
    assert not set(EXPECTED) - pages, f"stale expectations: {set(EXPECTED) - pages}"


def test_each_role_gets_a_page_only_if_expected(node: Node, factory: Factory) -> None:
    wrong = []
    for role in sorted(ALL):
        username = f"p.{role.replace('_', '')}"
        factory.user(username, role, password="clave-de-prueba-1")
        browser = TestClient(create_app(node=node))
        form = browser.get("/consola/login").text
        login_csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert login_csrf is not None
        browser.post(
            "/consola/login",
            data={"csrf": login_csrf.group(1), "usuario": username, "clave": "clave-de-prueba-1"},
        )
        home = re.search(r'name="csrf" value="([^"]+)"', browser.get("/consola").text)
        assert home is not None, role
        csrf = home.group(1)
        # Log-out last: it ends the session.
        for (method, path), allowed in sorted(EXPECTED.items(), key=lambda e: "salir" in e[0][1]):
            if allowed is PUBLIC:
                continue
            url = path.format(
                record_id=UNKNOWN,
                case_id=UNKNOWN,
                request_id=UNKNOWN,
                plan_id=UNKNOWN,
                conflict_id=UNKNOWN,
                application_id=UNKNOWN,
                check_id=UNKNOWN,
            )
            if path == "/consola/intercambio/entrega" and method == "GET":
                url += "?socio=nadie&ref=00000000"
            if method == "POST":
                answer = browser.post(url, data={"csrf": csrf}, follow_redirects=False)
            else:
                answer = browser.get(url, follow_redirects=False)
            status = answer.status_code
            if role in allowed and (status in (401, 403) or status >= 500):
                wrong.append(f"{role}: {method} {path} -> {status}, expected to get past")
            elif role not in allowed and status != 403:
                wrong.append(f"{role}: {method} {path} -> {status}, not 403")
    assert not wrong, "\n".join(wrong)
