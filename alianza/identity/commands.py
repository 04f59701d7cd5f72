"""``alianza link`` and ``alianza dedupe``: the linkage contract on the command line.

    alianza link LEFT.csv RIGHT.csv -o OUT.csv [--threshold 0.5] [--engine duckdb|spark]
    alianza dedupe FILE.csv -o OUT.csv [--threshold 0.5] [--previous LAST.csv]

Bad rows are listed (row, field, reason) on the console and in full in
``OUT.csv.rechazadas.csv``, and left out; ``--strict`` stops at the first one with exit
code 2 and writes nothing. The output appears only when complete (written aside, then
renamed), so an interrupted run leaves the previous output as it was.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from alianza.cli_support import console, err_console
from alianza.errors import InputError

if TYPE_CHECKING:
    from alianza.identity import linker
from alianza.identity.contract import Registry, read_registry, write_csv

ThresholdOpt = Annotated[
    float, typer.Option("--threshold", help="Probabilidad mínima de un par (0-1].")
]
EngineOpt = Annotated[
    str, typer.Option("--engine", help="duckdb (incluido) o spark (registros muy grandes).")
]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="Detenerse en la primera fila inválida (código 2).")
]
OutOpt = Annotated[Path, typer.Option("-o", "--output", help="Archivo CSV de salida.")]
SHOWN = 20


def _report(output: Path, registries: list[Registry]) -> None:
    problems = [(r.path.name, p) for r in registries for p in r.problems]
    report = output.with_name(output.name + ".rechazadas.csv")
    if not problems:
        report.unlink(missing_ok=True)
        return
    write_csv(
        report,
        ("file", "row", "field", "reason"),
        ((name, p.row, p.field, p.reason) for name, p in problems),
    )
    for name, problem in problems[:SHOWN]:
        # Values from the file are data, not console markup ("[/x]" would raise).
        err_console.print(f"[yellow]omitida[/] {escape(name)}, {escape(str(problem))}")
    more = f" (las primeras {SHOWN} arriba)" if len(problems) > SHOWN else ""
    err_console.print(
        f"{len(problems):,} filas omitidas{more}; lista completa en {escape(str(report))}"
    )


def _refuse_all_rejected(registries: list[Registry]) -> None:
    # A file with rows, none of them valid, is bad input, not an empty registry: linking
    # it would write an empty output that looks like "nobody matched".
    for registry in registries:
        if registry.problems and not registry.rows:
            raise InputError.at(registry.path.name, "ningún registro válido que comparar")


def _note_small(sizes: list[int]) -> None:
    from alianza.identity import training  # Splink: imported only by the commands that link

    note = training.small_note(sizes)
    if note is not None:
        err_console.print(note)


def check_output(output: Path) -> None:
    """Refuse an output whose folder does not exist, before any work."""
    # Before the run, not after minutes of linkage when the file cannot be written.
    if not output.parent.is_dir():
        raise InputError.at("--output", f"la carpeta {output.parent} no existe")


def _stage(status: object, started: float) -> linker.Progress:
    def show(message: str) -> None:
        status.update(f"{message} · {time.monotonic() - started:.0f} s")  # type: ignore[attr-defined]

    return show


def link_command(
    left: Annotated[Path, typer.Argument(help="Registro izquierdo (CSV del contrato).")],
    right: Annotated[Path, typer.Argument(help="Registro derecho (CSV del contrato).")],
    output: OutOpt,
    threshold: ThresholdOpt = 0.5,
    engine: EngineOpt = "duckdb",
    one_to_one: Annotated[
        bool,
        typer.Option("--one-to-one", help="Cada persona aparece una sola vez en cada registro."),
    ] = False,
    strict: StrictOpt = False,
) -> None:
    """Enlaza dos registros de personas: escribe left_id,right_id,probability."""
    started = time.monotonic()
    check_output(output)
    registries = [read_registry(left, strict=strict), read_registry(right, strict=strict)]
    _report(output, registries)
    _refuse_all_rejected(registries)
    _note_small([len(r.rows) for r in registries])
    with console.status("enlazando…") as status:
        from alianza.identity import linker  # Splink and pandas: only when linking

        pairs = linker.link(
            registries[0].rows,
            registries[1].rows,
            threshold=threshold,
            engine=engine,
            one_to_one=one_to_one,
            progress=_stage(status, started),
        )
        written = linker.write_pairs(output, pairs)
    console.print(
        f"{written:,} pares con probabilidad ≥ {threshold:g} en {escape(str(output))} "
        f"({len(registries[0].rows):,} × {len(registries[1].rows):,} registros, "
        f"{time.monotonic() - started:.1f} s)"
    )


def dedupe_command(
    file: Annotated[Path, typer.Argument(help="Registro (CSV del contrato).")],
    output: OutOpt,
    threshold: ThresholdOpt = 0.5,
    engine: EngineOpt = "duckdb",
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous", help="Salida anterior (record_id,person_id): conserva sus person_id."
        ),
    ] = None,
    strict: StrictOpt = False,
) -> None:
    """Agrupa los registros de una misma persona: escribe record_id,person_id."""
    started = time.monotonic()
    check_output(output)
    registry = read_registry(file, strict=strict)
    last = read_previous(previous) if previous is not None else None
    _report(output, [registry])
    _refuse_all_rejected([registry])
    _note_small([len(registry.rows)])
    with console.status("deduplicando…") as status:
        from alianza.identity import linker  # Splink and pandas: only when linking

        persons = linker.dedupe(
            registry.rows,
            threshold=threshold,
            engine=engine,
            previous=last,
            progress=_stage(status, started),
        )
        write_csv(output, ("record_id", "person_id"), iter(sorted(persons.items())))
    console.print(
        f"{len(persons):,} registros, {len(set(persons.values())):,} personas, "
        f"en {escape(str(output))} ({time.monotonic() - started:.1f} s)"
    )


def read_previous(path: Path) -> dict[str, str]:
    """A previous dedupe output, record_id -> person_id."""
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header != ["record_id", "person_id"]:
                raise InputError.at(f"{path.name}: cabecera", "se esperaba 'record_id,person_id'")
            out: dict[str, str] = {}
            for values in reader:
                if len(values) != 2 or not all(values):
                    raise InputError.at(f"{path.name}: fila {reader.line_num}", "incompleta")
                out[values[0]] = values[1]
            return out
    except OSError as exc:
        raise InputError.at(str(path), f"no se puede leer ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError.at(path.name, "no es UTF-8") from None


def register(app: typer.Typer) -> None:
    """Add the identity commands to the main CLI."""
    app.command("link")(link_command)
    app.command("dedupe")(dedupe_command)
