"""``alianza seizures``: import a file with a report, export (IDS, CSV, JSON), aggregates."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from alianza.cli_support import (
    DirOpt,
    JsonOpt,
    UserOpt,
    acting,
    console,
    emit_json,
    err_console,
    open_cli_node,
    progress_bar,
)
from alianza.db import transaction
from alianza.errors import InputError
from alianza.records.commands import (
    DiscoverableCountriesOpt,
    DiscoverableOpt,
    ScopeCountriesOpt,
    ScopeOpt,
    check_coherent,
    rule_options,
)
from alianza.seizures import service
from alianza.seizures.ids import FORMATS

seizures_app = typer.Typer(
    help="Incautaciones: importar, exportar (IDS de UNODC) y agregados.", no_args_is_help=True
)


@seizures_app.command("import")
def seizures_import(
    source: Annotated[Path, typer.Argument(help="Archivo CSV, JSON (lista) o JSONL.")],
    user: UserOpt,
    strict: Annotated[
        bool, typer.Option("--strict", help="Una fila mala rechaza el archivo entero.")
    ] = False,
    purpose: Annotated[str | None, typer.Option(help="Finalidad.")] = None,
    legal_basis: Annotated[str | None, typer.Option(help="Base legal.")] = None,
    scope: ScopeOpt = None,
    scope_countries: ScopeCountriesOpt = None,
    discoverable: DiscoverableOpt = "members",
    discoverable_countries: DiscoverableCountriesOpt = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Importa incautaciones fila por fila: las filas malas se informan y se omiten.

    Por defecto los socios pueden encontrarlas por hit/no-hit (``--discoverable members``):
    el registro común existe para eso; el contenido sigue las reglas de alcance.
    """
    rules = rule_options(scope, scope_countries, discoverable, discoverable_countries)
    check_coherent(rules)
    rules |= {k: v for k, v in {"purpose": purpose, "legal_basis": legal_basis}.items() if v}
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    checked = service.check_file(source)
    if checked.problems and strict:
        _report(checked.problems, as_json=as_json, stored=False)
        raise typer.Exit(2)
    with progress_bar(quiet=as_json) as progress, transaction(node.sessions) as session:
        task = progress.add_task("Importando incautaciones", total=len(checked.rows))
        imported = service.import_checked(
            session,
            node=node,
            principal=principal,
            checked=checked,
            rules=rules,
            source=str(source),
            progress=lambda n: progress.advance(task, n),
        )
    if as_json:
        emit_json(imported.as_dict())
        return
    r = imported.result
    console.print(
        f"[green]Incautaciones importadas[/]: {r.created:,} nuevas, {r.updated:,} actualizadas, "
        f"{r.unchanged:,} sin cambios; {len(checked.problems):,} filas omitidas."
    )
    if checked.problems:
        _report(checked.problems, as_json=False, stored=True)


def _report(problems: list[Any], *, as_json: bool, stored: bool) -> None:
    if as_json:
        emit_json({"stored": stored, "skipped": [p.as_dict() for p in problems]})
        return
    table = Table(
        "fila", "campo", "motivo", title="Filas omitidas" if stored else "Filas con errores"
    )
    for p in problems[:200]:
        table.add_row(str(p.row), escape(p.field), escape(p.reason))
    err_console.print(table)
    if len(problems) > 200:
        err_console.print(f"... y {len(problems) - 200:,} filas más.")
    if not stored:
        err_console.print("[red]No se guardó nada[/] (--strict).")


@seizures_app.command("export")
def seizures_export(
    user: UserOpt,
    format: Annotated[str, typer.Option(help="ids (UNODC), csv o json.")] = "ids",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Archivo de salida.")
    ] = None,
    data_dir: DirOpt = None,
) -> None:
    """Exporta las incautaciones que el usuario puede ver (queda auditado)."""
    if format not in FORMATS:
        raise InputError.at(
            "--format", f"formato desconocido '{format}'; se admite: ids, csv, json"
        )
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    target = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        with transaction(node.sessions) as session:
            count = service.export(
                session, node=node, principal=principal, fmt=format, write=target.write
            )
    finally:
        if output:
            target.close()
    if output:
        console.print(f"{count:,} incautaciones exportadas a {output}.")


@seizures_app.command("aggregate")
def seizures_aggregate(
    user: UserOpt,
    by: Annotated[str, typer.Option("--by", help="month, port, route o substance.")] = "month",
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Incautaciones contadas y pesadas por mes, puerto, ruta o sustancia (sin datos personales)."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        rows = service.aggregates(session, node=node, principal=principal, by=by)
    if as_json:
        emit_json({"by": by, "groups": rows})
        return
    labels = {"month": "mes", "port": "puerto", "route": "ruta", "substance": "sustancia"}
    table = Table(labels[by], "sustancia", "incautaciones", "kg", title="Incautaciones")
    for row in rows:
        table.add_row(
            escape(str(row[by])),
            escape(row["substance"]),
            f"{row['seizures']:,}",
            f"{row['quantity_kg']:,.1f}",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``alianza seizures ...``."""
    app.add_typer(seizures_app, name="seizures")
