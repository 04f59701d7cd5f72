"""``alianza peer|sync|query|release|consent``: the exchange on the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from alianza.cli_support import DirOpt, UserOpt, acting, console, err_console, open_cli_node
from alianza.db import transaction
from alianza.errors import InputError, PeerError
from alianza.exchange import feed, flows, release, service
from alianza.exchange.hits import QueryKind
from alianza.exchange.models import Peer

peer_app = typer.Typer(help="Nodos asociados (interfaces bilaterales).", no_args_is_help=True)
release_app = typer.Typer(help="Solicitudes de entrega (paso 2, 48 horas).", no_args_is_help=True)
consent_app = typer.Typer(
    help="Consentimiento para compartir con un tercer país.", no_args_is_help=True
)


@peer_app.command("add")
def peer_add(
    url: Annotated[str, typer.Option(help="URL del nodo asociado, p. ej. http://10.0.0.2:8000")],
    public_key: Annotated[
        str, typer.Option(help="Su clave pública Ed25519 (hex), recibida por un canal aparte.")
    ],
    node_id: Annotated[str | None, typer.Option(help="Su identificador (si no, se lee).")] = None,
    country: Annotated[str | None, typer.Option(help="Su país (si no, se lee).")] = None,
    agency: Annotated[str | None, typer.Option(help="Su institución (si no, se lee).")] = None,
    data_dir: DirOpt = None,
) -> None:
    """Registra un nodo asociado; la clave dada debe coincidir con la que el nodo publica."""
    node = open_cli_node(data_dir)
    if node_id is None or country is None or agency is None:
        info = flows.discover(url)
        if str(info["public_key"]).lower() != public_key.lower():
            raise PeerError(
                f"{url} publica la clave {info['public_key'][:16]}…, distinta de la recibida: "
                "no se registra."
            )
        node_id, country, agency = str(info["node_id"]), str(info["country"]), str(info["agency"])
    with transaction(node.sessions) as session:
        peer = service.add_peer(
            session,
            node=node,
            actor=node.system,
            node_id=node_id,
            country=country,
            agency=agency,
            url=url,
            public_key=public_key,
        )
    console.print(
        f"[green]Nodo asociado registrado[/]: {peer.node_id} · {peer.agency} "
        f"({peer.country}) en {peer.url}"
    )


@peer_app.command("list")
def peer_list(data_dir: DirOpt = None) -> None:
    """Lista los nodos asociados y el estado de su última sincronización."""
    node = open_cli_node(data_dir)
    table = Table("nodo", "institución", "país", "URL", "última sincronización", "error")
    with node.sessions() as session:
        for p in session.scalars(select(Peer).order_by(Peer.node_id)):
            table.add_row(
                p.node_id,
                p.agency,
                p.country,
                p.url,
                f"{p.last_sync_at:%Y-%m-%d %H:%M}" if p.last_sync_at else "nunca",
                p.last_error or "",
            )
    console.print(table)


@peer_app.command("pending-receipts")
def peer_pending(data_dir: DirOpt = None) -> None:
    """Eliminaciones y retiros que un nodo asociado aún no confirmó con acuse firmado."""
    node = open_cli_node(data_dir)
    with node.sessions() as session:
        pending = feed.pending_acknowledgements(session, node=node)
    table = Table("nodo", "registro", "versión", "tipo")
    for p in pending:
        table.add_row(p["peer"], p["record_id"], str(p["version"]), p["kind"])
    console.print(table)
    console.print(f"{len(pending)} sin acuse de recibo.")


def sync_command(
    peer: Annotated[str | None, typer.Option(help="Solo este nodo asociado.")] = None,
    data_dir: DirOpt = None,
) -> None:
    """Trae los cambios de los nodos asociados, sus respuestas, y cruza testigos."""
    node = open_cli_node(data_dir)
    reports = flows.sync_all(node, only=peer)
    failed = 0
    for r in reports:
        if r.error:
            failed += 1
            err_console.print(f"[red]✗[/] {r.peer}: {r.error}")
        else:
            console.print(
                f"[green]✓[/] {r.peer}: {r.received:,} cambios en {r.pages} páginas, "
                f"{r.deletions} eliminaciones confirmadas, {r.answers} respuestas, "
                f"testigo {'sí' if r.witnessed else 'no'}"
            )
    if failed == len(reports) and reports:
        raise PeerError("Ningún nodo asociado respondió.")


def query_command(
    kind: Annotated[str, typer.Argument(help="person, document, vehicle, container o vessel")],
    user: UserOpt,
    purpose: Annotated[
        str,
        typer.Option(
            help="crime_prevention, investigation, "
            "border_control, port_control, judicial, "
            "missing_person"
        ),
    ],
    value: Annotated[str | None, typer.Option(help="Número, patente, contenedor o IMO.")] = None,
    given_names: Annotated[str | None, typer.Option(help="Nombres (persona).")] = None,
    surname_1: Annotated[str | None, typer.Option(help="Primer apellido (persona).")] = None,
    surname_2: Annotated[str | None, typer.Option(help="Segundo apellido (persona).")] = None,
    birth_date: Annotated[str | None, typer.Option(help="AAAA-MM-DD (persona).")] = None,
    peer: Annotated[str | None, typer.Option(help="Solo este nodo asociado.")] = None,
    data_dir: DirOpt = None,
) -> None:
    """Pregunta hit/no-hit a los nodos asociados: nunca trae datos, solo referencias."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    if kind == QueryKind.PERSON.value:
        values = {
            k: v
            for k, v in {
                "given_names": given_names,
                "surname_1": surname_1,
                "surname_2": surname_2,
                "birth_date": birth_date,
            }.items()
            if v
        }
    else:
        field = {
            "document": "number",
            "vehicle": "plate",
            "container": "number",
            "vessel": "imo",
        }.get(kind)
        if field is None:
            raise InputError.at("KIND", f"consulta desconocida '{kind}'")
        if not value:
            raise InputError.at("--value", "indique el número a consultar")
        values = {field: value}
    results = flows.query_peers(
        node, principal=principal, kind=kind, values=values, purpose=purpose, only=peer
    )
    for r in results:
        if r["result"] == "HIT":
            refs = ", ".join(f"{h['kind']} ref={h['ref']}" for h in r["hits"])
            console.print(
                f"[bold yellow]HIT[/] en {r['agency']} ({r['country']}) {r['peer']}: {refs}"
            )
        elif r["result"] == "NO_HIT":
            console.print(f"NO-HIT en {r['agency']} ({r['country']}) {r['peer']}")
        else:
            err_console.print(f"[red]sin respuesta[/] de {r['peer']}: {r.get('error')}")


