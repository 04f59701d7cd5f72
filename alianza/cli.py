"""The ``alianza`` command line (Typer). Commands are thin: they call services.

Every error we raise becomes one readable line on stderr and the exit code of its class
(``alianza.errors``); a stack trace means a bug of ours.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from alianza.audit import service as audit
from alianza.audit.service import audit_act
from alianza.auth import service as auth
from alianza.cli_support import (
    DirOpt,
    UserOpt,
    acting,
    console,
    err_console,
    open_cli_node,
    settings_for,
)
from alianza.db import transaction
from alianza.errors import AlianzaError, InputError, IntegrityFailure, NodeNotInitialised
from alianza.exchange import commands as exchange_commands
from alianza.identity import commands as identity_commands
from alianza.node.service import init_node
from alianza.records import review
from alianza.records import service as records
from alianza.records.importer import import_items
from alianza.records.versions import verify_versions
from alianza.screening import commands as screening_commands

app = typer.Typer(
    help="alianza: nodo de cooperación en seguridad y migración.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
node_app = typer.Typer(help="Crear y consultar el nodo.", no_args_is_help=True)
users_app = typer.Typer(help="Usuarios, roles y tokens.", no_args_is_help=True)
records_app = typer.Typer(help="Registros: importar, exportar, revisar.", no_args_is_help=True)
audit_app = typer.Typer(help="Registro de auditoría encadenado.", no_args_is_help=True)
app.add_typer(node_app, name="node")
app.add_typer(users_app, name="users")
app.add_typer(records_app, name="records")
app.add_typer(audit_app, name="audit")
exchange_commands.register(app)
identity_commands.register(app)
screening_commands.register(app)

# ---------------------------------------------------------------- node


@node_app.command("init")
def node_init(
    country: Annotated[str, typer.Option(help="País ISO 3166 alfa-2, p. ej. CL o EC.")],
    agency: Annotated[str, typer.Option(help="Institución dueña del nodo, p. ej. PDI.")],
    data_dir: DirOpt = None,
) -> None:
    """Crea el directorio, la base de datos y el par de claves Ed25519 del nodo."""
    node = init_node(settings_for(data_dir), country=country, agency=agency)
    console.print(f"[green]Nodo creado[/]: {node.node_id} · {node.agency} ({node.country})")
    console.print(f"Clave pública Ed25519: {node.key.public_hex}")
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
        audit_act(session, node, "consola", "node.migrate", node.node_id, {})
    console.print("[green]Esquema al día.[/]")


@node_app.command("info")
def node_info(data_dir: DirOpt = None) -> None:
    """Muestra la identidad del nodo y cuántos registros guarda."""
    node = open_cli_node(data_dir)
    with node.sessions() as session:
        counts = records.count_records(session)
        entries = audit.count_entries(session)
    console.print(f"Nodo {node.node_id} · {node.agency} ({node.country})")
    console.print(f"Clave pública: {node.key.public_hex}")
    for kind, n in sorted(counts.items()):
        console.print(f"  {kind:<13} {n:>9,}")
    console.print(f"Entradas de auditoría: {entries:,}")


@app.command("serve")
def serve(
    data_dir: DirOpt = None,
    host: Annotated[str, typer.Option(help="Dirección de escucha.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Puerto.")] = 8000,
    workers: Annotated[int, typer.Option(help="Procesos servidores (uno por núcleo).")] = 1,
) -> None:
    """Sirve la API del nodo (documentación en /docs)."""
    import os

    import uvicorn

    from alianza.app import served_app

    node = open_cli_node(data_dir)
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


# ---------------------------------------------------------------- users


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Option(help="Nombre de usuario (minúsculas).")],
    role: Annotated[
        str,
        typer.Option(
            help="analyst, border_officer, port_analyst, caseworker, supervisor o administrator."
        ),
    ],
    agency: Annotated[
        str | None, typer.Option(help="Institución (por defecto la del nodo).")
    ] = None,
    country: Annotated[str | None, typer.Option(help="País (por defecto el del nodo).")] = None,
    full_name: Annotated[str, typer.Option(help="Nombre completo.")] = "",
    password_stdin: Annotated[bool, typer.Option(help="Leer la contraseña de stdin.")] = False,
    token_days: Annotated[int, typer.Option(help="Vigencia del token inicial, días.")] = 30,
    data_dir: DirOpt = None,
) -> None:
    """Crea un usuario y muestra su primer token de API (una sola vez)."""
    node = open_cli_node(data_dir)
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with transaction(node.sessions) as session:
        user = auth.add_user(
            session,
            username=username,
            full_name=full_name,
            country=country or node.country,
            agency=agency or node.agency,
            role=role,
            password=password,
        )
        token, expires = auth.issue_token(session, user=user, ttl_days=token_days)
        audit_act(
            session,
            node,
            "consola",
            "user.add",
            user.username,
            {"role": user.role, "agency": user.agency, "country": user.country},
        )
    console.print(
        f"[green]Usuario creado[/]: {user.username} · {user.role} · {user.agency} ({user.country})"
    )
    console.print(f"Token (vence {expires:%Y-%m-%d}): {token}")


@users_app.command("token")
def users_token(
    username: Annotated[str, typer.Option(help="Usuario.")],
    days: Annotated[int, typer.Option(help="Vigencia en días.")] = 30,
    data_dir: DirOpt = None,
) -> None:
    """Emite un nuevo token de API para un usuario."""
    node = open_cli_node(data_dir)
    with transaction(node.sessions) as session:
        user = auth.get_user(session, username)
        token, expires = auth.issue_token(session, user=user, ttl_days=days)
        audit_act(session, node, "consola", "user.token", user.username, {"days": days})
    console.print(f"Token de {username} (vence {expires:%Y-%m-%d}): {token}")


@users_app.command("list")
def users_list(data_dir: DirOpt = None) -> None:
    """Lista los usuarios del nodo."""
    node = open_cli_node(data_dir)
    table = Table("usuario", "rol", "institución", "país", "activo")
    with node.sessions() as session:
        for u in auth.list_users(session):
            table.add_row(u.username, u.role, u.agency, u.country, "sí" if u.active else "no")
    console.print(table)


# ---------------------------------------------------------------- records


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            count += chunk.count(b"\n")
    return count


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


@records_app.command("import")
def records_import(
    source: Annotated[str, typer.Argument(help="Archivo FtM (.jsonl/.ftm) o CSV, o '-' (stdin).")],
    user: UserOpt,
    format: Annotated[
        str | None, typer.Option(help="ftm o csv (por defecto, por extensión).")
    ] = None,
    purpose: Annotated[
        str | None, typer.Option(help="Finalidad, si el archivo no la trae.")
    ] = None,
    legal_basis: Annotated[str | None, typer.Option(help="Base legal, si no la trae.")] = None,
    handling_code: Annotated[str | None, typer.Option(help="H0..H3 por defecto.")] = None,
    source_grade: Annotated[str | None, typer.Option(help="A, B, C o X.")] = None,
    info_grade: Annotated[str | None, typer.Option(help="1, 2, 3 o 4.")] = None,
    scope: Annotated[str | None, typer.Option(help="agency, country, partners o members.")] = None,
    data_dir: DirOpt = None,
) -> None:
    """Importa registros; si una línea falla, no se guarda ninguno."""
    from alianza.records import csvio, ftm

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    kind = format or ("csv" if source.lower().endswith(".csv") else "ftm")
    if kind not in ("ftm", "csv"):
        raise InputError.at("--format", f"formato desconocido '{format}'; se admite: ftm, csv")
    path = None if source == "-" else Path(source)
    if path is not None and not path.is_file():
        raise InputError.at("FILE", f"no existe el archivo {source}")
    total = _count_lines(path) if path else None
    defaults: dict[str, Any] = {
        "purpose": purpose,
        "legal_basis": legal_basis,
        "handling_code": handling_code,
        "source_grade": source_grade,
        "info_grade": info_grade,
        "scope": scope,
    }
    stream = path.open(encoding="utf-8", newline="") if path else sys.stdin
    try:
        with _progress() as progress, transaction(node.sessions) as session:
            task = progress.add_task("Importando", total=total)
            items = ftm.read_lines(stream) if kind == "ftm" else csvio.read_rows(stream)
            result = import_items(
                session,
                node=node,
                principal=principal,
                items=_decoded(items),
                defaults=defaults,
                source=str(source),
                progress=lambda n: progress.advance(task, n),
            )
            progress.update(task, completed=result.total, total=result.total)
    finally:
        if path:
            stream.close()
    console.print(
        f"[green]Importación completa[/]: {result.created:,} nuevos, "
        f"{result.updated:,} actualizados, {result.unchanged:,} sin cambios."
    )


def _decoded(items: Iterator[Any]) -> Iterator[Any]:
    try:
        yield from items
    except UnicodeDecodeError as exc:
        raise InputError.at("archivo", f"no es UTF-8 (byte {exc.start})") from None


@records_app.command("export")
def records_export(
    user: UserOpt,
    format: Annotated[str, typer.Option(help="ftm o csv.")] = "ftm",
    kind: Annotated[str | None, typer.Option(help="Solo un tipo de registro.")] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Archivo de salida.")
    ] = None,
    data_dir: DirOpt = None,
) -> None:
    """Exporta los registros que el usuario puede ver (queda auditado)."""
    from alianza.auth.permissions import Action, authorize
    from alianza.records import csvio, ftm

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    authorize(principal, Action.EXPORT)
    if format not in ("ftm", "csv"):
        raise InputError.at("--format", f"formato desconocido '{format}'; se admite: ftm, csv")
    writer = ftm.write_lines if format == "ftm" else csvio.write_rows
    out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    ids: list[str] = []
    try:
        with transaction(node.sessions) as session:
            views = records.iter_visible(session, principal=principal, kind=kind)

            def tracked() -> Iterator[records.RecordView]:
                for v in views:
                    ids.append(v.record.id)
                    yield v

            for chunk in writer(tracked()):
                out.write(chunk)
            audit_act(
                session, node, principal, "record.export", format, {"count": len(ids), "ids": ids}
            )
    finally:
        if output:
            out.close()
    if output:
        console.print(f"{len(ids):,} registros exportados a {output}.")


@records_app.command("review-due")
def records_review_due(user: UserOpt, data_dir: DirOpt = None) -> None:
    """Lista los registros de su institución cuya fecha de revisión llegó."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        rows = review.review_due(session, node=node, principal=principal)
    table = Table("id", "tipo", "registro", "revisión")
    for r in rows:
        table.add_row(r.id, r.kind, r.label, r.review_date.isoformat())
    console.print(table)
    console.print(
        f"{len(rows)} registros por revisar. Renovar: 'alianza records renew ID'; "
        f"los no renovados se eliminan {node.settings.review_grace_days} días después."
    )


