"""The real ``alianza`` command, run as a process against a fresh node."""

from __future__ import annotations

import json

from tests.conftest import FreshNode

PURPOSE = ["--purpose", "investigación de tráfico", "--legal-basis", "Ley 20.000"]


def _ready(fresh: FreshNode) -> None:
    fresh.cli("node", "init", "--country", "CL", "--agency", "PDI", check=True)
    fresh.cli("users", "add", "--username", "ana", "--role", "analyst", check=True)


def test_init_add_user_import_export_verify(fresh: FreshNode) -> None:
    init = fresh.cli("node", "init", "--country", "cl", "--agency", "PDI", check=True)
    assert "Nodo creado" in init.stdout
    add = fresh.cli("users", "add", "--username", "ana", "--role", "analyst", check=True)
    assert "alz_" in add.stdout
    csv_path = fresh.dir.parent / "in.csv"
    csv_path.write_text(
        "id,kind,given_names,surname_1,surname_2,category,documents,number\n"
        "p1,person,Luis,Núñez,Soto,wanted,RUT_CL:12.345.678-5,\n"
        "c1,container,,,,,,MSCU1234566\n",
        encoding="utf-8",
    )
    imp = fresh.cli("records", "import", str(csv_path), "--user", "ana", *PURPOSE, check=True)
    assert "2 nuevos" in imp.stdout
    again = fresh.cli("records", "import", str(csv_path), "--user", "ana", *PURPOSE, check=True)
    assert "2 sin cambios" in again.stdout
    out = fresh.dir.parent / "out.jsonl"
    fresh.cli("records", "export", "--user", "ana", "-o", str(out), check=True)
    entities = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(e["schema"] for e in entities) == ["Asset", "Person"]
    person = next(e for e in entities if e["schema"] == "Person")
    assert person["properties"]["fatherName"] == ["Núñez"]
    assert person["alianza"]["rules"]["legal_basis"] == "Ley 20.000"
    assert fresh.cli("records", "verify").returncode == 0
    verify = fresh.cli("audit", "verify", check=True)
    assert "cadena íntegra" in verify.stdout


def test_import_from_stdin(fresh: FreshNode) -> None:
    _ready(fresh)
    line = json.dumps(
        {
            "id": "v1",
            "schema": "Vessel",
            "properties": {"name": ["Don Lucho"], "imoNumber": ["IMO 9074729"]},
        }
    )
    proc = fresh.cli("records", "import", "-", "--user", "ana", *PURPOSE, input=line + "\n")
    assert proc.returncode == 0, proc.stderr
    assert "1 nuevos" in proc.stdout


def test_bad_input_is_one_line_exit_2_and_changes_nothing(fresh: FreshNode) -> None:
    _ready(fresh)
    path = fresh.dir.parent / "bad.jsonl"
    good = json.dumps({"id": "c1", "schema": "Asset", "properties": {"name": ["CSQU3054383"]}})
    bad = json.dumps({"id": "c2", "schema": "Asset", "properties": {"name": ["CSQU3054384"]}})
    path.write_text(f"{good}\n{bad}\n")
    proc = fresh.cli("records", "import", str(path), "--user", "ana", *PURPOSE)
    assert proc.returncode == 2
    assert "línea 2" in proc.stderr and "dígito verificador" in proc.stderr
    assert "Traceback" not in proc.stderr
    info = fresh.cli("node", "info", check=True)
    assert "container" not in info.stdout  # the good first line was rolled back too


def test_cli_errors_map_to_exit_codes(fresh: FreshNode) -> None:
    missing = fresh.cli("node", "info")
    assert missing.returncode == 7 and "alianza node init" in missing.stderr
    _ready(fresh)
    assert fresh.cli("node", "init", "--country", "CL", "--agency", "PDI").returncode == 6
    unknown_user = fresh.cli("records", "export", "--user", "nadie")
    assert unknown_user.returncode == 5
    fresh.cli("users", "add", "--username", "eva", "--role", "caseworker", check=True)
    denied = fresh.cli("records", "export", "--user", "eva")
    assert denied.returncode == 4 and "gestor de casos" in denied.stderr
    bad_role = fresh.cli("users", "add", "--username", "x1", "--role", "jefe")
    assert bad_role.returncode == 2 and "rol desconocido" in bad_role.stderr
    bad_country = fresh.cli(
        "users", "add", "--username", "x2", "--role", "analyst", "--country", "Chile"
    )
    assert bad_country.returncode == 2
    no_file = fresh.cli("records", "import", "/no/such.jsonl", "--user", "ana")
    assert no_file.returncode == 2 and "no existe" in no_file.stderr
    usage = fresh.cli("records", "import")
    assert usage.returncode == 2


def test_review_due_lists_past_review_dates(fresh: FreshNode) -> None:
    _ready(fresh)
    fresh.cli("users", "add", "--username", "sofia", "--role", "supervisor", check=True)
    path = fresh.dir.parent / "due.csv"
    path.write_text(
        "id,kind,number,review_date\nc1,container,CSQU3054383,2020-01-01\n"
        "c2,container,MSCU1234566,\n"
    )
    refused = fresh.cli("records", "import", str(path), "--user", "ana", *PURPOSE)
    assert refused.returncode == 2 and "review_date" in refused.stderr  # a past date
    path.write_text(
        "id,kind,number,review_date\nc1,container,CSQU3054383,\nc2,container,MSCU1234566,\n"
    )
    fresh.cli("records", "import", str(path), "--user", "ana", *PURPOSE, check=True)
    # Years pass: c1's review date comes (moved back in the database, as time would).
    from sqlalchemy import create_engine, text

    engine = create_engine(fresh.settings.sqlalchemy_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE records SET review_date = '2020-01-01' WHERE label = 'CSQU3054383'")
        )
    engine.dispose()
    due = fresh.cli("records", "review-due", "--user", "sofia", check=True)
    assert "CSQU3054383" in due.stdout and "MSCU1234566" not in due.stdout
    gone = fresh.cli("records", "enforce-retention", "--user", "sofia", check=True)
    assert "1 registros eliminados" in gone.stdout
    assert fresh.cli("records", "verify").returncode == 0
