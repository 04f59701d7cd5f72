"""``alianza ports declarations|links``: the same model on a node's stored declarations.

    alianza ports declarations import FILE.csv --user U [--strict]
    alianza ports declarations train --model DIR --user U [--replace]
    alianza ports declarations select --model DIR --day AAAA-MM-DD --user U -o LIST.csv
    alianza ports links propose|list --user U
    alianza ports links confirm|reject LINK --user U [--reason ...]

The file commands (``commands.py``) read a CSV; these read the agency's stored rows
(``store.py``), record each selection's probability on the declarations it chose, and
turn a seizure that names one of our containers into a label only when a person says so.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from alianza.audit.service import audit_act
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
    progress_bar,
)
from alianza.db import transaction
from alianza.errors import InputError
from alianza.ports import store
from alianza.ports.commands import (
    ModelOpt,
    OutOpt,
    SeedOpt,
    StrictOpt,
    check_output,
    inspection_list,
    load_model,
    report_problems,
    score_rows,
    show_retrain,
    write_frame,
)
from alianza.ports.contract import read_declarations
from alianza.ports.models import SeizureLink

declarations_app = typer.Typer(
    help="Declaraciones guardadas en el nodo: importar, entrenar, elegir.", no_args_is_help=True
)
links_app = typer.Typer(
    help="Incautaciones que nombran nuestros contenedores: etiquetas a confirmar.",
    no_args_is_help=True,
)


@declarations_app.command("import")
def declarations_import(
    file: Annotated[Path, typer.Argument(help="Declaraciones (CSV del contrato).")],
    user: UserOpt,
    strict: StrictOpt = False,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Guarda las declaraciones válidas del archivo; las filas malas se informan y se omiten."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    found = read_declarations(file, labels=None, strict=strict)
    with progress_bar(quiet=as_json, transient=True) as bar, transaction(node.sessions) as session:
        task = bar.add_task("guardando declaraciones", total=len(found.frame))
        stored = store.store_declarations(
            session,
            node=node,
            principal=principal,
            declarations=found,
            progress=lambda n: bar.advance(task, n),
        )
    report_problems(
        found.problems, file.name, file.with_name(file.name + ".rechazadas.csv"), quiet=as_json
    )
    summary = {**stored.as_dict(), "rejected_rows": found.rejected_rows}
    if as_json:
        emit_json(summary)
        return
    console.print(
        f"Declaraciones: {stored.created:,} nuevas, {stored.updated:,} con resultado nuevo, "
        f"{stored.unchanged:,} sin cambios, {found.rejected_rows:,} filas rechazadas"
        + (f", {stored.foreign:,} de otra agencia (no tocadas)" if stored.foreign else "")
        + "."
    )


@declarations_app.command("train")
def declarations_train(
    user: UserOpt,
    model_dir: ModelOpt,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Reentrenar: el nuevo reemplaza al actual si no es peor."),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Con --replace: reemplazar aunque sea peor.")
    ] = False,
    seed: SeedOpt = 2026,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Entrena con las declaraciones guardadas (inspecciones y etiquetas confirmadas),
    pesadas con la probabilidad que registró cada selección nuestra."""
    from alianza.ports import model as models

    if model_dir.exists() and any(model_dir.iterdir()) and not replace:
        raise InputError.at("--model", f"{model_dir} ya existe (use --replace para reentrenar)")
    if force and not replace:
        raise InputError.at("--force", "solo tiene sentido con --replace")
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with node.sessions() as session:
        frame = store.stored_frame(session, principal=principal, labelled=True, with_selection=True)
    if frame.empty:
        raise InputError.at("declaraciones", "no hay declaraciones guardadas de su agencia")
    chosen = frame.pop("selection_probability").to_numpy()
    done = models.retrain(frame, model_dir, force=force, seed=seed, selection_probability=chosen)
    meta = done.model.meta
    with transaction(node.sessions) as session:
        audit_act(
            session, node, principal, "ports.train", str(done.directory),
            {"rows": meta["rows"], "date_range": meta["date_range"], "replaced": done.replaced},
        )  # fmt: skip
    if as_json:
        emit_json(
            {
                "model": str(done.directory),
                "replaced": done.replaced,
                "rows": meta["rows"],
                "metrics": meta["metrics"],
            }
        )
        return
    console.print(
        f"Modelo en {escape(str(done.directory))}: {meta['rows']:,} declaraciones guardadas, "
        f"{meta['inspected']:,} inspeccionadas o confirmadas, {meta['illicit']:,} con hallazgo."
    )
    if done.comparison is not None:
        show_retrain(done, model_dir)