@records_app.command("renew")
def records_renew(
    record_id: Annotated[str, typer.Argument(help="Registro a conservar.")],
    user: UserOpt,
    reason: Annotated[str, typer.Option(help="Por qué se conserva.")],
    until: Annotated[str | None, typer.Option(help="Nueva fecha de revisión AAAA-MM-DD.")] = None,
    data_dir: DirOpt = None,
) -> None:
    """Una persona renueva un registro por otro período."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    try:
        day = date.fromisoformat(until) if until else None
    except ValueError:
        raise InputError.at("--until", f"fecha inválida '{until}' (use AAAA-MM-DD)") from None
    with transaction(node.sessions) as session:
        view = review.renew(
            session, node=node, principal=principal, record_id=record_id, reason=reason, until=day
        )
    console.print(
        f"Renovado hasta {view.record.review_date.isoformat()} (versión {view.record.version})."
    )


@records_app.command("enforce-retention")
def records_retention(user: UserOpt, data_dir: DirOpt = None) -> None:
    """Elimina los registros no renovados tras el plazo de gracia, y borra sus datos."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        removed = review.enforce_retention(session, node=node, principal=principal)
    console.print(f"{len(removed)} registros eliminados por plazo de conservación vencido.")


@records_app.command("verify")
def records_verify(data_dir: DirOpt = None) -> None:
    """Verifica la firma y el hash de cada versión guardada."""
    node = open_cli_node(data_dir)
    with node.sessions() as session:
        report = verify_versions(session, keys={node.node_id: node.key.public_hex})
    if report.problems:
        for problem in report.problems[:20]:
            err_console.print(f"[red]✗[/] {problem}")
        raise IntegrityFailure(
            f"{len(report.problems)} versiones no verifican de {report.checked}."
        )
    console.print(
        f"[green]✓[/] {report.checked:,} versiones verificadas "
        f"({report.redacted:,} con datos borrados por retención)."
    )


