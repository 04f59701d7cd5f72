"""Scoped search latency: ``records.search`` in-process and over HTTP, against a raw lookup.

A node holding N synthetic records (the one ``bench_import.py --keep`` left under
/tmp/alianza-bench, or one imported here once and kept there) answers the same queries
three ways, in rotating order, one query at a time:

- ``alianza`` in-process: ``records.search`` for a principal of one role and agency, in its
  own transaction, audited and committed, as a request does;
- ``alianza`` HTTP: ``GET /api/v1/records?q=...`` on the real API (``alianza serve`` in a
  subprocess) with a bearer token from ``alianza users add``, through an httpx2 client;
- anchor: the same key lookup as plain SQL on the ``record_keys`` index, with no scope,
  no ordering, no version fetch and no audit (``SELECT record_id FROM record_keys WHERE
  key = :k``; the word keys of a name go through the same GROUP BY/HAVING as ours), with
  the same LIMIT, in-process.

Queries are drawn from identifiers and surnames present in the data, plus misses.

    .venv/bin/python benchmarks/node/bench_search.py [--records 1000000] [--queries 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_import
import common
import httpx2
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from rich.table import Table
from sqlalchemy import create_engine, func, select, union
from sqlalchemy.engine import Connection

from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.db import alembic_config, transaction
from alianza.node.context import Node, open_node
from alianza.records import service as records
from alianza.records.keys import query_keys
from alianza.records.models import RecordKey
from alianza.settings import Settings

# Share of each kind of query (identifiers are what border and port checks type).
MIX = (("identificador", 40), ("apellido", 20), ("dos apellidos", 20), ("nombre", 10))
MISS_SHARE = 10
_TOKEN = re.compile(r"Token \(vence [^)]*\): (\S+)")


@dataclass(slots=True)
class Query:
    category: str
    text: str


# ------------------------------------------------------------------ node and queries


def kept_node(backend: str, n: int) -> tuple[Path, str]:
    """The node bench_import.py kept for (backend, n), or a new one imported now."""
    data_dir = bench_import.node_dir(backend, n)
    marker = data_dir / "bench-node.json"
    if marker.exists():
        url = str(json.loads(marker.read_text(encoding="utf-8"))["database_url"])
        if backend != "postgresql" or common.pg_exists(bench_import.db_name("node", n)):
            if at_head(Settings(data_dir=data_dir, database_url=url).sqlalchemy_url):
                return data_dir, url
            common.console.print(f"El nodo guardado en {data_dir} tiene un esquema anterior.")
    common.console.print(f"Importando un nodo {backend} de {n:,} registros para las consultas.")
    path = common.data_file(n)
    data_dir, url = bench_import.fresh_node(backend, n)
    bench_import.run_ours(data_dir=data_dir, url=url, path=path, n=n)
    marker.write_text(
        json.dumps({"backend": backend, "n": n, "database_url": url, "file": str(path)}),
        encoding="utf-8",
    )
    return data_dir, url


def at_head(url: str) -> bool:
    """Whether the database's schema is the newest migration (a kept node may predate it)."""
    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    engine = create_engine(url)
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    engine.dispose()
    return current == heads


def draw_queries(path: Path, *, count: int, seed: int) -> list[Query]:
    """``count`` queries from values present in the file, plus misses."""
    rng = random.Random(seed)
    pools: dict[str, list[str]] = defaultdict(list)
    keep = min(1.0, count * 20 / 1_000_000)
    id_props = ("idNumber", "passportNumber", "number", "registrationNumber", "imoNumber")
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if rng.random() > keep:
                continue
            entity = json.loads(line)
            props: dict[str, list[str]] = entity["properties"]
            for prop in id_props:
                pools["identificador"].extend(props.get(prop, []))
            if entity["schema"] == "Asset":  # containers travel as the asset's name
                pools["identificador"].extend(props.get("name", []))
            if entity["schema"] == "Person":
                pools["apellido"].extend(props.get("fatherName", []))
                pools["dos apellidos"].extend(props.get("lastName", []))
                pools["nombre"].extend(props.get("name", []))
    weights = [w for _, w in MIX] + [MISS_SHARE]
    kinds = [c for c, _ in MIX] + ["sin resultado"]
    out = []
    for category in rng.choices(kinds, weights=weights, k=count):
        if category == "sin resultado":
            out.append(Query(category, _miss(rng)))
        else:
            out.append(Query(category, rng.choice(pools[category])))
    return out


def _miss(rng: random.Random) -> str:
    # Shapes of real queries that no synthetic record carries (no such owner code or name).
    shapes: list[Callable[[], str]] = [
        lambda: f"QQQU{rng.randrange(10**7):07d}",
        lambda: f"{rng.randrange(90_000_000, 99_000_000)}-Z",
        lambda: "Xq" + "".join(rng.choice("bcdfghjklm") for _ in range(6)),
    ]
    return rng.choice(shapes)()