@release_app.command("request")
def release_request(
    peer: Annotated[str, typer.Option(help="Nodo que dio el HIT.")],
    ref: Annotated[str, typer.Option(help="Referencia del HIT.")],
    purpose: Annotated[str, typer.Option(help="Finalidad.")],
    legal_basis: Annotated[str, typer.Option(help="Base legal.")],
    user: UserOpt,
    kind: Annotated[str, typer.Option(help="Tipo del registro del HIT.")] = "",
    data_dir: DirOpt = None,
) -> None:
    """Pide la entrega de los datos de un HIT (el dueño decide, plazo 48 horas)."""
    node = open_cli_node(data_dir)
    row = flows.request_release(
        node,
        principal=acting(node, user),
        peer_node=peer,
        ref=ref,
        kind=kind,
        purpose=purpose,
        legal_basis=legal_basis,
    )
    console.print(
        f"Solicitud {row.request_id} enviada; plazo hasta {row.due_at:%Y-%m-%d %H:%M} UTC."
    )


def _decide(
    request_id: str,
    user: str,
    data_dir: Path | None,
    *,
    approve: bool,
    remove: list[str],
    reason: str,
) -> None:
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        row = release.decide_release(
            session,
            node=node,
            principal=principal,
            request_id=request_id,
            approve=approve,
            remove_fields=remove,
            reason=reason,
        )
        status = row.status
    console.print(f"Solicitud {request_id}: {status}.")


@release_app.command("approve")
def release_approve(
    request_id: Annotated[str, typer.Argument(help="Solicitud.")],
    user: UserOpt,
    remove_field: Annotated[
        list[str] | None, typer.Option(help="Campo a quitar (repetible).")
    ] = None,
    data_dir: DirOpt = None,
) -> None:
    """Aprueba la entrega, con todos los campos o quitando algunos."""
    _decide(request_id, user, data_dir, approve=True, remove=remove_field or [], reason="")


