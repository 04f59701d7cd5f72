"""Engine, session and base model.

The embedded default is a SQLite file in the node's data directory; production uses
PostgreSQL through ``ALIANZA_DATABASE_URL``. The schema is owned by Alembic
(``alianza/migrations/``, plus any domain's own folder): a fresh node runs the
migrations, never ``create_all``. Alembic's heads are the schema revision: a database at
an older revision asks for ``alianza node migrate``; one at a revision this code does not
know (written by a newer alianza) refuses to open.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, MetaData, create_engine, event, inspect, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from alianza.errors import NodeNotInitialised
from alianza.settings import Settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_WRITERS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table."""

    metadata = MetaData(naming_convention=NAMING)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; take it over
    # (SQLAlchemy's documented recipe) and begin IMMEDIATE so that two writers queue on the
    # busy timeout instead of failing half-way with "database is locked".
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for a SQLite or PostgreSQL URL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)

        # SQLite has one writer at a time. Threads of this process queue on a lock instead
        # of on SQLite's busy handler, whose growing sleeps (up to 100 ms each) turned a
        # 2 ms request into hundreds of milliseconds under load. Reentrant, so a thread
        # that opens a second connection gets SQLite's own "locked" error, not a hang.
        writer = threading.RLock()
        _WRITERS[engine] = writer

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            writer.acquire()
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                writer.release()
                raise

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _end(conn: Any) -> None:
            # Released already when a failed commit is followed by its rollback.
            with contextlib.suppress(RuntimeError):
                writer.release()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _sqlite_reader_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_reader(engine: Engine) -> Engine:
    """An engine for reads that must not queue behind writers.

    On SQLite every transaction of ``engine`` takes the single writer lock (see
    ``make_engine``), so a read would wait for a whole write; this second engine on the
    same file reads in WAL mode beside the writer and refuses to write. On PostgreSQL
    readers never wait for writers: the same engine is returned.
    """
    if engine.dialect.name != "sqlite":
        return engine
    reader = create_engine(engine.url, connect_args={"check_same_thread": False})
    event.listen(reader, "connect", _sqlite_reader_pragmas)
    return reader


def writer_lock(engine: Engine) -> threading.RLock | None:
    """The in-process writer lock of a SQLite engine (None on PostgreSQL).

    For code that must not wait for it: ``acquire(blocking=False)`` tells whether a write
    transaction would start now or queue behind another thread's.
    """
    return _WRITERS.get(engine)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that never expire objects on commit (API responses are built after it)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the project's migrations."""
    from alembic.config import Config  # imported here: most commands never migrate

    from alianza import domains

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    # Each domain may bring its own folder of revisions (a branch on the core's).
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option(
        "version_locations", os.pathsep.join(str(p) for p in domains.migration_folders())
    )
    return cfg


def schema_heads() -> set[str]:
    """The revisions a database of this code must be at (Alembic's heads)."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def known_revisions() -> set[str]:
    """Every revision this code knows of."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {rev.revision for rev in script.walk_revisions()}


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema."""
    from alembic import command

    command.upgrade(alembic_config(url), "heads")


def is_initialised(engine: Engine) -> bool:
    """Whether the node's tables exist."""
    return inspect(engine).has_table("node_identity")


def open_engine(settings: Settings) -> Engine:
    """Engine of an initialised node, or a readable error saying how to create it."""
    if not settings.database_url and not (settings.data_dir / "alianza.db").exists():
        raise NodeNotInitialised(
            f"No hay nodo en {settings.data_dir}: ejecute 'alianza node init --dir "
            f"{settings.data_dir} --country CL --agency PDI' primero."
        )
    engine = make_engine(settings.sqlalchemy_url)
    if not is_initialised(engine):
        engine.dispose()
        raise NodeNotInitialised(
            f"La base de datos de {settings.data_dir} no está inicializada: "
            "ejecute 'alianza node init'."
        )
    with engine.connect() as conn:
        current = {
            str(r) for r in conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
        }
    expected = schema_heads()
    if current != expected:
        engine.dispose()
        unknown = current - known_revisions()
        if unknown:
            raise NodeNotInitialised(
                f"El esquema de {settings.data_dir} ({', '.join(sorted(unknown))}) es más "
                "nuevo que esta versión de alianza: actualice alianza antes de abrir el nodo."
            )
        raise NodeNotInitialised(
            f"El esquema de {settings.data_dir} está en la versión "
            f"{', '.join(sorted(current)) or 'ninguna'}, no en {', '.join(sorted(expected))}: "
            f"ejecute 'alianza node migrate --dir {settings.data_dir}'."
        )
    return engine


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error (callers own this)."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
