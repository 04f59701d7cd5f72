"""The APPLICATIONS.csv contract of ``alianza status evaluate`` (issue 15; hidden checks
rely on it, keep it stable).

UTF-8 CSV (a spreadsheet's byte order mark is accepted), comma-separated, one application
per row, with a header row. Column names are matched case aside, in any order; columns
not listed here are ignored (a spreadsheet's notes do not stop a run).

======================== ========= =====================================================
column                   required  value
======================== ========= =====================================================
application_id           yes       unique in the file; up to 128 characters
country                  no        CL or EC; when given, must be the ``--country``
programme                no        when given, must be the ``--programme``
given_names              no        text (checked, not used by the rules)
surname_1                no        text (checked, not used by the rules)
surname_2                no        text (checked, not used by the rules)
birth_date               yes       AAAA-MM-DD
nationality              yes       ISO 3166 alfa-2 (VE, CO, PE, HT, ...)
document_type            no        CI_VE, CI_EC, RUT_CL, DNI_PE, CC_CO, PASSPORT, OTHER
document_number          no        text
document_expiry          [1]       AAAA-MM-DD (the identity document's expiry)
entry_date               yes       AAAA-MM-DD (entry into the country)
application_date         yes       AAAA-MM-DD
entry_regular            yes       true: entered through an authorised border crossing
documents                yes       evidence provided, codes separated by ``;`` [2]
criminal_record_declared yes       true: a criminal record (a conviction) declared
pending_criminal_case    yes       true: a pending criminal case declared
family_ties              [1]       ties to a national or resident, codes by ``;`` [2]
work_contract            [1]       true: a work contract or offer
flags                    yes       protection flags, codes separated by ``;`` [2]
household_id             no        text, the same for the members of one household
======================== ========= =====================================================

[1] required when the programme's rules read it (``alianza status programmes`` shows
which fields each version reads). [2] ``alianza.status.vocabulary``: documents
``pasaporte``, ``cedula``, ``partida_nacimiento``, ``antecedentes_origen``,
``declaracion_antecedentes``, ``acreditacion_vinculo``, ``residencia_familiar``,
``registro_migratorio``, ``contrato_trabajo``; family ties ``conyuge``,
``conviviente_civil``, ``padre_madre``, ``hijo_menor``, ``hijo_discapacidad``,
``hijo_estudiante``, ``tutela``, ``hermano``, ``otro``; flags ``asylum_pending``,
``refugee``, ``unaccompanied_minor``, ``trafficking_victim``, ``unfit_to_travel`` and
``best_interests_determined`` (lifts ``unaccompanied_minor``).

``true``/``false`` are written so (case aside); an empty cell of a date, ``true/false``,
nationality or document type is *unknown*: a rule that needs it cannot be decided and the
application goes to a person (``needs_review``). An empty code list is "none".

OUT.csv: ``application_id,outcome,failed_conditions,explanation`` in the input's order;
``outcome`` is ``eligible``, ``not_eligible`` or ``needs_review``; ``failed_conditions``
the ids of the conditions not met or not decidable, separated by ``;`` (empty exactly when
eligible); ``explanation`` a Spanish text naming every condition, met or not, with its
legal source. It is written to a temporary file renamed into place: a run that fails
leaves no OUT.csv, and never half of one.

Bad input stops the run before anything is written, exit code 2, with one line naming the
file, the row (the spreadsheet's number: the header is row 1) and the field: a missing
file, a folder, text that is not UTF-8, malformed CSV (an unclosed quote), an empty file,
a missing or repeated column, a row with too many or too few values, an empty or repeated
``application_id``, a date that is not a calendar day or is before 1900, impossible dates
(birth after entry, entry after application, any of them after ``--on``), ``true/false``
written otherwise, an unknown country, document type or code, control characters in a
text, another country or programme than the command's.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from alianza.codes.countries import country_names
from alianza.codes.dates import EARLIEST
from alianza.codes.text import shown, text_problem
from alianza.errors import InputError
from alianza.identity.documents import DOCUMENT_TYPES
from alianza.status.vocabulary import CODE_FIELDS

COLUMNS = (
    "application_id",
    "country",
    "programme",
    "given_names",
    "surname_1",
    "surname_2",
    "birth_date",
    "nationality",
    "document_type",
    "document_number",
    "document_expiry",
    "entry_date",
    "application_date",
    "entry_regular",
    "documents",
    "criminal_record_declared",
    "pending_criminal_case",
    "family_ties",
    "work_contract",
    "flags",
    "household_id",
)
REQUIRED = (
    "application_id",
    "birth_date",
    "nationality",
    "entry_date",
    "application_date",
    "entry_regular",
    "documents",
    "criminal_record_declared",
    "pending_criminal_case",
    "flags",
)
DATES = ("birth_date", "document_expiry", "entry_date", "application_date")
BOOLS = ("entry_regular", "criminal_record_declared", "pending_criminal_case", "work_contract")
CODES = ("documents", "family_ties", "flags")
FREE_TEXT = ("given_names", "surname_1", "surname_2", "document_number", "household_id")
OUTPUT = ("application_id", "outcome", "failed_conditions", "explanation")
MAX_ROWS = 2_000_000
MAX_ID = 128
MAX_TEXT = 200
MAX_CODES = 1000
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_BOOLS = {"true": True, "false": False, "": None}


@dataclass(slots=True)
class Applications:
    """The checked file, by column: what the rules read and nothing more (names and
    document numbers are checked, then dropped)."""

    name: str
    on: date
    ids: list[str] = field(default_factory=list)
    dates: dict[str, list[date | None]] = field(default_factory=dict)
    bools: dict[str, list[bool | None]] = field(default_factory=dict)
    texts: dict[str, list[str]] = field(default_factory=dict)  # "" is unknown
    codes: dict[str, list[int]] = field(default_factory=dict)  # bits in vocabulary order

    def __len__(self) -> int:
        return len(self.ids)


@cache
def code_bits(column: str) -> Mapping[str, int]:
    """Each code of a coded column -> its bit in the column's masks."""
    return MappingProxyType({code: 1 << i for i, code in enumerate(CODE_FIELDS[column])})


