"""status: checks through the exchange; a decision's removal mark and notification date

Revision ID: s002
Revises: s001
Create Date: 2026-12-02 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s002"
down_revision = "s001"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "status_checks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("application_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("node_id", sa.String(64), nullable=False),
        sa.Column("node_country", sa.String(2), nullable=False),
        sa.Column("node_agency", sa.String(80), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("legal_basis", sa.String(300), nullable=False),
        sa.Column("result", sa.String(10), nullable=False),
        sa.Column("refs", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("release_request_id", sa.String(36), nullable=True),
        sa.Column("asked_by", sa.String(120), nullable=False),
        sa.Column("asked_at", _TZ, nullable=False),
        sa.Column("review", sa.String(12), nullable=True),
        sa.Column("reviewed_by", sa.String(120), nullable=True),
        sa.Column("reviewed_role", sa.String(20), nullable=True),
        sa.Column("reviewed_at", _TZ, nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["status_applications.id"]),
    )
    op.create_index("ix_status_checks_application_id", "status_checks", ["application_id"])
    with op.batch_alter_table("status_decisions") as batch:
        batch.add_column(
            sa.Column("removal", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("notified_at", _TZ, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("status_decisions") as batch:
        batch.drop_column("notified_at")
        batch.drop_column("removal")
    op.drop_index("ix_status_checks_application_id", "status_checks")
    op.drop_table("status_checks")
