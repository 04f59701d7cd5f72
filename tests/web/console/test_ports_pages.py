"""Port control in the console: the day's inspection list with its reasons, fixing it,
seizure entry (bad input changes nothing) and the seizure map's GeoJSON; each page as a
role that may use it and one that may not (both backends)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alianza.db import transaction
from alianza.node.context import Node
from alianza.ports import daily, store
from alianza.ports import model as models
from alianza.ports.contract import read_declarations
from alianza.ports.models import PortDeclaration
from alianza.ports.synthetic import generate, write_csv
from alianza.records.models import Record
from tests.conftest import Factory
from tests.web.console.test_session import PASSWORD, log_in

DAYS = 60


@pytest.fixture(scope="module")
def declarations(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("puertos") / "declaraciones.csv"
    write_csv(generate(seed=5, days=DAYS, per_year=60_000), path)
    return path


@pytest.fixture(scope="module")
def trained(declarations: Path, base_node: Node) -> Iterator[Path]:
    """A model in the node's directory, where the demo leaves it (removed afterwards)."""
    frame = read_declarations(declarations, labels=True).frame
    target = daily.model_dir(base_node)
    models.save(models.train(frame, seed=3), target)
    yield target
    shutil.rmtree(target, ignore_errors=True)


def _store(node: Node, factory: Factory, declarations: Path) -> None:
    rosa, _ = factory.user("rosa", "port_analyst", password=PASSWORD)
    with transaction(node.sessions) as session:
        store.store_declarations(
            session, node=node, principal=rosa, declarations=read_declarations(declarations)
        )


def test_the_days_list_shows_each_container_with_its_reasons(
    browser: TestClient, node: Node, factory: Factory, declarations: Path, trained: Path
) -> None:
    _store(node, factory, declarations)
    token = log_in(browser, "rosa")
    home = browser.get("/consola")
    assert 'href="/consola/puertos"' in home.text
    answer = browser.get("/consola/puertos")
    assert answer.status_code == 200, answer.text
    assert 'data-testid="inspecciones"' in answer.text
    assert '<th scope="col">Por qué</th>' in answer.text
    assert "exportador" in answer.text  # the Spanish reasons (LightGBM's contributions)
    # The API's route answers the same list, from the same service.
    _, bearer = factory.user("rosa.api", "port_analyst", password=PASSWORD)
    api = browser.get("/api/v1/ports/inspections", headers={"Authorization": f"Bearer {bearer}"})
    first = api.json()["inspections"][0]
    assert f"<code>{first['container_number']}</code>" in answer.text
    assert first["reasons"] and first["reasons"][0] in answer.text
    # One port only, then the list fixed: the chosen declarations keep their probability.
    port = "ECGYE"
    answer = browser.get(f"/consola/puertos?puerto={port}")
    assert answer.status_code == 200
    with node.sessions() as session:
        last = session.scalar(select(func.max(PortDeclaration.date)))
    assert last is not None
    fixed = browser.post(
        "/consola/puertos/fijar",
        data={"csrf": token, "dia": last.strftime("%d-%m-%Y"), "puerto": port},
    )
    assert fixed.status_code == 200 and 'data-testid="lista-fijada"' in fixed.text
    with node.sessions() as session:
        chosen = session.scalar(
            select(func.count())
            .select_from(PortDeclaration)
            .where(PortDeclaration.selected_on == last)
        )
    assert chosen and chosen > 0