def codes_of(column: str, mask: int) -> list[str]:
    """The codes a mask holds, in vocabulary order."""
    return [code for code, bit in code_bits(column).items() if mask & bit]


def read_text(path: Path, name: str) -> str:
    """The decoded text of ``path``; ``InputError`` naming ``name`` when it cannot be read."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError.at(name, f"no existe el archivo {shown(str(path), limit=200)}") from None
    except IsADirectoryError:
        raise InputError.at(name, "es una carpeta, no un archivo CSV") from None
    except UnicodeDecodeError as exc:
        raise InputError.at(name, f"no es texto UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise InputError.at(name, f"no se puede leer ({exc.strerror or exc})") from None


def read(
    path: Path, *, on: date, country: str, programme: str, fields: Iterable[str]
) -> Applications:
    """Read and check an APPLICATIONS.csv (``fields``: what the programme's rules read)."""
    return parse(
        read_text(path, path.name),
        name=path.name,
        on=on,
        country=country,
        programme=programme,
        fields=fields,
    )


def _records(text: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) for the header (row 1) and every non-blank row."""
    if not text.strip():
        raise InputError.at(name, "archivo vacío (falta la cabecera)")
    # strict: an unclosed quote or text after a closing quote is an error, not a cell
    # that silently swallows the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = 0
    try:
        for cells in reader:
            number += 1
            if number > MAX_ROWS + 1:
                raise InputError.at(name, f"más de {MAX_ROWS:,} filas")
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            yield number, cells
    except csv.Error as exc:
        raise InputError.at(f"{name} fila {number + 1}", f"CSV mal formado ({exc})") from None


class _Checker:
    """Checks cells, remembering what it has already seen (a file repeats its dates,
    codes and countries thousands of times)."""

    def __init__(self, name: str, on: date) -> None:
        self.name = name
        self.on = on
        self.countries = frozenset(country_names())
        self.seen_dates: dict[str, date] = {}
        self.seen_codes: dict[str, dict[str, int]] = {c: {"": 0} for c in CODES}
        self.bits = {c: code_bits(c) for c in CODES}

    def fail(self, row: int, column: str, message: str) -> InputError:
        return InputError.at(f"{self.name} fila {row}, {column}", message)

    def date(self, value: str, row: int, column: str) -> date | None:
        known = self.seen_dates.get(value)
        if known is not None:
            return known
        if not value:
            return None
        if not _ISO.match(value):
            raise self.fail(row, column, f"'{shown(value, limit=20)}' no es AAAA-MM-DD")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise self.fail(row, column, f"'{value}' no es una fecha del calendario") from None
        if day < EARLIEST:
            raise self.fail(row, column, f"fecha anterior a {EARLIEST.isoformat()}")
        self.seen_dates[value] = day
        return day

    def flag(self, value: str, row: int, column: str) -> bool | None:
        try:
            return _BOOLS[value.lower()]
        except KeyError:
            raise self.fail(
                row, column, f"'{shown(value, limit=20)}' no es true ni false"
            ) from None

    def codes(self, value: str, row: int, column: str) -> int:
        seen = self.seen_codes[column]
        mask = seen.get(value)
        if mask is not None:
            return mask
        if len(value) > MAX_CODES:
            raise self.fail(row, column, f"más de {MAX_CODES} caracteres")
        bits = self.bits[column]
        mask = 0
        for part in value.split(";"):
            code = part.strip().lower()
            if not code:
                continue
            if code not in bits:
                allowed = ", ".join(bits)
                raise self.fail(
                    row,
                    column,
                    f"código desconocido '{shown(code, limit=40)}' (se admite: {allowed})",
                )
            mask |= bits[code]
        seen[value] = mask
        return mask

    def nationality(self, value: str, row: int, column: str) -> str:
        code = value.upper()
        if code and code not in self.countries:
            raise self.fail(row, column, f"'{shown(value, limit=20)}' no es ISO 3166 alfa-2")
        return code

    def document_type(self, value: str, row: int, column: str) -> str:
        kind = value.upper()
        if kind and kind not in DOCUMENT_TYPES:
            allowed = ", ".join(sorted(DOCUMENT_TYPES))
            raise self.fail(
                row, column, f"'{shown(value, limit=20)}' desconocido (se admite: {allowed})"
            )
        return kind

    def text(self, value: str, row: int, column: str, *, limit: int = MAX_TEXT) -> str:
        if len(value) > limit:
            raise self.fail(row, column, f"más de {limit} caracteres")
        if value.isascii() and value.isprintable():
            return value
        cleaned, problem = text_problem(value)
        if problem is not None:
            raise self.fail(row, column, problem)
        return cleaned


def _header(cells: list[str], name: str, needed: Iterable[str]) -> dict[str, int]:
    header = [h.strip().lower() for h in cells]
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise InputError.at(f"{name} fila 1", f"columnas repetidas: {', '.join(repeated)}")
    missing = [c for c in needed if c not in header]
    if missing:
        raise InputError.at(
            f"{name} fila 1",
            f"faltan columnas: {', '.join(missing)} (obligatorias: {', '.join(needed)})",
        )
    return {h: i for i, h in enumerate(header) if h in COLUMNS}


def parse(
    text: str, *, name: str, on: date, country: str, programme: str, fields: Iterable[str]
) -> Applications:
    """Check the text of an APPLICATIONS.csv; the first problem raises ``InputError``."""
    needed = list(dict.fromkeys([*REQUIRED, *(f for f in fields if f in COLUMNS)]))
    records = _records(text, name)
    first = next(records, None)
    if first is None or first[0] != 1:
        raise InputError.at(name, "archivo vacío (falta la cabecera)")
    index = _header(first[1], name, needed)
    width = len(first[1])
    check = _Checker(name, on)
    apps = Applications(name=name, on=on)
    apps.dates = {c: [] for c in DATES if c in index}
    apps.bools = {c: [] for c in BOOLS if c in index}
    apps.codes = {c: [] for c in CODES if c in index}
    apps.texts = {c: [] for c in ("nationality", "document_type") if c in index}
    stores: dict[str, list[Any]] = {**apps.dates, **apps.bools, **apps.codes, **apps.texts}
    kinds: dict[str, Callable[[str, int, str], object]] = {
        **dict.fromkeys(DATES, check.date),
        **dict.fromkeys(BOOLS, check.flag),
        **dict.fromkeys(CODES, check.codes),
        "nationality": check.nationality,
        "document_type": check.document_type,
    }
    parsers = [(index[c], c, kinds[c], stores[c]) for c in stores]
    free = [(index[c], c) for c in FREE_TEXT if c in index]
    i_id = index["application_id"]
    i_country = index.get("country")
    i_programme = index.get("programme")
    ids: set[str] = set()
    for row, cells in records:
        if len(cells) != width:
            raise InputError.at(f"{name} fila {row}", f"{len(cells)} valores para {width} columnas")
        app_id = check.text(cells[i_id].strip(), row, "application_id", limit=MAX_ID)
        if not app_id:
            raise check.fail(row, "application_id", "vacío (es obligatorio)")
        if app_id in ids:
            raise check.fail(row, "application_id", f"'{shown(app_id)}' repetido en el archivo")
        ids.add(app_id)
        apps.ids.append(app_id)
        if i_country is not None:
            value = cells[i_country].strip().upper()
            if value and value != country:
                raise check.fail(
                    row, "country", f"'{shown(value, limit=20)}' no es el país evaluado ({country})"
                )
        if i_programme is not None:
            value = cells[i_programme].strip().lower()
            if value and value != programme:
                raise check.fail(
                    row,
                    "programme",
                    f"'{shown(value, limit=60)}' no es el programa evaluado ({programme})",
                )
        for i, column, parser, store in parsers:
            store.append(parser(cells[i].strip(), row, column))
        for i, column in free:
            check.text(cells[i].strip(), row, column)
        _check_dates(apps, row, check)
    if not apps.ids:
        raise InputError.at(name, "no hay ninguna solicitud (solo la cabecera)")
    return apps


def _check_dates(apps: Applications, row: int, check: _Checker) -> None:
    """Dates that cannot all be true: birth after entry, entry after application, any of
    them after the evaluation date."""
    last = len(apps.ids) - 1
    birth = apps.dates["birth_date"][last]
    entry = apps.dates["entry_date"][last]
    applied = apps.dates["application_date"][last]
    on = check.on
    for column, day in (
        ("birth_date", birth),
        ("entry_date", entry),
        ("application_date", applied),
    ):
        if day is not None and day > on:
            raise check.fail(
                row, column, f"{day.isoformat()} es posterior a la fecha evaluada (--on {on})"
            )
    if birth is not None and entry is not None and birth > entry:
        raise check.fail(row, "birth_date", f"nacimiento ({birth}) posterior al ingreso ({entry})")
    if entry is not None and applied is not None and entry > applied:
        raise check.fail(
            row, "entry_date", f"ingreso ({entry}) posterior a la solicitud ({applied})"
        )
    if birth is not None and applied is not None and birth > applied:
        raise check.fail(
            row, "birth_date", f"nacimiento ({birth}) posterior a la solicitud ({applied})"
        )


def _cell(value: str) -> str:
    """A CSV cell as the csv module writes it (quoted only when it must be)."""
    if '"' in value or "," in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def write(path: Path, rows: Iterable[tuple[str, str, str, str]]) -> int:
    """Write OUT.csv atomically: a temporary file in the same folder, renamed into place.

    The same CSV the csv module writes; by hand because an explanation is long and
    shared by many rows, so each distinct text is quoted once (``quoted``) rather than
    once per row."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    quoted: dict[str, str] = {}
    count = 0
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            fh.write(",".join(OUTPUT) + "\r\n")
            lines: list[str] = []
            for app_id, outcome, failed, explanation in rows:
                text = quoted.get(explanation)
                if text is None:
                    text = quoted[explanation] = _cell(explanation)
                lines.append(f"{_cell(app_id)},{outcome},{failed},{text}\r\n")
                if len(lines) == 4096:
                    fh.write("".join(lines))
                    lines.clear()
                count += 1
            fh.write("".join(lines))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count
