"""ports: export declarations held by a port unit, and seizure links (labels to confirm)

Revision ID: p001
Revises:
Create Date: 2026-12-02 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "p001"
down_revision = None
branch_labels = ("ports",)
depends_on = "0005"


def upgrade() -> None:
    op.create_table(
        "port_declarations",
        sa.Column("declaration_id", sa.String(64), primary_key=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("port", sa.String(5), nullable=False),
        sa.Column("exporter_id", sa.String(64), nullable=False),
        sa.Column("declarant_id", sa.String(64), nullable=False),
        sa.Column("hs_code", sa.String(10), nullable=False),
        sa.Column("destination_country", sa.String(2), nullable=False),
        sa.Column("destination_port", sa.String(5), nullable=False),
        sa.Column("transshipment_port", sa.String(5), nullable=False),
        sa.Column("container_number", sa.String(11), nullable=False),
        sa.Column("container_type", sa.String(6), nullable=False),
        sa.Column("gross_weight_kg", sa.Float(), nullable=False),
        sa.Column("declared_value_usd", sa.Float(), nullable=False),
        sa.Column("vessel_imo", sa.String(7), nullable=False),
        sa.Column("booking_lead_days", sa.Integer(), nullable=False),
        sa.Column("inspected", sa.Boolean(), nullable=True),
        sa.Column("illicit", sa.Boolean(), nullable=True),
        sa.Column("label_source", sa.String(12), nullable=True),
        sa.Column("selected_on", sa.Date(), nullable=True),
        sa.Column("selection_probability", sa.Float(), nullable=True),
        sa.Column("owner_country", sa.String(2), nullable=False),
        sa.Column("owner_agency", sa.String(80), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_port_declarations_container", "port_declarations", ["container_number"])
    op.create_index("ix_port_declarations_date", "port_declarations", ["date"])
    op.create_table(
        "seizure_links",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("seizure_id", sa.String(36), nullable=False),
        sa.Column("declaration_id", sa.String(64), nullable=False),
        sa.Column("container_number", sa.String(11), nullable=False),
        sa.Column("seizure_origin", sa.String(120), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(120), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("owner_country", sa.String(2), nullable=False),
        sa.Column("owner_agency", sa.String(80), nullable=False),
    )
    op.create_index(
        "ix_seizure_links_pair", "seizure_links", ["seizure_id", "declaration_id"], unique=True
    )
    op.create_index("ix_seizure_links_declaration_id", "seizure_links", ["declaration_id"])


def downgrade() -> None:
    op.drop_table("seizure_links")
    op.drop_table("port_declarations")
