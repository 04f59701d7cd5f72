"""The registry CSV contract: every rule, row numbers as a spreadsheet shows them, strict mode."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from alianza.codes.problems import RowProblem
from alianza.errors import InputError
from alianza.identity.contract import HEADER, MAX_FIELD, read_registry, write_csv
from alianza.identity.synthetic import CHILE, corrupt, population

Row = dict[str, str]
GOOD: Row = {
    "record_id": "R-1",
    "given_names": "María José",
    "surname_1": "Núñez",
    "surname_2": "Soto",
    "birth_date": "1990-03-07",
    "sex": "F",
    "nationality": "CL",
    "document_type": "RUT_CL",
    "document_number": "12.345.678-5",
}


def row(**changes: str) -> Row:
    return {**GOOD, **changes}


def write(path: Path, rows: list[Row] | list[list[str]], header: tuple[str, ...] = HEADER) -> Path:
    lines = (r if isinstance(r, list) else [r[h] for h in HEADER] for r in rows)
    write_csv(path, header, iter(tuple(line) for line in lines))
    return path


def only_problem(tmp_path: Path, bad: Row) -> RowProblem:
    """Read GOOD then ``bad``: exactly one problem, on row 3, and GOOD kept."""
    registry = read_registry(write(tmp_path / "r.csv", [GOOD, bad]))
    assert [r["record_id"] for r in registry.rows] == ["R-1"]
    (problem,) = registry.problems
    assert problem.row == 3
    return problem


def test_good_rows_are_read_stripped_and_in_order(tmp_path: Path) -> None:
    rows = [row(record_id=f"R-{i}", given_names=f"  Ana {i} ") for i in range(5)]
    registry = read_registry(write(tmp_path / "r.csv", rows))
    assert registry.problems == []
    assert [r["record_id"] for r in registry.rows] == [f"R-{i}" for i in range(5)]
    assert registry.rows[3]["given_names"] == "Ana 3"
    assert set(registry.rows[0]) == set(HEADER)


def test_synthetic_registries_keep_the_contract(tmp_path: Path) -> None:
    rng = random.Random(1)
    rows = [
        corrupt(p, rng=rng, registry_profile=CHILE, record_id=f"CL-{i}")
        for i, p in enumerate(population(size=500, seed=1))
    ]
    registry = read_registry(write(tmp_path / "r.csv", rows))
    assert registry.problems == []
    assert len(registry.rows) == 500


def test_every_field_but_record_id_may_be_empty(tmp_path: Path) -> None:
    empty = {h: "" for h in HEADER} | {"record_id": "R-2"}
    registry = read_registry(write(tmp_path / "r.csv", [GOOD, empty]))
    assert registry.problems == []
    assert registry.rows[1] == empty


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"record_id": ""}, "record_id", "vacío"),
        ({"record_id": "   "}, "record_id", "vacío"),
        ({"record_id": "R-1"}, "record_id", "'R-1' repetido"),
        ({"birth_date": "07/03/1990"}, "birth_date", "no es AAAA-MM-DD"),
        ({"birth_date": "1990-3-7"}, "birth_date", "no es AAAA-MM-DD"),
        ({"birth_date": "1990-02-30"}, "birth_date", "no es una fecha del calendario"),
        ({"birth_date": "1990-13-01"}, "birth_date", "no es una fecha del calendario"),
        ({"birth_date": "2001-02-29"}, "birth_date", "no es una fecha del calendario"),
        ({"sex": "X"}, "sex", "'X' no es M ni F"),
        ({"sex": "m"}, "sex", "no es M ni F"),
        ({"nationality": "XX"}, "nationality", "'XX' no es ISO 3166"),
        ({"nationality": "CHL"}, "nationality", "no es ISO 3166"),
        ({"nationality": "cl"}, "nationality", "no es ISO 3166"),
        ({"document_type": "CEDULA"}, "document_type", "'CEDULA' desconocido"),
        ({"document_number": ""}, "document_number", "vacío con document_type RUT_CL"),
        ({"surname_2": "x" * (MAX_FIELD + 1)}, "surname_2", f"más de {MAX_FIELD} caracteres"),
    ],
)
def test_each_rule_names_row_field_and_reason(
    tmp_path: Path, changes: Row, field: str, reason: str
) -> None:
    problem = only_problem(tmp_path, row(**({"record_id": "R-2"} | changes)))
    assert problem.field == field
    assert reason in problem.reason
    assert str(problem).startswith(f"fila 3, {field}: ")


def test_unknown_document_type_lists_the_allowed_ones(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, row(record_id="R-2", document_type="CEDULA"))
    for kind in ("CI_VE", "CI_EC", "RUT_CL", "DNI_PE", "CC_CO", "PASSPORT", "OTHER"):
        assert kind in problem.reason


def test_a_field_of_exactly_the_maximum_length_is_kept(tmp_path: Path) -> None:
    registry = read_registry(
        write(tmp_path / "r.csv", [GOOD, row(record_id="R-2", given_names="a" * MAX_FIELD)])
    )
    assert registry.problems == []
    assert len(registry.rows) == 2


def test_accepted_values(tmp_path: Path) -> None:
    rows = [
        row(record_id="R-2", sex="M", nationality="AR", document_type="PASSPORT",
            document_number="AAB123456"),
        row(record_id="R-3", birth_date="2000-02-29", document_type="OTHER",
            document_number="X1"),
        row(record_id="R-4", document_type="", document_number="12345678"),
    ]  # fmt: skip
    registry = read_registry(write(tmp_path / "r.csv", [GOOD, *rows]))
    assert registry.problems == []
    assert len(registry.rows) == 4


def test_a_wrong_check_digit_is_not_a_problem(tmp_path: Path) -> None:
    rows = [
        row(record_id="R-2", document_number="12.345.678-9"),  # RUT, check digit is 5
        row(record_id="R-3", document_type="CI_EC", document_number="1710034061"),
        row(record_id="R-4", document_number="12345678"),  # check digit dropped
    ]
    registry = read_registry(write(tmp_path / "r.csv", [GOOD, *rows]))
    assert registry.problems == []
    assert [r["document_number"] for r in registry.rows[1:]] == [
        "12.345.678-9",
        "1710034061",
        "12345678",
    ]


@pytest.mark.parametrize("count", [8, 10, 1])
def test_wrong_number_of_fields(tmp_path: Path, count: int) -> None:
    values = [f"v{i}" for i in range(count)]
    registry = read_registry(write(tmp_path / "r.csv", [[*GOOD.values()], values]))
    (problem,) = registry.problems
    assert (problem.row, problem.field) == (3, "(fila)")
    assert problem.reason == f"{count} campos en vez de 9"
    assert len(registry.rows) == 1


def test_a_duplicate_of_a_rejected_row_is_kept(tmp_path: Path) -> None:
    # The first R-2 breaks the contract and is left out, so the second is the only R-2.
    rows = [GOOD, row(record_id="R-2", sex="X"), row(record_id="R-2")]
    registry = read_registry(write(tmp_path / "r.csv", rows))
    assert [(p.row, p.field) for p in registry.problems] == [(3, "sex")]
    assert [r["record_id"] for r in registry.rows] == ["R-1", "R-2"]


def test_problems_have_spreadsheet_row_numbers_and_good_rows_are_kept(tmp_path: Path) -> None:
    rows: list[list[str]] = [
        [*row(record_id="A").values()],  # row 2
        [*row(record_id="B", sex="X").values()],  # row 3
        [*row(record_id="C").values()],  # row 4
        ["D", "only", "three"],  # row 5
        [*row(record_id="E", birth_date="1990-02-31").values()],  # row 6
        [*row(record_id="A").values()],  # row 7: repeated
        [*row(record_id="F").values()],  # row 8
    ]
    registry = read_registry(write(tmp_path / "r.csv", rows))
    assert [r["record_id"] for r in registry.rows] == ["A", "C", "F"]
    assert [(p.row, p.field) for p in registry.problems] == [
        (3, "sex"),
        (5, "(fila)"),
        (6, "birth_date"),
        (7, "record_id"),
    ]


def test_row_numbers_count_records_not_lines(tmp_path: Path) -> None:
    # A quoted field with a line break is one record: one spreadsheet row.
    rows = [row(record_id="A", given_names="Ana\nMaría"), row(record_id="B", sex="X")]
    registry = read_registry(write(tmp_path / "r.csv", rows))
    assert registry.rows[0]["given_names"] == "Ana\nMaría"
    assert [(p.row, p.field) for p in registry.problems] == [(3, "sex")]


def test_strict_stops_at_the_first_bad_row_naming_row_and_field(tmp_path: Path) -> None:
    rows = [GOOD, row(record_id="R-2"), row(record_id="R-3", nationality="ZZ"), row(record_id="")]
    path = write(tmp_path / "registro.csv", rows)
    with pytest.raises(InputError) as caught:
        read_registry(path, strict=True)
    message = caught.value.message
    assert "registro.csv" in message
    assert "fila 4, nationality" in message
    assert "--strict" in message
    assert "record_id" not in message  # it stopped before row 5
    (problem,) = caught.value.problems
    assert problem.field == "fila 4.nationality"
    assert "ISO 3166" in problem.message
    assert caught.value.exit_code == 2


def test_strict_reads_a_good_file(tmp_path: Path) -> None:
    registry = read_registry(write(tmp_path / "r.csv", [GOOD]), strict=True)
    assert len(registry.rows) == 1


@pytest.mark.parametrize(
    "header",
    [
        ("record_id", "given_names", "surname_1", "surname_2", "birth_date", "sex",
         "nationality", "document_type"),
        ("id", "given_names", "surname_1", "surname_2", "birth_date", "sex", "nationality",
         "document_type", "document_number"),
        ("given_names", "record_id", "surname_1", "surname_2", "birth_date", "sex",
         "nationality", "document_type", "document_number"),
    ],
)  # fmt: skip
def test_a_wrong_header_is_an_input_error_naming_it(
    tmp_path: Path, header: tuple[str, ...]
) -> None:
    path = write(tmp_path / "r.csv", [], header)
    with pytest.raises(InputError) as caught:
        read_registry(path)
    message = caught.value.message
    assert "cabecera" in message
    assert ",".join(HEADER) in message  # what was expected
    assert ",".join(header) in message  # and what came


def test_header_blanks_and_a_byte_order_mark_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    text = "\ufeff" + ", ".join(HEADER) + "\n" + ",".join(GOOD.values()) + "\n"
    path.write_text(text, encoding="utf-8")
    assert read_registry(path).rows == [GOOD]


def test_empty_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="falta la cabecera"):
        read_registry(path)


def test_header_only_is_an_empty_registry(tmp_path: Path) -> None:
    registry = read_registry(write(tmp_path / "r.csv", []))
    assert (registry.rows, registry.problems) == ([], [])


def test_non_utf8_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    lines = [",".join(HEADER), ",".join(GOOD.values())]
    path.write_bytes("\n".join(lines).encode("latin-1"))
    with pytest.raises(InputError, match="no es UTF-8") as caught:
        read_registry(path)
    assert "latin1.csv" in caught.value.message


@pytest.mark.parametrize("strict", [False, True])
def test_missing_file_is_an_input_error(tmp_path: Path, strict: bool) -> None:
    path = tmp_path / "no-existe.csv"
    with pytest.raises(InputError, match="no se puede leer") as caught:
        read_registry(path, strict=strict)
    assert str(path) in caught.value.message


def test_a_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no se puede leer"):
        read_registry(tmp_path)


def test_write_csv_is_atomic_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old\n", encoding="utf-8")

    def rows() -> Iterator[tuple[object, ...]]:
        yield ("a", 1)
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_csv(path, ("x", "y"), rows())
    assert path.read_text(encoding="utf-8") == "old\n"
    assert write_csv(path, ("x", "y"), iter([("a", 1), ("b", 2)])) == 2
    assert path.read_text(encoding="utf-8").splitlines() == ["x,y", "a,1", "b,2"]
