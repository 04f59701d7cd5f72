"""``alianza corridor plan INPUT.json -o PLAN.json [--time-limit S]``: the corridor plan on
a file alone, without a node (the contract: ``contract.py``; the model: ``planner.py``).

PLAN.json::

    {"assignments": [{"household", "departure"}], "unscheduled": [{"household", "reason"}],
     "persons_scheduled": int, "upper_bound": number, "solve_seconds": number,
     "households_scheduled": int, "lp_bound": number, "gap": number, "optimal": bool,
     "greedy_persons": int}

``--keep PREVIOUS.json`` holds a previous plan's assignments where they still fit (the
household still eligible, its departure still boarding it, a seat and room at every
crossing): re-planning after a change moves nobody who need not move. Without it the plan
starts afresh. Bad input: exit code 2 and one line naming the item; nothing is written.

``alianza corridor default -o CORRIDOR.json [--start DATE] [--days 60]`` writes the
corridor shipped with alianza (``data/corridor.json``: stops, daily capacities, bus lines
and flights) as an INPUT.json without households, to be completed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from alianza.cli_support import err_console
from alianza.corridor import contract, planner
from alianza.errors import InputError

corridor_app = typer.Typer(
    help="Corredor humanitario de retorno voluntario: planificar salidas.", no_args_is_help=True
)


def plan_command(
    source: Annotated[Path, typer.Argument(help="INPUT.json (paradas, salidas, hogares).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="PLAN.json")],
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Segundos para el plan (≥ 1).")
    ] = 60.0,
    keep: Annotated[
        Path | None,
        typer.Option(
            "--keep", help="PLAN.json anterior: mantener sus asignaciones donde aún caben."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Sin resumen.")] = False,
) -> None:
    """Asignar hogares completos a salidas, sin dividirlos, dentro de la capacidad."""
    if not 1.0 <= time_limit <= 3600.0:
        raise InputError.at("--time-limit", "entre 1 y 3600 segundos")
    if output.is_dir() or not output.parent.is_dir():
        raise InputError.at("--output", f"no se puede escribir {output}")
    data = contract.load(source)
    held = contract.load_previous(keep) if keep is not None else None
    with err_console.status("Planificando el corredor…", spinner="dots"):
        result = planner.solve(data, time_limit=time_limit, keep=held)
    body = result.as_json()
    output.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if quiet:
        return
    table = Table(title="Plan del corredor")
    for column in ("personas programadas", "cota superior (LP)", "brecha", "voraz (FCFS)", "s"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{body['persons_scheduled']:,}",
        f"{body['upper_bound']:,}",
        f"{body['gap']:.2%}",
        f"{body['greedy_persons']:,}",
        f"{body['solve_seconds']:.1f}",
    )
    err_console.print(table)
    err_console.print(
        f"{body['households_scheduled']:,} hogares programados; "
        f"{len(body['unscheduled']):,} sin programar (cada uno con su motivo en {output.name})"
    )


def default_command(
    output: Annotated[Path, typer.Option("-o", "--output", help="INPUT.json a completar.")],
    start: Annotated[str, typer.Option("--start", help="Primer día del plan (AAAA-MM-DD).")] = "",
    days: Annotated[int, typer.Option("--days", help="Días del horizonte (1 a 366).")] = 60,
) -> None:
    """Escribir el corredor por defecto (paradas, capacidades, salidas) sin hogares."""
    from datetime import date

    from alianza.corridor.synthetic import default_corridor, departures

    if not 1 <= days <= 366:
        raise InputError.at("--days", "entre 1 y 366")
    try:
        first = date.fromisoformat(start) if start else date.today()
    except ValueError:
        raise InputError.at("--start", f"fecha inválida '{start[:20]}' (use AAAA-MM-DD)") from None
    if output.is_dir() or not output.parent.is_dir():
        raise InputError.at("--output", f"no se puede escribir {output}")
    stops, runs = departures(first, days)
    body = {
        "about": default_corridor()["about"],
        "start_date": first.isoformat(),
        "horizon_days": days,
        "stops": stops,
        "departures": runs,
        "households": [],
    }
    output.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    err_console.print(
        f"{len(stops)} paradas y {len(runs):,} salidas en {days} días desde {first}: "
        f"añada los hogares a {output.name} y planifique con 'alianza corridor plan'."
    )


def register(app: typer.Typer) -> None:
    """Add ``alianza corridor ...`` to the main CLI."""
    from alianza.corridor import protection_commands, track_commands
    from alianza.corridor.case_commands import case_app

    corridor_app.command("plan")(plan_command)
    corridor_app.command("default")(default_command)
    corridor_app.add_typer(case_app, name="case")
    track_commands.register(corridor_app)
    protection_commands.register(corridor_app, case_app)
    app.add_typer(corridor_app, name="corridor")
