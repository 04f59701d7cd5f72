"""``alianza corridor manifest ...`` and ``alianza corridor checkin ...``: manifests sent to
the countries of the route and received from them, and check-ins at border posts
(``manifests.py``, ``checkins.py`` and ``flows.py`` hold every rule; these commands read
options and print).

    alianza corridor manifest send --departure D --to NODE --date YYYY-MM-DD
        --purpose TEXT --legal-basis TEXT --user U [--json]
    alianza corridor manifest send --retry ID --user U
    alianza corridor manifest list --user U [--received] [--json]
    alianza corridor manifest show ID --user U [--json]          (a received one)
    alianza corridor checkin add (--person REF | --document DOC) --kind K --stop S
        [--at ISO] [--note TEXT] --user U [--json]
    alianza corridor checkin list --user U [--person REF] [--pending] [--json]
    alianza corridor checkin sync --to NODE --user U [--json]
    alianza corridor checkin conflicts --user U [--all] [--json]
    alianza corridor checkin settle ID --decision TEXT --user U
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import typer
from rich.table import Table

from alianza.cli_support import (
    DirOpt,
    JsonOpt,
    UserOpt,
    acting,
    console,
    emit_json,
    err_console,
    id_column,
    open_cli_node,
)
from alianza.errors import InputError, PeerError

manifest_app = typer.Typer(
    help="Manifiestos del corredor: enviados a los países de la ruta y recibidos de ellos.",
    no_args_is_help=True,
)
checkin_app = typer.Typer(
    help="Registros de paso en la ruta (embarque, cruce, llegada), también sin conexión.",
    no_args_is_help=True,
)


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError.at(option, f"fecha inválida '{value}' (use AAAA-MM-DD)") from None


def _moment(value: str | None, option: str) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError.at(
            option, f"hora inválida '{value}' (use AAAA-MM-DDTHH:MM±HH:MM)"
        ) from None
    if moment.tzinfo is None:
        raise InputError.at(option, "la hora debe llevar zona horaria (p. ej. -05:00)")
    return moment


@manifest_app.command("send")
def send_command(
    user: UserOpt,
    departure: Annotated[str | None, typer.Option("--departure", help="Salida del plan.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Nodo del país del tramo.")] = None,
    leg_date: Annotated[str | None, typer.Option("--date", help="Fecha del tramo.")] = None,
    purpose: Annotated[str, typer.Option("--purpose", help="Finalidad.")] = (
        "Tránsito y recepción del retorno voluntario (corredor humanitario)"
    ),
    legal_basis: Annotated[str | None, typer.Option("--legal-basis", help="Base legal.")] = None,
    retry: Annotated[
        str | None, typer.Option("--retry", help="Reenviar un manifiesto pendiente.")
    ] = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Enviar el manifiesto de una salida al nodo de un país del tramo, con acuse firmado."""
    from alianza.corridor import flows, manifests
    from alianza.db import transaction

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    if retry is None:
        missing = [
            name
            for name, value in (
                ("--departure", departure),
                ("--to", to),
                ("--date", leg_date),
                ("--legal-basis", legal_basis),
            )
            if not value
        ]
        if missing:
            raise InputError.at(missing[0], "obligatorio (o --retry ID para reenviar)")
        assert departure and to and leg_date and legal_basis
        with transaction(node.sessions) as session:
            row = manifests.prepare(
                session,
                node,
                principal,
                departure=departure,
                peer_node=to,
                leg_date=_date(leg_date, "--date"),
                purpose=purpose,
                legal_basis=legal_basis,
            )
            manifest_id = row.id
    else:
        manifest_id = retry.strip()
    try:
        row = flows.deliver_manifest(node, principal, manifest_id=manifest_id)
    except PeerError as exc:
        if as_json:
            emit_json({"id": manifest_id, "status": "pending", "error": exc.message})
        raise
    body = manifests.view(row)
    if as_json:
        emit_json(body)
        return
    err_console.print(
        f"Manifiesto {row.id}: {body['persons']} personas a {row.peer_node} "
        f"({row.to_agency}, {row.to_country}); acuse firmado recibido."
    )
    typer.echo(row.id)


