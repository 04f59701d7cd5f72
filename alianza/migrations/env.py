"""Alembic environment: the URL comes from the caller (``alianza.db.migrate``); the tables
from every domain in the registry (``alianza.domains``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from alianza import domains
from alianza.db import Base

domains.import_models()  # every domain's tables on the metadata, from the registry
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