def test_without_a_model_the_page_says_how_to_train_one(
    browser: TestClient,
    node: Node,
    factory: Factory,
    declarations: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _store(node, factory, declarations)
    log_in(browser, "rosa")
    monkeypatch.setattr(daily, "MODEL_DIR", "sin-modelo")
    answer = browser.get("/consola/puertos")
    assert answer.status_code == 200 and 'data-testid="sin-modelo"' in answer.text


def test_a_bad_day_is_named(browser: TestClient, factory: Factory) -> None:
    factory.user("rosa", "port_analyst", password=PASSWORD)
    log_in(browser, "rosa")
    answer = browser.get("/consola/puertos?dia=ayer")
    assert answer.status_code == 422 and "dia" in answer.text


@pytest.mark.parametrize(
    "path", ["/consola/puertos", "/consola/incautaciones", "/consola/incautaciones/nueva"]
)
def test_a_border_officer_may_not(browser: TestClient, factory: Factory, path: str) -> None:
    factory.user("bruno", "border_officer", password=PASSWORD)
    log_in(browser, "bruno")
    home = browser.get("/consola")
    assert 'href="/consola/puertos"' not in home.text
    assert 'href="/consola/incautaciones"' not in home.text
    answer = browser.get(path)
    assert answer.status_code == 403 and 'role="alert"' in answer.text


GOOD = {
    "referencia": "CL-SAI-2026-0099",
    "fecha": "03-04-2025",
    "pais": "cl",
    "lugar": "Terminal de San Antonio",
    "puerto": "CLSAI",
    "latitud": "-33,59",
    "longitud": "-71,62",
    "sustancia": "cocaína",
    "cantidad": "412,5",
    "unidad": "kg",
    "medio": "sea",
    "contenedor": "",
    "salida": "EC",
    "destino": "CL",
    "finalidad": "Control de drogas en puertos",
    "base_legal": "Ley 20.000",
    "alcance": "country",
    "codigo": "H0",
}


def _seizures(node: Node) -> int:
    with node.sessions() as session:
        return session.scalar(select(func.count()).where(Record.kind == "seizure")) or 0


def test_a_seizure_entered_is_a_record_with_its_rules_on_the_map(
    browser: TestClient, node: Node, factory: Factory
) -> None:
    factory.user("carla", "port_analyst", password=PASSWORD)
    token = log_in(browser, "carla")
    assert browser.get("/consola/incautaciones/nueva").status_code == 200
    made = browser.post(
        "/consola/incautaciones/nueva", data={"csrf": token, **GOOD}, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    assert made.headers["location"].startswith("/consola/registros/")
    shown = browser.get(made.headers["location"])
    assert "CL-SAI-2026-0099" in shown.text and "H0" in shown.text
    assert _seizures(node) == 1
    page = browser.get("/consola/incautaciones")
    assert page.status_code == 200 and 'data-testid="por-puerto"' in page.text
    assert "CLSAI" in page.text and "412,5" in page.text
    points = browser.get("/consola/incautaciones/mapa.geojson")
    assert points.headers["content-type"] == "application/geo+json"
    feature = points.json()["features"][0]
    assert feature["geometry"]["coordinates"] == [-71.62, -33.59]
    assert feature["properties"]["kilograms"] == 412.5
    assert "CL-SAI-2026-0099" not in points.text  # no reference leaves the map


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("fecha", "03-04-2099", "Fecha de la incautación"),
        ("cantidad", "mucho", "Cantidad"),
        ("pais", "ZZ", "País"),
        ("puerto", "guayaquil", "Puerto (UN/LOCODE)"),
        ("finalidad", "", "Finalidad"),
        ("lugar", "Muelle\u202e2", "Lugar"),
    ],
)
def test_bad_seizure_input_is_named_in_spanish_and_changes_nothing(
    browser: TestClient, node: Node, factory: Factory, field: str, value: str, named: str
) -> None:
    factory.user("carla", "port_analyst", password=PASSWORD)
    token = log_in(browser, "carla")
    answer = browser.post(
        "/consola/incautaciones/nueva", data={"csrf": token, **GOOD, field: value}
    )
    assert answer.status_code == 422
    assert "No se guardó nada" in answer.text
    assert f'<a href="#{field}">{named}</a>' in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert _seizures(node) == 0


def test_the_outlines_are_served_compressed(browser: TestClient, factory: Factory) -> None:
    factory.user("carla", "port_analyst", password=PASSWORD)
    log_in(browser, "carla")
    answer = browser.get("/consola/mapa/paises.geojson", headers={"accept-encoding": "gzip"})
    assert answer.status_code == 200 and answer.headers["content-encoding"] == "gzip"
    assert len(answer.json()["features"]) == 177


def test_another_agencys_declarations_are_never_listed(
    browser: TestClient, node: Node, factory: Factory, declarations: Path, trained: Path
) -> None:
    _store(node, factory, declarations)  # PDI's
    factory.user("aduana", "port_analyst", agency="Aduanas", password=PASSWORD)
    log_in(browser, "aduana")
    answer = browser.get("/consola/puertos")
    assert answer.status_code == 200 and 'data-testid="sin-declaraciones"' in answer.text
