"""The node's side of port targeting (issue 12): declarations stored by the port unit that
holds them, a seizure that names one of our containers proposed as a link, and a label
only once a person confirms it; roles and agencies kept apart."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from alianza.auth.permissions import PermissionDenied, Principal
from alianza.errors import Conflict, InputError, NotFound
from alianza.node.context import Node
from alianza.ports import store
from alianza.ports.contract import read_declarations
from alianza.ports.models import PortDeclaration
from alianza.ports.synthetic import generate, write_csv
from tests.conftest import Factory


@pytest.fixture(scope="module")
def declarations(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = generate(seed=11, start=date(2026, 1, 5), days=20, per_year=60_000)
    path = tmp_path_factory.mktemp("ports") / "declaraciones.csv"
    write_csv(frame, path)
    return path


def _store(node: Node, who: Principal, path: Path) -> store.Stored:
    with node.sessions() as session:
        done = store.store_declarations(
            session, node=node, principal=who, declarations=read_declarations(path)
        )
        session.commit()
        return done


def test_declarations_are_stored_once_and_read_back_as_the_contract(
    node: Node, factory: Factory, declarations: Path
) -> None:
    pia, _ = factory.user("pia", "port_analyst", country="EC", agency="SENAE")
    first = _store(node, pia, declarations)
    read = read_declarations(declarations)
    assert first.created == len(read.frame) > 1_000
    assert _store(node, pia, declarations).unchanged == first.created
    with node.sessions() as session:
        frame = store.stored_frame(session, principal=pia, labelled=True)
    assert list(frame.columns) == list(read.frame.columns)
    assert len(frame) == len(read.frame)
    assert int(frame["inspected"].sum()) == int(read.frame["inspected"].sum())
    assert frame.loc[frame["inspected"] == 0, "illicit"].isna().all()


def test_other_agencies_and_other_roles_neither_store_nor_read(
    node: Node, factory: Factory, declarations: Path
) -> None:
    pia, _ = factory.user("pia", "port_analyst", country="EC", agency="SENAE")
    other, _ = factory.user("oto", "port_analyst", country="EC", agency="Policia")
    officer, _ = factory.user("beto", "border_officer", country="EC", agency="SENAE")
    _store(node, pia, declarations)
    assert _store(node, other, declarations).foreign > 0  # ids held by SENAE stay SENAE's
    with node.sessions() as session:
        assert store.stored_frame(session, principal=other, labelled=False).empty
        with pytest.raises(PermissionDenied):
            store.stored_frame(session, principal=officer, labelled=False)
    with pytest.raises(PermissionDenied):
        _store(node, officer, declarations)


def test_a_partners_seizure_becomes_a_label_only_after_a_person_confirms_it(
    node: Node, factory: Factory, declarations: Path
) -> None:
    pia, _ = factory.user("pia", "port_analyst", country="EC", agency="SENAE")
    _store(node, pia, declarations)
    with node.sessions() as session:
        row = session.execute(
            select(PortDeclaration).where(PortDeclaration.inspected.is_(False)).limit(1)
        ).scalar_one()
        container, loaded = row.container_number, row.date
    # A seizure at the destination (here written by a Chilean unit, shared with Ecuador).
    cl, _ = factory.user("carla", "port_analyst", country="CL", agency="PDI")
    seizure = {
        "reference": "CL-SAI-2026-031",
        "date": date.fromordinal(loaded.toordinal() + 25).isoformat(),
        "country": "CL",
        "place": "San Antonio",
        "substance": "cocaína",
        "quantity_kg": 310.0,
        "container": container,
    }
    factory.record(cl, "seizure", seizure, scope="members")
    far = {**seizure, "reference": "CL-SAI-2026-099", "date": "2026-12-01"}  # out of window
    factory.record(cl, "seizure", far, scope="members")
    with node.sessions() as session:
        proposed = store.propose_links(session, node=node, principal=pia)
        session.commit()
    assert [(p.container_number, p.status) for p in proposed] == [(container, "proposed")]
    with node.sessions() as session:  # proposing again proposes nothing new
        assert store.propose_links(session, node=node, principal=pia) == []
        frame = store.stored_frame(session, principal=pia, labelled=True)
    assert frame.loc[frame["declaration_id"] == row.declaration_id, "inspected"].item() == 0
    link = proposed[0].id
    with node.sessions() as session:
        with pytest.raises(InputError, match="motivo"):
            store.decide_link(session, node=node, principal=pia, link_id=link, confirm=False)
        with pytest.raises(NotFound):
            other, _ = factory.user("oto", "port_analyst", country="EC", agency="Policia")
            store.decide_link(session, node=node, principal=other, link_id=link, confirm=True)
        store.decide_link(session, node=node, principal=pia, link_id=link, confirm=True)
        session.commit()
    with node.sessions() as session:
        frame = store.stored_frame(session, principal=pia, labelled=True)
        labelled = frame.loc[frame["declaration_id"] == row.declaration_id]
        assert (labelled["inspected"].item(), labelled["illicit"].item()) == (1, 1.0)
        with pytest.raises(Conflict):
            store.decide_link(
                session, node=node, principal=pia, link_id=link, confirm=False, reason="x"
            )
