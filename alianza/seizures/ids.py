"""Seizure files in and out: the columns a port unit writes, and UNODC's IDS layout.

The import file has one column per field of ``SeizureData`` (``SEIZURE_COLUMNS``; lists
separated by ``;``). Each row is checked on its own by the records' one gate
(``validate_data``), so a report names the row, the field and the reason, and a bad row
never stops the good ones (``--strict`` refuses the whole file instead).

The IDS layout (UNODC's Individual Drug Seizures reporting: ``IDS_COLUMNS``) carries no
personal data: linked persons and organisations, free notes and the booking are left out.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alianza.codes.problems import RowProblem
from alianza.codes.text import shown
from alianza.errors import InputError
from alianza.records.kinds import SeizureData, validate_data
from alianza.records.rules import RecordKind

SEIZURE_COLUMNS: tuple[str, ...] = tuple(SeizureData.model_fields)
REQUIRED_COLUMNS = ("reference", "date", "country", "place", "substance")
_NUMBERS = frozenset({"quantity_kg", "amount", "latitude", "longitude"})
_LISTS = frozenset({"persons", "organisations"})
#: UNODC IDS columns, in order, and the seizure field each comes from.
IDS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("seizure_id", "reference"),
    ("country_of_seizure", "country"),
    ("date_of_seizure", "date"),
    ("location", "place"),
    ("port", "port"),
    ("latitude", "latitude"),
    ("longitude", "longitude"),
    ("drug", "substance"),
    ("amount", "amount"),
    ("unit", "unit"),
    ("quantity_kg", "quantity_kg"),
    ("transport_mode", "transport_mode"),
    ("concealment", "concealment"),
    ("producing_country", "producing_country"),
    ("departure_country", "departure_country"),
    ("destination_country", "destination_country"),
    ("container", "container"),
    ("vessel_imo", "vessel_imo"),
)
FORMATS = ("ids", "csv", "json")


@dataclass(slots=True)
class Checked:
    """A file read and checked: the good rows' data, and the problems of the others."""

    rows: list[tuple[int, dict[str, Any]]]
    problems: list[RowProblem]
    total: int


def read_file(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number, raw fields) of a CSV, JSON array or JSON lines file of seizures.

    Raises ``InputError`` for what stops the whole file (unreadable, unknown or missing
    columns); row-level problems are left to ``check``.
    """
    if not path.is_file():
        raise InputError.at("FILE", f"no existe el archivo {path}")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError.at("FILE", "el archivo no está en UTF-8") from None
    if suffix in (".json", ".jsonl", ".ndjson"):
        yield from _json_rows(text, lines=suffix != ".json")
    else:
        yield from _csv_rows(text)


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    _check_columns(header)
    reader.fieldnames = header
    try:
        for i, raw in enumerate(reader, start=2):
            if None in raw:
                yield i, {"__extra__": raw[None]}
                continue
            yield i, {k: v for k, v in raw.items() if v is not None}
    except csv.Error as exc:
        raise InputError.at("FILE", f"CSV ilegible: {exc}") from None


def _json_rows(text: str, *, lines: bool) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        if lines:
            items = [
                (i, json.loads(line)) for i, line in enumerate(text.splitlines(), 1) if line.strip()
            ]
        else:
            data = json.loads(text)
            if not isinstance(data, list):
                raise InputError.at("FILE", "se esperaba una lista JSON de incautaciones")
            items = list(enumerate(data, 1))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError.at("FILE", f"JSON ilegible: {exc}") from None
    seen = sorted({str(k) for _, item in items if isinstance(item, dict) for k in item})
    _check_columns(seen, required=False)
    for i, item in items:
        yield i, item if isinstance(item, dict) else {"__not_object__": item}


def _check_columns(header: list[str], *, required: bool = True) -> None:
    unknown = [h for h in header if h not in SEIZURE_COLUMNS]
    if unknown:
        raise InputError.at(
            "columnas",
            f"columna desconocida '{shown(unknown[0])}'; se admite: {', '.join(SEIZURE_COLUMNS)}",
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header] if required else []
    if missing:
        raise InputError.at("columnas", f"falta la columna obligatoria '{missing[0]}'")


def check(rows: Iterable[tuple[int, dict[str, Any]]]) -> Checked:
    """Every row through the records' gate: the clean data, or a problem naming the field."""
    good: list[tuple[int, dict[str, Any]]] = []
    problems: list[RowProblem] = []
    total = 0
    for number, raw in rows:
        total += 1
        try:
            data = _typed(raw)
            good.append((number, validate_data(RecordKind.SEIZURE, data)))
        except InputError as exc:
            first = exc.problems[0] if exc.problems else None
            field = first.field.removeprefix("data.") if first else "?"
            problems.append(RowProblem(number, field, first.message if first else exc.message))
    return Checked(good, problems, total)


def _typed(raw: dict[str, Any]) -> dict[str, Any]:
    """Cells as the record's fields expect them: numbers, lists, nothing for empty."""
    if "__extra__" in raw:
        raise InputError.at("fila", "más celdas que columnas")
    if "__not_object__" in raw:
        raise InputError.at("fila", "se esperaba un objeto JSON")
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if not isinstance(value, str):
            out[name] = value  # JSON: already typed
            continue
        value = value.strip()
        if value == "":
            continue
        if name in _NUMBERS:
            try:
                out[name] = float(value)
            except ValueError:
                raise InputError.at(name, "se esperaba un número decimal con punto") from None
        elif name in _LISTS:
            out[name] = [v.strip() for v in value.split(";") if v.strip()]
        else:
            out[name] = value
    return out


def ids_row(data: dict[str, Any]) -> dict[str, Any]:
    """One seizure in the IDS layout (no personal data)."""
    return {column: data.get(field) for column, field in IDS_COLUMNS}


def write_csv(rows: Iterable[dict[str, Any]], columns: Iterable[str]) -> Iterator[str]:
    """CSV text in chunks; a cell a spreadsheet could run as a formula is quoted as text."""
    from alianza.records.csvio import neutralise

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = list(columns)
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(row.get(name), neutralise) for name in names])
        if out.tell() > 1 << 16:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _cell(value: Any, neutralise: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    return neutralise(value) if isinstance(value, str) else value
