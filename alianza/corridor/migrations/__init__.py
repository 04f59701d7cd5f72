"""The corridor domain's Alembic revisions (branch ``corridor``, on the core's 0005)."""
