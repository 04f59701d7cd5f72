"""ICAO 9303 machine-readable zones (MRZ): TD1 (3x30), TD2 (2x36) and TD3 (2x44), plus visas.

Written by hand. Checked first: ``mrz`` 0.6.2 (Arg0s1080) is GPLv3 (this project is
Apache-2.0), unmaintained since 2020, untyped, and its TD1 checker fails the long document
number rule (it always checks the 9-character field). ``passporteye`` is an OCR pipeline
(scikit-image, tesseract) whose parser is a side part. Neither fits.

Decisions, so the linker can rely on them:

* Input is one string (lines split on newlines) or a list of lines. Surrounding whitespace
  and blank lines are dropped and lowercase is upper-cased. A single 90/88/72-character
  string with no newline is split by length.
* A space *inside* a line is refused with ``InputError``: OCR writes a space both for a
  lost ``<`` and as an artefact, and guessing which would shift every later position.
* A failing check digit never raises: it is named in ``Mrz.failed_checks`` and
  ``Mrz.valid`` is False; the document stays evidence. A date that is not a calendar date
  (e.g. ICAO's ``<<`` for an unknown day) gives ``""`` and is named in
  ``unreadable_fields``.
* Names are kept as written (``<`` becomes a space). ICAO writes Ñ as ``N`` or ``NXX``;
  :func:`mrz_name_variants` gives both readings, and ``alianza.identity.names`` does the
  general folding for matching.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from alianza.errors import InputError

_ALLOWED = re.compile(r"[A-Z0-9<]")
_WEIGHTS = (7, 3, 1)
# Lengths of the whole MRZ written on one line, for input pasted without newlines.
_SPLIT_BY_TOTAL = {90: (30, 3), 88: (44, 2), 72: (36, 2)}


@dataclass(slots=True)
class Mrz:
    """A parsed MRZ. Dates are ISO ``YYYY-MM-DD``; names keep the MRZ transliteration."""

    format: str  # "TD1", "TD2", "TD3", "MRVA" (visa, 2x44) or "MRVB" (visa, 2x36)
    document_code: str
    issuing_state: str
    surnames: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: str
    sex: str  # "M", "F" or "" (ICAO "<" unspecified, or "X")
    expiry_date: str
    optional_data: str
    optional_data_2: str = ""  # TD1 line 2 only
    failed_checks: list[str] = dataclasses.field(default_factory=list)
    unreadable_fields: list[str] = dataclasses.field(default_factory=list)
    lines: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """True when every check digit of the document verifies."""
        return not self.failed_checks


def check_digit(data: str) -> int:
    """ICAO 9303 check digit: weights 7,3,1; digits as is, A=10..Z=35, '<'=0."""
    total = 0
    for i, char in enumerate(data):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - ord("A") + 10
        else:
            value = 0
        total += value * _WEIGHTS[i % 3]
    return total % 10


def parse_mrz(raw: str | Sequence[str], *, today: date | None = None, field: str = "mrz") -> Mrz:
    """Parse an MRZ and verify all its check digits.

    Raises ``InputError`` (naming ``field``, the line and position) only when the zone
    cannot be read at all; failing check digits are reported in ``Mrz.failed_checks``.
    ``today`` fixes the century rule for birth dates (tests); default is today's date.
    """
    lines = _clean_lines(raw, field=field)
    year = (today or date.today()).year % 100
    if len(lines) == 3:
        return _parse_td1(lines, year)
    if lines[0].startswith("V"):
        return _parse_two_line(lines, year, fmt="MRVA" if len(lines[0]) == 44 else "MRVB")
    return _parse_two_line(lines, year, fmt="TD3" if len(lines[0]) == 44 else "TD2")


def mrz_name_variants(text: str) -> list[str]:
    """Readings of an MRZ name: as written, NXX folded to N, and NXX restored to Ñ.

    ICAO 9303 part 3 transliterates Ñ as either ``N`` or ``NXX``, so ``MUNXXOZ`` may
    meet ``MUNOZ`` or ``MUÑOZ`` in another registry. Without ``NXX`` only the text is
    returned: an ``N`` cannot be known to have been an Ñ.
    """
    written = _words(text)
    variants = [written]
    if "NXX" in written:
        variants += [written.replace("NXX", "N"), written.replace("NXX", "Ñ")]
    return variants


def _clean_lines(raw: str | Sequence[str], *, field: str) -> list[str]:
    parts = raw.splitlines() if isinstance(raw, str) else list(raw)
    lines = [p.strip().upper() for p in parts if p.strip()]
    if len(lines) == 1 and len(lines[0]) in _SPLIT_BY_TOTAL:
        width, count = _SPLIT_BY_TOTAL[len(lines[0])]
        lines = [lines[0][i * width : (i + 1) * width] for i in range(count)]
    if len(lines) not in (2, 3):
        raise InputError.at(
            field,
            f"la zona MRZ tiene {len(lines)} línea(s); se esperaban 3 de 30 caracteres (TD1) "
            "o 2 de 44 (TD3) o 36 (TD2)",
        )
    if len(lines) == 3:
        width, name = 30, "TD1"
    elif any(len(line) == 44 for line in lines):
        width, name = 44, "TD3"
    elif any(len(line) == 36 for line in lines):
        width, name = 36, "TD2"
    else:
        width, name = 0, "TD3/TD2"
    for number, line in enumerate(lines, start=1):
        if len(line) != width:
            expected = str(width) if width else "44 o 36"
            raise InputError.at(
                field,
                f"línea {number}: tiene {len(line)} caracteres; se esperaban {expected} ({name})",
            )
        for position, char in enumerate(line, start=1):
            if not _ALLOWED.fullmatch(char):
                what = "un espacio" if char.isspace() else f"el carácter '{char}'"
                raise InputError.at(
                    field,
                    f"línea {number}, posición {position}: {what} no es válido en una MRZ "
                    "(solo A-Z, 0-9 y '<')",
                )
    return lines


def _parse_td1(lines: list[str], year: int) -> Mrz:
    line1, line2, line3 = lines
    failed: list[str] = []
    number, optional = _document_number(line1[5:14], line1[14], line1[15:30], failed)
    surnames, given = _names(line3)
    result = _common(
        fmt="TD1",
        code=line1[0:2],
        state=line1[2:5],
        names=(surnames, given),
        number=number,
        rest=line2[0:15],  # birth date, its check, sex, expiry, its check
        nationality=line2[15:18],
        optional=optional,
        year=year,
        failed=failed,
    )
    result.optional_data_2 = line2[18:29].strip("<")
    # Composite: the whole upper line after the state, plus line 2 up to optional data 2.
    composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    _verify("composite", composite, line2[29], failed)
    result.lines = tuple(lines)
    return result


def _parse_two_line(lines: list[str], year: int, *, fmt: str) -> Mrz:
    line1, line2 = lines
    width = len(line2)
    failed: list[str] = []
    visa = fmt.startswith("MRV")
    if fmt == "TD2":
        # TD2 has the same long-number rule as TD1, with the overflow in optional data.
        number, optional = _document_number(line2[0:9], line2[9], line2[28:35], failed)
    else:
        number = line2[0:9].rstrip("<")
        _verify("document_number", line2[0:9], line2[9], failed)
        # TD3 has 14 optional characters and their own check digit; visas have no checks there.
        optional = (line2[28:] if visa else line2[28:42]).strip("<")
    result = _common(
        fmt=fmt,
        code=line1[0:2],
        state=line1[2:5],
        names=_names(line1[5:]),
        number=number,
        rest=line2[13:28],
        nationality=line2[10:13],
        optional=optional,
        year=year,
        failed=failed,
    )
    if fmt == "TD3":
        # A personal number left empty may carry '<' instead of its check digit 0.
        _verify("optional_data", line2[28:42], line2[42], failed, filler_ok=True)
    if not visa:
        composite = line2[0:10] + line2[13:20] + line2[21 : width - 1]
        _verify("composite", composite, line2[width - 1], failed)
    result.lines = tuple(lines)
    return result


def _common(
    *,
    fmt: str,
    code: str,
    state: str,
    names: tuple[str, str],
    number: str,
    rest: str,
    nationality: str,
    optional: str,
    year: int,
    failed: list[str],
) -> Mrz:
    """Fields laid out alike in every format; ``rest`` is birth+check+sex+expiry+check."""
    unreadable: list[str] = []
    _verify("birth_date", rest[0:6], rest[6], failed)
    _verify("expiry_date", rest[8:14], rest[14], failed)
    birth_yy = rest[0:2]
    century = 19 if birth_yy.isdigit() and int(birth_yy) > year else 20
    birth = _iso_date(rest[0:6], century, "birth_date", unreadable)
    # Documents are valid at most ten years: an expiry year is always 20YY.
    expiry = _iso_date(rest[8:14], 20, "expiry_date", unreadable)
    sex_char = rest[7]
    sex = sex_char if sex_char in "MF" else ""
    if sex_char not in "MFX<":
        unreadable.append("sex")
    return Mrz(
        format=fmt,
        document_code=code.strip("<"),
        issuing_state=state.strip("<"),
        surnames=names[0],
        given_names=names[1],
        document_number=number,
        nationality=nationality.strip("<"),
        birth_date=birth,
        sex=sex,
        expiry_date=expiry,
        optional_data=optional,
        failed_checks=failed,
        unreadable_fields=unreadable,
    )


def _document_number(main: str, check: str, optional: str, failed: list[str]) -> tuple[str, str]:
    """Document number and the optional data left after it (TD1/TD2 long-number rule).

    A number longer than 9 characters puts '<' in the check position and continues in the
    optional data: the remaining characters, then the check digit of the whole number,
    then a '<'.
    """
    if check != "<":
        _verify("document_number", main, check, failed)
        return main.rstrip("<"), optional.strip("<")
    overflow, _, after = optional.partition("<")
    if not overflow:
        # '<' in the check position with nothing overflowing: the check digit is missing.
        failed.append("document_number")
        return main.rstrip("<"), optional.strip("<")
    full = main + overflow[:-1]
    _verify("document_number", full, overflow[-1], failed)
    return full, after.strip("<")


def _verify(
    name: str, data: str, check: str, failed: list[str], *, filler_ok: bool = False
) -> None:
    if check == "<":
        ok = filler_ok and set(data) <= {"<"}
    else:
        ok = check.isdigit() and int(check) == check_digit(data)
    if not ok:
        failed.append(name)


def _iso_date(yymmdd: str, century: int, name: str, unreadable: list[str]) -> str:
    try:
        if not yymmdd.isdigit():
            raise ValueError(yymmdd)
        value = date(century * 100 + int(yymmdd[0:2]), int(yymmdd[2:4]), int(yymmdd[4:6]))
    except ValueError:
        unreadable.append(name)
        return ""
    return value.isoformat()


def _names(text: str) -> tuple[str, str]:
    """Primary identifier (surnames) and secondary identifier (given names)."""
    primary, _, secondary = text.partition("<<")
    return _words(primary), _words(secondary)


def _words(text: str) -> str:
    return " ".join(text.replace("<", " ").split())
