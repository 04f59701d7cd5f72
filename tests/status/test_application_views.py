"""``/api/v1/status`` as the console calls it: an application registered, refused,
signed off and its letter fetched; duplicates, bad input and another agency (both
backends; who may call which route is ``tests/web/test_route_matrix.py``)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Factory
from tests.status.conftest import application
from tests.status.test_applications import AGENCY, PROGRAMME

URL = "/api/v1/status/applications"


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _body(**cells: Any) -> dict[str, Any]:
    return {**application(programme=PROGRAMME), "entry_regular": True, **cells}


def test_an_application_through_the_api(client: TestClient, factory: Factory) -> None:
    cata = _as(factory.user("cata", "caseworker", agency=AGENCY)[1])
    sofi = _as(factory.user("sofi", "supervisor", agency=AGENCY)[1])
    otro = _as(factory.user("otro", "caseworker", agency="INCAMI")[1])
    made = client.post(URL, json=_body(criminal_record_declared=True), headers=cata)
    assert made.status_code == 201, made.text
    app_id = made.json()["id"]
    assert made.json()["status"] == "evaluated"
    again = client.post(URL, json=_body(application_id="a2"), headers=cata)
    assert again.status_code == 409 and app_id in again.text
    bad = client.post(URL, json=_body(entry_date="2030-01-01"), headers=cata)
    assert bad.status_code == 422 and "solicitud.entry_date" in bad.text
    detail = client.get(f"{URL}/{app_id}", headers=cata).json()
    assert detail["evaluations"][0]["outcome"] == "not_eligible"
    assert detail["applicant"]["given_names"] == "María José"
    assert client.get(f"{URL}/{app_id}", headers=otro).status_code == 404
    no_reason = client.post(f"{URL}/{app_id}/decide", json={"confirm": True, "reason": " "},
                            headers=cata)  # fmt: skip
    assert no_reason.status_code == 422 and "motivo" in no_reason.text
    decided = client.post(f"{URL}/{app_id}/decide", json={"confirm": True, "reason": "condena"},
                          headers=cata)  # fmt: skip
    assert decided.json()["status"] == "decided"
    assert client.get(f"{URL}/{app_id}/letter", headers=cata).status_code == 409
    assert client.post(f"{URL}/{app_id}/sign-off", json={}, headers=cata).status_code == 403
    signed = client.post(f"{URL}/{app_id}/sign-off", json={"note": "ok"}, headers=sofi)
    assert signed.json() | {"status": "final", "outcome": "not_eligible"} == signed.json()
    pdf = client.get(f"{URL}/{app_id}/letter", headers=cata)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert pdf.headers["cache-control"] == "no-store"  # it names the applicant
    appealed = client.post(f"{URL}/{app_id}/appeal", json={"reason": "nueva prueba"},
                           headers=cata)  # fmt: skip
    assert appealed.json()["status"] == "evaluated"
    listed = client.get(URL, headers=cata).json()["applications"]
    assert [a["id"] for a in listed] == [app_id]
    assert client.get(URL, headers=otro).json()["applications"] == []
