"""Hit/no-hit over HTTP against a node holding N records, next to a bare lookup server.

    .venv/bin/python benchmarks/exchange/bench_hits.py [--records 1000000] [--seconds 20]

Ours: signed ``query.hit`` messages from a registered peer to ``alianza serve`` (signature,
freshness, replay check, scope, hit references and an audit entry on the owner, a signed
reply). Anchor, same data and load: a bare FastAPI app on the same database that answers
an unsigned GET with the indexed key lookup alone (no scope, no audit, no signature) — the
floor for "HTTP + index". Targets (issue 10): SQLite >= 1,000 queries/s with p99 <= 30 ms;
PostgreSQL (``--database-url``, ``--workers 2``) >= 700 queries/s with p99 <= 50 ms.

The owner node it builds holds the synthetic records with the benchmark's sharing
(``bench_rules``): 5% may be found by the asking peer (EC), half by scope and half only by
``discoverable``; the queries ask ~70% for keys EC may discover, the rest miss.

The load comes from wrk (Debian's ``wrk``), which costs little of the two cores the server
shares with it; the messages are signed beforehand, one per request (a nonce is good once),
because the asking node's signing is not the owner's throughput. After the run the owner's
audit log must hold one new entry per answered query, or the script fails.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "node"))

import common
import httpx2
import orjson
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from alianza.audit.models import AuditEntry
from alianza.auth import service as auth
from alianza.auth.permissions import Action, Principal, visible
from alianza.db import transaction
from alianza.exchange import service as exchange_service
from alianza.node.context import open_node
from alianza.node.flows import init_node
from alianza.records import ftm
from alianza.records.importer import import_items
from alianza.records.models import Record, RecordKey
from alianza.settings import Settings

console = Console()
ANCHOR_APP = """
from fastapi import FastAPI
from sqlalchemy import create_engine, text
app = FastAPI()
engine = create_engine({url!r}, pool_size=10)
QUERY = text("SELECT record_id FROM record_keys WHERE key = :k LIMIT 10")
@app.get("/hit")
def hit(key: str) -> dict:
    with engine.connect() as conn:
        rows = conn.execute(QUERY, {{"k": key}}).fetchall()
    return {{"result": "HIT" if rows else "NO_HIT", "n": len(rows)}}
