"""records: comparison features stored with each person version (``record_features``)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00

The watch list reads the features instead of computing them for every record at start-up
(issue 11). Existing versions get none here (computing them needs the name model, not
SQL): the index computes what is missing, and ``alianza screen features`` stores it. A
trigger deletes a version's features when retention or a partner's retraction redacts
its data, whichever code does it, so derived personal data never outlives its source.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SQLITE_TRIGGER = """
CREATE TRIGGER record_features_redacted AFTER UPDATE OF data ON record_versions
WHEN NEW.data IS NULL
BEGIN
    DELETE FROM record_features WHERE record_id = NEW.record_id AND version = NEW.version;
END
"""
_PG_FUNCTION = """
CREATE FUNCTION record_features_redacted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM record_features WHERE record_id = NEW.record_id AND version = NEW.version;
    RETURN NULL;
END
$$
"""
_PG_TRIGGER = """
CREATE TRIGGER record_features_redacted AFTER UPDATE OF data ON record_versions
FOR EACH ROW WHEN (NEW.data IS NULL) EXECUTE FUNCTION record_features_redacted()
"""


def upgrade() -> None:
    op.create_table(
        "record_features",
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revision", sa.String(length=32), nullable=False),
        sa.Column("features", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"]),
        sa.PrimaryKeyConstraint("record_id", "version"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS record_features_redacted ON record_versions")
        op.execute("DROP FUNCTION IF EXISTS record_features_redacted()")
    else:
        op.execute("DROP TRIGGER IF EXISTS record_features_redacted")
    op.drop_table("record_features")
