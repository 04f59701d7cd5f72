"""``alianza routes plans list|show``: a node's kept plans, only for the agency that made
them, from the real command."""

from __future__ import annotations

import json

from alianza.auth import service as auth
from alianza.auth.permissions import Principal, Role
from alianza.db import transaction
from alianza.routes import planning, store
from alianza.routes.network import parse
from tests.conftest import FreshNode

NODES = (
    "id,name,country,kind,lat,lon\n"
    "s,O,CO,source,1,-77\na,A,EC,transit,0,-78\nb,B,EC,transit,-1,-79\nt,D,NL,sink,52,4\n"
)
LINKS = (
    "from,to,mode,capacity,interdiction_cost\n"
    "s,a,road,10,1\ns,b,road,5,1\na,t,sea,4,1\nb,t,sea,8,1\na,b,road,3,1\n"
)


def test_plans_are_listed_and_shown_to_their_agency_only(fresh: FreshNode) -> None:
    node = fresh.init(country="EC", agency="SENAE")
    with transaction(node.sessions) as session:
        for name, role, agency in (
            ("pia", "port_analyst", "SENAE"),
            ("beto", "border_officer", "SENAE"),
            ("otra", "analyst", "Policía Nacional"),
        ):
            auth.add_user(
                session, node=node, principal=node.system, username=name, full_name=name,
                country="EC", agency=agency, role=role,
            )  # fmt: skip
    pia = Principal(username="pia", country="EC", agency="SENAE", role=Role.PORT_ANALYST)
    body, _ = planning.interdict(parse(NODES, LINKS), 1)
    with transaction(node.sessions) as session:
        kept = store.keep(
            session, node=node, principal=pia, model="max_flow", network="red enviada", body=body
        )
    listed = fresh.cli("routes", "plans", "list", "--user", "pia", "--json", check=True)
    assert [p["id"] for p in json.loads(listed.stdout)["plans"]] == [kept.id]
    other = fresh.cli("routes", "plans", "list", "--user", "otra", "--json", check=True)
    assert json.loads(other.stdout)["plans"] == []
    shown = fresh.cli("routes", "plans", "show", kept.id[:8], "--user", "pia", check=True)
    assert json.loads(shown.stdout)["result"]["interdicted"] == [["b", "t"]]
    hidden = fresh.cli("routes", "plans", "show", kept.id, "--user", "otra")
    assert hidden.returncode == 5 and "No existe el plan" in hidden.stderr
    refused = fresh.cli("routes", "plans", "list", "--user", "beto")
    assert refused.returncode == 4