@declarations_app.command("score")
def declarations_score(
    user: UserOpt,
    model_dir: ModelOpt,
    output: OutOpt,
    since: Annotated[str, typer.Option("--since", help="Desde el día (AAAA-MM-DD).")],
    until: Annotated[
        str | None, typer.Option("--until", help="Hasta el día (por defecto, --since).")
    ] = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Puntúa las declaraciones guardadas de esos días: declaration_id,risk (entre 0 y 1)."""
    import numpy as np
    import pandas as pd

    first = _day(since, "--since")
    last = _day(until, "--until") if until else first
    if last < first:
        raise InputError.at("--until", "es anterior a --since")
    check_output(output)
    model = load_model(model_dir)
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with node.sessions() as session:
        frame = store.stored_frame(
            session, principal=principal, labelled=False, since=first, until=last
        )
    if frame.empty:
        raise InputError.at("--since", "no hay declaraciones guardadas de esos días")
    _, risk = score_rows(model, frame, quiet=as_json)
    out = pd.DataFrame({"declaration_id": frame["declaration_id"], "risk": np.round(risk, 6)})
    write_frame(out, output)
    with transaction(node.sessions) as session:
        audit_act(session, node, principal, "ports.score", f"{first}..{last}", {"rows": len(out)})
    if as_json:
        emit_json({"output": str(output), "rows": len(out)})
        return
    console.print(f"{len(out):,} declaraciones puntuadas en {escape(str(output))}.")


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError.at(option, "fecha no válida (AAAA-MM-DD)") from None


@declarations_app.command("select")
def declarations_select(
    user: UserOpt,
    model_dir: ModelOpt,
    output: OutOpt,
    day: Annotated[str, typer.Option("--day", help="Día de las declaraciones (AAAA-MM-DD).")],
    budget: Annotated[float, typer.Option("--budget", help="Parte a inspeccionar (0-1].")] = 0.05,
    explore: Annotated[float, typer.Option("--explore", help="Parte al azar [0-1).")] = 0.1,
    seed: SeedOpt = 2026,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """La lista del día sobre las declaraciones guardadas; anota la probabilidad de cada elegida."""
    import numpy as np

    from alianza.ports.selection import choose

    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise InputError.at("--day", "fecha no válida (AAAA-MM-DD)") from None
    check_output(output)
    choose(np.zeros(1), budget=budget, explore=explore, seed=seed)  # checks the options
    model = load_model(model_dir)
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with node.sessions() as session:
        frame = store.stored_frame(
            session, principal=principal, labelled=False, since=when, until=when
        )
    if frame.empty:
        raise InputError.at("--day", f"no hay declaraciones guardadas del {when.isoformat()}")
    features, risk = score_rows(model, frame, quiet=as_json)
    chosen = choose(risk, budget=budget, explore=explore, seed=seed)
    listing = inspection_list(model, frame, features, risk, chosen)
    write_frame(listing, output)
    with transaction(node.sessions) as session:
        store.record_selection(session, node=node, principal=principal, chosen=listing, day=when)
    if as_json:
        emit_json({"output": str(output), "rows": len(frame), "selected": len(listing)})
        return
    table = Table("contenedor", "riesgo", "por", "por qué", title=f"Inspecciones del {day}")
    for row in listing.head(10).itertuples():
        table.add_row(
            row.container_number, f"{row.risk:.3f}", row.selected_by, escape(row.explanation_1)
        )
    console.print(table)
    console.print(f"{len(listing):,} de {len(frame):,} declaraciones a inspeccionar en {output}.")


@links_app.command("propose")
def links_propose(user: UserOpt, data_dir: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Propone vínculos entre incautaciones visibles y contenedores de nuestras declaraciones."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        made = store.propose_links(session, node=node, principal=principal)
        out = [_link_dict(link) for link in made]
    if as_json:
        emit_json({"proposed": out})
        return
    console.print(f"{len(out):,} vínculos propuestos: confírmelos o rechácelos con 'ports links'.")


@links_app.command("list")
def links_list(
    user: UserOpt,
    status: Annotated[str | None, typer.Option(help="proposed, confirmed o rejected.")] = None,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Los vínculos de su agencia, los más nuevos primero."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with node.sessions() as session:
        rows = [
            _link_dict(link) for link in store.links(session, principal=principal, status=status)
        ]
    if as_json:
        emit_json({"links": rows})
        return
    table = Table(id_column("vínculo"), "estado", "contenedor", "declaración", "origen")
    for r in rows:
        table.add_row(
            r["id"], r["status"], r["container_number"], r["declaration_id"], r["seizure_origin"]
        )
    console.print(table)


def _decide(
    user: str,
    typed: str,
    *,
    confirm: bool,
    reason: str | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    with transaction(node.sessions) as session:
        link_id = by_prefix(
            session,
            column=SeizureLink.id,
            visible=(SeizureLink.owner_country == principal.country)
            & (SeizureLink.owner_agency == principal.agency),
            prefix=typed,
            name="LINK",
            missing=f"No existe el vínculo {typed.strip()}.",
        )
        link = store.decide_link(
            session, node=node, principal=principal, link_id=link_id, confirm=confirm, reason=reason
        )
        out = _link_dict(link)
    if as_json:
        emit_json(out)
        return
    what = "confirmado: la declaración queda etiquetada" if confirm else "rechazado"
    console.print(f"Vínculo {out['id']} {what}.")


@links_app.command("confirm")
def links_confirm(
    link: Annotated[str, typer.Argument(help="Vínculo (id o prefijo único).")],
    user: UserOpt,
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Confirma que la incautación corresponde a la declaración: será una etiqueta."""
    _decide(user, link, confirm=True, reason=None, data_dir=data_dir, as_json=as_json)


@links_app.command("reject")
def links_reject(
    link: Annotated[str, typer.Argument(help="Vínculo (id o prefijo único).")],
    user: UserOpt,
    reason: Annotated[str, typer.Option("--reason", help="Por qué no corresponde.")],
    data_dir: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rechaza el vínculo (nunca será una etiqueta)."""
    _decide(user, link, confirm=False, reason=reason, data_dir=data_dir, as_json=as_json)


def _link_dict(link: SeizureLink) -> dict[str, str]:
    return {
        "id": link.id,
        "status": link.status,
        "seizure_id": link.seizure_id,
        "declaration_id": link.declaration_id,
        "container_number": link.container_number,
        "seizure_origin": link.seizure_origin,
        "decided_by": link.decided_by or "",
    }


def register(app: typer.Typer) -> None:
    """``alianza ports``: the file commands (``commands.py``), and under them
    ``declarations`` and ``links`` on the node's stored rows."""
    from alianza.ports import commands

    commands.ports_app.add_typer(declarations_app, name="declarations")
    commands.ports_app.add_typer(links_app, name="links")
    commands.register(app)
