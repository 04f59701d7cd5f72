"""Engine, session and base model.

The embedded default is a SQLite file in the node's data directory; production uses
PostgreSQL through ``ALIANZA_DATABASE_URL``. The schema is owned by Alembic
(``migrations/``): a fresh node runs the migrations, never ``create_all``.
"""

from __future__ import annotations

import contextlib
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

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# The newest migration; tests check it equals Alembic's head, so the two cannot drift.
SCHEMA_REVISION = "0002"

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

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


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
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if revision != SCHEMA_REVISION:
        engine.dispose()
        raise NodeNotInitialised(
            f"El esquema de {settings.data_dir} está en la versión {revision}, no en "
            f"{SCHEMA_REVISION}: ejecute 'alianza node migrate --dir {settings.data_dir}'."
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
