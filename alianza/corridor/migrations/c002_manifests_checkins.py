"""corridor: manifests sent and received, check-ins and their conflicts, breaches; a case's
departure and erasure date

Revision ID: c002
Revises: c001
Create Date: 2026-12-02 17:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c002"
down_revision = "c001"
branch_labels = None
depends_on = None


def _owner() -> list[sa.Column[str]]:
    return [
        sa.Column("owner_country", sa.String(2), nullable=False),
        sa.Column("owner_agency", sa.String(80), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("return_cases") as batch:
        batch.add_column(sa.Column("departure", sa.String(64), nullable=True))
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "corridor_manifests_sent",
        sa.Column("id", sa.String(36), primary_key=True),
        *_owner(),
        sa.Column("peer_node", sa.String(64), nullable=False),
        sa.Column("to_country", sa.String(2), nullable=False),
        sa.Column("to_agency", sa.String(80), nullable=False),
        sa.Column("departure", sa.String(64), nullable=False),
        sa.Column("leg_date", sa.Date(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("member_ids", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(256), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("receipt", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_manifests_sent_owner", "corridor_manifests_sent", ["owner_country", "owner_agency"]
    )
    op.create_table(
        "corridor_manifests_received",
        sa.Column("id", sa.String(36), primary_key=True),
        *_owner(),
        sa.Column("from_node", sa.String(64), nullable=False),
        sa.Column("from_country", sa.String(2), nullable=False),
        sa.Column("from_agency", sa.String(80), nullable=False),
        sa.Column("departure", sa.String(64), nullable=False),
        sa.Column("leg_date", sa.Date(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("signature", sa.String(256), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_manifests_received_owner",
        "corridor_manifests_received",
        ["owner_country", "owner_agency"],
    )
    op.create_table(
        "corridor_checkins",
        sa.Column("id", sa.String(36), primary_key=True),
        *_owner(),
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("manifest_id", sa.String(36), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("stop", sa.String(128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.Column("made_at_node", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("push_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_checkins_person", "corridor_checkins", ["person"])
    op.create_table(
        "corridor_checkin_conflicts",
        sa.Column("id", sa.String(36), primary_key=True),
        *_owner(),
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("first_id", sa.String(36), nullable=False),
        sa.Column("second_id", sa.String(36), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_by", sa.String(120), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
    )
    op.create_index(
        "ix_corridor_checkin_conflicts_person", "corridor_checkin_conflicts", ["person"]
    )
    op.create_table(
        "corridor_breaches",
        sa.Column("id", sa.String(36), primary_key=True),
        *_owner(),
        sa.Column("discovered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("data_categories", sa.Text(), nullable=False),
        sa.Column("persons_affected", sa.Integer(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.String(120), nullable=False),
        sa.Column("notify_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_to", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("corridor_breaches")
    op.drop_index("ix_corridor_checkin_conflicts_person", "corridor_checkin_conflicts")
    op.drop_table("corridor_checkin_conflicts")
    op.drop_index("ix_checkins_person", "corridor_checkins")
    op.drop_table("corridor_checkins")
    op.drop_index("ix_manifests_received_owner", "corridor_manifests_received")
    op.drop_table("corridor_manifests_received")
    op.drop_index("ix_manifests_sent_owner", "corridor_manifests_sent")
    op.drop_table("corridor_manifests_sent")
    with op.batch_alter_table("return_cases") as batch:
        batch.drop_column("erased_at")
        batch.drop_column("departure")
