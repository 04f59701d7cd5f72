"""FtM and CSV: round trips, idempotent re-import, and bad input that changes nothing."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from alianza.demo.generator import generate_records
from alianza.errors import InputError, NeutralityError, PermissionDenied
from alianza.node.context import Node
from alianza.records import csvio, ftm
from alianza.records import service as records
from alianza.records.importer import ImportItem, import_items
from alianza.records.models import Record
from tests.conftest import RULES, Factory


def _count(node: Node) -> int:
    with node.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Record)) or 0)


def _generated(n: int, seed: int = 1) -> list[ImportItem]:
    return [
        ImportItem(
            where=f"item {i}",
            kind=g.kind.value,
            data=g.data,
            rules=g.rules,
            source_id=f"gen-{seed}-{i}",
        )
        for i, g in enumerate(generate_records(n=n, seed=seed))
    ]


def _import(node: Node, principal: object, items: object, **kw: object) -> object:
    with node.sessions() as s:
        result = import_items(s, node=node, principal=principal, items=items, **kw)  # type: ignore[arg-type]
        s.commit()
        return result


def test_ftm_round_trip_keeps_every_kind_and_rule(node: Node, factory: Factory) -> None:
    ana, _ = factory.user("ana", "analyst")
    _import(node, ana, _generated(300))
    with node.sessions() as s:
        views = list(records.iter_visible(s, principal=ana))
    assert len(views) == 300
    assert {v.record.kind for v in views} == {
        "person",
        "document",
        "vehicle",
        "vessel",
        "container",
        "organisation",
        "seizure",
    }
    text = "".join(ftm.write_lines(views))
    parsed = list(ftm.read_lines(io.StringIO(text)))
    by_id = {v.record.id: v.as_dict() for v in views}
    for item in parsed:
        original = by_id[item.source_id or ""]
        assert item.kind == original["kind"]
        # Re-validated data equals the stored canonical data.
        from alianza.records.kinds import validate_data

        assert validate_data(item.kind, item.data) == original["data"]
        assert item.rules == original["rules"]


def test_reimporting_an_export_changes_nothing(node: Node, factory: Factory) -> None:
    ana, _ = factory.user("ana", "analyst")
    _import(node, ana, _generated(120))
    with node.sessions() as s:
        text = "".join(ftm.write_lines(records.iter_visible(s, principal=ana)))
    result = _import(node, ana, ftm.read_lines(io.StringIO(text)))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 120)  # type: ignore[attr-defined]
    assert _count(node) == 120


def test_interrupted_import_resumes_without_duplicates(node: Node, factory: Factory) -> None:
    ana, _ = factory.user("ana", "analyst")
    items = _generated(200, seed=5)
    _import(node, ana, items[:80])  # the first run stopped after 80 items
    result = _import(node, ana, items)
    assert (result.created, result.unchanged) == (120, 80)  # type: ignore[attr-defined]
    assert _count(node) == 200


def test_csv_round_trip(node: Node, factory: Factory) -> None:
    ana, _ = factory.user("ana", "analyst")
    _import(node, ana, _generated(150, seed=9))
    with node.sessions() as s:
        views = list(records.iter_visible(s, principal=ana))
    text = "".join(csvio.write_rows(views))
    result = _import(node, ana, csvio.read_rows(io.StringIO(text)))
    assert result.unchanged == 150  # type: ignore[attr-defined]


def test_failure_on_the_last_line_rolls_back_the_whole_file(node: Node, factory: Factory) -> None:
    ana, _ = factory.user("ana", "analyst")
    items = _generated(50)
    bad = ImportItem(
        where="línea 51", kind="container", data={"number": "CSQU3054384"}, rules=RULES
    )
    with node.sessions() as s, pytest.raises(InputError) as err:
        import_items(s, node=node, principal=ana, items=[*items, bad])
    assert "línea 51" in err.value.message and "dígito verificador" in err.value.message
    assert _count(node) == 0


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", "línea 1: JSON mal formado"),
        ('{"schema": "Persona", "properties": {}}', "línea 1"),
        (
            '{"schema": "Person", "properties": {"firstName": ["A"], "colorFavorito": ["x"]}}',
            "properties.colorFavorito",
        ),
        (
            '{"schema": "Person", "properties": {"firstName": ["A"], "religion": ["x"]}}',
            "neutralidad",
        ),
        ('{"schema": "Vessel", "properties": {"name": ["X"], "imoNumber": ["9074728"]}}', "IMO"),
        ('{"schema": "Payment", "properties": {}}', "no admitido"),
        ("[1, 2]", "objeto JSON"),
    ],
)
def test_bad_ftm_lines_are_named(node: Node, factory: Factory, line: str, expected: str) -> None:
    ana, _ = factory.user("ana", "analyst")
    with node.sessions() as s, pytest.raises(InputError, match=expected):
        import_items(s, node=node, principal=ana, items=ftm.read_lines([line]), defaults=RULES)
    assert _count(node) == 0


def test_missing_purpose_is_named(node: Node, factory: Factory) -> None:
    ana, _ = factory.user("ana", "analyst")
    line = json.dumps({"id": "x1", "schema": "Asset", "properties": {"name": ["CSQU3054383"]}})
    with node.sessions() as s, pytest.raises(InputError, match=r"línea 1: rules\.purpose"):
        import_items(s, node=node, principal=ana, items=ftm.read_lines([line]))


@pytest.mark.parametrize(
    ("csv_text", "expected", "error"),
    [
        ("kind,number\ncontainer,CSQU3054383\n", "rules.purpose", InputError),
        ("kind,number,religion\ncontainer,CSQU3054383,x\n", "neutralidad", NeutralityError),
        ("kind,numero\ncontainer,CSQU3054383\n", "columna numero", InputError),
        ("kind,number,plate\ncontainer,CSQU3054383,AB1234\n", "línea 2: plate", InputError),
        ("kind,number\nbarco,CSQU3054383\n", "línea 2: kind", InputError),
        ("number\nCSQU3054383\n", "columna kind", InputError),
        ("kind,number\ncontainer,CSQU3054383,extra\n", "más celdas", InputError),
    ],
)
def test_bad_csv_is_named(
    node: Node, factory: Factory, csv_text: str, expected: str, error: type[Exception]
) -> None:
    ana, _ = factory.user("ana", "analyst")
    with node.sessions() as s, pytest.raises(error, match=expected):
        import_items(s, node=node, principal=ana, items=csvio.read_rows(io.StringIO(csv_text)))
    assert _count(node) == 0


def test_csv_with_defaults_imports(node: Node, factory: Factory) -> None:
    ana, _ = factory.user("ana", "analyst")
    text = (
        "id,kind,given_names,surname_1,surname_2,category,documents,number\n"
        "p1,person,Luis,Núñez,Soto,wanted,RUT_CL:12.345.678-5;PASSPORT:F1234567,\n"
        "c1,container,,,,,,MSCU1234566\n"
    )
    result = _import(node, ana, csvio.read_rows(io.StringIO(text)), defaults=RULES)
    assert result.created == 2  # type: ignore[attr-defined]
    with node.sessions() as s:
        hits = records.search(s, node=node, principal=ana, q="12345678-5")
    assert [h.record.label for h in hits] == ["Luis Núñez Soto"]


def test_import_needs_write_permission_per_kind(node: Node, factory: Factory) -> None:
    port, _ = factory.user("carla", "port_analyst")
    items = [
        ImportItem(
            where="línea 1",
            kind="person",
            data={"category": "watch", "given_names": "A", "surname_1": "B"},
            rules=RULES,
        )
    ]
    with node.sessions() as s, pytest.raises(PermissionDenied, match="línea 1"):
        import_items(s, node=node, principal=port, items=items)


def test_split_surnames_keeps_particles() -> None:
    assert ftm.split_surnames("González Pérez") == ("González", "Pérez")
    assert ftm.split_surnames("de la Cruz Peña") == ("de la Cruz", "Peña")
    assert ftm.split_surnames("Peña de la Cruz") == ("Peña", "de la Cruz")
    assert ftm.split_surnames("Soto") == ("Soto", None)


def test_canonical_bytes_equal_the_standard_library_form() -> None:
    """Signatures cover canonical bytes; orjson must give exactly json.dumps' form."""
    from alianza.node.keys import canonical

    for g in generate_records(n=500, seed=11):
        for value in (g.data, g.rules):
            expected = json.dumps(
                value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode()
            assert canonical(value) == expected


def test_bad_review_date_is_named_and_rules_are_validated_once(
    node: Node, factory: Factory
) -> None:
    ana, _ = factory.user("ana", "analyst")
    items = [
        ImportItem(
            where="línea 1",
            kind="container",
            data={"number": "CSQU3054383"},
            rules={**RULES, "review_date": "2031-02-30"},
        )
    ]
    with node.sessions() as s, pytest.raises(InputError, match=r"línea 1: rules\.review_date"):
        import_items(s, node=node, principal=ana, items=items)
    from alianza.records.importer import _RulesCache

    cache = _RulesCache(node, RULES)
    for day in range(1, 29):
        cache.settle({"review_date": f"2031-02-{day:02d}"}, "person")
    assert len(cache._seen) == 1
