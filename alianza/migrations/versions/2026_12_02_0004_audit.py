"""audit: signed head, counters for refused messages from unverified senders

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 03:00:00

A node upgraded from an earlier version has an unsigned head until its next audit entry
or ``alianza audit checkpoint``; ``audit verify`` reports it until then.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("signed_at", sa.String(length=40), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("signature", sa.String(length=128), nullable=False, server_default="")
        )
    op.create_table(
        "audit_refusal_counts",
        sa.Column("window", sa.String(length=40), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("window", "sender", "status", name=op.f("pk_audit_refusal_counts")),
    )


def downgrade() -> None:
    op.drop_table("audit_refusal_counts")
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("signature")
        batch_op.drop_column("signed_at")
