"""Records as CSV: one row per record, one column per field, for spreadsheets.

Columns are ``id``, ``kind``, the data fields of every kind (a row fills only its own
kind's), and the rule columns. Lists use ``;``: ``aliases`` as ``A;B``, ``documents`` as
``RUT_CL:12345678-5;PASSPORT:AB123456:VE``, ``scope_countries`` as ``EC;PE``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from alianza.errors import InputError
from alianza.records.importer import ImportItem
from alianza.records.kinds import MODELS, NEUTRALITY_FIELDS, check_neutrality
from alianza.records.rules import KIND_VALUES, RecordKind, Rules
from alianza.records.service import RecordView

RULE_COLUMNS = list(Rules.model_fields)
DATA_COLUMNS = sorted({name for m in MODELS.values() for name in m.model_fields})
COLUMNS = ["id", "kind", *DATA_COLUMNS, *RULE_COLUMNS]
_LISTS = {"aliases", "scope_countries"}


def _documents_in(text: str, where: str) -> list[dict[str, str]]:
    docs = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        pieces = [p.strip() for p in part.split(":")]
        if len(pieces) not in (2, 3):
            raise InputError.at(f"{where}: documents", f"'{part}' debe ser TIPO:NÚMERO[:PAÍS]")
        doc = {"type": pieces[0], "number": pieces[1]}
        if len(pieces) == 3 and pieces[2]:
            doc["country"] = pieces[2]
        docs.append(doc)
    return docs


def read_rows(lines: Iterable[str]) -> Iterator[ImportItem]:
    """Parse CSV rows (header first); unknown columns and misplaced fields are refused."""
    reader = csv.DictReader(lines)
    header = reader.fieldnames or []
    if not header:
        raise InputError.at("línea 1", "falta la cabecera CSV")
    for name in header:
        if name.strip().lower() in NEUTRALITY_FIELDS:
            check_neutrality({name: ""}, prefix="columna")
        if name not in COLUMNS:
            raise InputError.at(f"columna {name}", "columna desconocida")
    if "kind" not in header:
        raise InputError.at("columna kind", "falta la columna obligatoria 'kind'")
    for row in reader:
        where = f"línea {reader.line_num}"
        if None in row:
            raise InputError.at(where, "la fila tiene más celdas que la cabecera")
        kind = (row.get("kind") or "").strip()
        if kind not in KIND_VALUES:
            raise InputError.at(f"{where}: kind", f"tipo de registro desconocido '{kind}'")
        own = MODELS[RecordKind(kind)].model_fields
        data: dict[str, Any] = {}
        rules: dict[str, Any] = {}
        for name, value in row.items():
            value = (value or "").strip()
            if not value or name in ("id", "kind"):
                continue
            if name in RULE_COLUMNS:
                rules[name] = [c.strip() for c in value.split(";")] if name in _LISTS else value
            elif name not in own:
                raise InputError.at(f"{where}: {name}", f"no corresponde a un registro '{kind}'")
            elif name == "documents":
                data[name] = _documents_in(value, where)
            elif name in _LISTS:
                data[name] = [c.strip() for c in value.split(";") if c.strip()]
            else:
                data[name] = value
        yield ImportItem(
            where=where,
            kind=kind,
            data=data,
            rules=rules,
            source_id=(row.get("id") or "").strip() or None,
        )


def write_rows(views: Iterable[RecordView]) -> Iterator[str]:
    """Records as CSV text, header first."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    yield buffer.getvalue()
    for view in views:
        buffer.seek(0)
        buffer.truncate()
        shown = view.as_dict()
        row: dict[str, Any] = {"id": shown["id"], "kind": shown["kind"]}
        for name, value in shown["data"].items():
            if name == "documents":
                row[name] = ";".join(
                    ":".join([d["type"], d["number"], *([d["country"]] if "country" in d else [])])
                    for d in value
                )
            elif isinstance(value, list):
                row[name] = ";".join(value)
            else:
                row[name] = value
        for name, value in shown["rules"].items():
            row[name] = (
                ";".join(value) if isinstance(value, list) else ("" if value is None else value)
            )
        writer.writerow(row)
        yield buffer.getvalue()
