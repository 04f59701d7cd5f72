"""``/api/v1/corridor`` as the console calls it: a household walked to scheduling, a
check-in, the subject access report, the breach register, and bad input that changes
nothing (both backends; who may call which route is ``tests/web/test_route_matrix.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Factory

AGENCY = "SERMIG"


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _household() -> dict[str, Any]:
    return {
        "id": "H-API",
        "origin": "santiago",
        "ready_date": "2027-01-05",
        "members": [
            {"id": "a1", "consent": True, "given_names": "Rosa", "surname_1": "Lugo",
             "birth_date": "1979-09-09", "document_number": "V-8.765.432", "flags": []},
            {"id": "k1", "consent": True, "given_names": "Luis", "surname_1": "Lugo",
             "birth_date": "2016-02-02", "flags": []},
        ],
    }  # fmt: skip


def test_a_household_through_the_api(client: TestClient, factory: Factory) -> None:
    cata = _as(factory.user("cata", "caseworker", agency=AGENCY)[1])
    sofi = _as(factory.user("sofi", "supervisor", agency=AGENCY)[1])
    made = client.post("/api/v1/corridor/cases", json=_household(), headers=cata)
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]
    again = client.post("/api/v1/corridor/cases", json=_household(), headers=cata)
    assert again.status_code == 409 and case_id in again.text
    url = f"/api/v1/corridor/cases/{case_id}"

    def move(status: str, who: dict[str, str], **extra: Any) -> Any:
        return client.post(f"{url}/move", json={"status": status, "reason": "r", **extra},
                           headers=who)  # fmt: skip

    assert move("counselled", cata).status_code == 200
    for member, guardian in (("a1", None), ("k1", "a1")):
        body = {"member": member, "sheet_version": "v1", "language": "es",
                "counsellor": "Laura", "guardian": guardian}  # fmt: skip
        assert client.post(f"{url}/consents", json=body, headers=cata).status_code == 200
    assert move("consented", cata).json()["status"] == "consented"
    assert move("screened", cata).json()["status"] == "screened"
    assert move("approved", cata).status_code == 403  # a supervisor approves
    assert move("approved", sofi).status_code == 200
    no_departure = move("scheduled", cata)
    assert no_departure.status_code == 422 and "salida" in no_departure.text
    assert move("scheduled", cata, departure="bus-7").json()["departure"] == "bus-7"
    detail = client.get(url, headers=cata).json()
    member_id = next(m["member_id"] for m in detail["members"] if m["id"] == "a1")
    seen = client.post(
        "/api/v1/corridor/checkins",
        json={"document": "v8765432", "kind": "boarded", "stop": "santiago",
              "at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()},
        headers=cata,
    )  # fmt: skip
    assert seen.status_code == 201 and seen.json()["person"] == member_id
    naive = client.post(
        "/api/v1/corridor/checkins",
        json={"person": member_id, "kind": "crossed", "stop": "x", "at": "2026-12-01T10:00:00"},
        headers=cata,
    )
    assert naive.status_code == 422 and "zona horaria" in naive.text
    listed = client.get("/api/v1/corridor/checkins", params={"person": member_id}, headers=cata)
    assert [c["kind"] for c in listed.json()["checkins"]] == ["boarded"]
    report = client.get(f"/api/v1/corridor/members/{member_id}/report", headers=cata).json()
    assert report["member"]["given_names"] == "Rosa"
    assert "corridor.case.viewed" in {a["action"] for a in report["accesses"]}
    # The manifest's partner does not exist: refused, and nothing is kept.
    manifest = {"departure": "bus-7", "to": "nadie", "leg_date": "2027-01-12",
                "legal_basis": "Acuerdo"}  # fmt: skip
    refused = client.post("/api/v1/corridor/manifests", json=manifest, headers=cata)
    assert refused.status_code == 404
    assert client.get("/api/v1/corridor/manifests", headers=cata).json() == {"manifests": []}


def test_the_breach_register_through_the_api(client: TestClient, factory: Factory) -> None:
    sofi = _as(factory.user("sofi", "supervisor", agency=AGENCY)[1])
    found = datetime.now(UTC) - timedelta(days=6)
    body = {
        "discovered_at": found.isoformat(),
        "description": "portátil perdido",
        "data_categories": "identidad",
        "persons_affected": 12,
        "measures": "bloqueo",
    }
    made = client.post("/api/v1/corridor/breaches", json=body, headers=sofi)
    assert made.status_code == 201, made.text
    assert made.json()["state"] == "vencida"
    future = {**body, "discovered_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    assert client.post("/api/v1/corridor/breaches", json=future, headers=sofi).status_code == 422
    told = client.post(
        f"/api/v1/corridor/breaches/{made.json()['id']}/notify",
        json={"notified_to": "Superintendencia de Protección de Datos"},
        headers=sofi,
    )
    assert told.status_code == 200 and told.json()["late"] is True
    assert len(client.get("/api/v1/corridor/breaches", headers=sofi).json()["breaches"]) == 1


def test_hostile_text_in_a_move_or_a_consent_changes_nothing(
    client: TestClient, factory: Factory
) -> None:
    """A reason or a consent field with control or bidirectional characters is refused,
    naming the field, and the case keeps its state and its consents (the API passed them
    to the services unchecked, and the console and the CLI call the same services)."""
    cata = _as(factory.user("cata", "caseworker", agency=AGENCY)[1])
    made = client.post("/api/v1/corridor/cases", json=_household(), headers=cata)
    url = f"/api/v1/corridor/cases/{made.json()['id']}"
    for bad in ("ok\x00", "ok\u202e", "\u200b"):
        moved = client.post(f"{url}/move", json={"status": "counselled", "reason": bad},
                            headers=cata)  # fmt: skip
        assert moved.status_code == 422 and "motivo" in moved.text, moved.text
    assert client.get(url, headers=cata).json()["status"] == "registered"
    ok = client.post(f"{url}/move", json={"status": "counselled", "reason": "charla"},
                     headers=cata)  # fmt: skip
    assert ok.status_code == 200
    base = {"member": "a1", "sheet_version": "v1", "language": "es", "counsellor": "Laura"}
    for field in ("sheet_version", "language", "counsellor", "witness"):
        consent = client.post(f"{url}/consents", json={**base, field: "x\x1b[31m"},
                              headers=cata)  # fmt: skip
        assert consent.status_code == 422, (field, consent.text)
    assert client.get(url, headers=cata).json()["consents"] == []
    assert client.post(f"{url}/consents", json=base, headers=cata).status_code == 200
    withdrawn = client.post(f"{url}/withdraw", json={"member": "a1", "reason": "no\x07"},
                            headers=cata)  # fmt: skip
    assert withdrawn.status_code == 422 and "motivo" in withdrawn.text
    assert client.get(url, headers=cata).json()["status"] == "counselled"
