"""``/api/v1/routes``: plans through the API, kept for the agency that made them, audited;
roles without ``plan_interdiction`` refused; bad networks named. Runs on both databases
(the plans table and the audit log)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from alianza.audit.models import AuditEntry
from alianza.node.context import Node
from alianza.routes.network import parse
from tests.conftest import Factory
from tests.routes.conftest import nx_flow

NODES = (
    "id,name,country,kind,lat,lon\n"
    "s,O,CO,source,1,-77\na,A,EC,transit,0,-78\nb,B,EC,transit,-1,-79\nt,D,NL,sink,52,4\n"
)
LINKS = (
    "from,to,mode,capacity,interdiction_cost\n"
    "s,a,road,10,1\ns,b,road,5,1\na,t,sea,4,1\nb,t,sea,8,1\na,b,road,3,1\n"
)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_plan_on_a_sent_network_is_kept_for_the_agency_and_audited(
    client: TestClient, factory: Factory, node: Node
) -> None:
    _, token = factory.user("ana", "analyst")
    body = {"budget": 1, "network": {"nodes_csv": NODES, "links_csv": LINKS}, "geojson": True}
    response = client.post("/api/v1/routes/interdict", json=body, headers=_auth(token))
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["interdicted"] == [["b", "t"]] and plan["optimal"] is True
    assert plan["flow_after"] == nx_flow(parse(NODES, LINKS), plan["interdicted"]) == 4
    assert plan["geojson"]["type"] == "FeatureCollection"
    listed = client.get("/api/v1/routes/plans", headers=_auth(token)).json()["plans"]
    assert [p["id"] for p in listed] == [plan["plan_id"]]
    kept = client.get(f"/api/v1/routes/plans/{plan['plan_id']}", headers=_auth(token)).json()
    assert kept["result"]["interdicted"] == [["b", "t"]] and kept["after"] == 4
    with node.sessions() as session:
        acts = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "routes.max_flow")
        ).all()
    assert [a.target for a in acts] == [plan["plan_id"]]


def test_another_agency_neither_lists_nor_reads_the_plan(
    client: TestClient, factory: Factory
) -> None:
    _, ours = factory.user("ana", "analyst")
    _, theirs = factory.user("carlos", "analyst", agency="Carabineros")
    body = {"budget": 1, "network": {"nodes_csv": NODES, "links_csv": LINKS}}
    plan_id = client.post("/api/v1/routes/interdict", json=body, headers=_auth(ours)).json()[
        "plan_id"
    ]
    assert client.get("/api/v1/routes/plans", headers=_auth(theirs)).json()["plans"] == []
    response = client.get(f"/api/v1/routes/plans/{plan_id}", headers=_auth(theirs))
    assert response.status_code == 404


def test_roles_without_the_action_are_refused(client: TestClient, factory: Factory) -> None:
    for role in ("border_officer", "caseworker", "administrator"):
        _, token = factory.user(f"u.{role}", role)
        response = client.post("/api/v1/routes/interdict", json={"budget": 1}, headers=_auth(token))
        assert response.status_code == 403, role


def test_a_bad_network_is_named_and_nothing_is_kept(client: TestClient, factory: Factory) -> None:
    _, token = factory.user("ana", "analyst")
    bad = LINKS.replace("a,b,road,3,1", "a,x,road,3,1")
    body = {"budget": 1, "network": {"nodes_csv": NODES, "links_csv": bad}}
    response = client.post("/api/v1/routes/interdict", json=body, headers=_auth(token))
    assert response.status_code == 422
    assert "fila 6, to" in response.json()["detail"]
    assert client.get("/api/v1/routes/plans", headers=_auth(token)).json()["plans"] == []
    for budget in (-1, "x", None):
        response = client.post(
            "/api/v1/routes/interdict", json={"budget": budget}, headers=_auth(token)
        )
        assert response.status_code == 422


def test_the_regional_network_through_the_api(client: TestClient, factory: Factory) -> None:
    _, token = factory.user("pedro", "port_analyst")
    region = client.get("/api/v1/routes/region", headers=_auth(token)).json()
    assert len([f for f in region["features"] if f["geometry"]["type"] == "Point"]) >= 300
    plan = client.post("/api/v1/routes/interdict", json={"budget": 5}, headers=_auth(token)).json()
    assert plan["optimal"] and plan["flow_after"] < plan["flow_before"]
    path = client.post(
        "/api/v1/routes/shortest-path", json={"budget": 5}, headers=_auth(token)
    ).json()
    assert path["optimal"] and path["cost_after"] >= path["cost_before"]
    assert {
        p["model"] for p in client.get("/api/v1/routes/plans", headers=_auth(token)).json()["plans"]
    } == {"max_flow", "shortest_path"}


def test_the_nodes_own_seizures_feed_the_regional_flows(
    client: TestClient, factory: Factory
) -> None:
    analyst, token = factory.user("ana", "analyst")
    without = client.post("/api/v1/routes/interdict", json={"budget": 0}, headers=_auth(token))
    # 80 t of cocaine at Guayaquil's Contecon terminal (its UN/LOCODE in the network), and
    # a heroin seizure that says nothing about cocaine's routes.
    for reference, substance, kg in (("EC-1", "cocaína", 80_000.0), ("EC-2", "heroína", 5e5)):
        factory.record(
            analyst,
            "seizure",
            {
                "reference": reference,
                "date": "2025-03-02",
                "country": "EC",
                "place": "Guayaquil",
                "port": "ECGYE",
                "substance": substance,
                "quantity_kg": kg,
            },
        )
    body = {"budget": 0, "node_seizures": True}
    with_node = client.post("/api/v1/routes/interdict", json=body, headers=_auth(token))
    assert with_node.status_code == 200, with_node.text
    assert with_node.json()["flow_before"] > without.json()["flow_before"]
    assert any("incautaciones" in n for n in with_node.json()["notes"])
    sent = {"budget": 0, "node_seizures": True, "network": {"nodes_csv": NODES, "links_csv": LINKS}}
    refused = client.post("/api/v1/routes/interdict", json=sent, headers=_auth(token))
    assert refused.status_code == 422 and "node_seizures" in refused.text
