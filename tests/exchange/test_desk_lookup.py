"""The desk's prepared identifier lookup answers exactly as ``find_records``."""

from __future__ import annotations

from typing import Any

import pytest

from alianza.exchange.hits import (
    Purpose,
    QueryKind,
    find_records,
    lookup_key,
    prepared_lookup,
)
from alianza.node.context import Node
from tests.conftest import Factory

# Scope and discoverability of each record, and whether EC may find it by hit/no-hit.
CASES: list[tuple[dict[str, Any], bool]] = [
    ({"scope": "agency", "discoverable": "none"}, False),
    ({"scope": "country", "discoverable": "none"}, False),
    ({"scope": "partners", "scope_countries": ["PE"], "discoverable": "partners",
      "discoverable_countries": ["PE"]}, False),
    ({"scope": "partners", "scope_countries": ["EC"]}, True),
    ({"scope": "country", "discoverable": "partners", "discoverable_countries": ["EC"]}, True),
    ({"scope": "agency", "discoverable": "members"}, True),
    ({"scope": "members"}, True),
    ({"scope": "members", "handling_code": "H1"}, True),  # not for a judicial query
]  # fmt: skip
NUMBERS = ["MSCU1234566", "TGHU6544586", "CSQU3054383", "MSKU0000006", "TCLU1234568",
           "MAEU1234567", "HLXU1234561", "CMAU1234564"]  # fmt: skip


@pytest.mark.parametrize("purpose", [Purpose.PORT_CONTROL, Purpose.JUDICIAL])
def test_prepared_lookup_finds_what_find_records_finds(
    node: Node, factory: Factory, purpose: Purpose
) -> None:
    ana, _ = factory.user("ana", "analyst")
    made = {}
    for (rules, findable), number in zip(CASES, NUMBERS, strict=True):
        view = factory.record(ana, "container", {"number": number, "status": "suspect"}, **rules)
        made[number] = (view.record.id, findable and not (
            purpose is Purpose.JUDICIAL and rules.get("handling_code") == "H1"
        ))  # fmt: skip
    with node.sessions() as session:
        connection = session.connection()
        lookup = prepared_lookup(
            node.node_id,
            "EC",
            "Policía Nacional",
            judicial=purpose is Purpose.JUDICIAL,
            dialect=connection.dialect,
        )
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        for number, (record_id, findable) in made.items():
            values = {"number": number}
            expected = find_records(
                session,
                node_id=node.node_id,
                peer_country="EC",
                peer_agency="Policía Nacional",
                kind=QueryKind.CONTAINER,
                purpose=purpose,
                values=values,
                matcher=None,  # type: ignore[arg-type]
            )
            got = [
                (str(a), str(b))
                for a, b in lookup.run(cursor, key=lookup_key(QueryKind.CONTAINER, values))
            ]
            assert got == expected
            assert got == ([(record_id, "container")] if findable else []), number
        cursor.close()
