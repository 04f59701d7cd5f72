"""``alianza corridor case ...``: return casework on the node, for a caseworker or a
supervisor (``casework.py`` holds every rule; these commands only read options and print).

    alianza corridor case add HOUSEHOLD.json --user U [--dir D] [--json]
    alianza corridor case list --user U [--json]
    alianza corridor case show ID --user U [--json]
    alianza corridor case move ID STATUS --reason TEXT [--departure D] --user U [--json]
    alianza corridor case consent ID MEMBER --sheet v1 --language es --counsellor NAME
        [--witness W] [--guardian MEMBER] --user U [--json]
    alianza corridor case withdraw ID MEMBER --reason TEXT --user U [--json]
    alianza corridor case board ID MEMBER --user U [--json]

``ID`` may be the first characters of a case id (at least 4); ``MEMBER`` is the member's
id in the household file. Each command is one transaction: a refused step writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from alianza.cli_support import (
    DirOpt,
    JsonOpt,
    UserOpt,
    acting,
    by_prefix,
    console,
    emit_json,
    err_console,
    id_column,
    open_cli_node,
)
from alianza.corridor import contract
from alianza.errors import InputError

case_app = typer.Typer(
    help="Casos de retorno: registrar hogares, consentimientos, evaluación y salida.",
    no_args_is_help=True,
)

CaseArg = Annotated[str, typer.Argument(help="Id del caso (o sus primeros caracteres).")]
MemberArg = Annotated[str, typer.Argument(help="Id del integrante en el archivo del hogar.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Motivo (obligatorio).")]


def _full_id(session: Any, principal: Any, prefix: str) -> str:
    from alianza.auth.permissions import visible
    from alianza.corridor.casework import MANAGE
    from alianza.corridor.models import ReturnCase

    return by_prefix(
        session,
        column=ReturnCase.id,
        visible=visible(principal, MANAGE, ReturnCase),
        prefix=prefix,
        name="ID",
        missing=f"No existe el caso {prefix}.",
    )


def _print_case(body: dict[str, Any]) -> None:
    label = body["status"]
    err_console.print(f"Caso {body['id']} (hogar {body['reference']}): {label}")
    if body.get("status_reason"):
        err_console.print(f"  {body['status_reason']}")


@case_app.command("add")
def add_command(
    source: Annotated[Path, typer.Argument(help="HOGAR.json: un hogar del contrato.")],
    user: UserOpt,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Registrar el caso de un hogar (rechaza a quien ya figura en un caso abierto)."""
    from alianza.corridor import casework
    from alianza.db import transaction

    raw = contract.read_json(source, "HOGAR.json")
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        body = casework.summary(casework.register(session, node, principal, raw))
    if as_json:
        emit_json(body)
        return
    _print_case(body)
    typer.echo(body["id"])


