"""``alianza ports``: train the risk model, score a day's declarations, pick what to open.

    alianza ports train TRAIN.csv --model DIR [--replace [--force]] [--seed N]
    alianza ports score FILE.csv --model DIR -o SCORES.csv
    alianza ports select FILE.csv --model DIR --budget 0.05 [--explore 0.1] [--seed N] -o LIST.csv

They work on files alone, without a node. Bad rows are listed (row, field, reason) on
the console and in full in ``OUT.rechazadas.csv`` (``DIR/rechazadas.csv`` for train), and
left out; ``--strict`` stops at the first one with exit code 2 and writes nothing. Outputs
appear only when complete (written aside, then renamed). ``--json`` prints one summary
object on stdout.

**Retraining.** ``train --replace`` on a folder that holds a model trains a new one on the
grown history, prints both side by side on the weeks the new one held out, and replaces
the old only if the new one's IPW-weighted AUC there is at least as high
(``model.retrain``, ``model.compare``); otherwise the old stays, the new one is saved in
``DIR.candidato`` and the command still exits 0. ``--force`` replaces regardless.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from alianza.cli_support import JsonOpt, console, emit_json, err_console, progress_bar
from alianza.codes.problems import RowProblem
from alianza.errors import InputError
from alianza.ports.contract import Declarations, read_declarations

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from alianza.ports.model import Retrained, RiskModel

ports_app = typer.Typer(
    help="Puertos: qué contenedores de exportación inspeccionar hoy.", no_args_is_help=True
)

ModelOpt = Annotated[Path, typer.Option("--model", help="Carpeta del modelo.")]
OutOpt = Annotated[Path, typer.Option("-o", "--output", help="Archivo CSV de salida.")]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="Detenerse en la primera fila inválida (código 2).")
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Semilla (resultados reproducibles).")]
SHOWN = 20
CHUNK = 250_000


def check_output(output: Path) -> None:
    if not output.parent.is_dir():
        raise InputError.at("--output", f"la carpeta {output.parent} no existe")


def _read(path: Path, *, labels: bool, strict: bool, quiet: bool) -> Declarations:
    with err_console.status(f"leyendo y validando {escape(path.name)}…") if not quiet else _null():
        found = read_declarations(path, labels=labels, strict=strict)
    if found.frame.empty:
        raise InputError.at(path.name, "ninguna declaración válida")
    return found


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def report_problems(problems: list[RowProblem], name: str, report: Path, *, quiet: bool) -> None:
    if not problems:
        report.unlink(missing_ok=True)
        return
    import pandas as pd

    table = pd.DataFrame(
        {
            "file": name,
            "row": [p.row for p in problems],
            "field": [p.field for p in problems],
            "reason": [p.reason for p in problems],
        }
    )
    write_frame(table, report)
    if quiet:
        return
    for problem in problems[:SHOWN]:
        err_console.print(f"[yellow]omitida[/] {escape(name)}, {escape(str(problem))}")
    more = f" (los primeros {SHOWN} arriba)" if len(problems) > SHOWN else ""
    err_console.print(f"{len(problems):,} problemas{more}; lista completa en {escape(str(report))}")


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV atomically (a temporary file renamed into place)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    tmp = path.with_name(path.name + ".partial")
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pacsv.write_csv(table, str(tmp))
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def load_model(directory: Path) -> RiskModel:
    from alianza.ports.model import load

    return load(directory)


def score_rows(
    model: RiskModel, frame: pd.DataFrame, *, quiet: bool = False
) -> tuple[pd.DataFrame, np.ndarray]:
    """Features and risk of every row of ``frame``, with a progress bar by rows."""
    import numpy as np

    with progress_bar(quiet=quiet, transient=True) as bar:
        task = bar.add_task("calculando rasgos", total=len(frame))
        features = model.features_of(frame)
        bar.update(task, description="puntuando", completed=0)
        risk = np.empty(len(frame))
        for start in range(0, len(frame), CHUNK):
            part = features.iloc[start : start + CHUNK]
            risk[start : start + len(part)] = model.predict(model.matrix(part))
            bar.advance(task, len(part))
    return features, risk


def train_command(
    file: Annotated[Path, typer.Argument(help="Declaraciones con inspected e illicit (CSV).")],
    model_dir: ModelOpt,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Reentrenar: el modelo nuevo reemplaza al de la carpeta si es al menos igual "
            "de bueno en las últimas semanas (si no, queda en CARPETA.candidato).",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Con --replace: reemplazar aunque sea peor.")
    ] = False,
    seed: SeedOpt = 2026,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Entrena el modelo de riesgo con las inspecciones pasadas (validación: últimas semanas)."""
    from alianza.ports import model as models

    started = time.monotonic()
    if model_dir.exists() and any(model_dir.iterdir()) and not replace:
        raise InputError.at(
            "--model", f"{model_dir} ya existe y no está vacío (use --replace para reemplazarlo)"
        )
    if force and not replace:
        raise InputError.at("--force", "solo tiene sentido con --replace")
    found = _read(file, labels=True, strict=strict, quiet=as_json)
    stages = 5
    with progress_bar(quiet=as_json, transient=True) as bar:
        task = bar.add_task("entrenando", total=stages)

        def step(message: str) -> None:
            bar.update(task, description=message, advance=1)

        if replace:
            done = models.retrain(found.frame, model_dir, force=force, seed=seed, progress=step)
        else:
            trained = models.train(found.frame, seed=seed, progress=step)
            models.save(trained, model_dir)
            done = models.Retrained(trained, model_dir, True, None)
        bar.update(task, completed=stages)
    report_problems(found.problems, file.name, done.directory / "rechazadas.csv", quiet=as_json)
    meta = done.model.meta
    summary = {
        "model": str(done.directory),
        "replaced": done.replaced,
        "rows": meta["rows"],
        "rejected_rows": found.rejected_rows,
        "inspected": meta["inspected"],
        "illicit": meta["illicit"],
        "date_range": meta["date_range"],
        "validation_range": meta["validation_range"],
        "metrics": meta["metrics"],
        "comparison": done.comparison.as_dict() if done.comparison else None,
        "seconds": round(time.monotonic() - started, 1),
    }
    if as_json:
        emit_json(summary)
        return
    show_retrain(done, model_dir)
    auc = meta["metrics"].get("auc_ipw")
    console.print(
        f"Modelo en {escape(str(done.directory))}: {meta['rows']:,} declaraciones "
        f"({meta['date_range'][0]} a {meta['date_range'][1]}), {meta['inspected']:,} "
        f"inspeccionadas, {meta['illicit']:,} con hallazgo; AUC ponderada en las últimas "
        f"semanas {auc if auc is None else f'{auc:.3f}'} ({summary['seconds']} s)"
    )


