"""``alianza status ...``: regularisation rules on a file alone, without a node.

``alianza status evaluate APPLICATIONS.csv --country CL|EC --programme ID --on AAAA-MM-DD
-o OUT.csv`` judges every application by the version of the programme in force on the
``--on`` date and writes ``application_id,outcome,failed_conditions,explanation``
(``contract.py`` documents both files). Bad input: exit code 2 and one line naming the
file, row and field; nothing is written.

``alianza status programmes [--country CL] [--json]`` lists the programmes, each version
with its validity, legal basis, parameters, conditions and their sources.

``alianza status stats --user U [--json]`` (on the node, for supervisors and
administrators): applications, outcomes and median processing days by country,
programme and month, from aggregates only, small cells suppressed (``stats.py``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from alianza.cli_support import (
    DirOpt,
    JsonOpt,
    UserOpt,
    console,
    emit_json,
    err_console,
    id_column,
)
from alianza.codes.dates import iso_date
from alianza.codes.text import shown
from alianza.errors import InputError
from alianza.status import case_commands, contract, rules
from alianza.status.evaluate import evaluate


def evaluate_command(
    source: Annotated[Path, typer.Argument(help="APPLICATIONS.csv (una solicitud por fila).")],
    country: Annotated[str, typer.Option("--country", help="País que evalúa: CL o EC.")],
    programme: Annotated[
        str, typer.Option("--programme", help="Programa (véase 'alianza status programmes').")
    ],
    on: Annotated[
        str,
        typer.Option("--on", help="Fecha de la evaluación (AAAA-MM-DD): rige la versión vigente."),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="OUT.csv")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Sin resumen.")] = False,
) -> None:
    """Evaluar cada solicitud con las reglas vigentes en la fecha, con su explicación."""
    code = rules.country_option(country)
    try:
        day = iso_date(on)
    except ValueError:
        raise InputError.at(
            "--on", f"fecha inválida '{shown(on, limit=20)}' (use AAAA-MM-DD)"
        ) from None
    found = rules.find(programme, country=code)
    version = found.version_on(day)
    if output.is_dir() or not output.parent.is_dir():
        raise InputError.at("--output", f"no se puede escribir {shown(str(output), limit=200)}")
    if output.exists() and source.exists() and output.resolve() == source.resolve():
        raise InputError.at("--output", "es el mismo archivo que APPLICATIONS.csv")
    started = time.perf_counter()
    apps = contract.read(source, on=day, country=code, programme=found.id, fields=version.fields)
    results = evaluate(apps, programme=found, version=version)
    try:
        contract.write(output, results.rows())
    except OSError as exc:  # no permission, a full disk: one line, and no partial file
        raise InputError.at("--output", f"no se puede escribir ({exc.strerror or exc})") from None
    if quiet:
        return
    counts = results.counts()
    table = Table(title=f"{escape(found.name)}: versión {version.id}, vigente el {day.isoformat()}")
    for column in ("solicitudes", "elegibles", "no elegibles", "a revisión", "s"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{len(apps):,}",
        f"{counts['eligible']:,}",
        f"{counts['not_eligible']:,}",
        f"{counts['needs_review']:,}",
        f"{time.perf_counter() - started:.1f}",
    )
    err_console.print(table)
    err_console.print(
        f"Resultados y explicaciones en {escape(output.name)}: son recomendaciones, decide "
        "una persona.",
        highlight=False,
    )


def describe(programme: rules.Programme) -> dict[str, Any]:
    """A programme as plain data (``--json``)."""
    return {
        "id": programme.id,
        "country": programme.country,
        "name": programme.name,
        "summary": programme.summary,
        "versions": [
            {
                "id": v.id,
                "valid_from": v.valid_from.isoformat(),
                "valid_to": v.valid_to.isoformat() if v.valid_to else None,
                "legal_basis": v.legal_basis,
                "notes": v.notes,
                "fields": list(v.fields),
                "parameters": {
                    p.name: {
                        "value": p.value.isoformat() if hasattr(p.value, "isoformat") else p.value,
                        "shown": p.shown(),
                        "source": p.source,
                        "description": p.description,
                    }
                    for p in v.parameters.values()
                },
                "conditions": [
                    {
                        "id": c.id,
                        "label": c.label,
                        "when": " ".join(c.when.split()),
                        "if_failed": c.if_failed.value,
                        "source": c.source,
                    }
                    for c in v.conditions
                ],
            }
            for v in programme.versions
        ],
    }


def programmes_command(
    country: Annotated[
        str | None, typer.Option("--country", help="Solo los programas de CL o de EC.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Listar los programas: versiones, vigencia, parámetros, condiciones y fuentes."""
    code = rules.country_option(country) if country is not None else None
    chosen = [p for p in rules.programmes().values() if code is None or p.country == code]
    if as_json:
        emit_json({"programmes": [describe(p) for p in chosen]})
        return
    for p in chosen:
        console.print(f"[bold]{p.id}[/] ({p.country}): {escape(p.name)}", highlight=False)
        for v in p.versions:
            span = (
                f"del {v.valid_from.isoformat()} al {v.valid_to.isoformat()}"
                if v.valid_to
                else f"desde el {v.valid_from.isoformat()}, sin fecha de término"
            )
            table = Table(
                id_column("parámetro o condición", width=24),
                "valor o condición",
                "fuente",
                title=f"{p.id}, versión {v.id}: {span}",
                caption=escape(v.legal_basis),
                show_lines=True,
            )
            for x in v.parameters.values():
                table.add_row(x.name, escape(x.shown()), escape(x.source))
            for c in v.conditions:
                table.add_row(
                    f"{c.id}\n[dim]{c.if_failed.value}[/]",
                    f"{escape(c.label)}\n[dim]{escape(' '.join(c.when.split()))}[/]",
                    escape(c.source),
                )
            console.print(table)
    console.print(
        f"Toda solicitud se evalúa además con «{rules.PROTECTION}» (bloqueos de protección "
        "del corredor). Lo marcado «a verificar» debe contrastarse con el texto oficial."
    )


def stats_command(user: UserOpt, data_dir: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Estadísticas para la conducción: solicitudes, resultados y días de tramitación por
    país, programa y mes (solo agregados; celdas pequeñas suprimidas)."""
    from alianza.cli_support import acting, open_cli_node
    from alianza.db import transaction
    from alianza.status import stats

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        body = stats.statistics(session, node, principal)
    if as_json:
        emit_json(body)
        return
    table = Table(
        "país", "programa", "mes", "solicitudes", "elegibles", "no elegibles", "abiertas",
        "en revisión", "mediana (días)",
        title=f"Solicitudes de su institución (celdas < {body['small_cell']} suprimidas: «<"
        f"{body['small_cell']}»)",
    )  # fmt: skip
    for r in body["rows"]:
        cells = [
            f"<{body['small_cell']}" if r[k] is None else f"{r[k]:g}"
            for k in (*stats.COUNTS, "median_days")
        ]
        table.add_row(r["country"], r["programme"], r["month"], *cells)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``alianza status ...`` to the main CLI."""
    status_app = typer.Typer(
        help="Regularización selectiva: reglas versionadas, resultados explicados.",
        no_args_is_help=True,
    )
    status_app.command("evaluate")(evaluate_command)
    status_app.command("programmes")(programmes_command)
    status_app.command("stats")(stats_command)
    case_commands.register(status_app)  # alianza status application ... (on the node)
    app.add_typer(status_app, name="status")
