"""The seizure registry: a file imported row by row with a report, the IDS export, the
aggregates without personal data, and who may do each (issue 12)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from alianza.audit.models import AuditEntry
from alianza.auth.permissions import PermissionDenied, Principal
from alianza.errors import InputError
from alianza.node.context import Node
from alianza.records.models import Record
from alianza.seizures import service
from alianza.seizures.ids import IDS_COLUMNS, check
from tests.conftest import RULES, Factory

HEADER = (
    "reference,date,country,place,port,latitude,longitude,substance,amount,unit,concealment,"
    "transport_mode,producing_country,departure_country,destination_country,container,booking,"
    "vessel_imo,persons,notes\n"
)
GOOD = [
    "EC-GYE-2026-001,2026-03-02,EC,Guayaquil terminal,ECGYE,-2.28,-79.91,cocaína,1250,kg,"
    "doble fondo en cajas de banano,sea,CO,EC,BE,CSQU3054383,BK-88213,9074729,,notas internas",
    "CL-SAI-2026-014,2026-04-11,CL,San Antonio,CLSAI,,,cocaína,800000,g,contenedor refrigerado,"
    "sea,PE,EC,CL,,,,,",
    "EC-MEC-2026-007,2026-04-20,EC,Manta,ECMEC,,,éxtasis,4000,units,,sea,,EC,ES,,,,,",
]
BAD = [
    "EC-BAD-1,2026-13-40,EC,Guayaquil,ECGYE,,,cocaína,10,kg,,sea,,,,,,,,",  # date
    "EC-BAD-2,2026-03-02,EC,Guayaquil,ECGYE,,,cocaína,10,kg,,sea,,,,CSQU3054384,,,,",  # ISO 6346
    "EC-BAD-3,2026-03-02,EC,Guayaquil,Guayaquil,,,cocaína,10,kg,,sea,,,,,,,,",  # LOCODE
    "EC-BAD-4,2026-03-02,EC,Guayaquil,ECGYE,,,cocaína,-5,kg,,sea,,,,,,,,",  # negative
]


def _file(tmp_path: Path, lines: list[str], name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _count(node: Node) -> int:
    with node.sessions() as s:
        return int(
            s.scalar(select(func.count()).select_from(Record).where(Record.kind == "seizure")) or 0
        )


def _import(node: Node, who: Principal, path: Path) -> service.Imported:
    with node.sessions() as session:
        done = service.import_checked(
            session,
            node=node,
            principal=who,
            checked=service.check_file(path),
            rules=RULES,
            source="t",
        )
        session.commit()
        return done


def test_good_rows_are_stored_and_each_bad_row_is_named_with_its_field(
    node: Node, factory: Factory, tmp_path: Path
) -> None:
    port, _ = factory.user("pia", "port_analyst")
    done = _import(node, port, _file(tmp_path, [*GOOD, *BAD]))
    assert done.result.created == 3 and _count(node) == 3
    assert [(p.row, p.field) for p in done.checked.problems] == [
        (5, "date"),
        (6, "container"),
        (7, "port"),
        (8, "amount"),
    ]
    assert all(p.reason for p in done.checked.problems)
    again = _import(node, port, _file(tmp_path, GOOD))  # the reference names the record
    assert again.result.unchanged == 3 and _count(node) == 3


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("reference,date,country,place,substance,quantity_kg,raza\n", "raza"),
        ("reference,date,country,place,quantity_kg\n", "substance"),
    ],
)
def test_unknown_or_missing_columns_stop_the_file(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=words):
        service.check_file(path)


def test_json_files_are_read_like_csv(tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(HEADER + "\n".join(GOOD))))
    typed = [{k: v for k, v in r.items() if v} for r in rows]
    path = tmp_path / "in.json"
    path.write_text(json.dumps(typed), encoding="utf-8")
    checked = service.check_file(path)
    assert checked.problems == [] or all(
        p.field in ("amount", "latitude", "longitude") for p in checked.problems
    )
    lines = tmp_path / "in.jsonl"
    lines.write_text("\n".join(json.dumps(t) for t in typed) + "\n[1]\n", encoding="utf-8")
    checked = service.check_file(lines)
    assert checked.total == 4 and checked.problems[-1].row == 4


def test_ids_export_carries_no_personal_data_and_is_audited(
    node: Node, factory: Factory, tmp_path: Path
) -> None:
    port, _ = factory.user("pia", "port_analyst")
    person = factory.record(
        port, "organisation", {"name": "Frutas del Pacífico S.A.", "country": "EC"}
    )
    line = GOOD[0].replace(",,notas internas", f",{person.record.id},notas internas")
    _import(node, port, _file(tmp_path, [line, *GOOD[1:]]))
    chunks: list[str] = []
    with node.sessions() as session:
        count = service.export(session, node=node, principal=port, fmt="ids", write=chunks.append)
        session.commit()
    assert count == 3
    with node.sessions() as session:
        acts = session.scalars(
            select(AuditEntry.action).where(AuditEntry.actor == port.label)
        ).all()
    assert "seizure.export" in acts
    rows = list(csv.DictReader(io.StringIO("".join(chunks))))
    assert list(rows[0]) == [c for c, _ in IDS_COLUMNS]
    text = "".join(chunks)
    assert "notas internas" not in text and person.record.id not in text and "BK-88213" not in text
    grams = next(r for r in rows if r["seizure_id"] == "CL-SAI-2026-014")
    assert float(grams["quantity_kg"]) == 800.0
    # The full record (persons, notes) is an export of records: an analyst's, not hers.
    with node.sessions() as session, pytest.raises(PermissionDenied):
        service.export(session, node=node, principal=port, fmt="json", write=lambda _: None)
    analyst, _ = factory.user("ana", "analyst")
    with node.sessions() as session:
        full: list[str] = []
        service.export(session, node=node, principal=analyst, fmt="json", write=full.append)
    assert {r["reference"] for r in json.loads("".join(full))} == {
        "EC-GYE-2026-001",
        "CL-SAI-2026-014",
        "EC-MEC-2026-007",
    }


def test_aggregates_by_month_port_and_route(node: Node, factory: Factory, tmp_path: Path) -> None:
    port, _ = factory.user("pia", "port_analyst")
    _import(node, port, _file(tmp_path, GOOD))
    with node.sessions() as session:
        by_route = service.aggregates(session, node=node, principal=port, by="route")
        by_month = service.aggregates(session, node=node, principal=port, by="month")
    cocaine = {r["route"]: r["quantity_kg"] for r in by_route if r["substance"] == "cocaína"}
    assert cocaine == {"CO → BE": 1250.0, "PE → CL": 800.0} or cocaine == {
        "EC → BE": 1250.0,
        "EC → CL": 800.0,
    }
    assert {r["month"] for r in by_month} == {"2026-03", "2026-04"}
    assert all(set(r) == {"month", "substance", "seizures", "quantity_kg"} for r in by_month)
    with pytest.raises(InputError, match="--by"), node.sessions() as session:
        service.aggregates(session, node=node, principal=port, by="person")


def test_border_officers_neither_import_export_nor_count_seizures(
    node: Node, factory: Factory, tmp_path: Path
) -> None:
    officer, _ = factory.user("beto", "border_officer")
    caseworker, _ = factory.user("cata", "caseworker")
    path = _file(tmp_path, GOOD)
    for who in (officer, caseworker):
        with pytest.raises(PermissionDenied):
            _import(node, who, path)
        with node.sessions() as session, pytest.raises(PermissionDenied):
            service.export(session, node=node, principal=who, fmt="ids", write=lambda _: None)
    assert _count(node) == 0


def test_another_agencys_port_analyst_sees_only_what_the_rules_let_her(
    node: Node, factory: Factory, tmp_path: Path
) -> None:
    ours, _ = factory.user("pia", "port_analyst")
    theirs, _ = factory.user("rosa", "port_analyst", country="CL", agency="Carabineros")
    _import(node, ours, _file(tmp_path, GOOD))  # agency scope by default
    with node.sessions() as session:
        assert (
            service.export(session, node=node, principal=theirs, fmt="ids", write=lambda _: None)
            == 0
        )
        assert service.aggregates(session, node=node, principal=theirs, by="port") == []


_cells = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row=st.dictionaries(st.sampled_from(HEADER.strip().split(",")), _cells, max_size=20))
def test_any_row_is_stored_or_reported_never_raised(row: dict[str, Any]) -> None:
    checked = check([(2, row)])
    assert len(checked.rows) + len(checked.problems) == 1
    for problem in checked.problems:
        assert problem.row == 2 and problem.field and problem.reason
