"""Regularisation rules on a file touch no database: they run once, on the SQLite pass
(applications on the node, ``test_application*.py``, run on both backends).

- ``application(**cells)``  one APPLICATIONS.csv row (an eligible Venezuelan adult for the
  Chilean 2021 round unless told otherwise), every column of the contract present.
- ``write_csv(path, rows)``  the rows as a file, header first.
- ``judge(programme, on, rows)``  the verdicts as ``evaluate`` gives them, checked
  against ``naive`` (the same rules, row by row) on every call.
- ``run(*args)``  ``alianza status ...`` in-process, ending as ``alianza.cli.main`` does:
  our errors become one line and their exit code.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from alianza.codes.problems import printable
from alianza.errors import AlianzaError
from alianza.status import contract, naive, rules
from alianza.status.commands import register
from alianza.status.evaluate import evaluate

BASE: dict[str, str] = {
    "application_id": "a1",
    "country": "CL",
    "programme": "",
    "given_names": "María José",
    "surname_1": "González",
    "surname_2": "Pérez",
    "birth_date": "1990-05-05",
    "nationality": "VE",
    "document_type": "CI_VE",
    "document_number": "12345678",
    "document_expiry": "2026-01-01",
    "entry_date": "2019-05-01",
    "application_date": "2021-06-01",
    "entry_regular": "true",
    "documents": "pasaporte;antecedentes_origen",
    "criminal_record_declared": "false",
    "pending_criminal_case": "false",
    "family_ties": "",
    "work_contract": "false",
    "flags": "",
    "household_id": "h1",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--db") != "postgresql":
        return
    skip = pytest.mark.skip(reason="sin base de datos: se prueba una vez, con SQLite")
    # Applications on the node (``test_application*``) use its database: they run on both.
    for item in items:
        path = str(item.fspath)
        if "tests/status/" in path and "tests/status/test_application" not in path:
            item.add_marker(skip)


def application(**cells: str) -> dict[str, str]:
    """One row of the contract: the base application with ``cells`` changed."""
    unknown = set(cells) - set(BASE)
    assert not unknown, f"not columns of the contract: {unknown}"
    return {**BASE, **cells}


def to_text(rows: list[dict[str, str]], columns: tuple[str, ...] = contract.COLUMNS) -> str:
    """The rows as the text of an APPLICATIONS.csv."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text(to_text(rows), encoding="utf-8")
    return path


@dataclass
class Judged:
    outcome: str
    failed: list[str]
    explanation: str


def judge(programme_id: str, on: str, rows: list[dict[str, str]]) -> list[Judged]:
    """Evaluate ``rows`` under the version of ``programme_id`` in force on ``on``; the
    column-wise evaluator and the row-by-row one must say the same, word for word."""
    programme = rules.programmes()[programme_id]
    day = date.fromisoformat(on)
    version = programme.version_on(day)
    rows = [{**r, "country": programme.country} for r in rows]
    apps = contract.parse(
        to_text(rows),
        name="APPLICATIONS.csv",
        on=day,
        country=programme.country,
        programme=programme.id,
        fields=version.fields,
    )
    fast = evaluate(apps, programme=programme, version=version)
    slow = naive.evaluate(apps, programme=programme, version=version)
    assert fast.outcomes == slow.outcomes
    assert fast.failed == slow.failed
    assert fast.explanations == slow.explanations
    return [
        Judged(o, f.split(";") if f else [], e)
        for o, f, e in zip(fast.outcomes, fast.failed, fast.explanations, strict=True)
    ]


def one(programme_id: str, on: str, **cells: str) -> Judged:
    """The verdict of one application."""
    return judge(programme_id, on, [application(**cells)])[0]


@dataclass
class Ran:
    code: int
    stdout: str
    error: str  # the one line alianza.cli.main would print for our error


def run(*args: str) -> Ran:
    """``alianza status ...`` in-process, its errors handled as ``alianza.cli.main`` does."""
    app = typer.Typer(pretty_exceptions_enable=False)
    register(app)
    result = CliRunner().invoke(app, ["status", *args])
    if isinstance(result.exception, AlianzaError):
        return Ran(result.exception.exit_code, result.stdout, printable(result.exception))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, "")
