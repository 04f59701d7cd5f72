"""Records as CSV: one row per record, one column per field, for spreadsheets.

Columns are ``id``, ``kind``, the data fields of every kind (a row fills only its own
kind's), and the rule columns. Lists use ``;``: ``aliases`` as ``A;B``, ``documents`` as
``RUT_CL:12345678-5;PASSPORT:AB123456:VE``, ``scope_countries`` and
``discoverable_countries`` as ``EC;PE``.

Numbers are written as decimals with a point (``1250.5``) and read back as numbers only
in that form. Exported cells that a spreadsheet would run as a formula (starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return, OWASP's list) get a leading
apostrophe, as does a cell that starts with one; reading drops that one apostrophe
again, so an export imports back unchanged.
"""

from __future__ import annotations

import csv
import io
import re
import typing
from collections.abc import Iterable, Iterator
from typing import Any

from alianza.codes.text import clean_text, shown
from alianza.errors import InputError
from alianza.records.importer import ImportItem
from alianza.records.kinds import MODELS, check_neutrality, is_neutrality_field
from alianza.records.rules import KIND_VALUES, RecordKind, Rules
from alianza.records.service import RecordView

RULE_COLUMNS = list(Rules.model_fields)
DATA_COLUMNS = sorted({name for m in MODELS.values() for name in m.model_fields})
COLUMNS = ["id", "kind", *DATA_COLUMNS, *RULE_COLUMNS]
_LISTS = {"aliases", "scope_countries", "discoverable_countries", "persons", "organisations"}


def _is_number(annotation: Any) -> bool:
    # float, or an optional one (float | None, maybe Annotated): a number cell.
    def bare(a: Any) -> Any:
        return typing.get_args(a)[0] if typing.get_origin(a) is typing.Annotated else a

    return bare(annotation) is float or float in map(bare, typing.get_args(annotation))


_NUMBERS = frozenset(
    name for m in MODELS.values() for name, f in m.model_fields.items() if _is_number(f.annotation)
)
_DECIMAL = re.compile(r"-?\d{1,12}(?:\.\d{1,12})?", re.ASCII)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (OWASP CSV injection)."""
    return f"'{cell}" if cell.startswith((*_FORMULA, "'")) else cell


def _unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith((*_FORMULA, "'")) else cell


def _number(value: str, *, field: str) -> float:
    if not _DECIMAL.fullmatch(value):
        raise InputError.at(field, "se esperaba un número decimal con punto (p. ej. 1250.5)")
    return float(value)


def _documents_in(text: str, where: str) -> list[dict[str, str]]:
    docs = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        pieces = [p.strip() for p in part.split(":")]
        if len(pieces) not in (2, 3):
            raise InputError.at(
                f"{where}: documents", f"'{shown(part)}' debe ser TIPO:NÚMERO[:PAÍS]"
            )
        doc = {"type": pieces[0], "number": pieces[1]}
        if len(pieces) == 3 and pieces[2]:
            doc["country"] = pieces[2]
        docs.append(doc)
    return docs


def read_rows(lines: Iterable[str]) -> Iterator[ImportItem]:
    """Parse CSV rows (header first); unknown columns and misplaced fields are refused."""
    reader = csv.DictReader(_without_bom(lines))
    try:
        yield from _rows(reader)
    except csv.Error as exc:
        # A NUL byte, a cell over the csv module's size limit, a quote left open.
        raise InputError.at(f"línea {reader.line_num}", f"CSV mal formado ({exc})") from None


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    for number, line in enumerate(lines):
        yield line.removeprefix("\ufeff") if number == 0 else line


def _rows(reader: csv.DictReader[str]) -> Iterator[ImportItem]:
    header = reader.fieldnames or []
    if not header:
        raise InputError.at("línea 1", "falta la cabecera CSV")
    for name in header:
        clean_text(name, field="línea 1: cabecera")
        if is_neutrality_field(name):
            check_neutrality({name: ""}, prefix="columna")
        if name not in COLUMNS:
            raise InputError.at(f"columna {shown(name)}", "columna desconocida")
    if "kind" not in header:
        raise InputError.at("columna kind", "falta la columna obligatoria 'kind'")
    for row in reader:
        where = f"línea {reader.line_num}"
        if None in row:
            raise InputError.at(where, "la fila tiene más celdas que la cabecera")
        kind = clean_text(row.get("kind") or "", field=f"{where}: kind")
        if kind not in KIND_VALUES:
            raise InputError.at(f"{where}: kind", f"tipo de registro desconocido '{shown(kind)}'")
        own = MODELS[RecordKind(kind)].model_fields
        data: dict[str, Any] = {}
        rules: dict[str, Any] = {}
        for name, cell in row.items():
            value = _unescape((cell or "").strip())
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
            elif name in _NUMBERS:
                data[name] = _number(value, field=f"{where}: {name}")
            else:
                data[name] = value
        source_id = clean_text(row.get("id") or "", field=f"{where}: id") or None
        if source_id is not None and len(source_id) > 200:
            raise InputError.at(f"{where}: id", "más de 200 caracteres")
        yield ImportItem(where=where, kind=kind, data=data, rules=rules, source_id=source_id)


def write_rows(views: Iterable[RecordView]) -> Iterator[str]:
    """Records as CSV text, header first."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    yield buffer.getvalue()
    for view in views:
        buffer.seek(0)
        buffer.truncate()
        out = view.as_dict()
        row: dict[str, Any] = {"id": out["id"], "kind": out["kind"]}
        for name, value in out["data"].items():
            if name == "documents":
                row[name] = ";".join(
                    ":".join([d["type"], d["number"], *([d["country"]] if "country" in d else [])])
                    for d in value
                )
            elif isinstance(value, list):
                row[name] = ";".join(value)
            else:
                row[name] = value
        for name, value in out["rules"].items():
            row[name] = (
                ";".join(value) if isinstance(value, list) else ("" if value is None else value)
            )
        writer.writerow({k: neutralise(v) if isinstance(v, str) else v for k, v in row.items()})
        yield buffer.getvalue()
