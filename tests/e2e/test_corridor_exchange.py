"""The corridor and the exchange inbox in a real browser, as the roles that use them: a
caseworker walks households (flags always in sight), records and withdraws a consent,
reads the plan per departure, the map and records a check-in; a border officer records
a check-in by document from a manifest and never reaches casework; a supervisor
approves a partner's release withholding a field and reads the audit chain; an analyst
is refused casework. Every page is screenshot and checked with axe-core.

The households, the manifest and the partner's request are written into the served
node's database by the services (and two rows a partner's messages would have stored),
beside the scene of ``tests/e2e/scene.py``.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from alianza.auth import service as auth
from alianza.corridor import casework, consents
from alianza.corridor.models import ReceivedManifest
from alianza.db import transaction
from alianza.exchange.models import ReleaseRequest

PEER = "ec-0123456789ab"
DOCUMENT = "V-20111222"


def _member(ref: str, given: str, document: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": ref, "birth_date": "1987-05-14", "consent": True, "flags": [],
        "given_names": given, "surname_1": "Carrasquel", "nationality": "VE",
        "document_number": document, **extra,
    }  # fmt: skip


@pytest.fixture(scope="module")
def data(scene: Any) -> dict[str, str]:
    node = scene.server.node
    with node.sessions() as session:
        elena = auth.principal_of(auth.get_user(session, "elena.retorno"))
    today = date.today().isoformat()
    made: dict[str, str] = {}
    with transaction(node.sessions) as session:
        for key, ref, member in (
            (
                "held",
                "E2E-ASILO",
                _member("a1", "Ana Rosa", "V-21555666", flags=["asylum_pending"]),
            ),
            ("open", "E2E-FAMILIA", _member("f1", "Jesús Alberto", "V-19888777")),
            ("ready", "E2E-LISTO", _member("l1", "Luis Miguel", "V-17333444")),
        ):
            household = {"id": ref, "origin": "cl-santiago", "ready_date": today,
                         "priority": "normal", "members": [member]}  # fmt: skip
            made[key] = casework.register(session, node, elena, household).id
        ready = made["ready"]
        casework.move(session, node, elena, ready, "counselled", "orientación")
        consents.record_consent(
            session, node, elena, ready, "l1", sheet_version="v1", language="es",
            counsellor="Elena Paredes",
        )  # fmt: skip
        casework.move(session, node, elena, ready, "consented", "firmado")
        casework.move(session, node, elena, ready, "screened", "sin bloqueos")
        diego = auth.principal_of(auth.get_user(session, "diego.soto"))
        casework.move(session, node, diego, ready, "approved", "revisado por supervisión")
        # What Peru's node would have sent: the persons expected at Chacalluta.
        payload = {"persons": [{"ref": "m-001", "given_names": "Yurbis Carolina",
                                "surname_1": "Mendoza", "document_number": DOCUMENT,
                                "nationality": "VE", "birth_date": "1990-01-02"}]}  # fmt: skip
        now = datetime.now(UTC)
        session.add(
            ReceivedManifest(
                id=str(uuid.uuid4()), owner_country="CL", owner_agency="PDI",
                from_node=PEER, from_country="PE", from_agency="Migraciones",
                departure="bus-lima-e2e", leg_date=date.today(), purpose="tránsito",
                legal_basis="acuerdo del corredor", persons=1, payload=json.dumps(payload),
                signature="0" * 128, sha256="0" * 64, received_at=now,
                retain_until=date.today() + timedelta(days=30),
            )
        )  # fmt: skip
        # A partner's release request on PDI's record, asked 50 hours ago: overdue.
        request_id = str(uuid.uuid4())
        asked = now - timedelta(hours=50)
        session.add(
            ReleaseRequest(
                request_id=request_id, direction="in", peer_node=PEER, ref="ref-e2e-0001",
                record_id=scene.ids["pdi_person"], kind="person", purpose="investigación",
                legal_basis="Convenio CL-EC art. 4", requested_by="eva@DINASED.EC",
                requested_at=asked, due_at=asked + timedelta(hours=48), status="pending",
            )
        )  # fmt: skip
    made["release"] = request_id
    return made


def test_a_caseworker_walks_the_households_and_withdraws_a_consent(
    visit: Any, data: dict[str, str]
) -> None:
    v = visit("elena.retorno")
    bar = v.page.locator("header nav a").all_inner_texts()
    assert "Corredor" in bar and "Registro de paso" in bar and "Registros" not in bar
    v.go("/consola/corredor")
    assert v.page.locator("table.list").inner_text().count("E2E-") == 3
    v.check("corredor-hogares")
    v.page.click("text=E2E-ASILO")
    flags = v.page.locator("[data-testid=banderas]").inner_text()
    assert "solicitud de asilo pendiente" in flags and "sin consentimiento vigente" in flags
    v.check("corredor-hogar-bloqueado")
    v.go(f"/consola/corredor/hogares/{data['open']}")
    v.page.select_option("#estado", "counselled")
    v.page.fill("#motivo-mover", "charla informativa")
    v.page.click("text=Registrar el cambio")
    v.page.fill("#hoja", "2026-11")
    v.page.fill("#orientador", "Elena Paredes")
    v.page.click("button:has-text('Registrar el consentimiento')")
    assert "todos los integrantes" in v.page.locator("[data-testid=consentimiento]").inner_text()
    v.page.fill("#motivo-desistir", "prefiere quedarse")
    v.page.click("button:has-text('Retirar el consentimiento')")
    assert "desistido" in v.page.locator("h1").inner_text()
    assert "retirado" in v.page.locator("[data-testid=consentimiento]").inner_text().lower()
    v.check("corredor-hogar-desistido")


def test_a_caseworker_reads_the_plan_the_map_and_records_a_check_in(
    visit: Any, data: dict[str, str]
) -> None:
    v = visit("elena.retorno")
    v.go("/consola/corredor/plan?dias=3&proponer=true")
    run = v.page.locator("[data-testid=salida]").first.inner_text()
    assert "E2E-LISTO" in run and "Chacalluta" in run
    v.check("corredor-plan")
    v.go("/consola/paso")
    v.page.fill("#documento", "V-17333444")
    v.page.check("input[name=paso][value=boarded]")
    v.page.click("button:has-text('Registrar')")
    assert "embarcó" in v.page.locator("[data-testid=paso-registrado]").inner_text()
    v.check("corredor-paso-gestor")
    v.go("/consola/mapa/corredor")
    v.page.wait_for_selector("#mapa-corredor path.leaflet-interactive")
    santiago = v.page.locator("[data-testid=paradas] tr", has_text="Santiago").first.inner_text()
    assert santiago.split("\t")[-3] == "1"  # in transit
    v.check("corredor-mapa")


def test_a_border_officer_records_a_check_in_from_a_manifest(
    visit: Any, data: dict[str, str]
) -> None:
    v = visit("bruno.chacalluta")
    bar = v.page.locator("header nav a").all_inner_texts()
    assert "Registro de paso" in bar and "Corredor" not in bar
    v.go("/consola/paso")
    v.page.fill("#documento", DOCUMENT)
    v.page.check("input[name=paso][value=crossed]")
    v.page.select_option("#parada", "x-chacalluta")
    v.page.click("button:has-text('Registrar')")
    assert "m-001" in v.page.locator("[data-testid=paso-registrado]").inner_text()
    v.check("corredor-paso-frontera")
    # A case is protection data: the officer never reaches casework, nor a case's person.
    assert v.go("/consola/corredor").status == 403
    assert v.go(f"/consola/corredor/hogares/{data['held']}").status == 403
    v.go("/consola/paso")
    v.page.fill("#documento", "V-21555666")
    v.page.click("button:has-text('Registrar')")
    assert "V-21555666" in v.page.locator("[role=alert]").inner_text()
    assert v.page.input_value("#documento") == "V-21555666"
    v.go("/consola/paso/conflictos")
    assert v.page.locator("form[action^='/consola/paso/conflictos/']").count() == 0
    v.check("corredor-conflictos-frontera")


def test_an_analyst_never_sees_casework(visit: Any, data: dict[str, str]) -> None:
    v = visit("ana.rojas")
    assert "Corredor" not in v.page.locator("header nav a").all_inner_texts()
    answer = v.go(f"/consola/corredor/hogares/{data['held']}")
    assert answer.status == 403
    assert "E2E-ASILO" not in v.page.content()
    v.check("corredor-analista-sin-permiso")


def test_a_supervisor_approves_a_release_withholding_a_field(
    visit: Any, data: dict[str, str]
) -> None:
    v = visit("diego.soto")
    v.go("/consola/intercambio")
    assert "VENCIDA" in v.page.locator("[data-testid=vencida]").first.inner_text()
    v.check("intercambio-bandeja")
    v.page.click(f"text={data['release'][:8]}")
    v.page.check("input[name='retener:birth_date']")
    v.page.click("button:has-text('Aprobar y firmar')")
    assert "aprobada" in v.page.locator("[data-testid=estado]").inner_text()
    assert "birth_date" in v.page.locator("[data-testid=retenidos]").inner_text()
    v.check("intercambio-entrega-aprobada")
    v.go("/consola/auditoria")
    assert "Cadena íntegra" in v.page.locator("[data-testid=cadena]").inner_text()
    v.check("intercambio-auditoria")
    v.go("/consola/auditoria/consultas")
    v.check("intercambio-consultas")


def test_the_administrator_sees_the_peers(visit: Any, data: dict[str, str]) -> None:
    v = visit("admin")
    v.go("/consola/nodos")
    assert v.page.locator("h1").inner_text() == "Nodos asociados y sincronización"
    v.check("intercambio-nodos")
