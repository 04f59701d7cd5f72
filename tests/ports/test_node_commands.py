"""``alianza ports declarations|links`` from the real command: a port unit stores its
declarations, trains on them, takes the day's list (its selection probabilities written
on the rows), and confirms a destination's seizure as a label (issue 12)."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta

from sqlalchemy import select

from alianza.audit.models import AuditEntry
from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.db import transaction
from alianza.ports.models import PortDeclaration
from alianza.ports.synthetic import generate, write_csv
from alianza.records import service as records
from alianza.records.rules import Rules
from tests.conftest import RULES, FreshNode


def test_store_train_select_and_confirm_a_label(fresh: FreshNode) -> None:
    node = fresh.init(country="EC", agency="SENAE")
    with transaction(node.sessions) as session:
        for name, role in (("pia", "port_analyst"), ("beto", "border_officer")):
            auth.add_user(
                session, node=node, principal=node.system, username=name, full_name=name,
                country="EC", agency="SENAE", role=role,
            )  # fmt: skip
    frame = generate(seed=5, start=date(2026, 1, 5), days=60, per_year=180_000)
    path = fresh.dir.parent / "declaraciones.csv"
    write_csv(frame, path)
    last = frame["date"].max().date()

    stored = fresh.cli("ports", "declarations", "import", str(path), "--user", "pia", "--json")
    assert stored.returncode == 0, stored.stderr
    assert json.loads(stored.stdout)["created"] == len(frame)
    denied = fresh.cli("ports", "declarations", "import", str(path), "--user", "beto")
    assert denied.returncode == 4 and "Traceback" not in denied.stderr

    model = fresh.dir.parent / "modelo"
    trained = fresh.cli("ports", "declarations", "train", "--user", "pia", "--model", str(model))
    assert trained.returncode == 0, trained.stderr
    listing = fresh.dir.parent / "lista.csv"
    day = last.isoformat()
    chosen = fresh.cli(
        "ports", "declarations", "select", "--user", "pia", "--model", str(model),
        "--day", day, "--budget", "0.1", "--explore", "0.2", "-o", str(listing), "--json",
    )  # fmt: skip
    assert chosen.returncode == 0, chosen.stderr
    rows = list(csv.DictReader(listing.read_text(encoding="utf-8").splitlines()))
    assert rows and all(r["explanation_1"] for r in rows)
    with node.sessions() as session:
        marked = session.execute(
            select(PortDeclaration.declaration_id, PortDeclaration.selection_probability).where(
                PortDeclaration.selected_on == last
            )
        ).all()
    assert {m.declaration_id for m in marked} == {r["declaration_id"] for r in rows}
    assert all(0 < m.selection_probability <= 1 for m in marked)

    # Scoring stored rows writes one risk per declaration of those days.
    scores = fresh.dir.parent / "riesgo.csv"
    scored = fresh.cli(
        "ports", "declarations", "score", "--user", "pia", "--model", str(model),
        "--since", day, "-o", str(scores), "--json",
    )  # fmt: skip
    assert scored.returncode == 0, scored.stderr
    risks = list(csv.DictReader(scores.read_text(encoding="utf-8").splitlines()))
    assert len(risks) == int((frame["date"].dt.date == last).sum())
    assert all(0.0 <= float(r["risk"]) <= 1.0 for r in risks)
    bad = fresh.cli("ports", "declarations", "score", "--user", "pia", "--model", str(model),
                    "--since", "2026-13-01", "-o", str(scores))  # fmt: skip
    assert bad.returncode == 2 and "--since" in bad.stderr

    # Retraining on the stored rows weighs the chosen ones by their recorded probability;
    # it replaces the model only if it is not worse on the latest weeks.
    again = fresh.cli(
        "ports", "declarations", "train", "--user", "pia", "--model", str(model),
        "--replace", "--json",
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert isinstance(json.loads(again.stdout)["replaced"], bool)

    # A seizure at the destination names one of today's containers: proposed, then confirmed.
    target = rows[-1]
    chile = Principal.system(country="CL", agency="PDI")
    with transaction(node.sessions) as session:
        carla = auth.add_user(
            session, node=node, principal=chile, username="carla", full_name="Carla",
            country="CL", agency="PDI", role="port_analyst",
        )  # fmt: skip
        records.create_record(
            session, node=node, principal=auth.principal_of(carla), kind="seizure",
            data={"reference": "CL-SAI-77", "date": (last + timedelta(days=20)).isoformat(),
                  "country": "CL", "place": "San Antonio", "substance": "cocaína",
                  "quantity_kg": 95.0, "container": target["container_number"]},
            rules=Rules(**RULES, scope="members"),
        )  # fmt: skip
    proposed = fresh.cli("ports", "links", "propose", "--user", "pia", "--json")
    assert proposed.returncode == 0, proposed.stderr
    links = json.loads(proposed.stdout)["proposed"]
    assert [link["declaration_id"] for link in links] == [target["declaration_id"]]
    confirmed = fresh.cli("ports", "links", "confirm", links[0]["id"][:8], "--user", "pia")
    assert confirmed.returncode == 0, confirmed.stderr
    again = fresh.cli("ports", "links", "confirm", links[0]["id"], "--user", "pia")
    assert again.returncode != 0 and "Traceback" not in again.stderr
    with node.sessions() as session:
        row = session.get(PortDeclaration, target["declaration_id"])
        assert row is not None and (row.illicit, row.label_source) == (True, "seizure")
        acts = set(session.scalars(select(AuditEntry.action)))
    assert {
        "ports.declarations.import",
        "ports.train",
        "ports.select",
        "ports.links.propose",
        "ports.links.confirm",
    } <= acts