@release_app.command("refuse")
def release_refuse(
    request_id: Annotated[str, typer.Argument(help="Solicitud.")],
    user: UserOpt,
    reason: Annotated[str, typer.Option(help="Motivo de la negativa.")],
    data_dir: DirOpt = None,
) -> None:
    """Niega la entrega con un motivo."""
    _decide(request_id, user, data_dir, approve=False, remove=[], reason=reason)


@release_app.command("list")
def release_list(
    user: UserOpt,
    overdue: Annotated[bool, typer.Option(help="Solo las vencidas.")] = False,
    data_dir: DirOpt = None,
) -> None:
    """Solicitudes enviadas y recibidas, con el reloj de 48 horas."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    now = datetime.now(UTC)
    table = Table("solicitud", "sentido", "nodo", "tipo", "estado", "horas restantes", "finalidad")
    shown = []
    with transaction(node.sessions) as session:
        for row in release.list_releases(session, node=node, principal=principal, overdue=overdue):
            left = release.hours_left(row, now)
            clock = (
                f"[red]vencida ({-left:.0f} h)[/]"
                if release.is_overdue(row, now)
                else f"{left:.0f}"
                if row.status == "pending"
                else "-"
            )
            table.add_row(
                row.request_id,
                "enviada" if row.direction == "out" else "recibida",
                row.peer_node,
                row.kind,
                row.status,
                clock,
                escape(row.purpose),
            )
            payload = release.answer_payload(row)
            if row.direction == "out" and payload and payload.get("data"):
                shown.append((row.request_id, payload["data"]))
    console.print(table)
    for request_id, data in shown:
        # Released data in full (never cut): one block per approved request.
        console.print(f"[bold]Datos entregados[/] ({request_id}):")
        console.print_json(json.dumps(data, ensure_ascii=False))


@consent_app.command("request")
def consent_request(
    record_id: Annotated[str, typer.Argument(help="Copia recibida de otro nodo.")],
    third_country: Annotated[str, typer.Option(help="País con el que se quiere compartir.")],
    purpose: Annotated[str, typer.Option(help="Finalidad.")],
    user: UserOpt,
    data_dir: DirOpt = None,
) -> None:
    """Pide al dueño permiso para que un tercer país vea su registro (nunca se reenvía)."""
    node = open_cli_node(data_dir)
    row = flows.request_consent(
        node,
        principal=acting(node, user),
        record_id=record_id,
        third_country=third_country,
        purpose=purpose,
    )
    console.print(f"Solicitud de consentimiento {row.request_id} enviada a {row.peer_node}.")


@consent_app.command("decide")
def consent_decide(
    request_id: Annotated[str, typer.Argument(help="Solicitud recibida.")],
    user: UserOpt,
    approve: Annotated[bool, typer.Option("--approve/--refuse", help="Aprobar o negar.")],
    reason: Annotated[str, typer.Option(help="Motivo (obligatorio al negar).")] = "",
    data_dir: DirOpt = None,
) -> None:
    """El dueño aprueba (amplía el alcance de su registro) o niega."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        row = release.decide_consent(
            session,
            node=node,
            principal=principal,
            request_id=request_id,
            approve=approve,
            reason=reason,
        )
        status = row.status
    console.print(f"Consentimiento {request_id}: {status}.")


@consent_app.command("list")
def consent_list(user: UserOpt, data_dir: DirOpt = None) -> None:
    """Solicitudes de consentimiento enviadas y recibidas."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    table = Table("solicitud", "sentido", "nodo", "registro", "tercer país", "estado")
    with transaction(node.sessions) as session:
        for r in release.list_consents(session, node=node, principal=principal):
            table.add_row(
                r.request_id,
                "enviada" if r.direction == "out" else "recibida",
                r.peer_node,
                r.record_id,
                r.third_country,
                r.status,
            )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the exchange commands to the main CLI."""
    app.add_typer(peer_app, name="peer")
    app.add_typer(release_app, name="release")
    app.add_typer(consent_app, name="consent")
    app.command("sync")(sync_command)
    app.command("query")(query_command)
