"""One gate for every text that enters alianza: API, CLI, file import, partner message.

``clean_text`` NFC-normalises a text, strips it and refuses it, naming the field, when it
holds what no person typed on purpose and what breaks the tools downstream:

- control characters (C0, DEL, C1): a bell, a NUL, an escape sequence for a terminal.
  Free-text fields of several lines (``notes``, ``handling_note``: ``MULTILINE_FIELDS``)
  admit ``\\n`` and ``\\t``; their ``\\r\\n``, ``\\r``, U+2028 and U+2029 become ``\\n``.
  Every other field is one line: names, identifiers, purposes, legal bases.
- bidirectional overrides, embeddings and isolates (U+202A–U+202E, U+2066–U+2069): they
  make a text display differently from what it holds ("Trojan Source"). The plain marks
  LRM/RLM/ALM are allowed: Arabic and Hebrew text needs them and they reorder nothing.
- unpaired UTF-16 surrogates (``"\\ud800"`` from a JSON escape): no UTF-8 encoder, database
  driver or signature canonicaliser accepts them; and the noncharacters U+FFFE, U+FFFF.
- nothing visible: only spaces, zero-width characters, BOM, combining marks or the blank
  Hangul fillers. An empty text is left to the field's own rule (``min_length``).
- more than ``MAX_MARKS`` combining marks on one character ("Zalgo" text): after NFC,
  real writing needs at most three (Vietnamese, Thai, pointed Hebrew).

Written by hand: python-stdnum, normality and followthemoney clean text for matching, and
none of them refuses it; this needs only ``unicodedata`` from the standard library.

``shown`` is the other half: how a bad value is echoed back in an error message, escaped
and cut short, so that an error about hostile text can always be rendered and printed.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from alianza.errors import InputError

# Fields that hold free text of several lines (every model uses these names for them).
MULTILINE_FIELDS = frozenset({"notes", "handling_note"})
MAX_MARKS = 4

_BIDI = "\u202a-\u202e\u2066-\u2069"
_SURROGATES = "\ud800-\udfff"
# C0 except \t \n (handled per mode), DEL and C1; bidi controls; surrogates; noncharacters.
_ALWAYS = f"\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}{_SURROGATES}\ufffe\uffff"
_FORBIDDEN_LINE = re.compile(f"[\t\n\u2028\u2029{_ALWAYS}]")
_FORBIDDEN_MULTI = re.compile(f"[{_ALWAYS}]")
_NEWLINES = re.compile("\r\n|[\r\u2028\u2029]")
# Letters that render as nothing (Hangul fillers, braille blank, Mongolian vowel separator).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Mc", "Me", "Cs"})


def _describe(char: str) -> str:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        what = "un sustituto UTF-16 suelto"
    elif 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        what = "un control de dirección bidireccional"
    elif code in (0xFFFE, 0xFFFF):
        what = "un no-carácter"
    elif char in "\t\n\u2028\u2029":
        return f"contiene un salto de línea o tabulador (U+{code:04X}): este campo es de una línea"
    else:
        what = "un carácter de control"
    return f"contiene {what} (U+{code:04X})"


def _visible(text: str) -> bool:
    if text.isascii():
        return not text.isspace()
    for char in text:
        if char in _BLANK_LETTERS:
            continue
        if unicodedata.category(char) not in _INVISIBLE_CATEGORIES:
            return True
    return False


def _too_many_marks(text: str) -> bool:
    run = 0
    for char in text:
        if unicodedata.category(char) in ("Mn", "Mc", "Me"):
            run += 1
            if run > MAX_MARKS:
                return True
        else:
            run = 0
    return False


def text_problem(value: str, *, multiline: bool = False) -> tuple[str, str | None]:
    """The cleaned text and, if it must be refused, why (in Spanish, without the field)."""
    if multiline:
        value = _NEWLINES.sub("\n", value)
    # Whitespace at either end (a copied name's trailing newline) goes before the checks.
    value = value.strip()
    bad = (_FORBIDDEN_MULTI if multiline else _FORBIDDEN_LINE).search(value)
    if bad is not None:
        return value, _describe(bad.group())
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    if not value:
        return value, None
    if not _visible(value):
        return value, "no contiene ningún carácter visible"
    if not value.isascii() and _too_many_marks(value):
        return value, f"más de {MAX_MARKS} marcas diacríticas seguidas sobre un carácter"
    return value, None


def checked_text(value: str, *, multiline: bool = False) -> str:
    """The cleaned text, or ``ValueError`` with the reason (for Pydantic validators)."""
    cleaned, problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise ValueError(problem)
    return cleaned


def clean_text(value: str, *, field: str, multiline: bool = False) -> str:
    """The cleaned text, or ``InputError`` naming ``field`` and the reason."""
    cleaned, problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise InputError.at(field, problem)
    return cleaned


def gate(value: Any, *, multiline: bool = False) -> Any:
    """Pydantic ``mode="before"`` hook: clean a text, leave any other value to the type."""
    if isinstance(value, str):
        return checked_text(value, multiline=multiline)
    return value


def gate_line(value: Any) -> Any:
    """``gate`` for a one-line text field."""
    return gate(value)


def gate_multiline(value: Any) -> Any:
    """``gate`` for a free-text field of several lines."""
    return gate(value, multiline=True)


_UNSHOWABLE = re.compile(f"[\t\n\u2028\u2029{_ALWAYS}\u200b-\u200f\ufeff]")


def shown(value: object, *, limit: int = 60) -> str:
    """``value`` as it may be echoed in a message: invisible and unencodable characters
    escaped (``\\ud800``, ``\\x07``), and cut to ``limit`` characters."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return _UNSHOWABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def safe(value: str) -> str:
    """``value`` with each unpaired surrogate written as its escape: always encodable."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def storable_id(value: str, *, longest: int = 36) -> bool:
    """Whether ``value`` could be a stored id at all: one the text gate accepts, of at most
    ``longest`` characters (a NUL is a database error on PostgreSQL and a lone surrogate
    on every driver, so such an id is not found rather than asked for)."""
    return 0 < len(value) <= longest and text_problem(value)[1] is None