"""


SHARED_EVERY = 20  # one record in 20 (5%) may be found by the asking peer (EC)


def bench_rules(i: int, rules: dict[str, Any]) -> dict[str, Any]:
    """The generator's rules with the benchmark's sharing: 5% findable by EC, half of them
    by scope (``partners: [EC]``), half only by ``discoverable`` (the discover rule); the
    other 95% stay in Chile (``agency`` or ``country``, not discoverable)."""
    out = {k: v for k, v in rules.items() if k not in ("scope_countries", "discoverable")}
    if i % SHARED_EVERY:
        out["scope"] = "agency" if i % 2 else "country"
        out["discoverable"] = "none"
    elif i % (2 * SHARED_EVERY):
        out["scope"] = "country"
        out["discoverable"] = "partners"
        out["discoverable_countries"] = ["EC"]
    else:
        out["scope"] = "partners"
        out["scope_countries"] = ["EC"]
    return out


def owner_node(n: int, database_url: str = "") -> Path:
    """A CL node holding ``n`` records, 5% findable by EC (built once, kept in the cache)."""
    backend = "postgresql" if database_url else "sqlite"
    directory = common.CACHE / f"exchange-owner-{backend}-{n}"
    settings = Settings(data_dir=directory, database_url=database_url)
    if settings.key_path.exists():
        subprocess.run(
            [sys.executable, "-m", "alianza.cli", "node", "migrate", "--dir", str(directory)],
            check=True,
            capture_output=True,
            env={**os.environ, "ALIANZA_DATABASE_URL": database_url},
        )
        return directory
    common.reset_dir(directory)
    if database_url:
        common.pg_create(database_url.rsplit("/", 1)[1])
    node = init_node(settings, country="CL", agency="PDI")
    with transaction(node.sessions) as s:
        ana = auth.principal_of(
            auth.add_user(
                s,
                node=node,
                principal=node.system,
                username="ana",
                full_name="Ana",
                country="CL",
                agency="PDI",
                role="analyst",
            )
        )
    path = common.data_file(n)
    with common.progress_bar() as bar, transaction(node.sessions) as s:
        task = bar.add_task(f"nodo dueño: {n:,} registros", total=n)
        with path.open(encoding="utf-8") as fh:
            import_items(
                s,
                node=node,
                principal=ana,
                items=(
                    dataclasses.replace(item, rules=bench_rules(i, item.rules))
                    for i, item in enumerate(ftm.read_lines(fh))
                ),
                progress=lambda k: bar.advance(task, k),
            )
    node.engine.dispose()
    return directory


def queries(
    directory: Path, peer_country: str, count: int, database_url: str = ""
) -> list[dict[str, Any]]:
    """Identifier queries: ~70% of keys the peer may discover (hits), the rest misses."""
    node = open_node(Settings(data_dir=directory, database_url=database_url))
    peer = Principal.peer(node_id="", country=peer_country, agency="Policía Nacional")

    with node.sessions() as s:
        keys = list(
            s.scalars(
                select(RecordKey.key)
                .join(Record, Record.id == RecordKey.record_id)
                .where(
                    RecordKey.key.like("id:%"),
                    Record.kind == "container",
                    Record.deleted.is_(False),
                    visible(peer, Action.DISCOVER, Record),
                )
                .limit(count)
            )
        )
    node.engine.dispose()
    rng = random.Random(7)
    out = []
    for i in range(count):
        if keys and rng.random() < 0.7:
            number = rng.choice(keys)[3:]
        else:
            number = f"ZZZU{rng.randrange(10**7):07d}"
        out.append(
            {
                "kind": "container",
                "values": {"number": number},
                "purpose": "port_control",
                "requested_by": f"bench-{i}",
            }
        )
    return out


LUA = Path(__file__).resolve().parent / "wrk_hits.lua"


def presign(asker_dir: Path, owner_id: str, work: list[dict[str, Any]], path: Path) -> Path:
    """One signed ``query.hit`` message per line (each nonce can be sent once)."""
    from alianza.exchange.envelope import seal

    asker = open_node(Settings(data_dir=asker_dir, database_url=""))
    with path.open("wb") as fh:
        for body in work:
            message = seal(asker, recipient=owner_id, type="query.hit", body=body)
            fh.write(orjson.dumps(message) + b"\n")
    asker.close()
    return path


def anchor_paths(work: list[dict[str, Any]], path: Path) -> Path:
    """The same keys as unsigned GET paths for the anchor."""
    with path.open("w", encoding="utf-8") as fh:
        for body in work:
            fh.write(f"/hit?key=id:{body['values']['number']}\n")
    return path


def load(
    url: str, lines: Path, *, mode: str, seconds: int, connections: int, threads: int
) -> dict[str, float]:
    """Drive ``url`` with wrk (C, so the load costs little of the two cores we share)."""
    if shutil.which("wrk") is None:
        raise SystemExit("Falta wrk: apt-get install -y wrk")
    env = {
        **os.environ,
        "ALIANZA_WRK_LINES": str(lines),
        "ALIANZA_WRK_MODE": mode,
        "ALIANZA_WRK_THREADS": str(threads),
    }
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    out = subprocess.run(
        [*command, "--timeout", "10s", "-s", str(LUA), url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    raw = json.loads(out.strip().splitlines()[-1])
    wall = raw["duration_us"] / 1e6
    return {
        "queries": raw["requests"],
        "refused_or_failed": raw["non2xx"] + raw["socket_errors"],
        "seconds": round(wall, 2),
        "qps": round(raw["requests"] / wall, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
    }


def received(directory: Path, database_url: str) -> int:
    """Hit/no-hit queries in the owner's audit log (each answered query has one)."""
    node = open_node(Settings(data_dir=directory, database_url=database_url))
    with node.sessions() as s:
        n = s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "exchange.query_received")
        )
    node.close()
    return int(n or 0)