# ------------------------------------------------------------------ the three sides


def anchor_lookup(conn: Connection, q: str, limit: int) -> int:
    """The key lookup of ``records.search`` alone, as plain SQL (no scope, no audit)."""
    id_key, tokens = query_keys(q)
    keys = RecordKey.__table__
    id_match = select(keys.c.record_id).where(keys.c.key == id_key)
    if tokens:
        tok_match = (
            select(keys.c.record_id)
            .where(keys.c.key.in_(tokens))
            .group_by(keys.c.record_id)
            .having(func.count(func.distinct(keys.c.key)) == len(set(tokens)))
        )
        stmt = union(id_match, tok_match).limit(limit)
    else:
        stmt = id_match.limit(limit)
    return len(conn.execute(stmt).all())


def ours_lookup(node: Node, principal: Principal, q: str, limit: int) -> int:
    with transaction(node.sessions) as session:
        views = records.search(session, node=node, principal=principal, q=q, limit=limit)
        return len(views)


class Server:
    """``alianza serve`` in a subprocess, on a free loopback port."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "alianza.cli", "serve", "--dir", str(data_dir)]
        cmd += ["--port", str(self.port)]
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )

    def wait(self, client: httpx2.Client, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"alianza serve exited: {self.proc.stderr.read()}")  # type: ignore[union-attr]
            try:
                if client.get(f"{self.base}/api/v1/node").status_code == 200:
                    return
            except httpx2.TransportError:
                time.sleep(0.2)
        raise SystemExit("alianza serve did not answer in time")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def cli_env(data_dir: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALIANZA_")}
    env.update({"ALIANZA_DATA_DIR": str(data_dir), "COLUMNS": "400"})
    if url:
        env["ALIANZA_DATABASE_URL"] = url
    return env


def search_user(data_dir: Path, env: dict[str, str], *, role: str, agency: str) -> str:
    """Create (or reuse) the searching user with ``alianza users add``; return a token."""
    username = re.sub(r"[^a-z0-9]", "", f"bench{role}{agency}".lower())
    base = [sys.executable, "-m", "alianza.cli", "users"]
    add = [*base, "add", "--username", username, "--role", role, "--agency", agency]
    proc = subprocess.run(add, env=env, capture_output=True, text=True)
    if proc.returncode != 0:  # already there from an earlier run: a new token then
        proc = subprocess.run(
            [*base, "token", "--username", username], env=env, capture_output=True, text=True
        )
    found = _TOKEN.search(proc.stdout)
    if proc.returncode != 0 or found is None:
        raise SystemExit(f"alianza users: {proc.stdout}{proc.stderr}")
    return found.group(1)


# ------------------------------------------------------------------ one backend


def bench_backend(
    backend: str, *, n: int, queries: list[Query], role: str, agency: str, limit: int
) -> dict[str, Any]:
    common.console.rule(f"[bold]{backend}[/] · {n:,} registros · {len(queries):,} consultas")
    data_dir, url = kept_node(backend, n)
    env = cli_env(data_dir, url)
    token = search_user(data_dir, env, role=role, agency=agency)
    node = open_node(Settings(data_dir=data_dir, database_url=url))
    with node.sessions() as session:
        principal = auth.principal_of(auth.authenticate(session, token))
    plain = create_engine(node.settings.sqlalchemy_url)  # no pragmas, no BEGIN IMMEDIATE
    server = Server(data_dir, env)
    headers = {"authorization": f"Bearer {token}"}
    times: dict[str, list[float]] = {"alianza": [], "http": [], "ancla": []}
    by_cat: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    hits = {"alianza": 0, "http": 0, "ancla": 0}
    mismatches = 0
    try:
        with httpx2.Client(timeout=120) as client, plain.connect() as conn:
            server.wait(client)
            url_search = f"{server.base}/api/v1/records"

            def http_lookup(q: str) -> int:
                r = client.get(url_search, params={"q": q, "limit": limit}, headers=headers)
                r.raise_for_status()
                return len(r.json())

            sides: dict[str, Callable[[str], int]] = {
                "alianza": lambda q: ours_lookup(node, principal, q, limit),
                "http": http_lookup,
                "ancla": lambda q: anchor_lookup(conn, q, limit),
            }
            order = list(sides)
            for q in queries[:50]:  # warm-up: imports, caches, connections
                for side in order:
                    sides[side](q.text)
            with common.progress_bar() as bar:
                task = bar.add_task(f"Consultas {backend}", total=len(queries))
                for i, q in enumerate(queries):
                    got: dict[str, int] = {}
                    # Rotate who goes first, so no side always finds the pages cached.
                    for side in order[i % 3 :] + order[: i % 3]:
                        start = time.perf_counter()
                        got[side] = sides[side](q.text)
                        elapsed = (time.perf_counter() - start) * 1000
                        times[side].append(elapsed)
                        by_cat[q.category][side].append(elapsed)
                        hits[side] += got[side] > 0
                    mismatches += got["alianza"] != got["http"]
                    bar.advance(task)
    finally:
        server.stop()
        plain.dispose()
        node.engine.dispose()
    out: dict[str, Any] = {"records": n, "queries": len(queries)}
    for side, values in times.items():
        out[side] = _summary(values) | {"queries_with_results": hits[side]}
    out["ratio_p50_inprocess_over_anchor"] = out["alianza"]["p50_ms"] / out["ancla"]["p50_ms"]
    out["ratio_p99_inprocess_over_anchor"] = out["alianza"]["p99_ms"] / out["ancla"]["p99_ms"]
    out["ratio_p50_http_over_anchor"] = out["http"]["p50_ms"] / out["ancla"]["p50_ms"]
    out["ratio_p99_http_over_anchor"] = out["http"]["p99_ms"] / out["ancla"]["p99_ms"]
    out["inprocess_http_count_mismatches"] = mismatches
    out["by_category"] = {
        cat: {side: _summary(v) for side, v in sides_.items()} | {"queries": len(sides_["ancla"])}
        for cat, sides_ in sorted(by_cat.items())
    }
    return out


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(common.percentile(values, 50), 3),
        "p95_ms": round(common.percentile(values, 95), 3),
        "p99_ms": round(common.percentile(values, 99), 3),
        "mean_ms": round(sum(values) / len(values), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records in the node")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--backends", default=",".join(common.BACKENDS))
    parser.add_argument("--role", default="analyst", help="role of the searching user")
    parser.add_argument("--agency", default="Carabineros", help="agency of the searching user (CL)")
    parser.add_argument("--limit", type=int, default=50, help="page size, as the API default")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-save", action="store_true", help="do not write node.json")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if set(backends) - set(common.BACKENDS):
        parser.error(f"backends: {', '.join(common.BACKENDS)}")
    if "postgresql" in backends and not common.pg_available():
        parser.error(f"PostgreSQL not reachable at {common.PG_ADMIN}")
    queries = draw_queries(common.data_file(args.records), count=args.queries, seed=args.seed)
    results = {
        backend: bench_backend(
            backend,
            n=args.records,
            queries=queries,
            role=args.role,
            agency=args.agency,
            limit=args.limit,
        )
        for backend in backends
    }
    table = Table(
        title=f"Búsqueda con alcance: {args.records:,} registros, {args.queries:,} consultas, "
        f"{args.role}@{args.agency} (ms)"
    )
    for col in ("backend", "lado", "p50", "p95", "p99", "p50/ancla", "p99/ancla", "con result."):
        table.add_column(col, justify="right")
    for backend, r in results.items():
        for side, name in (("alianza", "en proceso"), ("http", "HTTP"), ("ancla", "ancla SQL")):
            s = r[side]
            p50r = s["p50_ms"] / r["ancla"]["p50_ms"]
            p99r = s["p99_ms"] / r["ancla"]["p99_ms"]
            table.add_row(
                backend,
                name,
                f"{s['p50_ms']:.2f}",
                f"{s['p95_ms']:.2f}",
                f"{s['p99_ms']:.2f}",
                f"{p50r:.1f}x",
                f"{p99r:.1f}x",
                f"{s['queries_with_results']:,}",
            )
    common.console.print(table)
    cats = Table(title="p50 por tipo de consulta (ms): en proceso / HTTP / ancla")
    cats.add_column("backend")
    cats.add_column("tipo")
    cats.add_column("n", justify="right")
    cats.add_column("p50", justify="right")
    cats.add_column("p99", justify="right")
    for backend, r in results.items():
        for cat, c in r["by_category"].items():
            p50 = " / ".join(f"{c[s]['p50_ms']:.2f}" for s in ("alianza", "http", "ancla"))
            p99 = " / ".join(f"{c[s]['p99_ms']:.2f}" for s in ("alianza", "http", "ancla"))
            cats.add_row(backend, cat, str(c["queries"]), p50, p99)
    common.console.print(cats)
    if not args.no_save:
        saved = common.save_results(
            "search",
            {
                "records": args.records,
                "queries": args.queries,
                "principal": {"role": args.role, "agency": args.agency, "country": "CL"},
                "limit": args.limit,
                "mix_percent": dict(MIX) | {"sin resultado": MISS_SHARE},
                "anchor": "record_keys lookup in plain SQL, same LIMIT, no scope/audit",
                "backends": results,
            },
        )
        common.console.print(f"Resultados en {saved.relative_to(common.REPO)}")


if __name__ == "__main__":
    main()
