"""records: who may learn by hit/no-hit that a record exists (``discoverable``); release
requests keep the receipt of an erased released copy

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 08:00:00

Existing records become exactly as discoverable as they were shared (their scope's
floor): nothing that was hidden before becomes findable by an upgrade. The node's
defaults per kind apply to records written from now on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("discoverable", sa.String(length=10), nullable=False, server_default="none")
        )
        batch_op.add_column(
            sa.Column(
                "discoverable_countries", sa.String(length=200), nullable=False, server_default=""
            )
        )
    op.execute("UPDATE records SET discoverable = 'members' WHERE scope = 'members'")
    op.execute(
        "UPDATE records SET discoverable = 'partners', discoverable_countries = scope_countries "
        "WHERE scope = 'partners'"
    )
    with op.batch_alter_table("release_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receipt", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("release_requests", schema=None) as batch_op:
        batch_op.drop_column("receipt")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_column("discoverable_countries")
        batch_op.drop_column("discoverable")
