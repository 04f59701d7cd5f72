"""Record import throughput: ``alianza records import`` against a raw JSON load.

For each backend a fresh node (SQLite: a new directory; PostgreSQL: a new database,
dropped afterwards) imports the same file of N synthetic FtM entities the way the CLI
does, ``read_lines`` + ``import_items`` inside one transaction: FtM parsing, validation,
rules, Ed25519 signature per version, search keys, one audit entry.

Anchor, on the same file and the same database engine: the floor an import cannot beat.
Each line is parsed with ``json.loads`` and its raw text bulk-inserted into a plain
``(id, body)`` table, same batch size, through SQLAlchemy Core, in one transaction (an
ftm-store-like raw load with no validation, signing or audit).

Each side runs in its own child process, so wall time and peak RSS are its own.

    .venv/bin/python benchmarks/node/bench_import.py [--n 1000000] [--backends sqlite,postgresql]

``--keep`` leaves the imported nodes under /tmp/alianza-bench for bench_search.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from rich.table import Table
from sqlalchemy import Column, MetaData, String, Text, func, select, text
from sqlalchemy import Table as SATable

from alianza.auth import service as auth
from alianza.db import make_engine, transaction
from alianza.node.context import open_node
from alianza.node.flows import init_node
from alianza.records.ftm import read_lines
from alianza.records.importer import import_items
from alianza.settings import Settings

IMPORTER = "importador"


def node_dir(backend: str, n: int) -> Path:
    return common.CACHE / f"node-{backend}-{n}"


def db_name(kind: str, n: int) -> str:
    return f"alianza_bench_{kind}_{n}"


# ------------------------------------------------------------------ the two sides


def run_ours(*, data_dir: Path, url: str, path: Path, n: int) -> dict[str, Any]:
    """``alianza records import`` semantics, in-process: one transaction for the file."""
    node = open_node(Settings(data_dir=data_dir, database_url=url))
    with node.sessions() as session:
        principal = auth.principal_of(auth.get_user(session, IMPORTER))
    with (
        common.progress_bar() as bar,
        path.open(encoding="utf-8", newline="") as fh,
        common.stopwatch() as wall,
    ):
        task = bar.add_task("alianza import_items", total=n)
        marks: list[tuple[int, float]] = [(0, time.perf_counter())]

        def advance(k: int) -> None:
            bar.advance(task, k)
            marks.append((marks[-1][0] + k, time.perf_counter()))

        with transaction(node.sessions) as session:
            result = import_items(
                session,
                node=node,
                principal=principal,
                items=read_lines(fh),
                source=str(path),
                progress=advance,
            )
    node.engine.dispose()
    return {"records": result.created, "seconds": wall[0], "rate_by_decile": _deciles(marks, n)}


def _deciles(marks: list[tuple[int, float]], n: int) -> list[float]:
    """Records/s in each tenth of the file: a rate that falls means per-batch cost grows."""
    rates = []
    for d in range(10):
        lo = next(m for m in marks if m[0] >= n * d // 10)
        hi = next((m for m in marks if m[0] >= n * (d + 1) // 10), marks[-1])
        rates.append(round((hi[0] - lo[0]) / (hi[1] - lo[1]), 1) if hi[1] > lo[1] else 0.0)
    return rates


def run_anchor(*, url: str, path: Path, n: int, batch: int) -> dict[str, Any]:
    """Raw load: json.loads per line, (id, body) rows, same batch size, one transaction."""
    engine = make_engine(url)
    meta = MetaData()
    raw = SATable(
        "raw_entities", meta, Column("id", String(64), primary_key=True), Column("body", Text)
    )
    meta.drop_all(engine)
    meta.create_all(engine)
    loads, insert = json.loads, raw.insert()
    with (
        common.progress_bar() as bar,
        path.open(encoding="utf-8", newline="") as fh,
        common.stopwatch() as wall,
    ):
        task = bar.add_task("ancla json.loads + INSERT", total=n)
        with engine.begin() as conn:
            rows: list[dict[str, str]] = []
            for line in fh:
                if not line.strip():
                    continue
                rows.append({"id": loads(line)["id"], "body": line})
                if len(rows) >= batch:
                    conn.execute(insert, rows)
                    bar.advance(task, len(rows))
                    rows = []
            if rows:
                conn.execute(insert, rows)
                bar.advance(task, len(rows))
    with engine.connect() as conn:
        stored = conn.scalar(select(func.count()).select_from(raw))
    engine.dispose()
    return {"records": int(stored or 0), "seconds": wall[0]}


def worker(args: argparse.Namespace) -> None:
    """Child process: run one side, print its figures as one JSON line on stdout."""
    path = Path(args.file)
    if args.worker == "ours":
        out = run_ours(data_dir=Path(args.dir), url=args.url, path=path, n=args.n)
    else:
        out = run_anchor(url=args.url, path=path, n=args.n, batch=args.batch)
    out["peak_rss_mb"] = common.peak_rss_mb()
    print(json.dumps(out))


def _child(
    side: str, *, path: Path, n: int, url: str, data_dir: Path, batch: int
) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", side, "--file", str(path), "--n", str(n)]
    cmd += ["--url", url, "--dir", str(data_dir), "--batch", str(batch)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
    figures: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if figures["records"] != n:
        raise SystemExit(f"{side}: {figures['records']:,} records stored, {n:,} expected")
    figures["records_per_s"] = n / figures["seconds"]
    return figures


# ------------------------------------------------------------------ one backend


def fresh_node(backend: str, n: int) -> tuple[Path, str]:
    """A brand-new node (directory, and database on PostgreSQL) with the importing user."""
    data_dir = common.reset_dir(node_dir(backend, n))
    url = common.pg_create(db_name("node", n)) if backend == "postgresql" else ""
    node = init_node(Settings(data_dir=data_dir, database_url=url), country="CL", agency="PDI")
    with transaction(node.sessions) as session:
        auth.add_user(
            session,
            node=node,
            principal=node.system,
            username=IMPORTER,
            full_name="Importación de prueba",
            country=common.COUNTRY,
            agency=common.AGENCY,
            role="analyst",
            password=None,
        )
    node.engine.dispose()
    return data_dir, url


def counts(data_dir: Path, url: str) -> dict[str, int]:
    engine = make_engine(Settings(data_dir=data_dir, database_url=url).sqlalchemy_url)
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for table in ("records", "record_versions", "record_keys", "audit_entries"):
            out[table] = int(conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
    engine.dispose()
    return out


def bench_backend(backend: str, *, path: Path, n: int, batch: int, keep: bool) -> dict[str, Any]:
    common.console.rule(f"[bold]{backend}[/] · {n:,} entidades")
    data_dir, url = fresh_node(backend, n)
    if backend == "postgresql":
        anchor_url = common.pg_create(db_name("anchor", n))
    else:
        anchor_url = f"sqlite:///{(data_dir / 'anchor.db').resolve()}"
    try:
        anchor = _child("anchor", path=path, n=n, url=anchor_url, data_dir=data_dir, batch=batch)
        ours = _child("ours", path=path, n=n, url=url, data_dir=data_dir, batch=batch)
        stored = counts(data_dir, url)
    finally:
        if backend == "postgresql":
            common.pg_drop(db_name("anchor", n))
        else:
            (data_dir / "anchor.db").unlink(missing_ok=True)
    if keep:
        marker = {"backend": backend, "n": n, "database_url": url, "file": str(path)}
        (data_dir / "bench-node.json").write_text(json.dumps(marker), encoding="utf-8")
        common.console.print(f"Nodo conservado en {data_dir} para bench_search.py.")
    else:
        if backend == "postgresql":
            common.pg_drop(db_name("node", n))
        common.reset_dir(data_dir).rmdir()
    return {
        "n": n,
        "ours": ours,
        "anchor": anchor,
        "ratio_anchor_over_ours": anchor["records_per_s"] / ours["records_per_s"],
        "stored": stored,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="FtM entities to import")
    parser.add_argument("--backends", default=",".join(common.BACKENDS))
    parser.add_argument("--batch", type=int, default=Settings().import_batch)
    parser.add_argument("--keep", action="store_true", help="keep nodes for bench_search.py")
    parser.add_argument("--no-save", action="store_true", help="do not write node.json")
    parser.add_argument("--worker", choices=["ours", "anchor"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - set(common.BACKENDS)
    if unknown:
        parser.error(f"unknown backends: {', '.join(sorted(unknown))}")
    if "postgresql" in backends and not common.pg_available():
        parser.error(f"PostgreSQL not reachable at {common.PG_ADMIN}")
    path = common.data_file(args.n)
    results: dict[str, Any] = {}
    for backend in backends:
        results[backend] = bench_backend(
            backend, path=path, n=args.n, batch=args.batch, keep=args.keep
        )
    table = Table(title=f"Importación de {args.n:,} entidades FtM (lote {args.batch:,})")
    for col in ("backend", "alianza rec/s", "ancla rec/s", "ancla/alianza"):
        table.add_column(col, justify="right")
    for col in ("s alianza", "s ancla", "RSS pico alianza", "RSS pico ancla"):
        table.add_column(col, justify="right")
    for backend, r in results.items():
        ours, anchor = r["ours"], r["anchor"]
        table.add_row(
            backend,
            f"{ours['records_per_s']:,.0f}",
            f"{anchor['records_per_s']:,.0f}",
            f"{r['ratio_anchor_over_ours']:.1f}x",
            f"{ours['seconds']:,.1f}",
            f"{anchor['seconds']:,.1f}",
            f"{ours['peak_rss_mb']:,.0f} MiB",
            f"{anchor['peak_rss_mb']:,.0f} MiB",
        )
    common.console.print(table)
    for backend, r in results.items():
        common.console.print(f"{backend}: filas guardadas {r['stored']}")
    if not args.no_save:
        saved = common.save_results(
            "import",
            {
                "n": args.n,
                "batch": args.batch,
                "file": path.name,
                "anchor": "json.loads + INSERT (id, body) con SQLAlchemy Core, mismo lote",
                "backends": results,
            },
        )
        common.console.print(f"Resultados en {saved.relative_to(common.REPO)}")


if __name__ == "__main__":
    main()
