"""``alianza demo``: two nodes that sync, query and release, on synthetic data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alianza.cli_support import console


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


def register(app: typer.Typer) -> None:
    """Add ``alianza demo``."""
    app.command("demo")(demo)
