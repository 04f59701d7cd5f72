"""Fixtures shared by the whole suite.

Backend: ``--db sqlite`` (default) or ``--db postgresql`` (the server at 127.0.0.1:5432,
``ALIANZA_TEST_PG_ADMIN`` to point elsewhere). ``make test`` runs the suite once per
backend. On PostgreSQL every database the suite makes is called ``alianza_t_*`` and is
dropped at the end.

- ``base_node``  (session) one initialised node: migrations run, key pair, identity.
- ``node``       that node, bound to one connection inside a transaction that is rolled
                 back after the test; services and views commit only to a savepoint.
- ``factory``    builds users (with tokens) and records on ``node``.
- ``client``     FastAPI ``TestClient`` over ``create_app(node=node)``.
- ``fresh``      a brand-new node directory (and database) that a test may break on disk
                 or hand to a real ``alianza`` process; ``fresh.env`` is its environment.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from alianza.app import create_app
from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.node.context import Node
from alianza.node.flows import init_node
from alianza.records import service as records
from alianza.records.rules import Rules
from alianza.settings import Settings

PG_ADMIN = os.environ.get(
    "ALIANZA_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
_counter = itertools.count()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=["sqlite", "postgresql"],
        default=os.environ.get("ALIANZA_TEST_DB", "sqlite"),
        help="database backend for the whole suite",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``once`` (fuzzing, the API attack: slow, and about our code rather
    than the database) run on the SQLite pass only."""
    if config.getoption("--db") != "postgresql":
        return
    skip = pytest.mark.skip(reason="se prueba una vez, en la pasada de SQLite")
    for item in items:
        if item.get_closest_marker("once") is not None:
            item.add_marker(skip)


def pytest_report_header(config: pytest.Config) -> str:
    return f"alianza backend: {config.getoption('--db')}"


class PgDatabases:
    """Creates and drops throw-away PostgreSQL databases."""

    def __init__(self) -> None:
        self.admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        self.made: list[str] = []
        self.tag = uuid.uuid4().hex[:8]

    def new(self) -> str:
        name = f"alianza_t_{self.tag}_{next(_counter)}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.made.append(name)
        return PG_ADMIN.rsplit("/", 1)[0] + "/" + name

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest.fixture(scope="session")
def pg(backend: str) -> Iterator[PgDatabases | None]:
    if backend != "postgresql":
        yield None
        return
    dbs = PgDatabases()
    yield dbs
    dbs.drop_all()


def _settings(tmp: Path, pg: PgDatabases | None, **extra: Any) -> Settings:
    url = pg.new() if pg is not None else ""
    return Settings(data_dir=tmp, database_url=url, **extra)


@pytest.fixture(scope="session")
def base_node(tmp_path_factory: pytest.TempPathFactory, pg: PgDatabases | None) -> Iterator[Node]:
    # No audit timer: the tests' node shares one connection, which a timer thread would use
    # behind the test's back (tests/audit drives the timer itself with ``tick``).
    settings = _settings(
        tmp_path_factory.mktemp("node"), pg, checkpoint_every=50, audit_timer_seconds=0
    )
    node = init_node(settings, country="CL", agency="PDI")
    yield node
    node.engine.dispose()


@pytest.fixture
def node(base_node: Node) -> Iterator[Node]:
    conn = base_node.engine.connect()
    outer = conn.begin()
    sessions = sessionmaker(
        bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    yield dataclasses.replace(base_node, sessions=sessions, reader=None)
    outer.rollback()
    conn.close()


RULES = {"purpose": "investigación de tráfico de drogas", "legal_basis": "Ley 20.000"}


@dataclasses.dataclass
class Factory:
    """Builds domain objects on a node (committing to the test's savepoint)."""

    node: Node

    def user(
        self,
        username: str,
        role: str,
        *,
        country: str = "CL",
        agency: str = "PDI",
        password: str | None = None,
    ) -> tuple[Principal, str]:
        # The operator of that agency's node (a test node hosts callers of many agencies).
        operator = Principal.system(country=country, agency=agency)
        with self.node.sessions() as session:
            user = auth.add_user(
                session,
                node=self.node,
                principal=operator,
                username=username,
                full_name=username,
                country=country,
                agency=agency,
                role=role,
                password=password,
            )
            token, _ = auth.issue_token(
                session, node=self.node, principal=operator, username=username, ttl_days=1
            )
            session.commit()
            return auth.principal_of(user), token

    def record(
        self, principal: Principal, kind: str, data: dict[str, Any], **rules: Any
    ) -> records.RecordView:
        """A record; a ``review_date`` already past is reached by letting time pass: the
        record is written without it (a local write refuses a past date), then its row's
        review date is moved back, as if it had been written years ago."""
        past = rules.get("review_date")
        if past is not None and date.fromisoformat(str(past)) < date.today():
            rules = {k: v for k, v in rules.items() if k != "review_date"}
        else:
            past = None
        with self.node.sessions() as session:
            view = records.create_record(
                session,
                node=self.node,
                principal=principal,
                kind=kind,
                data=data,
                rules=Rules(**{**RULES, **rules}),
            )
            if past is not None:
                view.record.review_date = date.fromisoformat(str(past))
                session.flush()
            session.commit()
            return view


@pytest.fixture
def factory(node: Node) -> Factory:
    return Factory(node)


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node=node), raise_server_exceptions=True) as c:
        yield c


@dataclasses.dataclass
class FreshNode:
    """A node directory of its own, for tests that touch disk or run real processes."""

    dir: Path
    env: dict[str, str]
    settings: Settings
    opened: list[Node] = dataclasses.field(default_factory=list)

    def init(
        self,
        *,
        country: str = "CL",
        agency: str = "PDI",
        pkcs11: str | None = None,
        **overrides: Any,
    ) -> Node:
        """Initialise the node in-process (its engine is disposed after the test)."""
        node = init_node(
            self.settings.model_copy(update=overrides),
            country=country,
            agency=agency,
            pkcs11=pkcs11,
        )
        self.opened.append(node)
        return node

    def cli(
        self, *args: str, input: str | None = None, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run the real ``alianza`` command against this node."""
        proc = subprocess.run(
            [sys.executable, "-m", "alianza.cli", *args],
            input=input,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=300,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"alianza {' '.join(args)} -> {proc.returncode}\n{proc.stderr}")
        return proc


@pytest.fixture
def fresh(tmp_path: Path, pg: PgDatabases | None) -> Iterator[FreshNode]:
    settings = _settings(tmp_path / "nodo", pg)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALIANZA_")}
    env.update({"ALIANZA_DATA_DIR": str(settings.data_dir), "COLUMNS": "200"})
    if settings.database_url:
        env["ALIANZA_DATABASE_URL"] = settings.database_url
    made = FreshNode(dir=settings.data_dir, env=env, settings=settings)
    yield made
    for opened in made.opened:
        opened.engine.dispose()
