"""Fuzzing the FtM and CSV importers (issue 9): random and malformed input.

Whatever a file holds, an import either stores every item or raises ``InputError`` and
stores nothing: no other exception, no partial import. Bounded examples, no deadline.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from alianza.auth.permissions import Principal
from alianza.errors import InputError
from alianza.node.context import Node
from alianza.records import csvio, ftm
from alianza.records.importer import ImportItem, import_items
from alianza.records.models import Record
from tests.conftest import RULES, Factory

pytestmark = pytest.mark.once  # fuzzing: once per CI run, on the SQLite pass

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Characters that have broken parsers before: controls, surrogates, bidi, marks, quotes.
NASTY = st.one_of(
    st.characters(),
    st.characters(categories=["Cs", "Cc", "Cf", "Mn"]),
    st.sampled_from("\x00\x07\n\r\t\u202e\u200b\ufeff\u0301=+-@'\";:,[]{}\\"),
)
TEXT = st.text(alphabet=NASTY, max_size=20)
SCHEMAS = ["Person", "Identification", "Passport", "Vehicle", "Vessel", "Asset"]
SCHEMAS += ["Organization", "Company", "Event", "Payment", "Thing"]
PROPS = ["firstName", "lastName", "fatherName", "motherName", "name", "birthDate", "notes"]
PROPS += ["nationality", "gender", "alias", "idNumber", "passportNumber", "number", "country"]
PROPS += ["imoNumber", "mmsi", "registrationNumber", "date", "religion", "political"]
FIELDS = ["category", "given_names", "surname_1", "quantity_kg", "date", "number", "status"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, JSON)


ENTITY = st.fixed_dictionaries(
    {"schema": _maybe(st.sampled_from(SCHEMAS))},
    optional={
        "id": _maybe(TEXT),
        "properties": _maybe(
            st.dictionaries(
                st.one_of(st.sampled_from(PROPS), TEXT),
                _maybe(st.lists(st.one_of(TEXT, st.sampled_from(["CSQU3054383", "1985-07-14"])))),
                max_size=4,
            )
        ),
        "alianza": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "kind": _maybe(st.sampled_from(["person", "container", "seizure", "x"])),
                    "rules": _maybe(st.fixed_dictionaries({}, optional={"purpose": TEXT})),
                    "extra": _maybe(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=3)),
                },
            )
        ),
    },
)


def _line(entity: Any, cut: int | None, deep: int) -> str:
    text = json.dumps(entity)
    if deep:
        text = text[:-1] + ', "x": ' + "[" * deep + "]" * deep + "}"
    return text if cut is None else text[:cut]


LINES = st.lists(
    st.one_of(
        st.builds(
            _line, ENTITY, st.none() | st.integers(0, 200), st.sampled_from([0, 0, 40, 3000])
        ),
        TEXT,
    ),
    min_size=1,
    max_size=4,
)


def _valid(i: int) -> str:
    entity = {"id": f"c{i}", "schema": "Asset", "properties": {"name": ["CSQU3054383"]}}
    return json.dumps(entity)


def _consume(items: Any) -> list[ImportItem]:
    """Parse everything; only ``InputError`` may come out."""
    try:
        return list(items)
    except InputError as exc:
        exc.message.encode("utf-8")  # the error itself can be printed and sent
        return []


@given(LINES)
@settings(max_examples=400, deadline=None)
def test_ftm_parsing_raises_only_input_errors(lines: list[str]) -> None:
    _consume(ftm.read_lines(lines))


@given(st.lists(TEXT, min_size=1, max_size=5))
@settings(max_examples=300, deadline=None)
def test_ftm_parsing_of_raw_text_raises_only_input_errors(lines: list[str]) -> None:
    _consume(ftm.read_lines(lines))


CSV_HEADER = st.lists(
    st.one_of(st.sampled_from(csvio.COLUMNS), TEXT), min_size=1, max_size=6, unique=True
)


@st.composite
def csv_text(draw: st.DrawFn) -> str:
    header = ["kind", *draw(CSV_HEADER)] if draw(st.booleans()) else draw(CSV_HEADER)
    rows = draw(
        st.lists(
            st.lists(
                st.one_of(TEXT, st.sampled_from(["person", "container", "12", "1e3", "=1+1"])),
                min_size=len(header),
                max_size=len(header) + 1,
            ),
            max_size=3,
        )
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue()
    cut = draw(st.none() | st.integers(0, len(text)))
    return text if cut is None else text[:cut]


@given(st.one_of(csv_text(), TEXT))
@settings(max_examples=400, deadline=None)
def test_csv_parsing_raises_only_input_errors(text: str) -> None:
    _consume(csvio.read_rows(io.StringIO(text, newline="")))


@pytest.fixture
def ana(factory: Factory) -> Principal:
    # Made once per test: Hypothesis runs every example inside the same fixture.
    return factory.user("ana", "analyst")[0]


def _count(node: Node) -> int:
    with node.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Record)) or 0)


def _import_all_or_nothing(node: Node, principal: Principal, items: Any) -> None:
    before = _count(node)
    with node.sessions() as s:
        try:
            import_items(s, node=node, principal=principal, items=items, defaults=RULES)
        except InputError:
            s.rollback()
            assert _count(node) == before, "a failed import stored something"
            return
        s.commit()


@given(hostile=LINES, position=st.integers(0, 3))
@FUZZ
def test_ftm_import_stores_all_or_nothing(
    node: Node, ana: Principal, hostile: list[str], position: int
) -> None:
    lines = [_valid(i) for i in range(3)]
    lines[position:position] = hostile
    _import_all_or_nothing(node, ana, ftm.read_lines(lines))


@given(text=csv_text())
@FUZZ
def test_csv_import_stores_all_or_nothing(node: Node, ana: Principal, text: str) -> None:
    good = "kind,number\ncontainer,CSQU3054383\n"
    _import_all_or_nothing(node, ana, csvio.read_rows(io.StringIO(good + text, newline="")))


# --- regressions found by the fuzzing above (each failed before its fix) --------------------


def test_unhashable_kind_is_an_input_error() -> None:
    line = json.dumps({"schema": "Person", "properties": {}, "alianza": {"kind": {"a": 1}}})
    assert _consume(ftm.read_lines([line])) == []


def test_csv_module_errors_are_input_errors() -> None:
    previous = csv.field_size_limit(1000)
    try:
        text = "kind,notes\ncontainer," + "x" * 2000 + "\n"
        assert _consume(csvio.read_rows(io.StringIO(text))) == []
    finally:
        csv.field_size_limit(previous)


def test_integer_of_5000_digits_is_an_input_error() -> None:
    assert _consume(ftm.read_lines(['{"schema": "Person", "id": ' + "1" * 5000 + "}"])) == []


def test_csv_numbers_are_decimals_with_a_point() -> None:
    text = "kind,reference,quantity_kg\nseizure,R1,12.5\nseizure,R2,1e3\n"
    items = csvio.read_rows(io.StringIO(text))
    assert next(items).data["quantity_kg"] == 12.5
    try:
        next(items)
    except InputError as exc:
        assert exc.problems[0].field == "línea 3: quantity_kg"
    else:
        raise AssertionError("1e3 was read as a number")


def test_csv_export_round_trips_escaped_cells() -> None:
    assert csvio.neutralise("=1+1") == "'=1+1"
    assert csvio.neutralise("'hola") == "''hola"
    assert csvio.neutralise("hola") == "hola"
    text = "kind,number,notes,last_port\ncontainer,CSQU3054383,'=1+1,''hola\n"
    (item,) = csvio.read_rows(io.StringIO(text))
    assert item.data["notes"] == "=1+1" and item.data["last_port"] == "'hola"