@manifest_app.command("list")
def list_command(
    user: UserOpt,
    received: Annotated[bool, typer.Option("--received", help="Los recibidos.")] = False,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Los manifiestos enviados por su institución (o recibidos por ella)."""
    from alianza.corridor import manifests

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with node.sessions() as session:
        rows = (
            [manifests.view(r) for r in manifests.received_list(session, principal)]
            if received
            else [manifests.view(r) for r in manifests.sent_list(session, principal)]
        )
    if as_json:
        emit_json({"manifests": rows})
        return
    if received:
        table = Table(id_column("manifiesto"), "de", "salida", "tramo", "personas", "hasta")
        for r in rows:
            kept = "borrado" if r["erased_at"] else r["retain_until"]
            table.add_row(
                r["id"], r["sender"], r["departure"], r["leg_date"], str(r["persons"]), kept
            )
    else:
        table = Table(id_column("manifiesto"), "a", "salida", "tramo", "personas", "estado")
        for r in rows:
            state = "acusado" if r["status"] == "acknowledged" else f"pendiente {r['error'] or ''}"
            table.add_row(r["id"], r["to"], r["departure"], r["leg_date"], str(r["persons"]), state)
    console.print(table)


@manifest_app.command("show")
def show_command(
    manifest_id: Annotated[str, typer.Argument(help="Id del manifiesto recibido.")],
    user: UserOpt,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Un manifiesto recibido, con sus personas (la consulta queda auditada)."""
    from alianza.corridor import manifests
    from alianza.db import transaction

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        row = manifests.received(session, node, principal, manifest_id.strip())
        body = {**manifests.view(row), "persons": manifests.persons_of(row)}
    if as_json:
        emit_json(body)
        return
    err_console.print(
        f"Manifiesto {body['id']} de {body['sender']} ({body['from_agency']}): salida "
        f"{body['departure']}, tramo del {body['leg_date']}. Base legal: {body['legal_basis']}."
    )
    table = Table("ref", "nombre", "documento", "nacionalidad", "nacimiento")
    for p in body["persons"]:
        name = " ".join(str(p[k]) for k in ("given_names", "surname_1", "surname_2") if p.get(k))
        table.add_row(
            p["ref"], name, p.get("document_number") or "—", p.get("nationality") or "—",
            p.get("birth_date") or "—",
        )  # fmt: skip
    console.print(table)


@checkin_app.command("add")
def add_command(
    user: UserOpt,
    kind: Annotated[
        str, typer.Option("--kind", help="boarded, crossed, arrived, missing, medical_incident.")
    ],
    stop: Annotated[str, typer.Option("--stop", help="Dónde (parada o paso fronterizo).")],
    person: Annotated[str | None, typer.Option("--person", help="Ref. del manifiesto.")] = None,
    document: Annotated[str | None, typer.Option("--document", help="Nº de documento.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Hora (por defecto, ahora).")] = None,
    note: Annotated[str, typer.Option("--note", help="Observación.")] = "",
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Registrar un paso (funciona sin conexión: se sincroniza después)."""
    from alianza.corridor import checkins
    from alianza.db import transaction

    if (person is None) == (document is None):
        raise InputError.at("--person", "indique --person o --document (uno de los dos)")
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    moment = _moment(at, "--at")
    with transaction(node.sessions) as session:
        ref = person or checkins.by_document(session, node, principal, document or "")
        row = checkins.record(
            session, node, principal, person=ref, kind=kind, stop=stop, at=moment, note=note
        )
        body = checkins.view(row)
        open_conflicts = [
            checkins.conflict_view(c)
            for c in checkins.conflicts(session, principal)
            if row.id in (c.first_id, c.second_id)
        ]
    body["conflicts"] = open_conflicts
    if as_json:
        emit_json(body)
        return
    err_console.print(f"Registrado: {checkins.KIND_LABELS[body['kind']]} en {body['stop']}.")
    for c in open_conflicts:
        err_console.print(f"[yellow]Conflicto {c['id']}[/]: {c['reason']}", highlight=False)
    typer.echo(body["id"])


@checkin_app.command("list")
def checkin_list_command(
    user: UserOpt,
    person: Annotated[str | None, typer.Option("--person", help="Una persona.")] = None,
    pending_only: Annotated[
        bool, typer.Option("--pending", help="Solo los aún no sincronizados.")
    ] = False,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Los registros de paso (de una persona, o los últimos)."""
    from alianza.corridor import checkins

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with node.sessions() as session:
        rows = (
            checkins.checkins_of(session, principal, person.strip())
            if person
            else checkins.recent(session, principal)
        )
        body = [checkins.view(r) for r in rows if not pending_only or r.pushed_at is None]
    if as_json:
        emit_json({"checkins": body})
        return
    table = Table("persona", "qué", "dónde", "cuándo", "hecho en", "sincronizado")
    for r in body:
        synced = r["pushed_at"] or ("—" if r["made_at_node"] != node.node_id else "pendiente")
        table.add_row(
            r["person"][:8], checkins.KIND_LABELS[r["kind"]], r["stop"], r["at"],
            r["made_at_node"], synced if not r["push_error"] else f"rechazado: {r['push_error']}",
        )  # fmt: skip
    console.print(table)


@checkin_app.command("sync")
def sync_command(
    user: UserOpt,
    to: Annotated[str, typer.Option("--to", help="Nodo nacional.")],
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Enviar al nodo nacional los registros hechos aquí (lo pendiente sigue guardado)."""
    from alianza.corridor import flows

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    report = flows.push_checkins(node, principal, peer_node=to.strip())
    body = {
        "sent": report.sent,
        "accepted": report.accepted,
        "refused": report.refused,
        "conflicts": report.conflicts,
        "pending": report.pending,
        "error": report.error,
    }
    if as_json:
        emit_json(body)
    else:
        err_console.print(
            f"Enviados {report.sent}, aceptados {report.accepted}, rechazados "
            f"{len(report.refused)}, conflictos detectados {report.conflicts}; "
            f"pendientes {report.pending}."
        )
    if report.error:
        raise PeerError(
            f"Sin conexión con {to}: {report.error}. {report.pending} registros siguen "
            "guardados aquí y se enviarán en la próxima sincronización."
        )


@checkin_app.command("conflicts")
def conflicts_command(
    user: UserOpt,
    show_all: Annotated[bool, typer.Option("--all", help="También los resueltos.")] = False,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Registros de una misma persona que se contradicen, para que alguien decida."""
    from alianza.corridor import checkins

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with node.sessions() as session:
        rows = [
            checkins.conflict_view(c)
            for c in checkins.conflicts(session, principal, open_only=not show_all)
        ]
    if as_json:
        emit_json({"conflicts": rows})
        return
    table = Table(id_column("conflicto"), "persona", "motivo", "estado")
    for c in rows:
        table.add_row(c["id"], c["person"][:8], c["reason"], c["status"])
    console.print(table)


@checkin_app.command("settle")
def settle_command(
    conflict_id: Annotated[str, typer.Argument(help="Id del conflicto.")],
    decision: Annotated[str, typer.Option("--decision", help="Qué pasó, y por qué.")],
    user: UserOpt,
    data_dir: DirOpt = None,
) -> None:
    """Resolver un conflicto (ambos registros se conservan tal como se hicieron)."""
    from alianza.corridor import checkins
    from alianza.db import transaction

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        row = checkins.settle(
            session, node, principal, conflict_id=conflict_id.strip(), decision=decision
        )
        err_console.print(f"Conflicto {row.id} resuelto por {row.settled_by}.")


def register(corridor_app: typer.Typer) -> None:
    """Add ``manifest`` and ``checkin`` to ``alianza corridor``."""
    corridor_app.add_typer(manifest_app, name="manifest")
    corridor_app.add_typer(checkin_app, name="checkin")
