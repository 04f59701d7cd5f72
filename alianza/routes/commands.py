"""``alianza routes ...``: interdiction plans on a network given as the contract's CSVs.

    alianza routes interdict NODES.csv LINKS.csv --budget B -o PLAN.json
        [--time-limit S] [--map OUT.png] [--geojson OUT.geojson] [--solver scip|cp-sat]
        [--seizures SEIZURES.csv] [--seizure-rate R]
    alianza routes shortest-path NODES.csv LINKS.csv --budget B -o PLAN.json [--time-limit S]
    alianza routes rounds NODES.csv LINKS.csv --budget B --rounds N -o ROUNDS.json
    alianza routes region --out DIR          the shipped regional network, to edit
    alianza routes plans list|show --as USER  plans kept on the node (made through the API)

``--region`` instead of the two files uses the shipped regional network (its capacities
estimated from its seizure file). Bad input: exit code 2 and one line naming the file,
row and field (``network.py``); nothing is written. The plan's formats are in
``planning.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from alianza.cli_support import (
    DirOpt,
    JsonOpt,
    UserOpt,
    acting,
    by_prefix,
    console,
    emit_json,
    err_console,
    id_column,
    open_cli_node,
)
from alianza.errors import InputError
from alianza.routes import planning
from alianza.routes.estimate import DEFAULT_SEIZURE_RATE, estimate, load_seizures
from alianza.routes.network import Link, Network, load

routes_app = typer.Typer(
    help="Rutas: dónde controlar para cortar el mayor flujo, probado, y cómo cambian.",
    no_args_is_help=True,
)

NodesArg = Annotated[
    Path | None, typer.Argument(help="NODES.csv: id,name,country,kind,lat,lon.", show_default=False)
]
LinksArg = Annotated[
    Path | None,
    typer.Argument(help="LINKS.csv: from,to,mode,capacity,interdiction_cost.", show_default=False),
]
BudgetOpt = Annotated[float, typer.Option("--budget", help="Presupuesto de control (≥ 0).")]
OutOpt = Annotated[Path, typer.Option("-o", "--output", help="Archivo JSON del plan.")]
LimitOpt = Annotated[
    float, typer.Option("--time-limit", help="Segundos para probar el óptimo (luego: brecha).")
]
RegionOpt = Annotated[
    bool, typer.Option("--region", help="Usar la red regional incluida en alianza.")
]
SeizuresOpt = Annotated[
    Path | None,
    typer.Option("--seizures", help="Incautaciones (place,year,kilograms) para estimar flujos."),
]
RateOpt = Annotated[
    float, typer.Option("--seizure-rate", help="Fracción del flujo que se incauta.")
]


def _network(
    nodes: Path | None,
    links: Path | None,
    *,
    use_region: bool,
    seizures: Path | None,
    seizure_rate: float,
) -> Network:
    if use_region:
        if nodes is not None or links is not None:
            raise InputError.at("--region", "indique --region o los dos archivos, no ambos")
        from alianza.routes.region import region

        return region(seizure_rate)[0]
    if nodes is None or links is None:
        raise InputError.at("NODES.csv LINKS.csv", "faltan los archivos de la red (o --region)")
    network = load(nodes, links)
    if seizures is not None:
        found = estimate(network, load_seizures(seizures), seizure_rate=seizure_rate)
        network = Network(
            network.places,
            [
                Link(x.source, x.target, x.mode, cap, x.interdiction_cost, x.length, x.delay)
                for x, cap in zip(network.links, found.capacities, strict=True)
            ],
            network.name,
            [found.account()],
        )
    return network


def _check_outputs(*paths: Path | None) -> None:
    for path in paths:
        if path is not None and not path.parent.is_dir():
            raise InputError.at(str(path), f"la carpeta {path.parent} no existe")
        if path is not None and path.is_dir():
            raise InputError.at(str(path), "es una carpeta: indique un archivo")


def _write_json(path: Path, body: dict[str, Any]) -> None:
    text = json.dumps(body, ensure_ascii=False, indent=1, allow_nan=False) + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:  # no permission, a full disk: one line, not a traceback
        raise InputError.at(str(path), f"no se puede escribir ({exc.strerror or exc})") from None


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def interdict_command(
    budget: BudgetOpt,
    output: OutOpt,
    nodes: NodesArg = None,
    links: LinksArg = None,
    time_limit: LimitOpt = 60.0,
    map_png: Annotated[
        Path | None, typer.Option("--map", help="Mapa PNG del plan y los flujos.")
    ] = None,
    geojson: Annotated[
        Path | None, typer.Option("--geojson", help="GeoJSON de la red, el plan y los flujos.")
    ] = None,
    solver: Annotated[str, typer.Option("--solver", help="scip (por defecto) o cp-sat.")] = "scip",
    use_region: RegionOpt = False,
    seizures: SeizuresOpt = None,
    seizure_rate: RateOpt = DEFAULT_SEIZURE_RATE,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Sin resumen.")] = False,
) -> None:
    """Plan de controles que deja pasar el menor flujo máximo (Wood 1993), probado."""
    _check_outputs(output, map_png, geojson)
    network = _network(
        nodes, links, use_region=use_region, seizures=seizures, seizure_rate=seizure_rate
    )
    with err_console.status("Resolviendo el plan (MIP)…", spinner="dots"):
        body, drawn = planning.interdict(network, budget, solver=solver, time_limit=time_limit)
    _write_json(output, body)
    if geojson is not None or map_png is not None:
        from alianza.routes import maps

        if geojson is not None:
            maps.write_geojson(
                maps.network_geojson(
                    network,
                    flow_before=drawn.flow_before,
                    flow_after=drawn.flow_after,
                    controlled=drawn.controlled,
                    controlled_places=drawn.controlled_places,
                ),
                geojson,
            )
        if map_png is not None:
            maps.write_png(
                network,
                map_png,
                flow_before=drawn.flow_before,
                flow_after=drawn.flow_after,
                controlled=drawn.controlled,
                controlled_places=drawn.controlled_places,
                title=drawn.title,
            )
    if not quiet:
        show_plan(body)


def show_plan(body: dict[str, Any]) -> None:
    """The plan and its baselines, side by side, on stderr (stdout stays clean)."""
    table = Table(title=f"Interdicción de flujo máximo, presupuesto {body['budget']:g}")
    for column in ("método", "flujo después", "cota", "brecha", "costo", "controles", "s"):
        table.add_column(column, justify="right" if column != "método" else "left")
    gap = body["gap"]
    table.add_row(
        f"MIP ({body['solver']})" + (" óptimo" if body["optimal"] else ""),
        _figure(body["flow_after"]),
        _figure(body["bound"]),
        "—" if gap is None else f"{gap:.2%}",
        _figure(body["cost"]),
        str(len(body["interdicted"]) + len(body["interdicted_places"])),
        f"{body['solve_seconds']:.2f}",
    )
    for base in body["baselines"]:
        name = {
            "greedy-busiest": "voraz: el más transitado",
            "greedy-min-cut": "voraz: corte mínimo",
        }.get(base["method"], base["method"])
        table.add_row(
            name,
            _figure(base["flow_after"]),
            "",
            "",
            _figure(base["cost"]),
            str(len(base["interdicted"])),
            f"{base['seconds']:.2f}",
        )
    err_console.print(f"Flujo máximo sin controles: {_figure(body['flow_before'])}")
    for note in body["notes"]:
        err_console.print(f"[dim]{note}[/]")
    err_console.print(table)
    if body["interdicted"] or body["interdicted_places"]:
        err_console.print(
            "Controlar: "
            + ", ".join([f"{a} → {b}" for a, b in body["interdicted"]] + body["interdicted_places"])
        )
    if body["reroutes"]:
        err_console.print("El flujo se desplaza a:")
        for r in body["reroutes"][:5]:
            before, after = _figure(r["flow_before"]), _figure(r["flow_after"])
            err_console.print(f"  {r['from']} → {r['to']}: {before} → {after}")


def shortest_path_command(
    budget: BudgetOpt,
    output: OutOpt,
    nodes: NodesArg = None,
    links: LinksArg = None,
    time_limit: LimitOpt = 60.0,
    use_region: RegionOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Sin resumen.")] = False,
) -> None:
    """Plan que encarece al máximo la ruta más barata (Israeli y Wood 2002)."""
    _check_outputs(output)
    network = _network(
        nodes, links, use_region=use_region, seizures=None, seizure_rate=DEFAULT_SEIZURE_RATE
    )
    with err_console.status("Resolviendo (descomposición de Israeli y Wood)…", spinner="dots"):
        body = planning.shortest_path(network, budget, time_limit=time_limit)
    _write_json(output, body)
    if not quiet:
        state = "óptimo probado" if body["optimal"] else f"brecha {body['gap']:.2%}"
        err_console.print(
            f"Ruta más barata: {_figure(body['cost_before'])} → {_figure(body['cost_after'])}"
            f" ({state}, {body['iterations']} iteraciones, {body['solve_seconds']:.2f} s)"
        )
        if body["closed"]:
            err_console.print("Con este presupuesto se cierran todas las rutas.")
        err_console.print("Antes:   " + " → ".join(body["path_before"]))
        err_console.print("Después: " + " → ".join(body["path_after"]))


def rounds_command(
    budget: BudgetOpt,
    output: OutOpt,
    nodes: NodesArg = None,
    links: LinksArg = None,
    n_rounds: Annotated[int, typer.Option("--rounds", help="Rondas (1 a 50).")] = 5,
    use_region: RegionOpt = False,
    seizures: SeizuresOpt = None,
    seizure_rate: RateOpt = DEFAULT_SEIZURE_RATE,
) -> None:
    """Juego repetido: los controles se mueven a donde se vio el flujo, y el flujo se desvía."""
    _check_outputs(output)
    if not 1 <= n_rounds <= 50:
        raise InputError.at("--rounds", "entre 1 y 50")
    network = _network(
        nodes, links, use_region=use_region, seizures=seizures, seizure_rate=seizure_rate
    )
    with err_console.status("Jugando las rondas…", spinner="dots"):
        body = planning.rounds(network, budget, n_rounds)
    _write_json(output, body)
    table = Table(title=f"Controles que persiguen las rutas, presupuesto {budget:g}")
    for column in ("ronda", "flujo que pasa", "en enlaces nuevos", "controles"):
        table.add_column(column, justify="right")
    for r in body["rounds"]:
        table.add_row(
            str(r["round"]),
            _figure(r["flow"]),
            f"{r['share_on_new_links']:.0%}",
            str(len(r["interdicted"])),
        )
    err_console.print(table)
    err_console.print(f"Plan de Wood (anticipa el desvío): {_figure(body['wood_flow_after'])}")


def region_command(
    out: Annotated[Path, typer.Option("--out", help="Carpeta donde escribir los CSV.")],
) -> None:
    """Escribir la red regional incluida (lugares, enlaces, incautaciones, fuentes)."""
    from alianza.routes.region import write_region

    if out.exists() and not out.is_dir():
        raise InputError.at("--out", f"{out} existe y no es una carpeta")
    for path in write_region(out):
        err_console.print(f"escrito {path}")


plans_app = typer.Typer(
    help="Planes guardados en el nodo (los de su institución).", no_args_is_help=True
)


@plans_app.command("list")
def plans_list(
    user: UserOpt,
    limit: Annotated[int, typer.Option("--limit", help="Cuántos (1 a 1000).")] = 50,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Los planes de su institución, los más nuevos primero."""
    from alianza.routes import store

    if not 1 <= limit <= 1000:
        raise InputError.at("--limit", "entre 1 y 1000")
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with node.sessions() as session:
        rows = [store.summary(p) for p in store.plans(session, principal=principal, limit=limit)]
    if as_json:
        emit_json({"plans": rows})
        return
    table = Table(id_column("plan"), "modelo", "red", "presupuesto", "antes", "después", "óptimo")
    for r in rows:
        table.add_row(
            r["id"],
            r["model"],
            r["network"],
            f"{r['budget']:g}",
            _figure(r["before"]),
            _figure(r["after"]),
            "sí" if r["optimal"] else "no",
        )
    console.print(table)


@plans_app.command("show")
def plans_show(
    plan_id: Annotated[str, typer.Argument(help="Id del plan (o sus primeros caracteres).")],
    user: UserOpt,
    data_dir: DirOpt = None,
) -> None:
    """Un plan completo (JSON)."""
    from alianza.auth.permissions import visible
    from alianza.routes import store
    from alianza.routes.models import RoutePlan

    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with node.sessions() as session:
        full = by_prefix(
            session,
            column=RoutePlan.id,
            visible=visible(principal, store.PLAN, RoutePlan),
            prefix=plan_id,
            name="PLAN_ID",
            missing=f"No existe el plan {plan_id}.",
        )
        found = store.plan(session, principal=principal, plan_id=full)
        emit_json(store.summary(found) | {"result": json.loads(found.result)})


def register(app: typer.Typer) -> None:
    """Add ``alianza routes ...`` to the main CLI."""
    routes_app.add_typer(plans_app, name="plans")
    routes_app.command("interdict")(interdict_command)
    routes_app.command("shortest-path")(shortest_path_command)
    routes_app.command("rounds")(rounds_command)
    routes_app.command("region")(region_command)
    app.add_typer(routes_app, name="routes")
