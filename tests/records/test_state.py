"""A record's row follows its current version, whichever path wrote it.

The service, the importer and the sync feed share one writer (``records.state``); these
tests change every part of a record's state through the importer (and, in
``tests/exchange/test_sync.py``, through sync) and check each column against values
written out here by hand.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from alianza.node.context import Node
from alianza.records.importer import ImportItem, import_items
from alianza.records.models import Record, RecordKey
from tests.conftest import Factory

V1 = {
    "data": {"number": "MSCU1234566", "status": "suspect", "last_port": "Guayaquil"},
    "rules": {
        "purpose": "control portuario",
        "legal_basis": "Ley 20.000",
        "handling_code": "H0",
        "scope": "agency",
        "review_date": "2030-01-15",
    },
}
V2 = {
    "data": {"number": "CSQU3054383", "status": "seized", "last_port": "Posorja"},
    "rules": {
        "purpose": "control portuario",
        "legal_basis": "Ley 20.000",
        "handling_code": "H2",
        "scope": "partners",
        "scope_countries": ["EC", "PE"],
        "review_date": "2031-06-30",
    },
}


def _import(node: Node, principal: Any, version: dict[str, Any]) -> None:
    with node.sessions() as session:
        import_items(
            session,
            node=node,
            principal=principal,
            items=[
                ImportItem(
                    where="línea 1",
                    kind="container",
                    data=dict(version["data"]),
                    rules=dict(version["rules"]),
                    source_id="contenedor-7",
                )
            ],
            source="prueba",
        )
        session.commit()


def test_reimport_of_a_changed_record_rewrites_every_field_of_its_state(
    node: Node, factory: Factory
) -> None:
    analyst, _ = factory.user("ana.state", "analyst")
    _import(node, analyst, V1)
    with node.sessions() as session:
        first = session.scalars(select(Record)).one()
        assert (first.version, first.scope, first.handling_code) == (1, "agency", "H0")
        assert first.review_date == date(2030, 1, 15)
        assert first.label == "MSCU1234566"
        record_id = first.id

    _import(node, analyst, V2)
    with node.sessions() as session:
        record = session.get(Record, record_id)
        assert record is not None
        assert record.version == 2
        assert record.deleted is False
        assert record.handling_code == "H2"
        assert record.scope == "partners"
        assert record.scope_countries == ",EC,PE,"
        assert record.review_date == date(2031, 6, 30)
        assert record.label == "CSQU3054383"
        assert (record.owner_country, record.owner_agency) == ("CL", "PDI")
        assert record.origin == node.node_id
        assert record.updated_at >= record.created_at
        keys = set(session.scalars(select(RecordKey.key).where(RecordKey.record_id == record_id)))
        assert "id:CSQU3054383" in keys and "id:MSCU1234566" not in keys
