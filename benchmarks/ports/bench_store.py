"""Storing 1,000,000 export declarations in a node, next to a bare bulk insert.

    .venv/bin/python benchmarks/ports/bench_store.py [--rows 1000000]

Ours: ``alianza ports declarations import FILE.csv`` on a fresh SQLite node, as a port
analyst (the contract's checks, the agency's ownership, the audit entry, a progress bar).
Anchor: the same CSV read by pyarrow and inserted into an SQLite table of the same
columns with ``executemany``, no checks. Target (issue 12): a million rows in under a
minute. Figures go to ``benchmarks/results/ports.json`` (section ``store``).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "node"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import pyarrow.csv as pacsv
from bench_targeting import save

from alianza.auth import service as auth
from alianza.db import transaction
from alianza.node.flows import init_node
from alianza.ports.contract import HEADER
from alianza.ports.synthetic import generate, write_csv
from alianza.settings import Settings

console = common.console


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    version = common.code_version()
    work = common.reset_dir(common.CACHE / "ports-store")
    days = 365
    per_year = int(args.rows * 365 / days)
    frame = generate(seed=31, start=date(2025, 1, 1), days=days, per_year=per_year)
    path = work / "declaraciones.csv"
    write_csv(frame, path)
    rows = len(frame)
    console.print(f"{rows:,} declaraciones en {path}")

    settings = Settings(data_dir=work / "nodo", database_url="")
    node = init_node(settings, country="EC", agency="SENAE")
    with transaction(node.sessions) as session:
        auth.add_user(
            session, node=node, principal=node.system, username="rosa", full_name="Rosa",
            country="EC", agency="SENAE", role="port_analyst",
        )  # fmt: skip
    node.engine.dispose()
    cli = [str(Path(sys.executable).with_name("alianza")), "ports", "declarations", "import"]
    start = time.perf_counter()
    done = subprocess.run(
        [*cli, str(path), "--dir", str(settings.data_dir), "--user", "rosa", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
    )
    ours = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr)

    start = time.perf_counter()
    table = pacsv.read_csv(str(path))
    con = sqlite3.connect(work / "anchor.db")
    con.execute(f"CREATE TABLE d ({', '.join(HEADER)})")
    columns = [table.column(c).to_pylist() for c in HEADER]
    con.executemany(
        f"INSERT INTO d VALUES ({', '.join('?' * len(HEADER))})",
        zip(*columns, strict=True),
    )
    con.commit()
    con.close()
    anchor = time.perf_counter() - start
    console.print(
        f"alianza: {ours:.1f} s ({rows / ours:,.0f} filas/s) · inserción sin controles: "
        f"{anchor:.1f} s ({rows / anchor:,.0f} filas/s) · {ours / anchor:.1f}× · "
        f"objetivo < 60 s: {'cumple' if ours < 60 else 'no cumple'}"
    )
    save(
        "store",
        {
            "rows": rows,
            "ours_seconds": round(ours, 1),
            "anchor_seconds": round(anchor, 1),
            "ratio": round(ours / anchor, 2),
            "target_seconds": 60,
            "summary": done.stdout.strip(),
        },
        version,
    )


if __name__ == "__main__":
    main()
