"""The registry CSV contract of ``alianza link`` and ``alianza dedupe``.

Input: UTF-8 CSV with the header ``record_id,given_names,surname_1,surname_2,birth_date,
sex,nationality,document_type,document_number``. Every field but ``record_id`` may be
empty; ``birth_date`` is YYYY-MM-DD, ``sex`` M or F, ``nationality`` ISO 3166 alpha-2 and
``document_type`` one of CI_VE, CI_EC, RUT_CL, DNI_PE, CC_CO, PASSPORT (OTHER is also
read: it is how records imported from FtM without a known national ID are kept).

A row that breaks the contract is reported with its row number (the header is row 1, as a
spreadsheet shows it), the field and the reason, and left out; with ``strict`` the first
bad row stops the run (exit code 2) before anything is written. A document number that
fails its check digit is not a contract breach: it is evidence the linker weighs.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from alianza.codes.countries import country_names
from alianza.codes.problems import RowProblem
from alianza.errors import FieldProblem, InputError
from alianza.identity.documents import DOCUMENT_TYPES

HEADER = (
    "record_id",
    "given_names",
    "surname_1",
    "surname_2",
    "birth_date",
    "sex",
    "nationality",
    "document_type",
    "document_number",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SEXES = frozenset({"M", "F"})
MAX_FIELD = 200


@dataclass(slots=True)
class Registry:
    """The rows of one registry file that keep the contract, and the ones that did not."""

    path: Path
    rows: list[dict[str, str]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def read_registry(path: Path, *, strict: bool = False) -> Registry:
    """Read and check a registry CSV (``InputError`` for an unreadable file or, if strict, row)."""
    registry = Registry(path=path)
    seen: set[str] = set()
    for number, values in _rows(path):
        problem = (
            values if isinstance(values, RowProblem) else check_row(values, seen=seen, row=number)
        )
        if problem is None:
            assert not isinstance(values, RowProblem)
            registry.rows.append(values)
            seen.add(values["record_id"])
        elif strict:
            raise InputError(
                f"{path.name}: {problem} (--strict: no se escribió nada)",
                problems=[FieldProblem(f"fila {problem.row}.{problem.field}", problem.reason)],
            )
        else:
            registry.problems.append(problem)
    return registry


def check_row(values: dict[str, str], *, seen: set[str], row: int) -> RowProblem | None:
    """The first contract breach in one row, or None."""
    record_id = values["record_id"]
    if not record_id:
        return RowProblem(row, "record_id", "vacío (es obligatorio)")
    if record_id in seen:
        return RowProblem(row, "record_id", f"'{record_id[:40]}' repetido en el archivo")
    for name in HEADER:
        if len(values[name]) > MAX_FIELD:
            return RowProblem(row, name, f"más de {MAX_FIELD} caracteres")
    birth = values["birth_date"]
    if birth:
        if not _DATE.match(birth):
            return RowProblem(row, "birth_date", f"'{birth[:20]}' no es AAAA-MM-DD")
        try:
            date.fromisoformat(birth)
        except ValueError:
            return RowProblem(row, "birth_date", f"'{birth}' no es una fecha del calendario")
    sex = values["sex"]
    if sex and sex not in _SEXES:
        return RowProblem(row, "sex", f"'{sex[:10]}' no es M ni F")
    nationality = values["nationality"]
    if nationality and nationality not in country_names():
        return RowProblem(row, "nationality", f"'{nationality[:10]}' no es ISO 3166 alfa-2")
    kind = values["document_type"]
    if kind and kind not in DOCUMENT_TYPES:
        allowed = ", ".join(sorted(DOCUMENT_TYPES))
        return RowProblem(row, "document_type", f"'{kind[:20]}' desconocido; se admite: {allowed}")
    if kind and not values["document_number"]:
        return RowProblem(row, "document_number", f"vacío con document_type {kind}")
    return None


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str] | RowProblem]]:
    try:
        fh = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError.at(str(path), f"no se puede leer ({exc.strerror})") from None
    with fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
            if header is None:
                raise InputError.at(path.name, "archivo vacío: falta la cabecera")
            header = [h.strip().lstrip("\ufeff") for h in header]
            if tuple(header) != HEADER:
                raise InputError.at(
                    f"{path.name}: cabecera",
                    f"se esperaba '{','.join(HEADER)}', llegó '{','.join(header)[:200]}'",
                )
            # Records, not lines: a quoted field with a line break stays one spreadsheet row.
            for number, values in enumerate(reader, start=2):
                if len(values) != len(HEADER):
                    reason = f"{len(values)} campos en vez de {len(HEADER)}"
                    yield number, RowProblem(number, "(fila)", reason)
                    continue
                yield number, {k: v.strip() for k, v in zip(HEADER, values, strict=True)}
        except UnicodeDecodeError as exc:
            raise InputError.at(
                path.name,
                f"no es UTF-8 (byte {exc.start} de un bloque cerca de la fila "
                f"{reader.line_num + 1})",
            ) from None
        except csv.Error as exc:
            raise InputError.at(
                path.name, f"CSV ilegible en la fila {reader.line_num}: {exc}"
            ) from None


def write_csv(path: Path, header: tuple[str, ...], rows: Iterator[tuple[object, ...]]) -> int:
    """Write ``rows`` under ``header`` atomically (a temporary file renamed into place)."""
    tmp = path.with_name(path.name + ".partial")
    count = 0
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for row in rows:
                writer.writerow(row)
                count += 1
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count
