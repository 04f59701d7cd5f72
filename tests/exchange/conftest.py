"""Real node processes for the exchange tests.

``nodes`` starts nodes on demand: each is initialised in-process (so the test holds a
``Node`` handle on the same database) and served by a real ``alianza serve`` process on a
free loopback port. ``pair`` is a Chilean PDI node and an Ecuadorian Policía Nacional node,
registered as each other's peers. Every process is killed at the end of the test.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest

from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.db import transaction
from alianza.exchange import service as exchange_service
from alianza.node.context import Node
from alianza.node.flows import init_node
from alianza.records.service import audit_act
from tests.conftest import PgDatabases


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Real node processes are a slow stage: run once per CI, on the SQLite pass (marker
    ``once``), except the sync tests, where the backend is what is under test (row locks,
    page commits and resumption on PostgreSQL)."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        real = "nodes" in fixtures or "pair" in fixtures
        if real and "test_sync.py" not in str(item.fspath):
            item.add_marker(pytest.mark.once)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    """One node: an in-process handle and a real server process."""

    node: Node
    env: dict[str, str]
    port: int
    proc: subprocess.Popen[bytes] | None = None
    users: dict[str, Principal] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.node.settings.data_dir / "server.log", "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "alianza.cli", "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"el servidor terminó: {self.log()}")
            try:
                if httpx2.get(self.url + "/api/v1/node", timeout=1).status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"el servidor no arrancó: {self.log()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def log(self) -> str:
        path = self.node.settings.data_dir / "server.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def user(self, username: str, role: str) -> Principal:
        with transaction(self.node.sessions) as session:
            user = auth.add_user(
                session,
                node=self.node,
                principal=self.node.system,
                username=username,
                full_name=username,
                country=self.node.country,
                agency=self.node.agency,
                role=role,
            )
            principal = auth.principal_of(user)
        self.users[username] = principal
        return principal

    def token(self, username: str) -> str:
        with transaction(self.node.sessions) as session:
            token, _ = auth.issue_token(
                session, node=self.node, principal=self.node.system, username=username, ttl_days=1
            )
        return token


class Nodes:
    def __init__(self, tmp: Path, pg: PgDatabases | None) -> None:
        self.tmp = tmp
        self.pg = pg
        self.all: list[Running] = []

    def new(self, country: str, agency: str, **env_extra: str) -> Running:
        data_dir = self.tmp / f"{country.lower()}-{len(self.all)}"
        url = self.pg.new() if self.pg is not None else ""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALIANZA_")}
        env.update({"ALIANZA_DATA_DIR": str(data_dir), **env_extra})
        if url:
            env["ALIANZA_DATABASE_URL"] = url
        from alianza.settings import Settings

        overrides = {k.removeprefix("ALIANZA_").lower(): v for k, v in env_extra.items()}
        settings = Settings(data_dir=data_dir, database_url=url, **overrides)  # type: ignore[arg-type]
        node = init_node(settings, country=country, agency=agency)
        running = Running(node=node, env=env, port=free_port())
        running.start()
        self.all.append(running)
        return running

    def close(self) -> None:
        for r in self.all:
            r.kill()
            r.node.engine.dispose()


@pytest.fixture
def nodes(tmp_path: Path, pg: PgDatabases | None) -> Iterator[Nodes]:
    made = Nodes(tmp_path, pg)
    yield made
    made.close()


def link(a: Running, b: Running) -> None:
    """Register ``b`` as a peer of ``a`` (keys exchanged out of band)."""
    with transaction(a.node.sessions) as session:
        exchange_service.add_peer(
            session,
            node=a.node,
            actor=a.node.system,
            node_id=b.node.node_id,
            country=b.node.country,
            agency=b.node.agency,
            url=b.url,
            public_key=b.node.key.public_hex,
        )
        audit_act(session, a.node, a.node.system, "test.link", b.node.node_id, {})


@pytest.fixture
def pair(nodes: Nodes) -> tuple[Running, Running]:
    cl = nodes.new("CL", "PDI")
    ec = nodes.new("EC", "Policía Nacional")
    link(cl, ec)
    link(ec, cl)
    return cl, ec
