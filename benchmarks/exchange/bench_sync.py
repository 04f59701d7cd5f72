"""Time to sync N record versions between two real nodes, next to a raw table copy.

    .venv/bin/python benchmarks/exchange/bench_sync.py [--versions 100000]

Ours: an Ecuadorian node pulls, over HTTP, every version a Chilean node (``alianza serve``)
shares with it: signed pages, every version's signature and data hash verified, search keys
built, cursor committed per page. Anchor, same rows: copying the ``record_versions`` rows
from one SQLite file to another with SQLAlchemy Core, no HTTP, no checks — the floor.
Target (issue 10): <= 30 s for 100,000 versions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "node"))

import common
import httpx2
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, insert, select

from alianza.auth import service as auth
from alianza.db import transaction
from alianza.demo.generator import generate_records
from alianza.exchange import flows as exchange
from alianza.exchange import service as exchange_service
from alianza.node.flows import init_node
from alianza.records.importer import ImportItem, import_items
from alianza.records.models import RECORD_VERSIONS, Base
from alianza.settings import Settings

console = Console()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=1000)
    args = parser.parse_args()
    n = args.versions

    owner_dir = common.reset_dir(common.CACHE / f"sync-owner-{n}")
    puller_dir = common.reset_dir(common.CACHE / f"sync-puller-{n}")
    owner = init_node(Settings(data_dir=owner_dir, database_url=""), country="CL", agency="PDI")
    puller = init_node(
        Settings(data_dir=puller_dir, database_url="", sync_page=args.page),
        country="EC",
        agency="Policía Nacional",
    )
    with transaction(owner.sessions) as s:
        ana = auth.principal_of(
            auth.add_user(
                s,
                node=owner,
                principal=owner.system,
                username="ana",
                full_name="Ana",
                country="CL",
                agency="PDI",
                role="analyst",
            )
        )
    items = (
        ImportItem(
            where=str(i),
            kind=g.kind.value,
            data=g.data,
            rules={**g.rules, "scope": "members", "scope_countries": []},
            source_id=f"s{i}",
        )
        for i, g in enumerate(generate_records(n=n, seed=4))
    )
    with common.progress_bar() as bar, transaction(owner.sessions) as s:
        task = bar.add_task(f"nodo dueño: {n:,} versiones compartidas", total=n)
        import_items(
            s, node=owner, principal=ana, items=items, progress=lambda k: bar.advance(task, k)
        )
    port = 8793
    url = f"http://127.0.0.1:{port}"
    for a, b, b_url in ((owner, puller, "http://127.0.0.1:9"), (puller, owner, url)):
        with transaction(a.sessions) as s:
            exchange_service.add_peer(
                s,
                node=a,
                actor=a.system,
                node_id=b.node_id,
                country=b.country,
                agency=b.agency,
                url=b_url,
                public_key=b.key.public_hex,
            )
    owner.engine.dispose()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "alianza.cli",
            "serve",
            "--dir",
            str(owner_dir),
            "--port",
            str(port),
        ],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            try:
                httpx2.get(url + "/api/v1/node", timeout=1)
                break
            except httpx2.HTTPError:
                time.sleep(0.1)
        console.print(f"sincronizando {n:,} versiones por HTTP ...")
        start = time.perf_counter()
        [report] = exchange.sync_all(puller)
        ours = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait()
    assert report.error == "", report.error
    assert report.received == n, report

    anchor_db = common.CACHE / f"sync-anchor-{n}.db"
    anchor_db.unlink(missing_ok=True)
    source = create_engine(f"sqlite:///{owner_dir / 'alianza.db'}")
    target = create_engine(f"sqlite:///{anchor_db}")
    Base.metadata.tables["record_versions"].create(target)
    start = time.perf_counter()
    with source.connect() as src, target.begin() as dst:
        rows = src.execute(select(RECORD_VERSIONS)).mappings()
        chunk: list[dict[str, object]] = []
        for row in rows:
            chunk.append({k: v for k, v in row.items() if k != "id"})
            if len(chunk) == args.page:
                dst.execute(insert(RECORD_VERSIONS), chunk)
                chunk = []
        if chunk:
            dst.execute(insert(RECORD_VERSIONS), chunk)
    anchor = time.perf_counter() - start
    source.dispose()
    target.dispose()
    puller.engine.dispose()

    table = Table("", "segundos", "versiones/s", title=f"sync · {n:,} versiones")
    table.add_row("alianza (HTTP firmado, verificado)", f"{ours:.1f}", f"{n / ours:,.0f}")
    table.add_row("ancla (copia de filas)", f"{anchor:.1f}", f"{n / anchor:,.0f}")
    table.add_row("razón nuestro/ancla", f"{ours / anchor:.1f}", "")
    console.print(table)
    results = common.REPO / "benchmarks" / "results" / "exchange.json"
    data = json.loads(results.read_text()) if results.exists() else {}
    data["sync"] = {
        "versions": n,
        "page": args.page,
        "ours_seconds": round(ours, 1),
        "anchor_seconds": round(anchor, 1),
        "ratio": round(ours / anchor, 1),
        "pages": report.pages,
        "target_seconds": 30,
        "machine": common.machine(),
        "date": common.today(),
        "command": common.command_line(),
    }
    results.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
