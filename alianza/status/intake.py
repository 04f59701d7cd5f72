"""An application as it comes in (a JSON object, or the one row of an APPLICATIONS.csv)
and as the rules read it: the cells of one row of the file contract, checked by
``contract.parse`` itself (a one-row file), so the node refuses exactly what
``alianza status evaluate`` refuses, naming the field as ``solicitud.<column>``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from alianza.codes.text import shown
from alianza.errors import InputError
from alianza.status import contract
from alianza.status.contract import COLUMNS, Applications
from alianza.status.models import Application

NAME = "solicitud"  # how errors name the application being checked
_CODES = ("documents", "family_ties", "flags")


def row_from_json(raw: Any) -> dict[str, str]:
    """An application as JSON (the contract's columns as keys; ``true``/``false`` as
    booleans or text, code lists as lists or ``;``-separated text) as a row's cells."""
    if not isinstance(raw, dict):
        raise InputError.at(NAME, "se espera un objeto JSON con las columnas de APPLICATIONS.csv")
    unknown = sorted(str(k) for k in raw if k not in COLUMNS)
    if unknown:
        raise InputError.at(
            f"{NAME}.{shown(unknown[0], limit=40)}",
            "campo desconocido (se admiten las columnas de APPLICATIONS.csv)",
        )
    row: dict[str, str] = {}
    for column in COLUMNS:
        value = raw.get(column)
        if value is None:
            row[column] = ""
        elif isinstance(value, bool):
            row[column] = "true" if value else "false"
        elif isinstance(value, str):
            row[column] = value
        elif (
            isinstance(value, list) and column in _CODES and all(isinstance(v, str) for v in value)
        ):
            row[column] = ";".join(value)
        else:
            raise InputError.at(f"{NAME}.{column}", "se espera texto")
    return row


def row_from_csv(path: Path) -> dict[str, str]:
    """The one application of an APPLICATIONS.csv with a single row, as its cells."""
    text = contract.read_text(path, path.name)
    try:
        records = [r for r in csv.reader(io.StringIO(text, newline=""), strict=True) if any(r)]
    except csv.Error as exc:
        raise InputError.at(path.name, f"CSV mal formado ({exc})") from None
    if len(records) != 2:
        raise InputError.at(
            path.name, f"se espera la cabecera y una sola solicitud ({len(records)} filas)"
        )
    header = [h.strip().lower() for h in records[0]]
    if len(records[1]) != len(header):
        raise InputError.at(
            f"{path.name} fila 2", f"{len(records[1])} valores para {len(header)} columnas"
        )
    cells = dict(zip(header, records[1], strict=True))
    return {c: cells.get(c, "") for c in COLUMNS}


def _csv_text(row: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerow(row)
    return out.getvalue()


def _renamed(exc: InputError) -> InputError:
    """The contract's error about row 2 of a one-row file, named as the application's."""
    if not exc.problems:
        return exc
    where = exc.problems[0].field
    where = where.replace(f"{NAME} fila 2, ", f"{NAME}.").replace(f"{NAME} fila 2", NAME)
    return InputError.at(where.replace("--on", f"{NAME}.application_date"), exc.problems[0].message)


def check_row(
    row: dict[str, str], *, on: Any, country: str, programme: str, fields: tuple[str, ...] = ()
) -> Applications:
    """The row checked by the file contract's own checks (``contract.parse``)."""
    try:
        return contract.parse(
            _csv_text(row), name=NAME, on=on, country=country, programme=programme, fields=fields
        )
    except InputError as exc:
        raise _renamed(exc) from None


def row_of(found: Application) -> dict[str, str]:
    """A stored application as the cells of its APPLICATIONS.csv row."""

    def day(value: Any) -> str:
        return value.isoformat() if value is not None else ""

    def flag(value: bool | None) -> str:
        return "" if value is None else ("true" if value else "false")

    return {
        "application_id": found.reference,
        "country": found.country,
        "programme": found.programme,
        "given_names": found.given_names,
        "surname_1": found.surname_1,
        "surname_2": found.surname_2,
        "birth_date": day(found.birth_date),
        "nationality": found.nationality,
        "document_type": found.document_type,
        "document_number": found.document_number or "",
        "document_expiry": day(found.document_expiry),
        "entry_date": day(found.entry_date),
        "application_date": day(found.application_date),
        "entry_regular": flag(found.entry_regular),
        "documents": found.documents,
        "criminal_record_declared": flag(found.criminal_record_declared),
        "pending_criminal_case": flag(found.pending_criminal_case),
        "family_ties": found.family_ties,
        "work_contract": flag(found.work_contract),
        "flags": found.flags,
        "household_id": found.household_id,
    }
