"""Routes in the console: the regional network's map, an interdiction plan made from the
form (htmx fragment or a page), its map with the controls and the flows before and after,
and another agency's plan as a 404; a caseworker gets 403 (both backends)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from alianza.app import create_app
from alianza.node.context import Node
from tests.conftest import Factory
from tests.web.console.test_session import PASSWORD, log_in


def test_the_network_map_and_a_plan_before_and_after(
    browser: TestClient, node: Node, factory: Factory
) -> None:
    factory.user("ana", "analyst", password=PASSWORD)
    token = log_in(browser, "ana")
    page = browser.get("/consola/rutas")
    assert page.status_code == 200
    assert 'hx-indicator="#calculando"' in page.text and 'for="presupuesto"' in page.text
    network = browser.get("/consola/rutas/red.geojson").json()
    assert len(network["features"]) > 1000
    # htmx: the plan's fragment, with its tables and the map behind its own route.
    made = browser.post(
        "/consola/rutas/plan",
        data={"presupuesto": "5"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert made.status_code == 200, made.text
    assert 'data-testid="plan"' in made.text and 'data-testid="controles"' in made.text
    assert "<html" not in made.text
    found = re.search(r"/consola/rutas/planes/([0-9a-f-]{36})/mapa\.geojson", made.text)
    assert found is not None
    plan_id = found.group(1)
    drawn = browser.get(f"/consola/rutas/planes/{plan_id}/mapa.geojson").json()
    lines = [f["properties"] for f in drawn["features"] if "from" in f["properties"]]
    controlled = [p for p in lines if p["controlled"]]
    places = [f for f in drawn["features"] if f["properties"].get("controlled") is True]
    assert controlled or places
    assert sum(p["flow_after"] or 0 for p in lines) < sum(p["flow_before"] or 0 for p in lines)
    # Without htmx: to the plan's page.
    again = browser.post(
        "/consola/rutas/plan", data={"csrf": token, "presupuesto": "3"}, follow_redirects=False
    )
    assert again.status_code == 303
    shown = browser.get(again.headers["location"])
    assert shown.status_code == 200 and "Flujo después" in shown.text


def test_another_agencys_plan_is_not_found(
    browser: TestClient, node: Node, factory: Factory
) -> None:
    factory.user("ana", "analyst", password=PASSWORD)
    factory.user("otto", "analyst", agency="Carabineros", password=PASSWORD)
    token = log_in(browser, "ana")
    made = browser.post(
        "/consola/rutas/plan", data={"csrf": token, "presupuesto": "2"}, follow_redirects=False
    )
    path = made.headers["location"]
    other = TestClient(create_app(node=node), base_url="http://testserver")
    log_in(other, "otto")
    assert other.get(path).status_code == 404
    assert other.get(path + "/mapa.geojson").status_code == 404


@pytest.mark.parametrize("budget", ["muchos", "-1", "1e12"])
def test_a_bad_budget_is_named(browser: TestClient, factory: Factory, budget: str) -> None:
    factory.user("ana", "analyst", password=PASSWORD)
    token = log_in(browser, "ana")
    answer = browser.post("/consola/rutas/plan", data={"csrf": token, "presupuesto": budget})
    assert answer.status_code == 422 and 'role="alert"' in answer.text


@pytest.mark.parametrize("path", ["/consola/rutas", "/consola/rutas/red.geojson"])
def test_a_caseworker_may_not(browser: TestClient, factory: Factory, path: str) -> None:
    factory.user("gabi", "caseworker", password=PASSWORD)
    log_in(browser, "gabi")
    assert 'href="/consola/rutas"' not in browser.get("/consola").text
    assert browser.get(path).status_code == 403