# ---------------------------------------------------------------- audit


@audit_app.command("verify")
def audit_verify(
    data_dir: DirOpt = None,
    witnesses: Annotated[
        bool, typer.Option("--witnesses", help="Preguntar también a cada nodo asociado.")
    ] = False,
) -> None:
    """Recalcula la cadena, verifica los puntos de control firmados y las contrafirmas."""
    from alianza.exchange.witness import check_witnesses, remote_heads

    node = open_cli_node(data_dir)
    with node.sessions() as session:
        report = audit.verify_chain(session, public_key=node.key.public_hex, node_id=node.node_id)
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
        f"{witnessed.checked:,} atestiguaciones de nodos asociados coherentes."
    )


@audit_app.command("checkpoint")
def audit_checkpoint(data_dir: DirOpt = None) -> None:
    """Firma ahora la cabeza de la cadena."""
    node = open_cli_node(data_dir)
    with transaction(node.sessions) as session:
        cp = audit.checkpoint(session, key=node.key, node_id=node.node_id)
    console.print(f"Punto de control firmado en la entrada {cp.seq}.")


# ---------------------------------------------------------------- demo


@app.command("demo")
def demo(
    data_dir: Annotated[
        Path, typer.Option("--dir", help="Directorio del nodo de demostración.")
    ] = Path("demo-node"),
    port: Annotated[int, typer.Option(help="Puerto de Chile; Ecuador usa el siguiente.")] = 8000,
    records_n: Annotated[
        int, typer.Option("--records", help="Registros sintéticos por nodo.")
    ] = 3000,
    serve_api: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Dejar la API corriendo.")
    ] = True,
) -> None:
    """Dos nodos (PDI, Chile y Policía Nacional, Ecuador) que sincronizan y consultan."""
    from alianza.demo.runner import run_demo

    run_demo(data_dir=data_dir, port=port, n=records_n, serve=serve_api, console=console)


def main() -> None:
    """Entry point: run the app, turning our errors into one line and an exit code."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=sys.argv[1:], prog_name="alianza", standalone_mode=False)
    except AlianzaError as exc:
        # The message may quote the user's input: printed literally, never as markup.
        err_console.print(f"[red]error[/]: {escape(exc.message)}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("interrumpido")
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors of the (vendored) click parser
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err_console.print(f"error: {exc}")
        code = getattr(exc, "exit_code", 2)
        sys.exit(2 if code in (1, 2) else code)
    except KeyboardInterrupt:
        err_console.print("interrumpido")
        sys.exit(130)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
