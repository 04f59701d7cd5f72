"""A Chilean PDI node like the demo's, served by a real ``alianza serve`` process.

The demo's users (one per role, and an analyst of Carabineros hosted on the same node),
each with a password; synthetic records from the demo's generator (``alianza.demo``'s
``generate_records``: PDI's and Carabineros'), and a few records the tests look for by name:

- ``PDI_PERSON``: PDI's, for PDI only (a PDI border officer finds it);
- ``CARABINEROS_PERSON``: Carabineros', for Carabineros only (PDI never sees it, in the
  screening, the search or by its address);
- ``PDI_CONTAINER``: a container (a border officer's role does not reach containers);
- ``REVIEW_DUE``: PDI's, past its review date (the supervisor's review queue).

Used by ``tests/e2e`` and ``benchmarks/web/bench_screening_page.py``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.db import transaction
from alianza.demo.generator import generate_records
from alianza.node.flows import init_node
from alianza.records import service as records
from alianza.records.importer import ImportItem, import_items
from alianza.records.rules import Rules
from alianza.settings import Settings
from tests.exchange.conftest import Running, free_port

PASSWORD = "alianza-e2e-2026"
# (username, agency, role), as in the demo's Chilean node.
USERS = (
    ("admin", "PDI", "administrator"),
    ("ana.rojas", "PDI", "analyst"),
    ("diego.soto", "PDI", "supervisor"),
    ("bruno.chacalluta", "PDI", "border_officer"),
    ("carla.puerto", "PDI", "port_analyst"),
    ("elena.retorno", "PDI", "caseworker"),
    ("felipe.carabineros", "Carabineros", "analyst"),
)
RULES = {"purpose": "investigación de tráfico de drogas", "legal_basis": "Ley 20.000"}

PDI_PERSON = {
    "category": "wanted",
    "given_names": "Carlos Andrés",
    "surname_1": "Rojas",
    "surname_2": "Vera",
    "birth_date": "1980-03-04",
    "sex": "M",
    "nationality": "CL",
}
CARABINEROS_PERSON = {
    "category": "wanted",
    "given_names": "Pedro Pablo",
    "surname_1": "Soto",
    "surname_2": "Muñoz",
    "birth_date": "1975-11-20",
    "sex": "M",
    "nationality": "CL",
}
PDI_CONTAINER = {"number": "CSQU3054383", "status": "suspect", "last_port": "San Antonio"}
REVIEW_DUE = {
    "category": "wanted",
    "given_names": "Luis Alberto",
    "surname_1": "Tapia",
    "surname_2": "Castro",
    "birth_date": "1969-01-30",
    "sex": "M",
    "nationality": "PE",
}


@dataclass
class Scene:
    """The served node and the ids of the records the tests look for."""

    server: Running
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url


def _principal(node: Any, username: str) -> Principal:
    with node.sessions() as session:
        return auth.principal_of(auth.get_user(session, username))


def build(data_dir: Path, *, synthetic: int = 600) -> Scene:
    """Initialise the node, its users and records, and serve it (kill with ``server.kill``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALIANZA_")}
    env["ALIANZA_DATA_DIR"] = str(data_dir)
    node = init_node(Settings(data_dir=data_dir), country="CL", agency="PDI")
    with transaction(node.sessions) as session:
        for username, agency, role in USERS:
            auth.add_user(
                session,
                node=node,
                principal=node.system,
                username=username,
                full_name=username,
                country="CL",
                agency=agency,
                role=role,
                password=PASSWORD,
            )
    ids: dict[str, str] = {}
    batches = (("ana.rojas", synthetic, 2026), ("felipe.carabineros", max(synthetic // 5, 1), 2027))
    for username, count, seed in batches:
        principal = _principal(node, username)
        items = (
            ImportItem(
                where=f"registro sintético {i}",
                kind=g.kind.value,
                data=g.data,
                rules=g.rules,
                source_id=f"demo-{seed}-{i}",
            )
            for i, g in enumerate(generate_records(n=count, seed=seed, country="CL"))
        )
        with transaction(node.sessions) as session:
            import_items(session, node=node, principal=principal, items=items, source="e2e")
    ana, felipe = _principal(node, "ana.rojas"), _principal(node, "felipe.carabineros")
    made = (
        ("pdi_person", ana, "person", PDI_PERSON, {}),
        ("carabineros_person", felipe, "person", CARABINEROS_PERSON, {}),
        ("pdi_container", ana, "container", PDI_CONTAINER, {}),
        ("review_due", ana, "person", REVIEW_DUE, {"handling_code": "H2"}),
    )
    with transaction(node.sessions) as session:
        for name, principal, kind, data, rules in made:
            view = records.create_record(
                session,
                node=node,
                principal=principal,
                kind=kind,
                data=data,
                rules=Rules(**{**RULES, **rules, "scope": "agency"}),
            )
            ids[name] = view.record.id
        # As if written years ago: its review date has come.
        due = session.get(type(view.record), ids["review_due"])
        assert due is not None
        due.review_date = date.today() - timedelta(days=3)
    node.engine.dispose()
    server = Running(node=node, env=env, port=free_port())
    server.start()
    return Scene(server=server, ids=ids)


if __name__ == "__main__":  # pragma: no cover - by hand: a node to look at
    scene = build(Path(sys.argv[1]))
    print(scene.url, scene.ids)
