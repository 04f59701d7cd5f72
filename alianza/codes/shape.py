"""Depth of JSON input bounded, before and after parsing (finding C2 of issue 9).

The standard library's parser recurses once per ``[`` or ``{`` and dies with
``RecursionError`` near a thousand levels, as does any recursive walk of what it returns.
No alianza document nests deeper than a handful of levels (an FtM entity's
``alianza.extra.documents[0].number`` is five), so ``MAX_DEPTH`` leaves ample room.
"""

from __future__ import annotations

import json
import re
from typing import Any

from alianza.errors import InputError

MAX_DEPTH = 32
# A JSON string (skipped whole, escapes included) or one bracket.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def json_depth(text: str) -> int:
    """How deep the brackets of ``text`` nest, strings skipped (no parsing, no recursion)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def loads(text: str, *, field: str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that refuses, naming ``field``, malformed or too deeply nested JSON."""
    # Fewer opening brackets than the limit cannot nest deeper: the scan is for the rare rest.
    if text.count("[") + text.count("{") > max_depth and json_depth(text) > max_depth:
        raise InputError.at(field, f"JSON anidado a más de {max_depth} niveles")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.at(field, f"JSON mal formado ({exc.msg}, columna {exc.colno})") from None
    except ValueError:
        # Python refuses integers of more than 4,300 digits (CVE-2020-10735).
        raise InputError.at(field, "JSON con un número demasiado largo") from None


def check_depth(value: Any, *, field: str, max_depth: int = MAX_DEPTH) -> None:
    """Refuse a parsed value nested deeper than ``max_depth`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= max_depth:
                raise InputError.at(field, f"anidado a más de {max_depth} niveles")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def check_canonical(value: Any, *, field: str, max_depth: int = MAX_DEPTH) -> None:
    """Refuse a parsed JSON value that cannot be canonicalised and signed as it stands.

    Depth bounded; every text (keys included) encodable as UTF-8, i.e. no lone surrogate;
    integers within 64 bits and numbers finite (orjson refuses the others, and JSON has
    no NaN). Iterative, so any depth is refused without recursion.
    """
    stack: list[tuple[Any, str, int]] = [(value, field, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            _encodable(item, where)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not -(2**63) <= item < 2**64:
                raise InputError.at(where, "número entero fuera del rango de 64 bits")
        elif isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                raise InputError.at(where, "número no finito (NaN o infinito)")
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                raise InputError.at(where, f"anidado a más de {max_depth} niveles")
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str):
                        raise InputError.at(where, "las claves de un objeto JSON son textos")
                    _encodable(key, where)
                    stack.append((child, f"{where}.{_label(key)}", depth + 1))
            else:
                stack.extend((child, f"{where}.{i}", depth + 1) for i, child in enumerate(item))
        else:
            raise InputError.at(where, f"valor que JSON no representa ({type(item).__name__})")


def _encodable(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError.at(
            where, f"texto con un sustituto UTF-16 suelto (U+{ord(text[exc.start]):04X})"
        ) from None


def _label(key: str) -> str:
    # Only for naming where a problem is; a bad key itself is refused before it is used.
    return key[:40].encode("utf-8", "backslashreplace").decode("utf-8")
