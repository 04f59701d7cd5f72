"""The console walked in a real browser, role by role, next to what the API answers.

Every page visited is screenshot (``tests/e2e/screenshots/``) and checked with axe-core.
"""

from __future__ import annotations

import re
from typing import Any

import httpx2
import pytest

from alianza.identity.mrz import check_digit
from tests.e2e.scene import PASSWORD

pytestmark = pytest.mark.slow

# The top bar of each role: a truth table written by hand (the console derives it from
# the grant table, which is what is under test).
NAV = {
    "admin": [],
    "ana.rojas": ["Control fronterizo", "Registros"],
    "diego.soto": ["Control fronterizo", "Registros", "Revisión"],
    "bruno.chacalluta": ["Control fronterizo", "Registros"],
    "carla.puerto": ["Registros"],
    "elena.retorno": [],
    "felipe.carabineros": ["Control fronterizo", "Registros"],
}
DAY = re.compile(r"^\d{2}-\d{2}-\d{4}$")


def token(scene: Any, username: str) -> str:
    answer = httpx2.post(
        scene.url + "/api/v1/auth/token",
        json={"username": username, "password": PASSWORD},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def api(scene: Any, username: str, method: str, path: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token(scene, username)}"}
    return httpx2.request(method, scene.url + path, headers=headers, timeout=60, **kw)


def td3(surnames: str, given: str, nationality: str, birth: str, number: str) -> str:
    """A passport's MRZ (ICAO 9303 TD3) with valid check digits."""
    name = f"{surnames.replace(' ', '<')}<<{given.replace(' ', '<')}".upper()
    line1 = f"P<{nationality}{name}".ljust(44, "<")[:44]
    doc = number.ljust(9, "<")
    born = birth[2:4] + birth[5:7] + birth[8:10]
    expiry, personal = "301231", "<" * 14
    parts = [
        doc + str(check_digit(doc)),
        nationality,
        born + str(check_digit(born)),
        "M",
        expiry + str(check_digit(expiry)),
        personal + str(check_digit(personal)),
    ]
    body = "".join(parts)
    final = check_digit(parts[0] + parts[2] + parts[4] + parts[5])
    return line1 + "\n" + body + str(final)


MINE = {"Control fronterizo", "Registros", "Revisión"}  # this module's pages


@pytest.mark.parametrize("username", sorted(NAV))
def test_each_role_sees_the_pages_it_may_use(visit: Any, username: str) -> None:
    v = visit(username)
    assert v.page.url.endswith("/consola")
    links = v.page.locator("header nav a")
    shown = links.all_inner_texts()
    assert [label for label in shown if label in MINE] == NAV[username]
    assert v.page.locator("html").get_attribute("lang") == "es"
    assert username in v.page.locator("[data-testid=usuario]").inner_text()
    v.check(f"inicio-{username}")
    # Every page the bar offers (other modules' too) opens for this role.
    for href in [links.nth(i).get_attribute("href") for i in range(links.count())]:
        assert v.go(str(href)).status == 200, href


def test_border_officer_screens_a_traveller(visit: Any, scene: Any) -> None:
    v = visit("bruno.chacalluta")
    v.go("/consola/control")
    v.check("control-vacio")
    v.page.fill("#nombres", "Carlos Andres")
    v.page.fill("#apellido1", "Rojas")
    v.page.fill("#apellido2", "Vera")
    v.page.fill("#nacimiento", "04-03-1980")
    v.page.fill("#nacionalidad", "CL")
    v.page.click("form.screen-form button[type=submit]")
    first = v.page.locator(".candidate").first
    first.wait_for()
    link = first.locator("a").first
    assert link.get_attribute("href") == f"/consola/registros/{scene.ids['pdi_person']}"
    assert "coincide" in first.locator(".explain").inner_text()
    assert v.page.url.endswith("/consola/control")  # htmx swapped the results in place
    v.check("control-resultados")

    # The API ranks the same records first for the same officer.
    answer = api(
        scene,
        "bruno.chacalluta",
        "POST",
        "/api/v1/screen",
        json={
            "given_names": "Carlos Andres",
            "surname_1": "Rojas",
            "surname_2": "Vera",
            "birth_date": "1980-03-04",
            "nationality": "CL",
        },
    )
    assert answer.status_code == 200
    assert answer.json()["candidates"][0]["record_id"] == scene.ids["pdi_person"]

    # The MRZ of the passport in hand, alone.
    v.go("/consola/control")
    v.page.fill("#mrz", td3("Rojas Vera", "Carlos Andres", "CHL", "1980-03-04", "P1234567"))
    v.page.click("form.screen-form button[type=submit]")
    v.page.locator(".candidate").first.wait_for()
    assert v.page.locator(".candidate a").first.get_attribute("href") == (
        f"/consola/registros/{scene.ids['pdi_person']}"
    )


def test_a_border_officer_never_sees_another_agencys_restricted_record(
    visit: Any, scene: Any
) -> None:
    hidden = scene.ids["carabineros_person"]
    v = visit("bruno.chacalluta")
    v.go("/consola/control")
    v.page.fill("#nombres", "Pedro Pablo")
    v.page.fill("#apellido1", "Soto")
    v.page.fill("#apellido2", "Muñoz")
    v.page.fill("#nacimiento", "20-11-1975")
    v.page.click("form.screen-form button[type=submit]")
    v.page.locator("[data-testid=candidatos]").wait_for()
    assert hidden not in v.page.content()
    # Its address answers like a record that does not exist, in the console and the API.
    assert v.go(f"/consola/registros/{hidden}").status == 404
    v.check("registro-404")
    unknown = "00000000-0000-4000-8000-000000000000"
    assert v.go(f"/consola/registros/{unknown}").status == 404
    assert api(scene, "bruno.chacalluta", "GET", f"/api/v1/records/{hidden}").status_code == 404
    # A container is not a border officer's kind: also absent, here and in the API.
    container = scene.ids["pdi_container"]
    assert v.go(f"/consola/registros/{container}").status == 404
    assert api(scene, "bruno.chacalluta", "GET", f"/api/v1/records/{container}").status_code == 404
    v.go("/consola/registros?q=Soto")
    assert hidden not in v.page.content()
    # Carabineros' own analyst does see it.
    felipe = visit("felipe.carabineros")
    assert felipe.go(f"/consola/registros/{hidden}").status == 200


def test_a_caseworker_never_sees_police_records(visit: Any, scene: Any) -> None:
    v = visit("elena.retorno")
    assert v.go("/consola/registros").status == 403
    v.check("registros-403")
    assert v.go(f"/consola/registros/{scene.ids['pdi_person']}").status == 403
    assert api(scene, "elena.retorno", "GET", "/api/v1/records").status_code == 403
    assert v.go("/consola/control").status == 403
    assert api(scene, "elena.retorno", "POST", "/api/v1/screen", json={}).status_code == 403


def test_an_analyst_searches_and_reads_a_record_with_its_rules(visit: Any, scene: Any) -> None:
    v = visit("ana.rojas")
    v.go("/consola/registros")
    v.check("registros-lista")
    v.page.fill("#q", "Rojas Vera")
    v.page.click("form.searchbar button")
    v.page.wait_for_load_state()
    v.check("registros-busqueda")
    v.page.click(f"a[href='/consola/registros/{scene.ids['pdi_person']}']")
    v.page.wait_for_load_state()
    rules = v.page.locator("[data-testid=reglas]")
    assert "H0" in rules.inner_text()
    assert "X4" in rules.inner_text()
    assert "solo la institución" in rules.inner_text()
    review = rules.locator("dd").nth(3).inner_text()
    assert DAY.match(review), review
    v.check("registro-ver")
    v.page.click("nav.tabs >> text=Versiones")
    v.page.wait_for_load_state()
    assert "Versión 1" in v.page.content()
    v.check("registro-versiones")


def test_a_supervisor_sees_who_saw_a_record_and_renews_one_due(visit: Any, scene: Any) -> None:
    ana = visit("ana.rojas")
    ana.go(f"/consola/registros/{scene.ids['pdi_person']}")
    v = visit("diego.soto")
    v.go(f"/consola/registros/{scene.ids['pdi_person']}/accesos")
    seen = v.page.locator("table.list").inner_text()
    assert "ana.rojas@PDI.CL" in seen and "record.read" in seen
    v.check("registro-accesos")
    v.go("/consola/revision")
    due = scene.ids["review_due"]
    assert v.page.locator(f"a[href='/consola/registros/{due}']").count() == 1
    v.check("revision")
    v.page.click(f"a[href='/consola/registros/{due}']")
    v.page.click("summary")
    v.page.fill("#motivo", "investigación abierta")
    v.page.click("details button[type=submit]")
    v.page.wait_for_load_state()
    v.go("/consola/revision")
    assert v.page.locator(f"a[href='/consola/registros/{due}']").count() == 0


def test_bad_input_gets_a_spanish_message_not_a_500(visit: Any) -> None:
    v = visit("bruno.chacalluta")
    v.go("/consola/control")
    v.page.fill("#nombres", "Ana")
    v.page.fill("#nacimiento", "31-02-1990")
    v.page.click("form.screen-form button[type=submit]")
    alert = v.page.locator("#resultados [role=alert]")
    alert.wait_for()
    assert alert.get_attribute("data-status") == "422"
    assert "birth_date" in alert.inner_text()
    v.check("control-error")
    assert v.go("/consola/registros?pagina=abc").status == 422
    assert v.go("/consola/no-existe").status == 404


def test_a_forged_post_is_refused_and_changes_nothing(visit: Any) -> None:
    v = visit("ana.rojas")
    forged = v.post_raw("/consola/salir", {})
    assert forged.status == 403
    assert "Formulario caducado" in forged.text()
    wrong = v.post_raw("/consola/salir", {"csrf": "0" * 64})
    assert wrong.status == 403
    assert v.go("/consola").url.endswith("/consola")  # still logged in
    # A log-in posted from elsewhere (no log-in form cookie) is refused too.
    other = v.page.context.request.post(
        v.base + "/consola/login",
        form={"usuario": "ana.rojas", "clave": PASSWORD, "csrf": "x"},
        max_redirects=0,
    )
    assert other.status == 403


def test_log_out_ends_the_session_on_the_node(visit: Any) -> None:
    v = visit("ana.rojas")
    [cookie] = [c for c in v.page.context.cookies() if c["name"] == "alianza_sesion"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    v.page.click("text=Cerrar sesión")
    v.page.wait_for_load_state()
    assert "/consola/login" in v.page.url
    v.check("login")
    v.go("/consola/control")
    assert "/consola/login" in v.page.url
    # The old cookie, replayed, is refused: the token behind it was revoked.
    v.page.context.add_cookies([cookie])
    v.go("/consola/control")
    assert "/consola/login" in v.page.url


def test_the_console_speaks_english_on_request(visit: Any) -> None:
    v = visit("bruno.chacalluta")
    v.go("/consola/control")
    v.page.click("a.lang")
    v.page.wait_for_load_state()
    assert v.page.locator("html").get_attribute("lang") == "en"
    assert v.page.locator("h1").inner_text() == "Border screening"
    v.check("control-en")
    v.page.click("a.lang")
    v.page.wait_for_load_state()
    assert v.page.locator("h1").inner_text() == "Control fronterizo"


def test_the_screening_page_is_light(visit: Any) -> None:
    """The page and everything it loads weigh under 100 KB uncompressed, uncached."""
    v = visit("bruno.chacalluta")
    v.go("/consola/control")
    v.page.wait_for_load_state("networkidle")
    loaded = v.page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    sizes = {url: len(v.page.request.get(url).body()) for url in [v.page.url, *loaded]}
    assert len(sizes) >= 3 and sum(sizes.values()) < 100_000, sizes
