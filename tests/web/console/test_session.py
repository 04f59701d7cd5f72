"""The console's log-in, session cookie, CSRF and error pages, in process (both backends).

The browser tests (``tests/e2e``) walk the same in chromium; these pin the details.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alianza.audit.models import AuditEntry
from alianza.node.context import Node
from tests.conftest import Factory

PASSWORD = "clave-de-prueba-1"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def log_in(browser: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; the CSRF token of the session."""
    form = browser.get("/consola/login")
    answer = browser.post(
        "/consola/login",
        data={"csrf": _csrf(form.text), "usuario": username, "clave": password},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return _csrf(browser.get("/consola").text)


def test_the_root_opens_the_console_and_asks_for_a_log_in(browser: TestClient) -> None:
    assert browser.get("/", follow_redirects=False).headers["location"] == "/consola"
    answer = browser.get("/consola/control", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/consola/login?siguiente=/consola/control"
    page = browser.get("/consola/login")
    assert page.status_code == 200
    assert '<html lang="es">' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"


def test_the_session_cookie_is_http_only_and_strict(browser: TestClient, factory: Factory) -> None:
    factory.user("bruno", "border_officer", password=PASSWORD)
    form = browser.get("/consola/login")
    answer = browser.post(
        "/consola/login",
        data={"csrf": _csrf(form.text), "usuario": "bruno", "clave": PASSWORD},
        follow_redirects=False,
    )
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("alianza_sesion=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/consola" in cookie
    assert "Max-Age=43200" in cookie  # console_session_hours


def test_a_wrong_password_is_a_page_with_the_reason(browser: TestClient, factory: Factory) -> None:
    factory.user("bruno", "border_officer", password=PASSWORD)
    form = browser.get("/consola/login")
    answer = browser.post(
        "/consola/login",
        data={"csrf": _csrf(form.text), "usuario": "bruno", "clave": "otra-clave-9"},
    )
    assert answer.status_code == 401
    assert "Usuario o contraseña incorrectos." in answer.text


def test_a_post_without_the_session_csrf_is_refused_and_audited(
    browser: TestClient, factory: Factory, node: Node
) -> None:
    factory.user("ana", "analyst", password=PASSWORD)
    token = log_in(browser, "ana")
    answer = browser.post("/consola/control", data={"nombres": "Ana"})
    assert answer.status_code == 403
    assert "Formulario caducado" in answer.text
    with node.sessions() as session:
        denial = session.scalars(
            select(AuditEntry).where(AuditEntry.actor == "ana@PDI.CL").order_by(AuditEntry.seq)
        ).all()[-1]
    assert denial.action == "access.denied" and denial.target == "POST /consola/control"
    # With the token (form field or htmx's header) the same request goes through.
    assert browser.post("/consola/control", data={"csrf": token, "nombres": "Ana"}).is_success
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    assert browser.post("/consola/control", data={"nombres": "Ana"}, headers=headers).is_success


def test_log_out_revokes_the_token_behind_the_cookie(browser: TestClient, factory: Factory) -> None:
    factory.user("ana", "analyst", password=PASSWORD)
    token = log_in(browser, "ana")
    session = browser.cookies.get("alianza_sesion")
    assert session and session.startswith("alz_")
    out = browser.post("/consola/salir", data={"csrf": token}, follow_redirects=False)
    assert out.headers["location"] == "/consola/login"
    # The token no longer opens the API either.
    assert (
        browser.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {session}"}).status_code
        == 401
    )


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/consola/registros?pagina=abc", 422),
        ("/consola/registros?q=" + "x" * 300, 422),
        ("/consola/registros/no-existe", 404),
        ("/consola/nada", 404),
        ("/consola/revision", 403),
    ],
)
def test_errors_are_pages_in_spanish(
    browser: TestClient, factory: Factory, path: str, status: int
) -> None:
    factory.user("ana", "analyst", password=PASSWORD)
    log_in(browser, "ana")
    answer = browser.get(path)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert '<html lang="es">' in answer.text and 'role="alert"' in answer.text


def test_hostile_form_input_is_refused_by_name(browser: TestClient, factory: Factory) -> None:
    factory.user("ana", "analyst", password=PASSWORD)
    token = log_in(browser, "ana")
    bidi = browser.post("/consola/control", data={"csrf": token, "nombres": "Ana\u202eZ"})
    assert bidi.status_code == 422 and "given_names" in bidi.text
    raw = browser.post(
        "/consola/control",
        content=b"csrf=" + token.encode() + b"&nombres=%FF%FE",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert raw.status_code == 422


def test_the_api_still_answers_json(browser: TestClient) -> None:
    answer = browser.get("/api/v1/records/nada")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert browser.get("/api/v1/nada").headers["content-type"] == "application/problem+json"


def test_the_language_switch_only_goes_back_to_the_console(browser: TestClient) -> None:
    answer = browser.get(
        "/consola/idioma/en?siguiente=https://example.org/", follow_redirects=False
    )
    assert answer.headers["location"] == "/consola"
    assert "alianza_idioma=en" in answer.headers["set-cookie"]
    page = browser.get("/consola/login")
    assert '<html lang="en">' in page.text and "Log in" in page.text
