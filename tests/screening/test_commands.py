"""``alianza screen``, one traveller and a passenger list, as a real process."""

from __future__ import annotations

from tests.conftest import FreshNode
from tests.test_cli import PURPOSE


def _watch_list(fresh: FreshNode) -> None:
    fresh.cli("node", "init", "--country", "CL", "--agency", "PDI", check=True)
    fresh.cli("users", "add", "--username", "ana", "--role", "analyst", check=True)
    fresh.cli("users", "add", "--username", "ofi", "--role", "border_officer", check=True)
    path = fresh.dir.parent / "lista.csv"
    path.write_text(
        "id,kind,given_names,surname_1,surname_2,category,birth_date,documents,number\n"
        "p1,person,José Luis,Núñez,Soto,wanted,1985-07-04,RUT_CL:12.345.678-5,\n"
        "p2,person,Ana María,Quispe,Mamani,missing,1990-01-02,,\n",
        encoding="utf-8",
    )
    fresh.cli(
        "records", "import", str(path), "--user", "ana", *PURPOSE, "--scope", "country", check=True
    )


def test_screen_one_traveller_explains_in_spanish_or_english(fresh: FreshNode) -> None:
    _watch_list(fresh)
    args = ["screen", "--user", "ofi", "--given", "JOSE", "--surname1", "NUNEZ"]
    out = fresh.cli(*args, "--birth", "1985-04-07", check=True).stdout
    assert "primer nombre igual" in out and "día y mes cambiados" in out
    english = fresh.cli(*args, "--birth", "1985-07-04", "--en", check=True).stdout
    assert "first given name equal" in english
    nothing = fresh.cli("screen", "--user", "ofi", "--surname1", "Inexistente", check=True)
    assert "Sin candidatos" in nothing.stdout


def test_screen_a_passenger_list(fresh: FreshNode) -> None:
    _watch_list(fresh)
    travellers = fresh.dir.parent / "vuelo.csv"
    travellers.write_text(
        "record_id,given_names,surname_1,surname_2,birth_date,sex,nationality,document_type,"
        "document_number\n"
        "t1,JOSE LUIS,NUNEZ,,1985-07-04,M,CL,RUT_CL,12345678\n"
        "t2,Pedro,Pérez,Rojas,1970-03-03,M,PE,,\n"
        "t3,Ana,Quispe,Mamani,1990-01-02,F,PE,,\n"
        "t4,Mala,Fila,,1990-02-30,,,,\n",
        encoding="utf-8",
    )
    out = fresh.dir.parent / "resultado.csv"
    run = fresh.cli("screen", "--user", "ofi", "--file", str(travellers), "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert "fila 5, birth_date" in run.stderr  # the bad row is named and skipped
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "traveller_id,record_id,probability"
    assert sorted(line.split(",")[0] for line in lines[1:]) == ["t1", "t3"]


def test_screen_refuses_roles_and_bad_input_cleanly(fresh: FreshNode) -> None:
    _watch_list(fresh)
    fresh.cli("users", "add", "--username", "eva", "--role", "caseworker", check=True)
    denied = fresh.cli("screen", "--user", "eva", "--surname1", "NUNEZ")
    assert denied.returncode == 4 and "Traceback" not in denied.stderr
    bad = fresh.cli("screen", "--user", "ofi", "--surname1", "NUNEZ", "--birth", "1985-7-4")
    assert bad.returncode == 2 and "birth_date" in bad.stderr


def test_screen_features_keeps_the_list_for_the_servers(fresh: FreshNode) -> None:
    _watch_list(fresh)
    out = fresh.cli("screen-features", check=True).stdout
    assert "Lista de vigilancia guardada: 2 entradas" in out
    kept = fresh.dir / "cache" / "lista-vigilancia.bin"
    assert kept.stat().st_mode & 0o777 == 0o600
    # The next process starts from it and screens as before.
    args = ["screen", "--user", "ofi", "--given", "JOSE", "--surname1", "NUNEZ"]
    assert "primer nombre igual" in fresh.cli(*args, "--birth", "1985-04-07", check=True).stdout


def test_screen_features_on_an_empty_list_keeps_nothing(fresh: FreshNode) -> None:
    fresh.cli("node", "init", "--country", "CL", "--agency", "PDI", check=True)
    assert "vacía" in fresh.cli("screen-features", check=True).stdout
    assert not (fresh.dir / "cache" / "lista-vigilancia.bin").exists()
