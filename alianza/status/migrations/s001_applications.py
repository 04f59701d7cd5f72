"""status: applications, evaluations, decisions, events and evidence metadata

Revision ID: s001
Revises:
Create Date: 2026-12-02 18:40:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "s001"
down_revision = None
branch_labels = ("status",)
depends_on = "0005"

_TZ = sa.DateTime(timezone=True)


def _child(name: str, *columns: Any) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("application_id", sa.String(36), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(["application_id"], ["status_applications.id"]),
    )
    op.create_index(f"ix_{name}_application_id", name, ["application_id"])


def upgrade() -> None:
    op.create_table(
        "status_applications",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("reference", sa.String(128), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("programme", sa.String(64), nullable=False),
        sa.Column("programme_version", sa.String(32), nullable=False),
        sa.Column("owner_country", sa.String(2), nullable=False),
        sa.Column("owner_agency", sa.String(80), nullable=False),
        sa.Column("given_names", sa.String(200), nullable=False),
        sa.Column("surname_1", sa.String(200), nullable=False),
        sa.Column("surname_2", sa.String(200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("nationality", sa.String(2), nullable=False),
        sa.Column("document_type", sa.String(16), nullable=False),
        sa.Column("document_number", sa.String(64), nullable=True),
        sa.Column("document_expiry", sa.Date(), nullable=True),
        sa.Column("entry_date", sa.Date(), nullable=True),
        sa.Column("application_date", sa.Date(), nullable=False),
        sa.Column("entry_regular", sa.Boolean(), nullable=True),
        sa.Column("documents", sa.Text(), nullable=False),
        sa.Column("criminal_record_declared", sa.Boolean(), nullable=True),
        sa.Column("pending_criminal_case", sa.Boolean(), nullable=True),
        sa.Column("family_ties", sa.Text(), nullable=False),
        sa.Column("work_contract", sa.Boolean(), nullable=True),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.Column("household_id", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
    )
    op.create_index(
        "ix_status_applications_owner", "status_applications", ["owner_country", "owner_agency"]
    )
    op.create_index(
        "ix_status_applications_document_number", "status_applications", ["document_number"]
    )
    _child(
        "status_evaluations",
        sa.Column("programme_version", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("failed_conditions", sa.Text(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("evaluated_at", _TZ, nullable=False),
    )
    _child(
        "status_decisions",
        sa.Column("evaluation_id", sa.String(36), nullable=False),
        sa.Column("by", sa.String(120), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("needs_sign_off", sa.Boolean(), nullable=False),
        sa.Column("signed_off_by", sa.String(120), nullable=True),
        sa.Column("signed_off_at", _TZ, nullable=True),
        sa.ForeignKeyConstraint(["evaluation_id"], ["status_evaluations.id"]),
    )
    _child(
        "status_events",
        sa.Column("from_status", sa.String(20), nullable=False),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("by", sa.String(120), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    _child(
        "status_evidence",
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("added_by", sa.String(120), nullable=False),
        sa.Column("added_at", _TZ, nullable=False),
    )


def downgrade() -> None:
    for name in ("status_evidence", "status_events", "status_decisions", "status_evaluations"):
        op.drop_table(name)
    op.drop_table("status_applications")
