"""``alianza release|consent``: Prüm's step 2 and consent for re-sharing, from the console.

Ids are accepted as unique prefixes (``exchange.lookup``) and printed whole; every command
that prints a result takes ``--json`` (one JSON object on stdout, for scripts).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from alianza.auth.permissions import Action, authorize, visible_clause
from alianza.cli_support import (
    DirOpt,
    JsonOpt,
    UserOpt,
    acting,
    by_prefix,
    console,
    emit_json,
    id_column,
    open_cli_node,
)
from alianza.db import transaction
from alianza.exchange import flows, lookup, release
from alianza.exchange.models import ConsentRequest, ReleaseRequest
from alianza.records.models import Record

release_app = typer.Typer(help="Solicitudes de entrega (paso 2, 48 horas).", no_args_is_help=True)
consent_app = typer.Typer(
    help="Consentimiento para compartir con un tercer país.", no_args_is_help=True
)

REQUEST_HELP = "Solicitud: su identificador o un prefijo único (al menos 4 caracteres)."
NODE_WIDTH = 15  # "ec-" and twelve hex digits (``node.flows.init_node``)


# ------------------------------------------------------------------ release requests


def _removed(row: ReleaseRequest) -> list[str]:
    return [f for f in row.removed_fields.split(",") if f]


def _release_json(row: ReleaseRequest) -> dict[str, Any]:
    """A release request for scripts: ``data`` is what was released, whole (``{}`` when
    nothing was, or the copy was erased after a retraction or its review date)."""
    payload = release.answer_payload(row)
    approved = payload is not None and payload.get("status") == "approved"
    data = payload.get("data") if payload is not None and approved else None
    return {
        "request_id": row.request_id,
        "status": row.status,
        "data": data if isinstance(data, dict) else {},
        "direction": row.direction,
        "peer": row.peer_node,
        "kind": row.kind,
        "removed_fields": _removed(row),
        "owner_rules": release.owner_rules(payload) if payload is not None else None,
    }


@release_app.command("request")
def release_request(
    peer: Annotated[str, typer.Option(help="Nodo que dio el HIT.")],
    ref: Annotated[str, typer.Option(help="Referencia del HIT.")],
    purpose: Annotated[str, typer.Option(help="Finalidad.")],
    legal_basis: Annotated[str, typer.Option(help="Base legal.")],
    user: UserOpt,
    kind: Annotated[str, typer.Option(help="Tipo del registro del HIT.")] = "",
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
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
    if as_json:
        emit_json({"request_id": row.request_id, "due_at": row.due_at.isoformat()})
        return
    console.print(
        f"Solicitud {row.request_id} enviada; plazo hasta {row.due_at:%Y-%m-%d %H:%M} UTC.",
        soft_wrap=True,
    )


def _decide(
    request_id: str,
    user: str,
    data_dir: Path | None,
    *,
    approve: bool,
    remove: list[str],
    reason: str,
    as_json: bool,
) -> None:
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        full = lookup.find_release(
            session, principal=principal, request_id=request_id, direction="in"
        ).request_id
        row = release.decide_release(
            session,
            node=node,
            principal=principal,
            request_id=full,
            approve=approve,
            remove_fields=remove,
            reason=reason,
        )
        shown = {"request_id": full, "status": row.status, "removed_fields": _removed(row)}
    if as_json:
        emit_json(shown)
        return
    console.print(f"Solicitud {full}: {shown['status']}.", soft_wrap=True)


@release_app.command("approve")
def release_approve(
    request_id: Annotated[str, typer.Argument(help=REQUEST_HELP)],
    user: UserOpt,
    remove_field: Annotated[
        list[str] | None, typer.Option(help="Campo a quitar (repetible).")
    ] = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Aprueba la entrega, con todos los campos o quitando algunos."""
    _decide(
        request_id,
        user,
        data_dir,
        approve=True,
        remove=remove_field or [],
        reason="",
        as_json=as_json,
    )


