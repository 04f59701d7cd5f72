"""The status domain's own Alembic branch (``status``), depending on the core's 0005."""
