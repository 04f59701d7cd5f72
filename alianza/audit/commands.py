"""``alianza audit``: verify the chain, sign its head."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from alianza.audit import service as audit
from alianza.cli_support import DirOpt, console, open_cli_node
from alianza.db import transaction
from alianza.errors import IntegrityFailure

audit_app = typer.Typer(help="Registro de auditoría encadenado.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    data_dir: DirOpt = None,
    witnesses: Annotated[
        bool, typer.Option("--witnesses", help="Preguntar también a cada nodo asociado.")
    ] = False,
    max_head_age: Annotated[
        int,
        typer.Option(
            "--max-head-age",
            min=0,
            max=10**6,
            help="Falla si la cabeza se firmó hace más de estos minutos (0: no se exige; "
            "con el servidor en marcha se firma cada 5 minutos).",
        ),
    ] = 0,
) -> None:
    """Recalcula la cadena, verifica los puntos de control firmados y las contrafirmas."""
    from alianza.exchange.witness import check_witnesses, remote_heads

    node = open_cli_node(data_dir)
    with node.sessions() as session:
        report = audit.verify_chain(
            session,
            public_key=node.key.public_hex,
            node_id=node.node_id,
            checkpoint_every=node.settings.checkpoint_every,
            max_head_age=timedelta(minutes=max_head_age) if max_head_age else None,
        )
    if not report.ok:
        raise IntegrityFailure(f"auditoría alterada: {report.problems[0]}")
    remote = remote_heads(node) if witnesses else None
    with node.sessions() as session:
        witnessed = check_witnesses(session, node=node, remote=remote)
    if witnessed.problems:
        raise IntegrityFailure(f"auditoría bifurcada: {witnessed.problems[0]}")
    console.print(
        f"[green]✓[/] cadena íntegra: {report.entries:,} entradas, "
        f"{report.checkpoints:,} puntos de control firmados, "
        f"{witnessed.checked:,} atestiguaciones de nodos asociados coherentes; "
        f"cabeza firmada el {report.head_signed_at}."
    )


@audit_app.command("checkpoint")
def audit_checkpoint(data_dir: DirOpt = None) -> None:
    """Firma ahora la cabeza de la cadena."""
    node = open_cli_node(data_dir)
    with transaction(node.sessions) as session:
        cp = audit.checkpoint(session, key=node.key, node_id=node.node_id)
    console.print(f"Punto de control firmado en la entrada {cp.seq}.")


def register(app: typer.Typer) -> None:
    """Add ``alianza audit ...``."""
    app.add_typer(audit_app, name="audit")