def serve(cmd: list[str], url: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            httpx2.get(url, timeout=1)
            return proc
        except httpx2.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"no arrancó: {cmd}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument(
        "--queries", type=int, default=40_000, help="mensajes firmados de antemano (uno por envío)"
    )
    parser.add_argument("--seconds", type=int, default=20, help="duración de cada carga")
    parser.add_argument("--connections", type=int, default=16, help="conexiones abiertas")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="procesos del servidor (1 con SQLite: un solo escritor)",
    )
    parser.add_argument("--threads", type=int, default=2, help="hilos de wrk")
    parser.add_argument(
        "--owner-dir",
        type=Path,
        default=None,
        help="nodo ya poblado (p. ej. el que deja bench_import.py --keep)",
    )
    parser.add_argument(
        "--database-url", default="", help="base PostgreSQL de ese nodo (vacío: su SQLite)"
    )
    args = parser.parse_args()
    db_env = {"ALIANZA_DATABASE_URL": args.database_url} if args.database_url else {}

    if args.owner_dir is not None:
        subprocess.run(
            [sys.executable, "-m", "alianza.cli", "node", "migrate", "--dir", str(args.owner_dir)],
            check=True,
            capture_output=True,
            env={**os.environ, **db_env},
        )
        owner_dir = args.owner_dir
    else:
        owner_dir = owner_node(args.records, args.database_url)
    asker_dir = common.reset_dir(common.CACHE / "exchange-asker")
    asker = init_node(
        Settings(data_dir=asker_dir, database_url=""), country="EC", agency="Policía Nacional"
    )
    owner = open_node(Settings(data_dir=owner_dir, database_url=args.database_url))
    port, anchor_port = 8791, 8792
    owner_url = f"http://127.0.0.1:{port}"
    with transaction(owner.sessions) as s:
        from alianza.exchange.models import Peer

        for old in s.scalars(select(Peer)):
            s.delete(old)
        s.flush()
        exchange_service.add_peer(
            s,
            node=owner,
            actor=owner.system,
            node_id=asker.node_id,
            country="EC",
            agency="Policía Nacional",
            url="http://127.0.0.1:9",
            public_key=asker.key.public_hex,
        )
    owner_id = owner.node_id
    owner.engine.dispose()
    asker.engine.dispose()
    work = queries(owner_dir, "EC", args.queries, args.database_url)

    env = {
        **os.environ,
        **db_env,
        "ALIANZA_PEER_QUERY_RATE": "1000000",
        "ALIANZA_PEER_QUERY_BURST": "1000000",
    }
    server = serve(
        [
            sys.executable,
            "-m",
            "alianza.cli",
            "serve",
            "--dir",
            str(owner_dir),
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        owner_url + "/api/v1/node",
        env,
    )
    anchor_file = common.CACHE / "anchor_hits.py"
    anchor_url_db = args.database_url or f"sqlite:///{owner_dir / 'alianza.db'}"
    anchor_file.write_text(ANCHOR_APP.format(url=anchor_url_db))
    # The server loads its screening list beside it at start; measure once it is in.
    while not httpx2.get(owner_url + "/api/v1/node", timeout=30).json()["watch_list_loaded"]:
        time.sleep(1)
    lines = presign(asker_dir, owner_id, work, common.CACHE / "hits-signed.jsonl")
    before = received(owner_dir, args.database_url)
    run = {"seconds": args.seconds, "connections": args.connections, "threads": args.threads}
    try:
        console.print(f"nuestro: consultas firmadas a {owner_url} durante {args.seconds} s ...")
        ours = load(owner_url, lines, mode="post", **run)
    finally:
        server.terminate()
        server.wait()
    audited = received(owner_dir, args.database_url) - before
    answered = ours["queries"] - ours["refused_or_failed"]
    console.print(f"respuestas 200: {answered:,}; entradas de auditoría nuevas: {audited:,}")
    # wrk stops with up to one request per connection in flight: answered and audited by
    # the server, never counted by wrk.
    if not answered <= audited <= answered + args.connections:
        raise SystemExit("¡Respuestas sin entrada de auditoría o al revés!")
    anchor_url = f"http://127.0.0.1:{anchor_port}"
    anchor_server = serve(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(common.CACHE),
            "anchor_hits:app",
            "--port",
            str(anchor_port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        anchor_url + "/docs",
        env,
    )
    try:
        console.print("ancla: las mismas consultas sin firma ni auditoría ...")
        anchor = load(
            anchor_url, anchor_paths(work, common.CACHE / "hits-anchor.txt"), mode="get", **run
        )
    finally:
        anchor_server.terminate()
        anchor_server.wait()

    table = Table(
        "", "consultas/s", "p50 ms", "p99 ms", title=f"hit/no-hit · {args.records:,} registros"
    )
    table.add_row(
        "alianza (firmado, auditado)", str(ours["qps"]), str(ours["p50_ms"]), str(ours["p99_ms"])
    )
    table.add_row(
        "ancla (HTTP + índice)", str(anchor["qps"]), str(anchor["p50_ms"]), str(anchor["p99_ms"])
    )
    ratio = round(anchor["qps"] / ours["qps"], 2) if ours["qps"] else None
    table.add_row("razón ancla/nuestro", str(ratio), "", "")
    console.print(table)
    results = common.REPO / "benchmarks" / "results" / "exchange.json"
    data = json.loads(results.read_text()) if results.exists() else {}
    data["hits_postgresql" if args.database_url else "hits"] = {
        "records": args.records,
        "ours": ours,
        "anchor": anchor,
        "anchor_over_ours_qps": ratio,
        "server_workers": args.workers,
        "load": f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s",
        "targets": {"qps": 700, "p99_ms": 50} if args.database_url else {"qps": 1000, "p99_ms": 30},
        "shared": "5% (1 in 20) findable by EC"
        if owner_dir.name.startswith("exchange-owner-")
        else "as imported",
        "machine": common.machine(),
        "date": common.today(),
        "command": common.command_line(),
    }
    results.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