@release_app.command("refuse")
def release_refuse(
    request_id: Annotated[str, typer.Argument(help=REQUEST_HELP)],
    user: UserOpt,
    reason: Annotated[str, typer.Option(help="Motivo de la negativa.")],
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Niega la entrega con un motivo."""
    _decide(request_id, user, data_dir, approve=False, remove=[], reason=reason, as_json=as_json)


@release_app.command("retract")
def release_retract(
    request_id: Annotated[str, typer.Argument(help=REQUEST_HELP)],
    user: UserOpt,
    reason: Annotated[str, typer.Option(help="Por qué se retira la entrega.")],
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Retira una entrega aprobada: el nodo que la recibió la borra y devuelve un recibo firmado."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        full = lookup.find_release(
            session, principal=principal, request_id=request_id, direction="in"
        ).request_id
        row = release.retract_release(
            session, node=node, principal=principal, request_id=full, reason=reason
        )
        shown = {"request_id": full, "status": row.status, "peer": row.peer_node}
    if as_json:
        emit_json(shown)
        return
    console.print(
        f"Entrega {full} retirada: {shown['peer']} la borrará en su próxima sincronización.",
        soft_wrap=True,
    )


@release_app.command("show")
def release_show(
    request_id: Annotated[str, typer.Argument(help=REQUEST_HELP)],
    user: UserOpt,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Muestra una solicitud de entrega y los datos entregados, completos."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        row = lookup.show_release(session, node=node, principal=principal, request_id=request_id)
        shown = _release_json(row)
        header = {
            "solicitud": row.request_id,
            "sentido": "enviada" if row.direction == "out" else "recibida",
            "nodo": row.peer_node,
            "tipo": row.kind,
            "estado": row.status,
            "finalidad": row.purpose,
            "base legal": row.legal_basis,
            "pedida por": row.requested_by,
            "decidida por": row.decided_by or "-",
            "motivo": row.reason,
            "campos quitados": ", ".join(shown["removed_fields"]) or "ninguno",
        }
    if as_json:
        emit_json(shown)
        return
    # Printed as lines that are never wrapped nor cut: a value is shown whole, however long.
    for label, value in header.items():
        if value:
            console.print(f"[bold]{label}[/]: {escape(value)}", soft_wrap=True, highlight=False)
    rules = shown["owner_rules"] or {}
    handling = rules.get("handling_code")
    if handling:
        note = rules.get("handling_note")
        text = f"{handling} ({note})" if note else str(handling)
        console.print(f"[bold]código de manejo[/]: {escape(text)}", soft_wrap=True)
    if not shown["data"]:
        console.print("Sin datos entregados.", soft_wrap=True)
        return
    console.print("[bold]Datos entregados[/]:")
    for field, value in shown["data"].items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        console.print(f"  {escape(field)}: {escape(text)}", soft_wrap=True, highlight=False)


@release_app.command("list")
def release_list(
    user: UserOpt,
    overdue: Annotated[bool, typer.Option(help="Solo las vencidas.")] = False,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Solicitudes enviadas y recibidas, con el reloj de 48 horas."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    now = datetime.now(UTC)
    table = Table(
        id_column("solicitud"),
        "sentido",
        id_column("nodo", width=NODE_WIDTH),
        "tipo",
        "estado",
        "horas restantes",
        "finalidad",
    )
    listed: list[dict[str, Any]] = []
    with transaction(node.sessions) as session:
        for row in release.list_releases(session, node=node, principal=principal, overdue=overdue):
            left = release.hours_left(row, now)
            late = release.is_overdue(row, now)
            listed.append(
                {
                    **_release_json(row),
                    "purpose": row.purpose,
                    "due_at": row.due_at.isoformat(),
                    "hours_left": round(left, 1),
                    "overdue": late,
                }
            )
            clock = (
                f"[red]vencida ({-left:.0f} h)[/]"
                if late
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
    if as_json:
        emit_json({"requests": listed})
        return
    console.print(table)
    for item in listed:
        if item["direction"] == "out" and item["data"]:
            # Released data in full (never cut): one block per approved request.
            console.print(f"[bold]Datos entregados[/] ({item['request_id']}):", soft_wrap=True)
            console.print_json(json.dumps(item["data"], ensure_ascii=False))


# ------------------------------------------------------------------ consent requests


def _consent_json(row: ConsentRequest) -> dict[str, Any]:
    return {
        "request_id": row.request_id,
        "status": row.status,
        "direction": row.direction,
        "peer": row.peer_node,
        "record_id": row.record_id,
        "third_country": row.third_country,
        "purpose": row.purpose,
        "decided_by": row.decided_by or None,
        "reason": row.reason or None,
    }


@consent_app.command("request")
def consent_request(
    record_id: Annotated[
        str, typer.Argument(help="Copia recibida de otro nodo (su id o un prefijo único).")
    ],
    third_country: Annotated[str, typer.Option(help="País con el que se quiere compartir.")],
    purpose: Annotated[str, typer.Option(help="Finalidad.")],
    user: UserOpt,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pide al dueño permiso para que un tercer país vea su registro (nunca se reenvía)."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    authorize(principal, Action.QUERY_PEERS)
    with node.sessions() as session:
        full = by_prefix(
            session,
            column=Record.id,
            visible=visible_clause(principal, Record),
            prefix=record_id,
            name="RECORD_ID",
            missing=f"No hay una copia recibida {record_id.strip()}: solo se piden "
            "consentimientos para registros de otros nodos.",
        )
    row = flows.request_consent(
        node,
        principal=principal,
        record_id=full,
        third_country=third_country,
        purpose=purpose,
    )
    if as_json:
        emit_json({"request_id": row.request_id, "peer": row.peer_node, "record_id": full})
        return
    console.print(
        f"Solicitud de consentimiento {row.request_id} enviada a {row.peer_node}.",
        soft_wrap=True,
    )


@consent_app.command("decide")
def consent_decide(
    request_id: Annotated[str, typer.Argument(help=REQUEST_HELP)],
    user: UserOpt,
    approve: Annotated[bool, typer.Option("--approve/--refuse", help="Aprobar o negar.")],
    reason: Annotated[str, typer.Option(help="Motivo (obligatorio al negar).")] = "",
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """El dueño aprueba (amplía el alcance de su registro) o niega."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        full = lookup.find_consent(
            session, principal=principal, request_id=request_id, direction="in"
        ).request_id
        row = release.decide_consent(
            session,
            node=node,
            principal=principal,
            request_id=full,
            approve=approve,
            reason=reason,
        )
        status = row.status
    if as_json:
        emit_json({"request_id": full, "status": status})
        return
    console.print(f"Consentimiento {full}: {status}.", soft_wrap=True)


@consent_app.command("list")
def consent_list(user: UserOpt, data_dir: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Solicitudes de consentimiento enviadas y recibidas."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        listed = [
            _consent_json(r) for r in release.list_consents(session, node=node, principal=principal)
        ]
    if as_json:
        emit_json({"requests": listed})
        return
    table = Table(
        id_column("solicitud"),
        "sentido",
        id_column("nodo", width=NODE_WIDTH),
        id_column("registro"),
        "tercer país",
        "estado",
    )
    for r in listed:
        table.add_row(
            r["request_id"],
            "enviada" if r["direction"] == "out" else "recibida",
            r["peer"],
            r["record_id"],
            r["third_country"],
            r["status"],
        )
    console.print(table)