_FIGURES = (
    ("auc_ipw", "AUC ponderada (IPW)"),
    ("precision@1%_ipw", "precisión al 1% (IPW)"),
    ("precision@5%_ipw", "precisión al 5% (IPW)"),
    ("auc", "AUC sin ponderar"),
    ("illicit", "hallazgos comparados"),
    ("rows", "inspecciones comparadas"),
)


def show_retrain(done: Retrained, model_dir: Path) -> None:
    """The old and the new model side by side, and what was kept (``model.Retrained``)."""
    from rich.table import Table

    from alianza.ports.model import CRITERION, candidate_dir

    if done.previous_error:
        err_console.print(
            f"[yellow]el modelo anterior no se pudo leer[/] ({escape(done.previous_error)}); "
            "se reemplaza sin comparar"
        )
    comparison = done.comparison
    if comparison is None:
        return
    window = " a ".join(comparison.window) or "sin filas"
    note = (
        "incluye días con que se entrenó el anterior: la comparación lo favorece"
        if comparison.overlap
        else "filas que el modelo anterior no vio"
    )
    table = Table(
        "", "anterior", "nuevo", title=f"Últimas semanas: {window} ({note})", title_justify="left"
    )
    for key, label in _FIGURES:
        old, new = comparison.old.get(key), comparison.new.get(key)
        table.add_row(label, _figure(key, old), _figure(key, new))
    console.print(table)
    criterion = dict(_FIGURES)[CRITERION]
    if done.replaced and comparison.new_wins:
        console.print(f"El modelo nuevo reemplaza al anterior: {criterion} al menos igual.")
    elif done.replaced:
        console.print(f"El modelo nuevo reemplaza al anterior por --force ({criterion} menor).")
    else:
        console.print(
            f"Se conserva el modelo anterior en {escape(str(model_dir))}: el nuevo tiene "
            f"{criterion} menor. El nuevo queda en {escape(str(candidate_dir(model_dir)))} "
            "(use --force para reemplazar de todos modos)."
        )


def _figure(key: str, value: float | None) -> str:
    if value is None:
        return "—"
    return f"{int(value):,}" if key in ("rows", "illicit") else f"{value:.3f}"


