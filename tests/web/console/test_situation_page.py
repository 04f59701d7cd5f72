"""The situation picture: aggregates only, for supervisors; the published migrant figures
with their sources; seizures by month, port and route; exports as a real PNG and PDF
(both backends)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alianza.audit.models import AuditEntry
from alianza.node.context import Node
from tests.conftest import Factory
from tests.web.console.test_session import PASSWORD, log_in

NAMES = ("Anabela", "Berta", "Carla", "Diana", "Elena", "Fabiola", "Gabriela", "Hilda")
SEIZURE = {
    "reference": "EC-GYE-2025-0007",
    "date": "2025-03-02",
    "country": "EC",
    "place": "Contecon Guayaquil",
    "port": "ECGYE",
    "substance": "cocaína",
    "quantity_kg": 980,
    "departure_country": "EC",
    "destination_country": "BE",
}


def test_a_supervisor_sees_the_picture_with_its_sources(
    browser: TestClient, node: Node, factory: Factory
) -> None:
    sara, _ = factory.user("sara", "supervisor", password=PASSWORD)
    factory.record(sara, "seizure", SEIZURE, scope="country")
    log_in(browser, "sara")
    assert 'href="/consola/situacion"' in browser.get("/consola").text
    page = browser.get("/consola/situacion")
    assert page.status_code == 200, page.text
    text = page.text
    assert 'data-testid="cifras-publicadas"' in text and "R4V, julio de 2024" in text
    assert "445.000" in text  # Ecuador, Spanish separators
    assert text.count('role="img"') == 7 and text.count("<svg") == 7
    assert 'data-testid="incautaciones-port"' in text and "ECGYE" in text
    assert "EC → BE" in text and "2025-03" in text
    assert "EC-GYE-2025-0007" not in text  # aggregates only: no reference
    with node.sessions() as session:
        mine = select(AuditEntry.action).where(AuditEntry.actor.like("sara@%"))
        acts = set(session.scalars(mine))
    assert "situation.view" in acts and "seizure.aggregate" in acts


def test_the_exports_are_a_png_and_a_pdf(browser: TestClient, factory: Factory) -> None:
    sara, _ = factory.user("sara", "supervisor", password=PASSWORD)
    factory.record(sara, "seizure", SEIZURE, scope="country")
    log_in(browser, "sara")
    png = browser.get("/consola/situacion.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n") and len(png.content) > 20_000
    assert "attachment" in png.headers["content-disposition"]
    pdf = browser.get("/consola/situacion.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and pdf.content.rstrip().endswith(b"%%EOF")
    # English: the same picture, its labels translated.
    browser.get("/consola/idioma/en?siguiente=/consola")
    english = browser.get("/consola/situacion")
    assert '<html lang="en">' in english.text and "Seizures" in english.text
    assert browser.get("/consola/situacion.pdf").content.startswith(b"%PDF-")


@pytest.mark.parametrize("role", ["analyst", "border_officer", "caseworker", "port_analyst"])
@pytest.mark.parametrize(
    "path", ["/consola/situacion", "/consola/situacion.png", "/consola/situacion.pdf"]
)
def test_other_roles_may_not(browser: TestClient, factory: Factory, role: str, path: str) -> None:
    factory.user("otro", role, password=PASSWORD)
    log_in(browser, "otro")
    assert 'href="/consola/situacion"' not in browser.get("/consola").text
    assert browser.get(path).status_code == 403


def test_regularisation_by_country_with_small_groups_left_out(
    browser: TestClient, node: Node, factory: Factory
) -> None:
    from alianza.status import applications
    from tests.status.test_applications import AGENCY, row

    cata, _ = factory.user("cata", "caseworker", agency=AGENCY)
    factory.user("sofi", "supervisor", agency=AGENCY, password=PASSWORD)
    days = [f"2021-06-0{d}" for d in range(1, 7)] + ["2021-07-01", "2021-07-02"]
    with node.sessions() as session:
        for n, day in enumerate(days):
            applications.register(
                session, node, cata,
                row(application_id=f"a{n}", given_names=NAMES[n],
                    document_number=f"{n}000{n}", application_date=day),
            )  # fmt: skip
        session.commit()
    log_in(browser, "sofi")
    page = browser.get("/consola/situacion")
    assert page.status_code == 200
    table = page.text.split('data-testid="regularizacion"')[1].split("</table>")[0]
    # June's six are counted; July's two are a small group: left out, and said so.
    cells = [c.split(">")[-1] for c in table.split("</td>")[:-1]]
    assert cells[1:3] == ["6", "0"] and cells[-1] == "1"
    assert NAMES[0] not in page.text


def test_exchange_activity_is_counted_by_month(
    browser: TestClient, node: Node, factory: Factory
) -> None:
    import uuid
    from datetime import UTC, datetime, timedelta

    from alianza.exchange.models import ReleaseRequest

    factory.user("sara", "supervisor", password=PASSWORD)
    asked = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    with node.sessions() as session:
        for direction in ("in", "in", "out"):
            session.add(
                ReleaseRequest(
                    request_id=str(uuid.uuid4()), direction=direction, peer_node="ec-0123456789ab",
                    ref="ref-situacion", kind="person", purpose="investigación",
                    legal_basis="Convenio CL-EC", requested_by="eva@DINASED.EC",
                    requested_at=asked, due_at=asked + timedelta(hours=48), status="pending",
                )
            )  # fmt: skip
        session.commit()
    log_in(browser, "sara")
    table = browser.get("/consola/situacion").text.split('data-testid="intercambio"')[1]
    row = table.split("2026-03</td>")[1].split("</tr>")[0]
    cells = [c.split(">")[-1] for c in row.split("</td>")[:-1]]
    assert cells == ["0", "0", "1", "2"]  # queries sent, received; releases asked, received
