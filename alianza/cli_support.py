"""Pieces every command group shares: consoles, common options, opening the node, JSON
output for scripts, and ids typed as a unique prefix.

With ``--json`` a command prints exactly one JSON object on stdout and nothing else
(errors still go to stderr with their exit code), so a script can read it whole.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.codes.countries import normalize_country
from alianza.codes.problems import problems_from_validation
from alianza.codes.text import text_problem
from alianza.errors import InputError, NotFound
from alianza.node.context import Node, open_node
from alianza.settings import Settings

console = Console()
err_console = Console(stderr=True)

DirOpt = Annotated[
    Path | None,
    typer.Option("--dir", help="Directorio del nodo (o ALIANZA_DATA_DIR)."),
]
UserOpt = Annotated[
    str, typer.Option("--user", envvar="ALIANZA_USER", help="Usuario que actúa (o ALIANZA_USER).")
]
JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="Un solo objeto JSON en la salida estándar (para scripts)."),
]


def settings_for(data_dir: Path | None) -> Settings:
    """Settings from the environment, with ``--dir`` taking precedence; a bad ``ALIANZA_*``
    value is an input error naming the variable, not a traceback."""
    try:
        return Settings(data_dir=data_dir) if data_dir else Settings()
    except ValidationError as exc:
        problems = problems_from_validation(exc, prefix="")
        for p in problems:
            p.field = f"ALIANZA_{p.field.upper()}"
        raise InputError(
            "; ".join(f"{p.field}: {p.message}" for p in problems), problems=problems
        ) from None


def open_cli_node(data_dir: Path | None) -> Node:
    """The node a command works on."""
    return open_node(settings_for(data_dir))


# The user the running command acts as, and on which node: a refusal is audited (main).
ACTING: dict[str, tuple[Node, Principal]] = {}


def acting(node: Node, username: str) -> Principal:
    """The user a command acts as (every command checks its permissions)."""
    with node.sessions() as session:
        principal = auth.active_principal(session, username)
    ACTING["current"] = (node, principal)
    return principal


# ------------------------------------------------------------------ options checked by hand
# Typer would check a choice itself, in English and as a usage error: these raise an
# ``InputError`` in Spanish that names the option, like every other bad input.


def one_of(value: str | None, allowed: type[StrEnum], option: str) -> str | None:
    """``value`` if it is one of ``allowed``'s values (case aside); None stays None."""
    if value is None:
        return None
    text = value.strip().lower()
    choices = [str(c.value) for c in allowed]
    if text not in choices:
        raise InputError.at(option, f"valor desconocido '{value}'; se admite: {', '.join(choices)}")
    return text


def country_list(values: list[str] | None, option: str, *, most: int = 20) -> list[str] | None:
    """ISO alpha-2 codes typed comma-separated, repeated, or both: sorted, once each."""
    if values is None:
        return None
    typed = [part.strip() for value in values for part in value.split(",") if part.strip()]
    if not typed:
        raise InputError.at(option, "indique al menos un país (ISO alfa-2, p. ej. EC,PE)")
    codes: set[str] = set()
    for code in typed:
        try:
            codes.add(normalize_country(code))
        except ValueError as exc:
            raise InputError.at(option, str(exc)) from None
    if len(codes) > most:
        raise InputError.at(option, f"como máximo {most} países")
    return sorted(codes)


# ------------------------------------------------------------------ output for scripts


def _plain(value: Any) -> str:
    # Dates as ISO 8601; anything else JSON lacks (an enum member, a path) as its text.
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


def emit_json(obj: dict[str, Any]) -> None:
    """Print ``obj`` as one line of JSON on stdout, alone: no markup, no other line."""
    typer.echo(json.dumps(obj, ensure_ascii=False, default=_plain))


def id_column(header: str, *, width: int = 36) -> Column:
    """A table column for ids: never cut short with an ellipsis (a script, or a person,
    copies what it shows into the next command), folded only on a very narrow terminal."""
    return Column(header, no_wrap=True, min_width=width, overflow="fold")


# ------------------------------------------------------------------ ids by prefix

MIN_PREFIX = 4
_SHOWN = 10  # matching ids listed when a prefix is ambiguous
_HEX = re.compile(r"[0-9A-Fa-f-]+")


def by_prefix(
    session: Session,
    *,
    column: InstrumentedAttribute[str],
    visible: ColumnElement[bool],
    prefix: str,
    name: str,
    missing: str,
) -> str:
    """The one full id in ``column``, among the rows ``visible`` admits, starting with
    ``prefix`` (a whole id included).

    An id that matches nothing the principal may see raises ``NotFound(missing)``, whether
    it exists or not; a prefix of several raises an ``InputError`` naming ``name`` and
    listing them whole. Only ids the caller may see are ever listed.
    """
    text = prefix.strip()
    if _HEX.fullmatch(text):
        text = text.lower()  # our ids are lower-case UUIDs: a copied upper-case one works
    if len(text) < MIN_PREFIX:
        raise InputError.at(name, f"indique al menos {MIN_PREFIX} caracteres del identificador")
    # No stored id holds what the text gate refuses: a lone surrogate from bytes in argv
    # that are not UTF-8 (surrogateescape) is a driver's UnicodeEncodeError, not a query.
    if len(text) > 64 or text_problem(text)[1] is not None:
        raise NotFound(missing)
    found = list(
        session.scalars(
            select(column)
            .where(visible, column.startswith(text, autoescape=True))
            .distinct()
            .order_by(column)
            .limit(_SHOWN + 1)
        )
    )
    if not found:
        raise NotFound(missing)
    if len(found) > 1:
        more = " y otros" if len(found) > _SHOWN else ""
        raise InputError.at(
            name,
            f"el prefijo '{prefix.strip()}' coincide con varios: "
            f"{', '.join(found[:_SHOWN])}{more}; escriba más caracteres",
        )
    return found[0]


def progress_bar(*, quiet: bool = False, transient: bool = False) -> Progress:
    """The progress bar of long commands (imports, training, scoring), on stderr so that
    stdout stays the command's result; ``quiet`` (``--json``, ``--quiet``) hides it,
    ``transient`` clears it when done."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=transient,
        disable=quiet,
    )
