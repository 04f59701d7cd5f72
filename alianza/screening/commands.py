"""``alianza screen``: a traveller against the watch list, from the console of a border post."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from alianza.auth.permissions import Principal
from alianza.cli_support import DirOpt, UserOpt, acting, console, err_console, open_cli_node
from alianza.errors import InputError
from alianza.identity.commands import check_output
from alianza.identity.contract import read_registry, write_csv

if TYPE_CHECKING:
    from alianza.screening.service import Screener


def screen_command(
    user: UserOpt,
    given_names: Annotated[str, typer.Option("--given", help="Nombres de pila.")] = "",
    surname_1: Annotated[str, typer.Option("--surname1", help="Primer apellido.")] = "",
    surname_2: Annotated[str, typer.Option("--surname2", help="Segundo apellido.")] = "",
    birth_date: Annotated[str, typer.Option("--birth", help="Nacimiento AAAA-MM-DD.")] = "",
    sex: Annotated[str, typer.Option("--sex", help="M o F.")] = "",
    nationality: Annotated[str, typer.Option(help="ISO 3166 alfa-2, p. ej. VE.")] = "",
    document_type: Annotated[str, typer.Option("--doc-type", help="RUT_CL, CI_EC, ...")] = "",
    document_number: Annotated[str, typer.Option("--doc", help="Número de documento.")] = "",
    mrz: Annotated[
        Path | None, typer.Option("--mrz", help="Archivo con la zona MRZ leída del documento.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Candidatos a mostrar.")] = 10,
    batch: Annotated[
        Path | None,
        typer.Option("--file", help="Lista de viajeros (CSV del contrato de 'alianza link')."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Resultado del lote (CSV).")
    ] = None,
    threshold: Annotated[float, typer.Option(help="Probabilidad mínima en lote.")] = 0.5,
    english: Annotated[bool, typer.Option("--en", help="Explicaciones en inglés.")] = False,
    data_dir: DirOpt = None,
) -> None:
    """Controla a un viajero contra la lista de vigilancia: candidatos con su explicación."""
    node = open_cli_node(data_dir)
    principal = acting(node, user)
    # The watch list, the model and Splink load only when a traveller is screened.
    from alianza.screening.flows import screen
    from alianza.screening.service import Screener

    screener = Screener(node)
    with console.status("cargando la lista de vigilancia…"):
        screener.refresh()
    if batch is not None:
        _batch(screener, principal, batch, output, threshold)
        return
    zone = _read_mrz(mrz) if mrz is not None else None
    values: dict[str, str | None] = {
        "given_names": given_names,
        "surname_1": surname_1,
        "surname_2": surname_2,
        "birth_date": birth_date,
        "sex": sex,
        "nationality": nationality,
        "document_type": document_type,
        "document_number": document_number,
    }
    result = screen(screener, principal=principal, values=values, mrz=zone, limit=limit)
    for check in result.document_checks:
        console.print(f"[bold red]¡{check}![/] (posible documento alterado)")
    if not result.candidates:
        console.print("Sin candidatos en la lista de vigilancia.")
        return
    table = Table("prob.", "registro / socio", "coincide", "difiere", "falta", title="Candidatos")
    for c in result.candidates:
        where = c.record_id or _partner(c.partner)
        from alianza.screening.scorer import STATUS_ES

        cells = {s: [] for s in STATUS_ES}  # type: dict[str, list[str]]
        for e in c.evidence:
            name = e.field_en if english else e.field
            level = e.level_en if english else e.level
            cells[e.status].append(name if e.status == "missing" else f"{name}: {level}")
        table.add_row(
            f"{c.probability:.3f}",
            where,
            "\n".join(cells["agrees"]),
            "\n".join(cells["differs"]),
            ", ".join(cells["missing"]),
        )
    console.print(table)


def _batch(
    screener: Screener, principal: Principal, path: Path, output: Path | None, threshold: float
) -> None:
    if output is None:
        raise InputError.at("--output", "obligatorio con --file")
    check_output(output)
    registry = read_registry(path)
    for problem in registry.problems[:20]:
        err_console.print(f"[yellow]omitida[/] {escape(path.name)}, {escape(str(problem))}")
    started = time.monotonic()
    with console.status(f"controlando {len(registry.rows):,} viajeros…"):
        from alianza.screening.flows import screen_list  # Splink: only for a list

        found = screen_list(
            screener,
            principal=principal,
            travellers=registry.rows,
            source=path.name,
            threshold=threshold,
        )
    seconds = time.monotonic() - started
    rows = zip(found["traveller_id"], found["record_id"], found["probability"], strict=True)
    write_csv(
        output,
        ("traveller_id", "record_id", "probability"),
        ((t, r, f"{p:.6f}") for t, r, p in rows),
    )
    console.print(
        f"{len(registry.rows):,} viajeros, {len(found):,} candidatos ≥ {threshold:g} en {output} "
        f"({seconds:.1f} s, {len(registry.rows) / max(seconds, 1e-9):,.0f} viajeros/s)"
    )


def _read_mrz(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError.at("--mrz", f"no se puede leer {path} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError.at("--mrz", f"{path} no es texto UTF-8") from None


def _partner(partner: dict[str, Any]) -> str:
    refs = ", ".join(str(h.get("ref")) for h in partner.get("hits") or [] if isinstance(h, dict))
    result = partner.get("result", "?")
    text = f"socio {partner.get('country')} ({partner.get('node')}): {result} {refs}".strip()
    return escape(text)  # the partner's words, never markup


def features_command(data_dir: DirOpt = None) -> None:
    """Guarda los rasgos de comparación que faltan a la lista de vigilancia (nodos anteriores,
    copias de socios, un modelo de nombres nuevo) y deja la lista preparada en disco: cada
    proceso servidor la lee en segundos en lugar de cargarla de la base (tras una importación
    grande o una actualización del código, antes de arrancar los servidores)."""
    node = open_cli_node(data_dir)
    from alianza.db import transaction
    from alianza.screening.service import Screener
    from alianza.screening.stored import refresh_stored

    started = time.monotonic()
    with console.status("calculando rasgos de comparación…"), transaction(node.sessions) as s:
        stored, removed = refresh_stored(s)
    console.print(
        f"{stored:,} versiones con rasgos nuevos, {removed:,} rasgos obsoletos borrados "
        f"({time.monotonic() - started:.1f} s)."
    )
    started = time.monotonic()
    screener = Screener(node)
    screener.keep_at, screener.keep_every = 0, None  # asked for: kept whatever its size
    with console.status("preparando la lista de vigilancia…"):
        screener.refresh()
    if not screener.index.live:
        console.print("La lista de vigilancia está vacía: nada que guardar.")
        return
    if screener.kept is None:
        console.print("[yellow]La lista de vigilancia no se guardó en disco[/] (ver el registro).")
        return
    console.print(
        f"Lista de vigilancia guardada: {screener.index.live:,} entradas "
        f"({time.monotonic() - started:.1f} s)."
    )


def register(app: typer.Typer) -> None:
    """Add the screening commands to the main CLI."""
    app.command("screen")(screen_command)
    app.command("screen-features")(features_command)
