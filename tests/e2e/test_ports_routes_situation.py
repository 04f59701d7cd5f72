"""Ports, routes and the situation picture in a real browser, as the roles that use them:
a port analyst reads the day's inspection list with its reasons and fixes it, enters a
seizure (a bad amount named on the form, then a good one) and sees it on the map; an
analyst computes an interdiction plan from the keyboard and sees it drawn; a supervisor
reads the situation picture and downloads its PDF and PNG; a border officer and a
caseworker are refused. Every page is screenshot and checked with axe-core.

The declarations and the port unit's model are written into the served node's directory
by the same functions as ``alianza ports declarations import|train`` before any page is
asked for.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from alianza.auth import service as auth
from alianza.db import transaction
from alianza.ports import daily, store
from alianza.ports import model as models
from alianza.ports.contract import read_declarations
from alianza.ports.synthetic import generate, write_csv
from alianza.records import service as records
from alianza.records.rules import Rules

SEIZURE = {
    "reference": "CL-SAI-2025-0412",
    "date": "2025-10-20",
    "country": "CL",
    "place": "Terminal de San Antonio",
    "port": "CLSAI",
    "latitude": -33.59,
    "longitude": -71.62,
    "substance": "cocaína",
    "quantity_kg": 412,
    "departure_country": "EC",
    "destination_country": "CL",
}
MAP_LOADED = "[data-map][data-loaded='1']"


@pytest.fixture(scope="module")
def ports(scene: Any) -> None:
    node = scene.server.node
    with node.sessions() as session:
        carla = auth.principal_of(auth.get_user(session, "carla.puerto"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "declaraciones.csv"
        write_csv(generate(seed=5, days=60, per_year=60_000), path)
        found = read_declarations(path)
        models.save(
            models.train(read_declarations(path, labels=True).frame, seed=3),
            daily.model_dir(node),
        )
    with transaction(node.sessions) as session:
        store.store_declarations(session, node=node, principal=carla, declarations=found)
        records.create_record(
            session,
            node=node,
            principal=carla,
            kind="seizure",
            data=SEIZURE,
            rules=Rules(purpose="control portuario", legal_basis="Ley 20.000", scope="country"),
        )


def test_a_port_analyst_reads_and_fixes_the_days_list(visit: Any, ports: None) -> None:
    v = visit("carla.puerto")
    v.page.click("nav >> text=Inspecciones")
    v.page.wait_for_selector("[data-testid=inspecciones]")
    rows = v.page.locator("[data-testid=inspecciones] tbody tr")
    assert rows.count() > 5
    assert rows.first.locator(".reasons li").count() >= 1  # its reasons, in Spanish
    v.check("puertos-inspecciones")
    v.page.click("text=Fijar la lista del día")
    v.page.wait_for_selector("[data-testid=lista-fijada]")


def test_a_port_analyst_enters_a_seizure_and_sees_the_map(visit: Any, ports: None) -> None:
    v = visit("carla.puerto")
    v.go("/consola/incautaciones/nueva")
    fields = {
        "#referencia": "CL-VAP-2025-0031",
        "#fecha": "14-09-2025",
        "#pais": "CL",
        "#lugar": "Terminal Pacífico Sur, Valparaíso",
        "#puerto": "CLVAP",
        "#latitud": "-33,03",
        "#longitud": "-71,63",
        "#sustancia": "cocaína",
        "#cantidad": "mucho",
        "#finalidad": "control portuario",
        "#base_legal": "Ley 20.000",
    }
    for selector, value in fields.items():
        v.page.fill(selector, value)
    v.page.select_option("#unidad", "kg")
    v.page.click("text=Guardar la incautación")
    v.page.wait_for_selector("[data-testid=errores]")
    assert "Cantidad" in v.page.inner_text("[data-testid=errores]")
    assert v.page.get_attribute("#cantidad", "aria-invalid") == "true"
    assert v.page.input_value("#lugar") == fields["#lugar"]  # what was typed is kept
    v.check("incautacion-error")
    v.page.fill("#cantidad", "215,5")
    v.page.click("text=Guardar la incautación")
    v.page.wait_for_url("**/consola/registros/*")
    assert "CL-VAP-2025-0031" in v.page.inner_text("main")
    v.go("/consola/incautaciones")
    v.page.wait_for_selector(MAP_LOADED)
    assert v.page.locator(".leaflet-interactive").count() >= 2  # the two places
    assert "CLVAP" in v.page.inner_text("[data-testid=por-puerto]")
    v.check("incautaciones-mapa")


def test_an_analyst_plans_interdiction_from_the_keyboard(visit: Any) -> None:
    v = visit("ana.rojas")
    v.go("/consola/rutas")
    v.page.wait_for_selector(MAP_LOADED)
    v.check("rutas-red")
    v.page.focus("#presupuesto")
    v.page.keyboard.press("Control+A")
    v.page.keyboard.type("6")
    v.page.keyboard.press("Enter")
    v.page.wait_for_selector("[data-testid=plan]")
    v.page.wait_for_selector(f"#plan {MAP_LOADED}")
    assert v.page.locator("[data-testid=controles] tbody tr").count() >= 1
    assert "Flujo después" in v.page.inner_text("[data-testid=plan]")
    assert "/consola/rutas/planes/" in v.page.url  # htmx pushed the plan's address
    v.check("rutas-plan")
    v.go("/consola/rutas")
    v.page.click(".plans a >> nth=0")
    v.page.wait_for_selector(MAP_LOADED)
    v.check("rutas-plan-guardado")


def test_a_supervisor_reads_and_exports_the_situation(visit: Any, ports: None) -> None:
    v = visit("diego.soto")
    v.page.click("nav >> text=Situación")
    v.page.wait_for_selector("[data-testid=cifras-publicadas]")
    assert v.page.locator(".chart svg").count() == 7
    assert "CLSAI" in v.page.inner_text("[data-testid=incautaciones-port]")
    v.check("situacion")
    for link, suffix in (("Descargar PDF", ".pdf"), ("Descargar PNG", ".png")):
        with v.page.expect_download() as done:
            v.page.click(f"text={link}")
        download = done.value
        assert download.suggested_filename.endswith(suffix)
        head = Path(download.path()).read_bytes()[:8]
        assert head.startswith(b"%PDF-" if suffix == ".pdf" else b"\x89PNG")


@pytest.mark.parametrize(
    ("username", "paths"),
    [
        ("bruno.chacalluta", ("/consola/puertos", "/consola/rutas", "/consola/situacion")),
        ("elena.retorno", ("/consola/incautaciones", "/consola/rutas", "/consola/situacion")),
    ],
)
def test_other_roles_are_refused(visit: Any, username: str, paths: tuple[str, ...]) -> None:
    v = visit(username)
    bar = v.page.inner_text("header nav") if v.page.locator("header nav").count() else ""
    for label in ("Inspecciones", "Rutas", "Situación"):
        assert label not in bar
    for path in paths:
        answer = v.go(path)
        assert answer.status == 403
    v.check(f"rechazo-{username}")
