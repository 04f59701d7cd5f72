"""``alianza node|serve``: create, migrate and describe the node; serve its API."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from alianza.audit import service as audit
from alianza.audit.service import audit_act
from alianza.cli_support import DirOpt, JsonOpt, console, emit_json, open_cli_node, settings_for
from alianza.db import transaction
from alianza.errors import NodeNotInitialised
from alianza.node.context import Node
from alianza.node.flows import init_node
from alianza.records import service as records

node_app = typer.Typer(help="Crear y consultar el nodo.", no_args_is_help=True)
serve_app = typer.Typer()


@node_app.command("init")
def node_init(
    country: Annotated[str, typer.Option(help="País ISO 3166 alfa-2, p. ej. CL o EC.")],
    agency: Annotated[str, typer.Option(help="Institución dueña del nodo, p. ej. PDI.")],
    data_dir: DirOpt = None,
    pkcs11: Annotated[
        str | None,
        typer.Option(
            help="URI RFC 7512 de un token PKCS#11 (HSM, SoftHSM2): la clave se crea y "
            "queda en el token; el archivo de clave guarda solo la URI.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Crea el directorio, la base de datos y el par de claves Ed25519 del nodo."""
    node = init_node(settings_for(data_dir), country=country, agency=agency, pkcs11=pkcs11)
    if as_json:
        emit_json(_identity(node))
        return
    console.print(f"[green]Nodo creado[/]: {node.node_id} · {node.agency} ({node.country})")
    console.print(f"Clave pública Ed25519: {node.key.public_hex}")
    if pkcs11:
        console.print("La clave privada está en el token PKCS#11; no sale de él.")
    console.print(f"Directorio: {node.settings.data_dir.resolve()}")
    console.print("Siguiente paso: 'alianza users add ... --role administrator'.")


@node_app.command("migrate")
def node_migrate(data_dir: DirOpt = None) -> None:
    """Lleva la base de datos del nodo a la última versión del esquema."""
    from alianza.db import migrate

    settings = settings_for(data_dir)
    if not settings.key_path.exists():
        raise NodeNotInitialised(f"No hay nodo en {settings.data_dir}.")
    migrate(settings.sqlalchemy_url)
    node = open_cli_node(data_dir)
    with transaction(node.sessions) as session:
        audit_act(session, node, node.system, "node.migrate", node.node_id, {})
    console.print("[green]Esquema al día.[/]")


def _identity(node: Node) -> dict[str, Any]:
    return {
        "node_id": node.node_id,
        "country": node.country,
        "agency": node.agency,
        "public_key": node.key.public_hex,
        "data_dir": str(node.settings.data_dir.resolve()),
    }


@node_app.command("info")
def node_info(data_dir: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Muestra la identidad del nodo y cuántos registros guarda."""
    node = open_cli_node(data_dir)
    with node.sessions() as session:
        counts = records.count_records(session)
        entries = audit.count_entries(session)
    if as_json:
        emit_json({**_identity(node), "records": counts, "audit_entries": entries})
        return
    console.print(f"Nodo {node.node_id} · {node.agency} ({node.country})")
    console.print(f"Clave pública: {node.key.public_hex}")
    for kind, n in sorted(counts.items()):
        console.print(f"  {kind:<13} {n:>9,}")
    console.print(f"Entradas de auditoría: {entries:,}")


@serve_app.command("serve")
def serve(
    data_dir: DirOpt = None,
    host: Annotated[str | None, typer.Option(help="Dirección de escucha (o ALIANZA_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Puerto (o ALIANZA_PORT).")] = None,
    workers: Annotated[int, typer.Option(help="Procesos servidores (uno por núcleo).")] = 1,
) -> None:
    """Sirve la API del nodo (documentación en /docs)."""
    import os

    import uvicorn

    from alianza.app import served_app

    node = open_cli_node(data_dir)
    host = host or node.settings.host
    port = port or node.settings.port
    console.print(f"API de {node.agency} ({node.country}) en http://{host}:{port}/docs")
    if workers > 1:
        # Each worker process opens the node itself; the rate limit then holds per worker.
        os.environ["ALIANZA_DATA_DIR"] = str(node.settings.data_dir)
        node.close()
        uvicorn.run(
            "alianza.app:served_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
        return
    uvicorn.run(served_app(node), host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    """Add ``alianza node ...`` and ``alianza serve``."""
    app.add_typer(node_app, name="node")
    app.registered_commands.extend(serve_app.registered_commands)
