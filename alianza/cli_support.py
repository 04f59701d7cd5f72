"""Pieces every command group shares: consoles, common options, opening the node."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.codes.problems import problems_from_validation
from alianza.errors import InputError
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
