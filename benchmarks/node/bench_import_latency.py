"""Does the node keep answering while a big import runs over the API? (issue 9, F1)

A real ``alianza serve`` process on SQLite (the embedded default, where a long write
transaction matters most). The anchor is the same server idle: ``GET /api/v1/node``
timed N times before the import. Then ``POST /api/v1/records/import`` of a file of
``--n`` synthetic FtM entities (100,000 by default) runs in a thread while the same GET
is timed over and over until the import ends. Printed: p50, p99 and max of both, and their
ratio; the import's own time. Before the fix the import ran on the event loop and the
same GET took 11 s.

    .venv/bin/python benchmarks/node/bench_import_latency.py [--n 100000]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import httpx2

from alianza.auth import service as auth
from alianza.db import transaction
from alianza.node.flows import init_node
from alianza.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed_gets(
    client: httpx2.Client, url: str, *, count: int | None, until: threading.Event | None
) -> list[float]:
    """Milliseconds of sequential GETs: ``count`` of them, or until ``until`` is set."""
    times: list[float] = []
    while (count is not None and len(times) < count) or (until is not None and not until.is_set()):
        start = time.perf_counter()
        client.get(url).raise_for_status()
        times.append((time.perf_counter() - start) * 1000)
        time.sleep(0.01)
    return times


def summary(times: list[float]) -> dict[str, float]:
    return {
        "requests": len(times),
        "p50_ms": round(common.percentile(times, 50), 1),
        "p99_ms": round(common.percentile(times, 99), 1),
        "max_ms": round(max(times), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    source = common.data_file(args.n)
    directory = common.reset_dir(common.CACHE / "import-latency")
    node = init_node(Settings(data_dir=directory), country=common.COUNTRY, agency=common.AGENCY)
    with transaction(node.sessions) as session:
        auth.add_user(
            session,
            node=node,
            principal=node.system,
            username="importador",
            full_name="importador",
            country=node.country,
            agency=node.agency,
            role="analyst",
        )
        token, _ = auth.issue_token(
            session, node=node, principal=node.system, username="importador", ttl_days=1
        )
    node.close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALIANZA_")}
    env["ALIANZA_DATA_DIR"] = str(directory)
    # 100,000 entities are ~73 MB, over the default 50 MiB body limit: raise it for this run.
    env["ALIANZA_MAX_BODY_BYTES"] = str(max(source.stat().st_size + 2**20, 50 * 2**20))
    server = subprocess.Popen(
        [sys.executable, "-m", "alianza.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx2.Client(timeout=120) as client:
            for _ in range(600):
                try:
                    client.get(f"{base}/api/v1/node")
                    break
                except httpx2.HTTPError:
                    time.sleep(0.1)
            idle = timed_gets(client, f"{base}/api/v1/node", count=300, until=None)
            done = threading.Event()
            outcome: dict[str, Any] = {}

            def run_import() -> None:
                started = time.perf_counter()
                with httpx2.Client(timeout=3600) as importer:
                    answer = importer.post(
                        f"{base}/api/v1/records/import",
                        params={"purpose": "control portuario", "legal_basis": "Ley 20.000"},
                        headers={"Authorization": f"Bearer {token}"},
                        content=source.read_bytes(),
                    )
                outcome["status"] = answer.status_code
                outcome["body"] = answer.text[:300]
                outcome["seconds"] = round(time.perf_counter() - started, 1)
                done.set()

            thread = threading.Thread(target=run_import)
            thread.start()
            busy = timed_gets(client, f"{base}/api/v1/node", count=None, until=done)
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    if outcome.get("status") != 200:
        raise SystemExit(f"the import failed: {outcome}")
    result = {
        "n": args.n,
        "import_seconds": outcome["seconds"],
        "idle": summary(idle),
        "during_import": summary(busy),
        "p99_ratio": round(summary(busy)["p99_ms"] / max(summary(idle)["p99_ms"], 0.1), 2),
    }
    print(result)
    common.save_results("import_latency", result)


if __name__ == "__main__":
    main()
