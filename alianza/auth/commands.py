"""``alianza users``: users, roles and API tokens on the command line.

The operator at the console acts as the node itself (``Principal.system``), which manages
the users of every agency the node hosts; the services authorise and audit each act.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from alianza.auth import service as auth
from alianza.auth.permissions import USER_ROLES
from alianza.cli_support import DirOpt, JsonOpt, console, emit_json, open_cli_node
from alianza.db import transaction

users_app = typer.Typer(help="Usuarios, roles y tokens.", no_args_is_help=True)

_ROLES = ", ".join(r.value for r in USER_ROLES)
UsernameArg = Annotated[str, typer.Argument(help="Usuario.", show_default=False)]


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Option(help="Nombre de usuario (minúsculas).")],
    role: Annotated[str, typer.Option(help=f"Uno de: {_ROLES}.")],
    agency: Annotated[
        str | None, typer.Option(help="Institución (por defecto la del nodo).")
    ] = None,
    country: Annotated[str | None, typer.Option(help="País (por defecto el del nodo).")] = None,
    full_name: Annotated[str, typer.Option(help="Nombre completo.")] = "",
    password_stdin: Annotated[bool, typer.Option(help="Leer la contraseña de stdin.")] = False,
    token_days: Annotated[
        int | None,
        typer.Option(help="Vigencia del token inicial, días (por defecto ALIANZA_TOKEN_TTL_DAYS)."),
    ] = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Crea un usuario y muestra su primer token de API (una sola vez)."""
    node = open_cli_node(data_dir)
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    operator = node.system
    with transaction(node.sessions) as session:
        user = auth.add_user(
            session,
            node=node,
            principal=operator,
            username=username,
            full_name=full_name,
            country=country or node.country,
            agency=agency or node.agency,
            role=role,
            password=password,
        )
        token, expires = auth.issue_token(
            session, node=node, principal=operator, username=user.username, ttl_days=token_days
        )
    if as_json:
        emit_json(
            {
                "username": user.username,
                "role": user.role,
                "agency": user.agency,
                "country": user.country,
                "token": token,
                "expires": expires.isoformat(),
            }
        )
        return
    console.print(
        f"[green]Usuario creado[/]: {escape(user.username)} · {user.role} · "
        f"{escape(user.agency)} ({user.country})"
    )
    console.print(f"Token (vence {expires:%Y-%m-%d}): {token}", soft_wrap=True, highlight=False)


@users_app.command("token")
def users_token(
    username: Annotated[str, typer.Option(help="Usuario.")],
    days: Annotated[
        int | None, typer.Option(help="Vigencia en días (por defecto ALIANZA_TOKEN_TTL_DAYS).")
    ] = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Emite un nuevo token de API para un usuario."""
    node = open_cli_node(data_dir)
    with transaction(node.sessions) as session:
        token, expires = auth.issue_token(
            session, node=node, principal=node.system, username=username, ttl_days=days
        )
    if as_json:
        emit_json({"username": username, "token": token, "expires": expires.isoformat()})
        return
    console.print(
        f"Token de {escape(username)} (vence {expires:%Y-%m-%d}): {token}",
        soft_wrap=True,
        highlight=False,
    )


@users_app.command("list")
def users_list(data_dir: DirOpt = None) -> None:
    """Lista los usuarios del nodo."""
    node = open_cli_node(data_dir)
    table = Table("usuario", "rol", "institución", "país", "activo")
    with transaction(node.sessions) as session:
        for u in auth.list_users(session, node=node, principal=node.system):
            table.add_row(
                escape(u.username),
                u.role,
                escape(u.agency),
                u.country,
                "sí" if u.active else "no",
            )
    console.print(table)


@users_app.command("disable")
def users_disable(username: UsernameArg, data_dir: DirOpt = None) -> None:
    """Desactiva un usuario y revoca todos sus tokens."""
    node = open_cli_node(data_dir)
    with transaction(node.sessions) as session:
        auth.disable_user(session, node=node, principal=node.system, username=username)
    console.print(f"Usuario desactivado: {escape(username)} (sus tokens quedan revocados)")


@users_app.command("enable")
def users_enable(username: UsernameArg, data_dir: DirOpt = None) -> None:
    """Reactiva un usuario (y levanta el bloqueo de su nombre); necesitará un token nuevo."""
    node = open_cli_node(data_dir)
    with transaction(node.sessions) as session:
        auth.enable_user(session, node=node, principal=node.system, username=username)
    console.print(f"Usuario reactivado: {escape(username)}")


@users_app.command("revoke-tokens")
def users_revoke_tokens(username: UsernameArg, data_dir: DirOpt = None) -> None:
    """Revoca todos los tokens de API de un usuario."""
    node = open_cli_node(data_dir)
    with transaction(node.sessions) as session:
        count = auth.revoke_tokens(session, node=node, principal=node.system, username=username)
    console.print(f"Tokens revocados de {escape(username)}: {count}")


def register(app: typer.Typer) -> None:
    """Add ``alianza users ...``."""
    app.add_typer(users_app, name="users")
