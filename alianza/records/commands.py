"""``alianza records``: import, export, review, renew, retention, verify."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from alianza import domains
from alianza.cli_support import DirOpt, UserOpt, acting, console, err_console, open_cli_node
from alianza.db import transaction
from alianza.errors import InputError, IntegrityFailure
from alianza.records import review
from alianza.records import service as records
from alianza.records.importer import import_items
from alianza.records.versions import verify_versions

records_app = typer.Typer(help="Registros: importar, exportar, revisar.", no_args_is_help=True)


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
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        with transaction(node.sessions) as session:
            count = records.export(
                session, node=node, principal=principal, fmt=format, kind=kind, write=out.write
            )
    finally:
        if output:
            out.close()
    if output:
        console.print(f"{count:,} registros exportados a {output}.")


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
        # Partners' copies are checked with each partner's registered key.
        report = verify_versions(session, keys=domains.signer_keys(session, node))
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


def register(app: typer.Typer) -> None:
    """Add ``alianza records ...``."""
    app.add_typer(records_app, name="records")
