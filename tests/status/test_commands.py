"""``alianza status evaluate`` and ``alianza status programmes`` through the commands:
the contract's output, and every kind of bad input (exit code 2, one line naming the
item, nothing written)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from alianza import domains
from alianza.status import contract
from tests.status.conftest import application, run, to_text, write_csv

CL = "cl-regularizacion-extraordinaria"
ARGS = ("--country", "CL", "--programme", CL, "--on", "2021-11-30")


def _rows() -> list[dict[str, str]]:
    return [
        application(application_id="a-1"),
        application(application_id='a,2 "comillas"', entry_date="2020-03-18"),
        application(application_id="a-3", flags="asylum_pending"),
        application(application_id="a-4", documents="pasaporte"),
    ]


def test_evaluate_writes_the_contract(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "solicitudes.csv", _rows())
    out = tmp_path / "resultado.csv"
    ran = run("evaluate", str(source), *ARGS, "-o", str(out))
    assert ran.code == 0, ran.error
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, strict=True))
    assert rows[0] == ["application_id", "outcome", "failed_conditions", "explanation"]
    assert [r[0] for r in rows[1:]] == ["a-1", 'a,2 "comillas"', "a-3", "a-4"]
    assert [r[1] for r in rows[1:]] == ["eligible", "not_eligible", "needs_review", "needs_review"]
    assert [r[2] for r in rows[1:]] == [
        "",
        "ingreso_antes_del_corte",
        "sin_bloqueo_de_proteccion",
        "certificado_antecedentes",
    ]
    assert all("Ley 21.325, art. 8° transitorio" in r[3] for r in rows[1:])
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_the_file_is_what_the_csv_module_writes(tmp_path: Path) -> None:
    tricky = [
        ("a1", "eligible", "", 'dice "sí", y sigue'),
        ("a,2", "needs_review", "x;y", "línea\nnueva\r\ny fin"),
        ("a3", "not_eligible", "z", "sin nada raro"),
    ]
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    contract.write(ours, iter(tricky))
    with theirs.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(contract.OUTPUT)
        writer.writerows(tricky)
    assert ours.read_bytes() == theirs.read_bytes()


def test_a_row_may_name_its_country_and_programme_and_extra_columns_are_ignored(
    tmp_path: Path,
) -> None:
    rows = [application(programme=CL, country="cl")]
    header, body = to_text(rows).replace("household_id", "notas", 1).split("\r\n", 1)
    source = tmp_path / "in.csv"
    # A spreadsheet's byte order mark and upper-case column names are read all the same.
    source.write_text("\ufeff" + header.upper() + "\r\n" + body, encoding="utf-8")
    out = tmp_path / "out.csv"
    ran = run("evaluate", str(source), *ARGS, "-o", str(out), "--quiet")
    assert ran.code == 0, ran.error
    assert "eligible" in out.read_text(encoding="utf-8")


# ------------------------------------------------------------------------ bad input

Mutation = Callable[[Path], None]


def _text(text: str) -> Mutation:
    return lambda p: p.write_text(text, encoding="utf-8")


def _rows_with(**cells: str) -> Mutation:
    return lambda p: write_csv(p, [application(application_id="ok"), application(**cells)])


def _after(extra: str) -> Mutation:
    return lambda p: p.write_text(to_text([application()]) + extra, encoding="utf-8")


def _latin1(p: Path) -> None:
    p.write_bytes(to_text([application(given_names="Núñez")]).encode("latin-1"))


def _without(column: str) -> Mutation:
    columns = tuple(c for c in contract.COLUMNS if c != column)
    return lambda p: p.write_text(to_text([application()], columns), encoding="utf-8")


BAD_FILES = [
    (
        "entrada posterior a la solicitud",
        _rows_with(entry_date="2021-07-01", application_date="2021-06-01"),
        "in.csv fila 3, entry_date",
    ),
    (
        "nacimiento posterior al ingreso",
        _rows_with(birth_date="2019-06-01"),
        "in.csv fila 3, birth_date",
    ),
    (
        "fecha posterior a --on",
        _rows_with(application_date="2021-12-01"),
        "in.csv fila 3, application_date",
    ),
    ("fecha imposible", _rows_with(entry_date="2019-02-30"), "in.csv fila 3, entry_date"),
    ("fecha mal escrita", _rows_with(entry_date="01/05/2019"), "in.csv fila 3, entry_date"),
    ("fecha anterior a 1900", _rows_with(birth_date="1899-12-31"), "in.csv fila 3, birth_date"),
    ("lógico mal escrito", _rows_with(entry_regular="sí"), "in.csv fila 3, entry_regular"),
    (
        "documento desconocido",
        _rows_with(documents="pasaporte;pasaprote"),
        "in.csv fila 3, documents",
    ),
    ("bandera desconocida", _rows_with(flags="refugie"), "in.csv fila 3, flags"),
    ("país desconocido", _rows_with(nationality="XX"), "in.csv fila 3, nationality"),
    (
        "tipo de documento desconocido",
        _rows_with(document_type="CEDULA"),
        "in.csv fila 3, document_type",
    ),
    ("id repetido", _rows_with(application_id="ok"), "in.csv fila 3, application_id"),
    ("id vacío", _rows_with(application_id=""), "in.csv fila 3, application_id"),
    ("carácter de control", _rows_with(given_names="Ana\x1b[2J"), "in.csv fila 3, given_names"),
    ("otro país", _rows_with(country="EC"), "in.csv fila 3, country"),
    ("otro programa", _rows_with(programme="ec-virte"), "in.csv fila 3, programme"),
    ("falta una columna", _without("entry_date"), "in.csv fila 1"),
    ("falta application_id", _without("application_id"), "in.csv fila 1"),
    ("columna repetida", _text("application_id,application_id\na,b\n"), "in.csv fila 1"),
    ("fila con más valores", _after("x" + ",x" * 30 + "\n"), "in.csv fila 3"),
    ("fila con menos valores", _after("x,y\n"), "in.csv fila 3"),
    ("comilla sin cerrar", _after('"a1,\n'), "in.csv fila"),
    ("archivo vacío", _text(""), "in.csv"),
    ("solo la cabecera", _text(",".join(contract.COLUMNS) + "\n"), "in.csv"),
    ("no es UTF-8", _latin1, "in.csv"),
    ("es una carpeta", lambda p: p.mkdir(), "in.csv"),
]


@pytest.mark.parametrize(
    ("mutate", "where"), [pytest.param(m, w, id=name) for name, m, w in BAD_FILES]
)
def test_a_bad_file_is_refused_naming_the_item_and_nothing_is_written(
    tmp_path: Path, mutate: Mutation, where: str
) -> None:
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    mutate(source)
    ran = run("evaluate", str(source), *ARGS, "-o", str(out))
    assert ran.code == 2, ran
    assert ran.error.startswith(where), ran.error
    assert "\n" not in ran.error.strip()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_a_failed_run_leaves_a_previous_result_untouched(tmp_path: Path) -> None:
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    out.write_text("anterior\n", encoding="utf-8")
    write_csv(source, [application(), application(application_id="b", entry_date="2022-01-01")])
    ran = run("evaluate", str(source), *ARGS, "-o", str(out))
    assert ran.code == 2 and out.read_text(encoding="utf-8") == "anterior\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]


def test_a_column_the_programme_reads_is_required_for_that_programme_only(
    tmp_path: Path,
) -> None:
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    columns = tuple(c for c in contract.COLUMNS if c not in ("family_ties", "document_expiry"))
    source.write_text(to_text([application()], columns), encoding="utf-8")
    assert run("evaluate", str(source), *ARGS, "-o", str(out), "-q").code == 0
    ran = run(
        "evaluate", str(source), "--country", "CL", "--programme", "cl-reunificacion-familiar",
        "--on", "2023-03-01", "-o", str(tmp_path / "otro.csv"),
    )  # fmt: skip
    assert ran.code == 2
    assert "faltan columnas: family_ties, document_expiry" in ran.error


@pytest.mark.parametrize(
    ("options", "where"),
    [
        (("--country", "CL", "--programme", "no-existe", "--on", "2021-11-30"), "--programme"),
        (("--country", "CL", "--programme", "ec-virte", "--on", "2021-11-30"), "--programme"),
        (("--country", "PE", "--programme", CL, "--on", "2021-11-30"), "--country"),
        (("--country", "CL", "--programme", CL, "--on", "2017-01-01"), "--on"),
        (("--country", "CL", "--programme", CL, "--on", "2021-02-30"), "--on"),
        (("--country", "CL", "--programme", CL, "--on", "ayer"), "--on"),
    ],
)
def test_bad_options_are_refused_before_the_file_is_read(
    tmp_path: Path, options: tuple[str, ...], where: str
) -> None:
    out = tmp_path / "out.csv"
    ran = run("evaluate", str(tmp_path / "no-existe.csv"), *options, "-o", str(out))
    assert ran.code == 2 and ran.error.startswith(where), ran.error
    assert not out.exists()


def test_a_date_before_the_programme_existed_says_so(tmp_path: Path) -> None:
    ran = run(
        "evaluate", "x.csv", "--country", "EC", "--programme", "ec-virte", "--on", "2019-07-25",
        "-o", str(tmp_path / "o.csv"),
    )  # fmt: skip
    assert ran.code == 2 and "no existía el 2019-07-25" in ran.error


def test_missing_file_missing_folder_and_writing_over_the_input(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [application()])
    missing = run("evaluate", str(tmp_path / "nada.csv"), *ARGS, "-o", str(tmp_path / "o.csv"))
    assert missing.code == 2 and missing.error.startswith("nada.csv: no existe")
    folder = run("evaluate", str(source), *ARGS, "-o", str(tmp_path / "no" / "o.csv"))
    assert folder.code == 2 and folder.error.startswith("--output")
    same = run("evaluate", str(source), *ARGS, "-o", str(source))
    assert same.code == 2 and same.error.startswith("--output")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


# ------------------------------------------------------------------------ programmes


def test_programmes_lists_parameters_dates_and_sources() -> None:
    ran = run("programmes", "--country", "EC", "--json")
    assert ran.code == 0
    listed = json.loads(ran.stdout)["programmes"]
    assert {p["id"] for p in listed} == {"ec-virte", "ec-residencia-mercosur"}
    virte = next(p for p in listed if p["id"] == "ec-virte")
    first, second = virte["versions"]
    assert (first["valid_from"], first["valid_to"]) == ("2019-07-26", "2022-05-31")
    assert second["valid_to"] is None
    assert first["parameters"]["entry_until"]["value"] == "2019-07-26"
    assert "Decreto Ejecutivo 826" in first["parameters"]["entry_until"]["source"]
    assert all(c["source"] for c in second["conditions"])
    assert "registro_migratorio" in [c["id"] for c in second["conditions"]]
    table = run("programmes")
    assert table.code == 0
    for text in ("cl-regularizacion-extraordinaria", "ec-residencia-mercosur", "a verificar"):
        assert text in table.stdout
    assert run("programmes", "--country", "AR").code == 2


@pytest.mark.slow
def test_the_real_command_exits_2_with_one_line(tmp_path: Path) -> None:
    # The real entry point (alianza.cli.main).
    boot = "from alianza.cli import main\nmain()\n"
    source = write_csv(tmp_path / "in.csv", _rows())
    out = tmp_path / "out.csv"
    env = {**os.environ, "COLUMNS": "200"}
    good = subprocess.run(
        [sys.executable, "-c", boot, "status", "evaluate", str(source), *ARGS, "-o", str(out)],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert out.read_text(encoding="utf-8").startswith(
        "application_id,outcome,failed_conditions,explanation"
    )
    out.unlink()
    write_csv(source, [application(entry_date="2021-07-01")])
    bad = subprocess.run(
        [sys.executable, "-c", boot, "status", "evaluate", str(source), *ARGS, "-o", str(out)],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    lines = [line for line in bad.stderr.splitlines() if line.strip()]
    assert bad.returncode == 2 and not out.exists()
    assert len(lines) == 1 and "in.csv fila 2, entry_date" in lines[0]


def test_the_domain_adds_its_commands_to_the_node() -> None:
    assert any(d.name == "status" for d in domains.domains())
    app = typer.Typer()
    domains.add_commands(app)
    result = CliRunner().invoke(app, ["status", "programmes", "--json"])
    assert result.exit_code == 0, result.output
    listed = {p["id"] for p in json.loads(result.stdout)["programmes"]}
    assert {"cl-regularizacion-extraordinaria", "ec-virte"} <= listed


def test_a_write_that_fails_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.csv"

    def broken() -> Iterator[tuple[str, str, str, str]]:
        yield ("a1", "eligible", "", "bien")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        contract.write(out, broken())
    assert list(tmp_path.iterdir()) == []
    # Through the command: one line naming --output, exit code 2.
    source = write_csv(tmp_path / "in.csv", [application()])

    def full_disk(path: Path, rows: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(contract, "write", full_disk)
    ran = run("evaluate", str(source), *ARGS, "-o", str(out))
    assert ran.code == 2 and ran.error.startswith("--output") and "No space" in ran.error
