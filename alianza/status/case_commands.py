"""``alianza status application ...``: regularisation casework on the node, for a
caseworker or a supervisor (``applications.py`` and ``decisions.py`` hold every rule;
these commands read options and print).

    alianza status application add APPLICATION.json | --csv-row ROW.csv --user U [--json]
    alianza status application list --user U [--limit N] [--json]
    alianza status application show ID --user U [--json]
    alianza status application decide ID --confirm | --override OUTCOME --reason TEXT
        --user U [--json]
    alianza status application sign-off ID [--note TEXT] --user U [--json]
    alianza status application appeal ID --reason TEXT [--filed-on YYYY-MM-DD] --user U
        [--json]
    alianza status application evidence ID FILE --kind CODE --user U [--json]
    alianza status application letter ID -o LETTER.pdf --user U
    alianza status application check ID [--legal-basis TEXT] --user U [--json]
    alianza status application review-hit CHECK_ID --verdict cleared|confirmed
        --reason TEXT --user U [--json]

``APPLICATION.json`` is an object with the columns of APPLICATIONS.csv (``programme``
required); ``ROW.csv`` an APPLICATIONS.csv with one row. ``ID`` may be the first
characters of an application's id (at least 4). Each command is one transaction: a
refused step writes nothing. Bad input: exit code 2 and one line naming the item.
"""

from __future__ import annotations

import os
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
from alianza.codes.text import shown
from alianza.errors import InputError

application_app = typer.Typer(
    help="Solicitudes en el nodo: registrar, decidir, firmar, recurrir y emitir la carta.",
    no_args_is_help=True,
)

