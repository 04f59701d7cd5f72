"""Alembic environment: the URL comes from the caller (``alianza.db.migrate``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

import alianza.audit.models
import alianza.auth.models
import alianza.exchange.models
import alianza.node.models
import alianza.records.models  # noqa: F401  (register every table on the metadata)
from alianza.db import Base

target_metadata = Base.metadata


def run() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set"
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
