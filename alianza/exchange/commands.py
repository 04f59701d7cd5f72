"""``alianza peer|sync|query``: partner nodes, sync and hit/no-hit on the command line.

Every command that prints a result takes ``--json``: one object on stdout and nothing
else (``cli_support.emit_json``). Request and record ids may be typed as a unique prefix
(``exchange.lookup``) and are always printed whole. Release and consent: ``request_commands``.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

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
from alianza.db import transaction
from alianza.errors import InputError, PeerError
from alianza.exchange import flows, pull, request_commands, service
from alianza.exchange.hits import QueryKind
from alianza.exchange.models import Peer

peer_app = typer.Typer(help="Nodos asociados (interfaces bilaterales).", no_args_is_help=True)
NODE_WIDTH = 15  # "ec-" and twelve hex digits (``node.flows.init_node``)


# ------------------------------------------------------------------ peers


def _peer_json(p: Peer) -> dict[str, Any]:
    return {
        "node_id": p.node_id,
        "country": p.country,
        "agency": p.agency,
        "url": p.url,
        "active": p.active,
        "last_sync_at": p.last_sync_at.isoformat() if p.last_sync_at else None,
        "last_error": p.last_error or None,
    }


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
    as_json: JsonOpt = False,
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
        shown = _peer_json(peer)
    if as_json:
        emit_json(shown)
        return
    console.print(
        f"[green]Nodo asociado registrado[/]: {escape(shown['node_id'])} · "
        f"{escape(shown['agency'])} ({shown['country']}) en {escape(shown['url'])}",
        soft_wrap=True,
    )


@peer_app.command("list")
def peer_list(data_dir: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Lista los nodos asociados y el estado de su última sincronización."""
    node = open_cli_node(data_dir)
    with node.sessions() as session:
        peers = [_peer_json(p) for p in session.scalars(select(Peer).order_by(Peer.node_id))]
    if as_json:
        emit_json({"peers": peers})
        return
    table = Table(
        id_column("nodo", width=NODE_WIDTH),
        "institución",
        "país",
        "URL",
        "última sincronización",
        "error",
    )
    for p in peers:
        table.add_row(
            p["node_id"],
            escape(p["agency"]),
            p["country"],
            escape(p["url"]),
            p["last_sync_at"][:16].replace("T", " ") if p["last_sync_at"] else "nunca",
            escape(p["last_error"] or ""),
        )
    console.print(table)


@peer_app.command("pending-receipts")
def peer_pending(data_dir: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Eliminaciones y retiros que un nodo asociado aún no confirmó con acuse firmado."""
    node = open_cli_node(data_dir)
    with node.sessions() as session:
        pending = pull.pending_acknowledgements(session, node=node)
    if as_json:
        emit_json({"pending": pending})
        return
    table = Table(id_column("nodo", width=NODE_WIDTH), id_column("registro"), "versión", "tipo")
    for p in pending:
        table.add_row(p["peer"], p["record_id"], str(p["version"]), p["kind"])
    console.print(table)
    console.print(f"{len(pending)} sin acuse de recibo.")


# ------------------------------------------------------------------ sync and query


def sync_command(
    peer: Annotated[str | None, typer.Option(help="Solo este nodo asociado.")] = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Trae los cambios de los nodos asociados, sus respuestas, y cruza testigos."""
    node = open_cli_node(data_dir)
    reports = flows.sync_all(node, only=peer)
    failed = sum(1 for r in reports if r.error)
    if as_json:
        emit_json(
            {"reports": [{**dataclasses.asdict(r), "error": r.error or None} for r in reports]}
        )
    else:
        for r in reports:
            if r.error:
                err_console.print(f"[red]✗[/] {r.peer}: {escape(r.error)}", soft_wrap=True)
            else:
                console.print(
                    f"[green]✓[/] {r.peer}: {r.received:,} cambios en {r.pages} páginas, "
                    f"{r.deletions} eliminaciones confirmadas, {r.answers} respuestas, "
                    f"testigo {'sí' if r.witnessed else 'no'}",
                    soft_wrap=True,
                )
    if failed == len(reports) and reports:
        raise PeerError("Ningún nodo asociado respondió.")


def _answer_json(r: dict[str, Any]) -> dict[str, Any]:
    """One peer's answer for scripts: whether it is a HIT and its references, never data."""
    hit = r.get("result") == "HIT"
    hits = [{"ref": str(h["ref"]), "kind": str(h["kind"])} for h in r.get("hits") or []]
    shown: dict[str, Any] = {
        "peer": r["peer"],
        "country": r.get("country"),
        "agency": r.get("agency"),
        "hit": hit,
        "references": [h["ref"] for h in hits] if hit else [],
        "hits": hits if hit else [],
    }
    if r.get("result") not in ("HIT", "NO_HIT"):
        shown["error"] = str(r.get("error") or "sin respuesta")
    return shown


def query_command(
    kind: Annotated[str, typer.Argument(help="person, document, vehicle, container o vessel")],
    user: UserOpt,
    purpose: Annotated[
        str,
        typer.Option(
            help="crime_prevention, investigation, "
            "border_control, port_control, judicial, "
            "missing_person, migration_status"
        ),
    ],
    value: Annotated[str | None, typer.Option(help="Número, patente, contenedor o IMO.")] = None,
    given_names: Annotated[str | None, typer.Option(help="Nombres (persona).")] = None,
    surname_1: Annotated[str | None, typer.Option(help="Primer apellido (persona).")] = None,
    surname_2: Annotated[str | None, typer.Option(help="Segundo apellido (persona).")] = None,
    birth_date: Annotated[str | None, typer.Option(help="AAAA-MM-DD (persona).")] = None,
    peer: Annotated[str | None, typer.Option(help="Solo este nodo asociado.")] = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
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
    if as_json:
        emit_json({"answers": [_answer_json(r) for r in results]})
        return
    for r in results:
        where = f"{escape(str(r['agency']))} ({r['country']}) {r['peer']}"
        if r["result"] == "HIT":
            refs = ", ".join(f"{h['kind']} ref={h['ref']}" for h in r["hits"])
            console.print(f"[bold yellow]HIT[/] en {where}: {escape(refs)}", soft_wrap=True)
        elif r["result"] == "NO_HIT":
            console.print(f"NO-HIT en {where}", soft_wrap=True)
        else:
            err_console.print(
                f"[red]sin respuesta[/] de {r['peer']}: {escape(str(r.get('error')))}",
                soft_wrap=True,
            )


def register(app: typer.Typer) -> None:
    """Add the exchange commands to the main CLI."""
    app.add_typer(peer_app, name="peer")
    app.add_typer(request_commands.release_app, name="release")
    app.add_typer(request_commands.consent_app, name="consent")
    app.command("sync")(sync_command)
    app.command("query")(query_command)