def score_command(
    file: Annotated[Path, typer.Argument(help="Declaraciones a puntuar (CSV).")],
    model_dir: ModelOpt,
    output: OutOpt,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Puntúa cada declaración: escribe declaration_id,risk (riesgo entre 0 y 1)."""
    import numpy as np
    import pandas as pd

    started = time.monotonic()
    check_output(output)
    model = load_model(model_dir)
    found = _read(file, labels=False, strict=strict, quiet=as_json)
    _, risk = score_rows(model, found.frame, quiet=as_json)
    out = pd.DataFrame({"declaration_id": found.frame["declaration_id"], "risk": np.round(risk, 6)})
    write_frame(out, output)
    report_problems(
        found.problems, file.name, output.with_name(output.name + ".rechazadas.csv"), quiet=as_json
    )
    summary = {
        "output": str(output),
        "rows": len(out),
        "rejected_rows": found.rejected_rows,
        "seconds": round(time.monotonic() - started, 1),
    }
    if as_json:
        emit_json(summary)
        return
    console.print(
        f"{len(out):,} declaraciones puntuadas en {escape(str(output))} ({summary['seconds']} s)"
    )


def select_command(
    file: Annotated[Path, typer.Argument(help="Declaraciones del día (CSV).")],
    model_dir: ModelOpt,
    output: OutOpt,
    budget: Annotated[
        float, typer.Option("--budget", help="Parte de las declaraciones a inspeccionar (0-1].")
    ] = 0.05,
    explore: Annotated[
        float, typer.Option("--explore", help="Parte del presupuesto elegida al azar [0-1).")
    ] = 0.1,
    seed: SeedOpt = 2026,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Elige qué contenedores inspeccionar: lista con riesgo, probabilidad y explicación."""
    from alianza.ports.selection import choose

    started = time.monotonic()
    check_output(output)
    choose(__import__("numpy").zeros(1), budget=budget, explore=explore, seed=seed)  # options
    model = load_model(model_dir)
    found = _read(file, labels=False, strict=strict, quiet=as_json)
    features, risk = score_rows(model, found.frame, quiet=as_json)
    chosen = choose(risk, budget=budget, explore=explore, seed=seed)
    listing = inspection_list(model, found.frame, features, risk, chosen)
    write_frame(listing, output)
    report_problems(
        found.problems, file.name, output.with_name(output.name + ".rechazadas.csv"), quiet=as_json
    )
    summary: dict[str, Any] = {
        "output": str(output),
        "rows": len(found.frame),
        "rejected_rows": found.rejected_rows,
        "selected": len(listing),
        "explored": int((listing["selected_by"] == "exploración").sum()),
        "seconds": round(time.monotonic() - started, 1),
    }
    if as_json:
        emit_json(summary)
        return
    console.print(
        f"{summary['selected']:,} de {summary['rows']:,} declaraciones a inspeccionar "
        f"({summary['explored']:,} por exploración) en {escape(str(output))} "
        f"({summary['seconds']} s)"
    )


def inspection_list(
    model: RiskModel,
    frame: pd.DataFrame,
    features: pd.DataFrame,
    risk: np.ndarray,
    chosen: Any,
) -> pd.DataFrame:
    """The selected rows with risk, rank, selection probability and explanations."""
    import numpy as np
    import pandas as pd

    from alianza.ports.selection import explanations, top_reasons

    rows = chosen.rows
    rank = np.empty(len(risk), dtype=np.int64)
    rank[np.argsort(-risk, kind="stable")] = np.arange(1, len(risk) + 1)
    part = features.iloc[rows].reset_index(drop=True)
    raw = frame.iloc[rows].reset_index(drop=True)
    contributions = model.contributions(model.matrix(part))
    reasons = top_reasons(contributions, model.features)
    texts = explanations(reasons, part, raw)
    out = pd.DataFrame(
        {
            "declaration_id": raw["declaration_id"],
            "date": raw["date"].dt.strftime("%Y-%m-%d"),
            "port": raw["port"],
            "container_number": raw["container_number"],
            "exporter_id": raw["exporter_id"],
            "destination_port": raw["destination_port"],
            "risk": np.round(risk[rows], 6),
            "rank": rank[rows],
            "selected_by": chosen.by,
            "selection_probability": np.round(chosen.probability, 8),
        }
    )
    for i in range(3):
        out[f"explanation_{i + 1}"] = [t[i] if len(t) > i else "" for t in texts]
        out[f"contribution_{i + 1}"] = [
            round(r[i][1], 4) if len(r) > i else np.nan for r in reasons
        ]
    return out


def register(app: typer.Typer) -> None:
    """Add ``alianza ports ...`` to the main CLI."""
    ports_app.command("train")(train_command)
    ports_app.command("score")(score_command)
    ports_app.command("select")(select_command)
    app.add_typer(ports_app, name="ports")
