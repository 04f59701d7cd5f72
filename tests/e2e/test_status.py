"""Regularisation in a real browser, as the roles that use it: a caseworker reads the
applications and one application's explanation condition by condition, confirms the
rules' recommendation with a reason and downloads the decision letter; a refusal waits
for a supervisor, who signs it off and reviews a hit that paused another application
(then reads the page in English);
a border officer and an analyst never reach the pages. Every page is screenshot and
checked with axe-core.

The applications are registered in the served node's database by the status services
(and one check's answer, as a partner's node would have given it), beside the scene of
``tests/e2e/scene.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from alianza.auth import service as auth
from alianza.db import transaction
from alianza.status import applications, checks, intake
from alianza.status.rules import PROTECTION
from tests.status.conftest import application

PROGRAMME = "cl-regularizacion-extraordinaria"
PEER = "ec-0123456789ab"


@pytest.fixture(scope="module")
def data(scene: Any) -> dict[str, str]:
    node = scene.server.node
    with node.sessions() as session:
        elena = auth.principal_of(auth.get_user(session, "elena.retorno"))
    made: dict[str, str] = {}
    with transaction(node.sessions) as session:
        for key, cells in (
            ("eligible", {"application_id": "E2E-REG-ELEGIBLE"}),
            (
                "refused",
                {"application_id": "E2E-REG-CONDENA", "given_names": "Luis Miguel",
                 "document_number": "20111333", "criminal_record_declared": "true"},
            ),
            (
                # The scene's PDI_PERSON, wanted by PDI: a check at this node is a hit.
                "wanted",
                {"application_id": "E2E-REG-BUSCADO", "given_names": "Carlos Andrés",
                 "surname_1": "Rojas", "surname_2": "Vera", "birth_date": "1980-03-04",
                 "nationality": "CL", "document_type": "", "document_number": ""},
            ),
            (
                "paused",
                {"application_id": "E2E-REG-PAUSA", "given_names": "Yurbis Carolina",
                 "document_number": "19222444", "birth_date": "1988-02-03"},
            ),
        ):  # fmt: skip
            row = intake.row_from_json({**application(programme=PROGRAMME), **cells})
            made[key] = applications.register(session, node, elena, row).id
        # What Ecuador's node would have answered to the criminal-record question.
        hit = checks.Answer("criminal_record", PEER, "EC", "DINASED", "HIT", refs=["ref-e2e-1"])
        checks.record(
            session, node, elena, made["paused"], answers=[hit],
            legal_basis=checks.legal_basis_for("CL", None),
        )  # fmt: skip
    return made


def test_a_caseworker_confirms_and_downloads_the_letter(visit: Any, data: dict[str, str]) -> None:
    v = visit("elena.retorno")
    assert "Regularización" in v.page.locator("header nav a").all_inner_texts()
    v.go("/consola/regularizacion")
    table = v.page.locator("[data-testid=solicitudes]").inner_text()
    assert table.count("E2E-REG-") == 4 and "en pausa por coincidencia" in table
    v.check("regularizacion-solicitudes")
    v.page.click("text=E2E-REG-ELEGIBLE")
    conditions = v.page.locator("[data-testid=condiciones]").inner_text().lower()
    assert PROTECTION in conditions and "no cumple" not in conditions
    v.check("regularizacion-solicitud")
    v.page.fill("#motivo-decidir", "antecedentes completos y verificados")
    v.page.click("button:has-text('Registrar la decisión')")
    assert "decisión firme" in v.page.locator("h1").inner_text()
    assert "antecedentes completos" in v.page.locator("[data-testid=decisiones]").inner_text()
    v.check("regularizacion-decidida")
    with v.page.expect_download() as download:
        v.page.click("text=Descargar la carta (PDF)")
    letter = download.value
    assert letter.suggested_filename == f"carta-{data['eligible']}.pdf"
    with open(letter.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_a_refusal_is_signed_off_and_a_hit_reviewed_by_a_supervisor(
    visit: Any, data: dict[str, str]
) -> None:
    v = visit("elena.retorno")
    v.go(f"/consola/regularizacion/solicitudes/{data['refused']}")
    assert "no cumple" in v.page.locator("[data-testid=condiciones]").inner_text().lower()
    v.page.fill("#motivo-decidir", "declara una condena")
    v.page.click("button:has-text('Registrar la decisión')")
    assert "espera la firma" in v.page.locator("h1").inner_text()
    assert v.page.locator("[data-testid=firmar]").count() == 0
    v.go(f"/consola/regularizacion/solicitudes/{data['paused']}")
    assert v.page.locator("[data-testid=decidir]").count() == 0
    # A partner that was down can be asked again while the hit waits for its review.
    assert v.page.locator("[data-testid=consultar]").count() == 1
    assert "coincidencia" in v.page.locator("[data-testid=consultas]").inner_text()
    v.check("regularizacion-en-pausa")

    s = visit("diego.soto")
    s.go(f"/consola/regularizacion/solicitudes/{data['refused']}")
    s.page.fill("#nota", "revisado el certificado")
    s.check("regularizacion-firma")
    s.page.click("button:has-text('Firmar')")
    assert "decisión firme" in s.page.locator("h1").inner_text()
    assert "Descargar la carta" in s.page.locator("[data-testid=carta]").inner_text()
    s.go(f"/consola/regularizacion/solicitudes/{data['paused']}")
    s.page.select_option("select[name=veredicto]", "cleared")
    s.page.fill("textarea[name=motivo]", "otra fecha de nacimiento: no es la misma persona")
    s.page.click("button:has-text('Registrar la revisión')")
    assert "evaluada" in s.page.locator("h1").inner_text()
    assert "descartada" in s.page.locator("[data-testid=consultas]").inner_text()
    s.check("regularizacion-coincidencia-revisada")
    # The same page in English: labels from the catalogue, the rules' text as written.
    s.page.click("text=English")
    assert s.page.locator("html").get_attribute("lang") == "en"
    assert "Explanation, condition by condition" in s.page.content()
    assert "evaluated" in s.page.locator("h1").inner_text()
    s.check("regularizacion-coincidencia-revisada-en")


def test_a_caseworker_checks_an_applicant_through_the_exchange(
    visit: Any, data: dict[str, str]
) -> None:
    v = visit("elena.retorno")
    v.go(f"/consola/regularizacion/solicitudes/{data['wanted']}")
    v.page.click("button:has-text('Consultar')")
    checked = v.page.locator("[data-testid=consultas]").inner_text()
    assert "coincidencia" in checked
    assert "en pausa por coincidencia" in v.page.locator("h1").inner_text()
    assert v.page.locator("[data-testid=decidir]").count() == 0
    v.check("regularizacion-consultada")


@pytest.mark.parametrize("who", ["bruno.chacalluta", "ana.rojas"])
def test_police_and_border_roles_never_reach_regularisation(
    visit: Any, data: dict[str, str], who: str
) -> None:
    v = visit(who)
    assert "Regularización" not in v.page.locator("header nav a").all_inner_texts()
    assert v.go("/consola/regularizacion").status == 403
    assert v.go(f"/consola/regularizacion/solicitudes/{data['eligible']}").status == 403
    assert "E2E-REG" not in v.page.content()
    v.check(f"regularizacion-sin-permiso-{who.split('.')[0]}")