IdArg = Annotated[str, typer.Argument(help="Id de la solicitud (o sus primeros caracteres).")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Motivo escrito (obligatorio).")]


def _full_id(session: Any, principal: Any, prefix: str) -> str:
    from alianza.auth.permissions import visible
    from alianza.status.applications import MANAGE
    from alianza.status.models import Application

    return by_prefix(
        session,
        column=Application.id,
        visible=visible(principal, MANAGE, Application),
        prefix=prefix,
        name="ID",
        missing=f"No existe la solicitud {shown(prefix)}.",
    )


def _print(body: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(body)
        return
    err_console.print(
        f"Solicitud {body['id']} ({body['reference']}): {body['status']}", highlight=False
    )
    if body.get("status_reason"):
        err_console.print(f"  {body['status_reason']}", highlight=False, markup=False)


@application_app.command("add")
def add_command(
    user: UserOpt,
    source: Annotated[
        Path | None, typer.Argument(help="APPLICATION.json: las columnas de APPLICATIONS.csv.")
    ] = None,
    csv_row: Annotated[
        Path | None, typer.Option("--csv-row", help="Un APPLICATIONS.csv de una sola fila.")
    ] = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Registrar una solicitud y evaluarla con la versión vigente en su fecha."""
    from alianza.corridor.contract import read_json
    from alianza.db import transaction
    from alianza.status import applications, intake

    if (source is None) == (csv_row is None):
        raise InputError.at("APPLICATION.json", "indique un APPLICATION.json o --csv-row ROW.csv")
    if source is not None:
        row = intake.row_from_json(read_json(source, source.name))
    else:
        assert csv_row is not None
        row = intake.row_from_csv(csv_row)
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        body = applications.summary(applications.register(session, node, principal, row))
    _print(body, as_json)
    if not as_json:
        typer.echo(body["id"])


@application_app.command("list")
def list_command(
    user: UserOpt,
    limit: Annotated[int, typer.Option("--limit", help="Cuántas (1 a 1000).")] = 100,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Las solicitudes de su institución, las más nuevas primero."""
    from alianza.status import applications

    if not 1 <= limit <= 1000:
        raise InputError.at("--limit", "entre 1 y 1000")
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with node.sessions() as session:
        rows = [
            applications.summary(a)
            for a in applications.applications(session, principal, limit=limit)
        ]
    if as_json:
        emit_json({"applications": rows})
        return
    table = Table(id_column("solicitud"), "referencia", "programa", "estado", "resultado")
    for r in rows:
        table.add_row(r["id"], r["reference"], r["programme"], r["status"], r["outcome"] or "—")
    console.print(table)


@application_app.command("show")
def show_command(user: UserOpt, application_id: IdArg, data_dir: DirOpt = None,
                 as_json: JsonOpt = False) -> None:  # fmt: skip
    """Una solicitud: su evaluación, decisiones y cambios de estado."""
    from alianza.db import transaction
    from alianza.status import applications

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    # A transaction, not a read: the look is audited.
    with transaction(node.sessions) as session:
        body = applications.detail(
            session, node, principal, _full_id(session, principal, application_id)
        )
    _print(body, as_json)
    if as_json:
        return
    if body["evaluations"]:
        last = body["evaluations"][-1]
        console.print(f"[bold]Recomendación:[/] {last['outcome']}", highlight=False)
        console.print(last["explanation"], markup=False, highlight=False)
    table = Table("de", "a", "quién", "cuándo", "motivo")
    for e in body["events"]:
        table.add_row(e["from"] or "—", e["to"], e["by"], e["at"], e["reason"])
    console.print(table)


@application_app.command("decide")
def decide_command(
    user: UserOpt,
    application_id: IdArg,
    reason: ReasonOpt,
    confirm: Annotated[bool, typer.Option("--confirm", help="Confirmar la recomendación.")] = False,
    override: Annotated[
        str | None, typer.Option("--override", help="Otro resultado: eligible o not_eligible.")
    ] = None,
    removal: Annotated[
        bool,
        typer.Option(
            "--removal",
            help="Marcar la denegación para expulsión: exige un antecedente penal confirmado "
            "por una persona y ningún bloqueo de protección.",
        ),
    ] = False,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Decidir: confirmar la recomendación o cambiarla, siempre con un motivo."""
    from alianza.db import transaction
    from alianza.status import applications, decisions

    if confirm == (override is not None):
        raise InputError.at(
            "--confirm", "indique --confirm o --override RESULTADO (uno de los dos)"
        )
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        full = _full_id(session, principal, application_id)
        decisions.decide(
            session, node, principal, full,
            confirm=confirm, outcome=override, reason=reason, removal=removal,
        )  # fmt: skip
        body = applications.summary(applications.visible_application(session, principal, full))
    _print(body, as_json)


@application_app.command("sign-off")
def sign_off_command(
    user: UserOpt,
    application_id: IdArg,
    note: Annotated[str, typer.Option("--note", help="Nota del supervisor.")] = "",
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Firmar (supervisor) la decisión que espera firma: queda firme."""
    from alianza.db import transaction
    from alianza.status import applications, decisions

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        full = _full_id(session, principal, application_id)
        decisions.sign_off(session, node, principal, full, note=note)
        body = applications.summary(applications.visible_application(session, principal, full))
    _print(body, as_json)


@application_app.command("appeal")
def appeal_command(
    user: UserOpt,
    application_id: IdArg,
    reason: ReasonOpt,
    filed_on: Annotated[
        str | None,
        typer.Option("--filed-on", help="Día en que se presentó (AAAA-MM-DD; por defecto hoy)."),
    ] = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Registrar el recurso contra una decisión firme, dentro de su plazo: se reabre y se
    evalúa de nuevo."""
    from alianza.codes.dates import iso_date
    from alianza.db import transaction
    from alianza.status import applications, decisions

    try:
        filed = iso_date(filed_on) if filed_on is not None else None
    except ValueError as exc:
        raise InputError.at("--filed-on", str(exc)) from None
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        full = _full_id(session, principal, application_id)
        decisions.appeal(session, node, principal, full, reason=reason, filed_on=filed)
        body = applications.summary(applications.visible_application(session, principal, full))
    _print(body, as_json)


@application_app.command("evidence")
def evidence_command(
    user: UserOpt,
    application_id: IdArg,
    source: Annotated[Path, typer.Argument(help="Archivo de evidencia (PDF, JPEG o PNG).")],
    kind: Annotated[str, typer.Option("--kind", help="Tipo de documento (p. ej. pasaporte).")],
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Adjuntar una evidencia (se guardan su tipo, tamaño y SHA-256)."""
    from alianza.db import transaction
    from alianza.status import evidence

    if not source.is_file():
        raise InputError.at("archivo", f"no existe el archivo {shown(str(source), limit=200)}")
    if source.stat().st_size > evidence.MAX_BYTES:
        raise InputError.at(f"archivo {shown(source.name)}", "más de 10 MB")
    content = source.read_bytes()
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        full = _full_id(session, principal, application_id)
        made = evidence.add(
            session, node, principal, full, kind=kind, filename=source.name, content=content
        )
        body = {"id": made.id, "kind": made.kind, "media_type": made.media_type,
                "size": made.size, "sha256": made.sha256}  # fmt: skip
    if as_json:
        emit_json(body)
        return
    err_console.print(f"Evidencia {made.id}: {body['media_type']}, {body['size']:,} bytes")


@application_app.command("letter")
def letter_command(
    user: UserOpt,
    application_id: IdArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="LETTER.pdf")],
    data_dir: DirOpt = None,
) -> None:
    """Emitir la carta de decisión (PDF) de una decisión firme."""
    from alianza.db import transaction
    from alianza.status import letter

    if output.is_dir() or not output.parent.is_dir():
        raise InputError.at("--output", f"no se puede escribir {shown(str(output), limit=200)}")
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        full = _full_id(session, principal, application_id)
        body = letter.letter(session, node, principal, full)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.partial")
    try:
        tmp.write_bytes(body)
        os.replace(tmp, output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError.at("--output", f"no se puede escribir ({exc.strerror or exc})") from None
    err_console.print(f"Carta de decisión en {output.name} ({len(body):,} bytes).")


def _print_checks(rows: list[dict[str, Any]]) -> None:
    table = Table(id_column("consulta"), "nodo", "pregunta", "resultado", "entrega", "revisión")
    for c in rows:
        waiting = "pendiente" if c["result"] == "HIT" else "—"
        table.add_row(
            c["id"], f"{c['agency']} ({c['country']})", c["kind"], c["result"],
            (c["release_request_id"] or "—")[:8], c["review"] or waiting,
        )  # fmt: skip
    console.print(table)


@application_app.command("check")
def check_command(
    user: UserOpt,
    application_id: IdArg,
    legal_basis: Annotated[
        str | None,
        typer.Option("--legal-basis", help="Base legal de la consulta (por defecto la del país)."),
    ] = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Consultar antecedentes penales y alertas (hit/no-hit) en este nodo y los asociados."""
    from alianza.status import flows

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with node.sessions() as session:
        full = _full_id(session, principal, application_id)
    report = flows.run_checks(node, principal, full, legal_basis=legal_basis)
    body = {"application_id": full, "status": report.status, "checks": report.checks}
    if as_json:
        emit_json(body)
        return
    _print_checks(report.checks)
    if report.hits:
        err_console.print(
            f"{report.hits} coincidencia(s): la solicitud {full} queda en revisión "
            "(paused_hit) hasta que una persona revise cada una.",
            highlight=False,
        )
    else:
        err_console.print(f"Sin coincidencias: la solicitud {full} sigue {report.status}.")


def _check_id(session: Any, principal: Any, prefix: str) -> str:
    from sqlalchemy import select

    from alianza.auth.permissions import visible
    from alianza.status.applications import MANAGE
    from alianza.status.models import Application, Check

    mine = select(Application.id).where(visible(principal, MANAGE, Application))
    return by_prefix(
        session,
        column=Check.id,
        visible=Check.application_id.in_(mine),
        prefix=prefix,
        name="CHECK_ID",
        missing=f"No existe la consulta {shown(prefix)}.",
    )


@application_app.command("review-hit")
def review_hit_command(
    user: UserOpt,
    check_id: Annotated[str, typer.Argument(help="Id de la consulta con coincidencia.")],
    verdict: Annotated[
        str,
        typer.Option(
            "--verdict", help="cleared (no es la misma persona) o confirmed (confirmada)."
        ),
    ],
    reason: ReasonOpt,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revisar (supervisor) una coincidencia: descartarla o confirmarla, con un motivo."""
    from alianza.db import transaction
    from alianza.status import applications, checks

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        full = _check_id(session, principal, check_id)
        row = checks.review(session, node, principal, full, verdict=verdict, reason=reason)
        body = applications.summary(
            applications.visible_application(session, principal, row.application_id)
        )
        body["check"] = checks.as_json(row)
    _print(body, as_json)


def register(status_app: typer.Typer) -> None:
    """Add ``alianza status application ...``."""
    status_app.add_typer(application_app, name="application")
