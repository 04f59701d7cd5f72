"""corridor: return cases, members, consents and status events

Revision ID: c001
Revises:
Create Date: 2026-12-02 14:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c001"
down_revision = None
branch_labels = ("corridor",)
depends_on = "0005"


def upgrade() -> None:
    op.create_table(
        "return_cases",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("reference", sa.String(128), nullable=False),
        sa.Column("origin", sa.String(128), nullable=False),
        sa.Column("ready_date", sa.Date(), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("owner_country", sa.String(2), nullable=False),
        sa.Column("owner_agency", sa.String(80), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_return_cases_owner", "return_cases", ["owner_country", "owner_agency"])
    op.create_table(
        "return_members",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("person_ref", sa.String(128), nullable=False),
        sa.Column("given_names", sa.String(200), nullable=False),
        sa.Column("surname_1", sa.String(200), nullable=False),
        sa.Column("surname_2", sa.String(200), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("document_number", sa.String(64), nullable=True),
        sa.Column("nationality", sa.String(2), nullable=True),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.Column("is_minor", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["return_cases.id"]),
    )
    op.create_index("ix_return_members_case_id", "return_members", ["case_id"])
    op.create_table(
        "return_consents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("member_id", sa.String(36), nullable=False),
        sa.Column("sheet_version", sa.String(40), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("counsellor", sa.String(120), nullable=False),
        sa.Column("witness", sa.String(120), nullable=True),
        sa.Column("guardian_member_id", sa.String(36), nullable=True),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=True),
        sa.Column("confirmed_at_boarding", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["return_cases.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["return_members.id"]),
    )
    op.create_index("ix_return_consents_case_id", "return_consents", ["case_id"])
    op.create_table(
        "return_events",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=False),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("by", sa.String(120), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["return_cases.id"]),
    )
    op.create_index("ix_return_events_case_id", "return_events", ["case_id"])


def downgrade() -> None:
    op.drop_table("return_events")
    op.drop_table("return_consents")
    op.drop_table("return_members")
    op.drop_table("return_cases")
