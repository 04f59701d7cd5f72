"""``alianza status application ...``: a case taken to its letter on a node of its own,
and bad input (exit code 2, one line naming the item, nothing written). Both backends."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.cli import app
from alianza.cli_support import ACTING
from alianza.errors import AlianzaError
from tests.conftest import FreshNode
from tests.status.conftest import application, run, to_text
from tests.status.test_applications import PROGRAMME


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    cases = [
        (("application", "add", "--user", "u"), "indique un APPLICATION.json"),
        (("application", "add", str(tmp_path / "no.json"), "--user", "u"), "no existe"),
        (("application", "decide", "abcd", "--reason", "r", "--user", "u"), "--confirm"),
        (("application", "decide", "abcd", "--confirm", "--override", "eligible",
          "--reason", "r", "--user", "u"), "--confirm"),
        (("application", "letter", "abcd", "-o", str(tmp_path / "no" / "x.pdf"),
          "--user", "u"), "--output"),
        (("application", "evidence", "abcd", str(tmp_path / "none.pdf"), "--kind",
          "pasaporte", "--user", "u"), "no existe el archivo"),
    ]  # fmt: skip
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    cases.append((("application", "add", str(broken), "--user", "u"), "JSON mal formado"))
    two = tmp_path / "two.csv"
    two.write_text(to_text([application(), application(application_id="a2")]), encoding="utf-8")
    cases.append((("application", "add", "--csv-row", str(two), "--user", "u"), "una sola"))
    for args, message in cases:
        done = run(*args)
        assert done.code == 2, (args, done)
        assert message in done.error and "\n" not in done.error.strip(), done.error


def test_an_application_through_the_commands(fresh: FreshNode, tmp_path: Path) -> None:
    node = fresh.init()
    operator = Principal.system(country="CL", agency="SERMIG")
    with node.sessions() as session:
        for name, role in (("cata", "caseworker"), ("sofi", "supervisor")):
            auth.add_user(session, node=node, principal=operator, username=name,
                          full_name=name, country="CL", agency="SERMIG", role=role)  # fmt: skip
        session.commit()
    runner = CliRunner()

    def cli(*args: str) -> tuple[int, str]:
        done = runner.invoke(app, ["status", "application", *args, "--dir", str(fresh.dir)],
                             env=fresh.env)  # fmt: skip
        # Each command opened the node in this process: close its connections.
        opened = ACTING.pop("current", None)
        if opened is not None:
            opened[0].engine.dispose()
        if isinstance(done.exception, AlianzaError):  # as alianza.cli.main ends
            return done.exception.exit_code, done.stdout
        return done.exit_code, done.stdout

    source = tmp_path / "row.csv"
    row = application(programme=PROGRAMME, entry_date="2021-05-01")
    source.write_text(to_text([row]), encoding="utf-8")
    code, out = cli("add", "--csv-row", str(source), "--user", "cata", "--json")
    assert code == 0, out
    app_id = json.loads(out)["id"]
    code, out = cli("add", "--csv-row", str(source), "--user", "cata")
    assert code == 6  # the same person: Conflict
    code, out = cli("decide", app_id[:8], "--override", "tal_vez", "--reason", "r",
                    "--user", "cata")  # fmt: skip
    assert code == 2
    code, out = cli("decide", app_id[:8], "--confirm", "--reason", "ingresó después del corte",
                    "--user", "cata", "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["status"] == "decided", out
    assert cli("sign-off", app_id, "--user", "cata")[0] == 4  # only a supervisor
    assert cli("sign-off", app_id, "--user", "sofi")[0] == 0
    pdf = tmp_path / "carta.pdf"
    assert cli("letter", app_id, "-o", str(pdf), "--user", "cata")[0] == 0
    assert pdf.read_bytes().startswith(b"%PDF-")
    code, out = cli("show", app_id, "--user", "sofi", "--json")
    assert [e["to"] for e in json.loads(out)["events"]] == [
        "registered", "evaluated", "decided", "final"]  # fmt: skip
    code, out = cli("appeal", app_id, "--reason", "presenta pasaporte con sello", "--user",
                    "cata", "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["status"] == "evaluated"
    # Statistics for leaders: one small row, every figure hidden; not for a caseworker.
    done = runner.invoke(app, ["status", "stats", "--user", "sofi", "--json", "--dir",
                               str(fresh.dir)], env=fresh.env)  # fmt: skip
    ACTING.pop("current", (node,))[0].engine.dispose()
    assert done.exit_code == 0, done.stdout
    [cell] = json.loads(done.stdout)["rows"]
    assert cell["applications"] is None and "applications" in cell["suppressed"]
    done = runner.invoke(app, ["status", "stats", "--user", "sofi", "--dir", str(fresh.dir)],
                         env=fresh.env)  # fmt: skip
    ACTING.pop("current", (node,))[0].engine.dispose()
    assert done.exit_code == 0 and "<5" in done.stdout
    denied = runner.invoke(app, ["status", "stats", "--user", "cata", "--dir", str(fresh.dir)],
                           env=fresh.env)  # fmt: skip
    ACTING.pop("current", (node,))[0].engine.dispose()
    assert isinstance(denied.exception, AlianzaError) and denied.exception.exit_code == 4


def test_an_id_that_is_not_utf_8_is_not_found(fresh: FreshNode) -> None:
    # Bytes that are not UTF-8 in argv reach Python as lone surrogates (surrogateescape):
    # once a UnicodeEncodeError from the database driver, a stack trace for a typo.
    node = fresh.init()
    operator = Principal.system(country="CL", agency="SERMIG")
    with node.sessions() as session:
        auth.add_user(
            session, node=node, principal=operator, username="cata", full_name="cata",
            country="CL", agency="SERMIG", role="caseworker",
        )  # fmt: skip
        session.commit()
    for bad in ("\udcff\udcff\udcff\udcff", "abcd\udcff"):
        for command in (["show", bad], ["decide", bad, "--confirm", "--reason", "r"]):
            done = CliRunner().invoke(
                app, ["status", "application", *command, "--user", "cata", "--dir", str(fresh.dir)],
                env=fresh.env,
            )  # fmt: skip
            opened = ACTING.pop("current", None)
            if opened is not None:
                opened[0].engine.dispose()
            assert isinstance(done.exception, AlianzaError), (command, done.exception)
            assert done.exception.exit_code == 5 and "No existe la solicitud" in str(done.exception)