@case_app.command("list")
def list_command(
    user: UserOpt,
    limit: Annotated[int, typer.Option("--limit", help="Cuántos (1 a 1000).")] = 100,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Los casos de su institución, los más nuevos primero."""
    from alianza.corridor import casework

    if not 1 <= limit <= 1000:
        raise InputError.at("--limit", "entre 1 y 1000")
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with node.sessions() as session:
        rows = [casework.summary(c) for c in casework.cases(session, principal, limit=limit)]
    if as_json:
        emit_json({"cases": rows})
        return
    table = Table(id_column("caso"), "hogar", "origen", "listo", "prioridad", "estado")
    for r in rows:
        table.add_row(
            r["id"], r["reference"], r["origin"], r["ready_date"], r["priority"], r["status"]
        )
    console.print(table)


@case_app.command("show")
def show_command(
    case_id: CaseArg,
    user: UserOpt,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Un caso: sus integrantes, consentimientos y cambios de estado."""
    from alianza.corridor import casework
    from alianza.db import transaction

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    # A transaction, not a read: the look is audited (who saw the household's data).
    with transaction(node.sessions) as session:
        full = _full_id(session, principal, case_id)
        body = casework.detail(session, node, principal, full)
    if as_json:
        emit_json(body)
        return
    _print_case(body)
    table = Table("integrante", "nombre", "nacimiento", "menor", "marcas")
    for m in body["members"]:
        name = " ".join(p for p in (m["given_names"], m["surname_1"], m["surname_2"]) if p)
        table.add_row(
            m["id"], name, m["birth_date"] or "—", "sí" if m["is_minor"] else "no",
            ", ".join(m["flags"]) or "—",
        )  # fmt: skip
    console.print(table)
    events = Table("de", "a", "por", "cuándo", "motivo")
    for e in body["events"]:
        events.add_row(e["from"] or "—", e["to"], e["by"], e["at"], e["reason"])
    console.print(events)


def _moved(body: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(body)
    else:
        _print_case(body)


@case_app.command("move")
def move_command(
    case_id: CaseArg,
    status: Annotated[str, typer.Argument(help="Estado al que pasa el caso.")],
    reason: ReasonOpt,
    user: UserOpt,
    departure: Annotated[
        str | None,
        typer.Option("--departure", help="Al programar: la salida (bus o vuelo) del plan."),
    ] = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Mover el caso un paso (o a desistido, derivado, en espera), con su motivo."""
    from alianza.corridor import casework
    from alianza.db import transaction

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        full = _full_id(session, principal, case_id)
        body = casework.summary(
            casework.move(session, node, principal, full, status, reason, departure=departure)
        )
    _moved(body, as_json)


@case_app.command("consent")
def consent_command(
    case_id: CaseArg,
    member: MemberArg,
    sheet: Annotated[str, typer.Option("--sheet", help="Versión de la hoja informativa.")],
    language: Annotated[str, typer.Option("--language", help="Idioma de la orientación.")],
    counsellor: Annotated[str, typer.Option("--counsellor", help="Quién orientó.")],
    user: UserOpt,
    witness: Annotated[str | None, typer.Option("--witness", help="Testigo.")] = None,
    guardian: Annotated[
        str | None, typer.Option("--guardian", help="Para un menor: el adulto del hogar.")
    ] = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Registrar el consentimiento informado de un integrante."""
    from alianza.corridor import consents
    from alianza.db import transaction

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        full = _full_id(session, principal, case_id)
        consent = consents.record_consent(
            session, node, principal, full, member, sheet_version=sheet, language=language,
            counsellor=counsellor, witness=witness, guardian_member_id=guardian,
        )  # fmt: skip
        body = {"case": full, "member": member, "consent": consent.id}
    if as_json:
        emit_json(body)
    else:
        err_console.print(f"Consentimiento de {member} registrado en el caso {full}.")


@case_app.command("withdraw")
def withdraw_command(
    case_id: CaseArg,
    member: MemberArg,
    reason: ReasonOpt,
    user: UserOpt,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Retirar el consentimiento de un integrante (hasta el embarque): el caso desiste."""
    from alianza.corridor import casework, consents
    from alianza.db import transaction

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        full = _full_id(session, principal, case_id)
        found = consents.withdraw_consent(session, node, principal, full, member, reason)
        body = casework.summary(found)
    _moved(body, as_json)


@case_app.command("board")
def board_command(
    case_id: CaseArg,
    member: MemberArg,
    user: UserOpt,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Confirmar al embarcar el consentimiento de un integrante."""
    from alianza.corridor import consents
    from alianza.db import transaction

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        full = _full_id(session, principal, case_id)
        consent = consents.confirm_boarding(session, node, principal, full, member)
        body = {
            "case": full,
            "member": member,
            "confirmed_at_boarding": consent.confirmed_at_boarding,
        }
    if as_json:
        emit_json(body)
    else:
        err_console.print(f"Embarque de {member} confirmado en el caso {full}.")
