"""From a partner's candidate to a release request, between two real nodes: Chile's PDI
holds a copy of a person Ecuador shares with Chile; a PDI border officer screens him, the
console shows Ecuador's hit/no-hit answer (never the record) and files a release request
that Ecuador receives with its 48-hour clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from alianza.auth import service as auth
from alianza.db import transaction
from alianza.exchange import flows as exchange
from alianza.exchange.models import ReleaseRequest
from alianza.records import service as records
from alianza.records.rules import Rules
from tests.e2e.scene import PASSWORD, RULES
from tests.exchange.conftest import Nodes, Running, link

pytestmark = pytest.mark.slow

COURIER = {
    "category": "wanted",
    "given_names": "Marco Antonio",
    "surname_1": "Quiñónez",
    "surname_2": "Vera",
    "birth_date": "1979-03-02",
    "sex": "M",
    "nationality": "EC",
}


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Any]:
    made = Nodes(Path(tmp_path_factory.mktemp("socios")), None)
    try:
        cl, ec = made.new("CL", "PDI"), made.new("EC", "Policía Nacional")
        link(cl, ec)
        link(ec, cl)
        with transaction(cl.node.sessions) as session:
            auth.add_user(
                session,
                node=cl.node,
                principal=cl.node.system,
                username="bruno.chacalluta",
                full_name="Bruno Araya Muñoz",
                country="CL",
                agency="PDI",
                role="border_officer",
                password=PASSWORD,
            )
        analyst = ec.user("pablo.andrade", "analyst")
        with transaction(ec.node.sessions) as session:
            records.create_record(
                session,
                node=ec.node,
                principal=analyst,
                kind="person",
                data=COURIER,
                rules=Rules(**{**RULES, "scope": "partners", "scope_countries": ["CL"]}),
            )
        exchange.sync_all(cl.node)
        yield Pair(cl=cl, ec=ec)
    finally:
        made.close()


class Pair:
    def __init__(self, *, cl: Running, ec: Running) -> None:
        self.cl, self.ec = cl, ec

    @property
    def url(self) -> str:
        return self.cl.url


def test_a_partners_hit_becomes_a_release_request(visit: Any, scene: Pair) -> None:
    v = visit("bruno.chacalluta")
    v.go("/consola/control")
    v.page.fill("#nombres", "Marco Antonio")
    v.page.fill("#apellido1", "Quiñonez")
    v.page.fill("#apellido2", "Vera")
    v.page.fill("#nacimiento", "02-03-1979")
    v.page.click("form.screen-form button[type=submit]")
    candidate = v.page.locator(".candidate").first
    candidate.wait_for()
    text = candidate.inner_text()
    assert "Registro de un socio" in text and "coincidencia" in text
    assert "/consola/registros/" not in candidate.inner_html()  # never the partner's record
    v.check("control-socio")

    # Asking again from the result (hit/no-hit at that partner only) answers in place.
    csrf = v.page.locator("input[name=csrf]").first.get_attribute("value")
    again = v.page.request.post(
        v.base + "/consola/control/socio",
        form={
            "csrf": csrf,
            "socio": scene.ec.node.node_id,
            "nombres": "Marco Antonio",
            "apellido1": "Quiñónez",
            "apellido2": "Vera",
            "nacimiento": "1979-03-02",
        },
    )
    assert again.status == 200 and "coincidencia" in again.text()

    candidate.locator("a.button", has_text="Solicitar entrega").first.click()
    v.page.wait_for_load_state()
    v.check("entrega-formulario")
    v.page.fill("#finalidad", "control fronterizo en Chacalluta")
    v.page.fill("#base_legal", "Acuerdo Chile-Ecuador 2025, art. 4")
    v.page.click("main button[type=submit]")
    v.page.locator("[data-testid=entrega-creada]").wait_for()
    v.check("entrega-enviada")
    with scene.ec.node.sessions() as session:
        received = session.scalars(
            select(ReleaseRequest).where(ReleaseRequest.direction == "in")
        ).all()
    assert [r.requested_by for r in received] == ["bruno.chacalluta@PDI.CL"]
