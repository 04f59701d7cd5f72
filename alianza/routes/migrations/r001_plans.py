"""routes: interdiction plans kept by the agency that made them

Revision ID: r001
Revises:
Create Date: 2026-12-02 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r001"
down_revision = None
branch_labels = ("routes",)
depends_on = "0005"


def upgrade() -> None:
    op.create_table(
        "route_plans",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("model", sa.String(16), nullable=False),
        sa.Column("network", sa.String(120), nullable=False),
        sa.Column("budget", sa.Float(), nullable=False),
        sa.Column("before", sa.Float(), nullable=False),
        sa.Column("after", sa.Float(), nullable=False),
        sa.Column("optimal", sa.Boolean(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner_country", sa.String(2), nullable=False),
        sa.Column("owner_agency", sa.String(80), nullable=False),
    )
    op.create_index("ix_route_plans_owner", "route_plans", ["owner_country", "owner_agency"])


def downgrade() -> None:
    op.drop_table("route_plans")
