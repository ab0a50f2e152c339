"""The service's tables: REST API tokens, stored plans, claimed schedule slots.

Revision ID: r0005
Revises: r0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from idsync.store.models import UtcDateTime

revision = "r0005"
down_revision = "r0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create api_tokens, plans and schedule_slots."""
    op.create_table(
        "api_tokens",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.Column("last_used_at", UtcDateTime(), nullable=True),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("profile", sa.String(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("applied_run_id", sa.String(40), nullable=True),
    )
    op.create_index("ix_plans_profile_created", "plans", ["profile", "created_at"])
    op.create_table(
        "schedule_slots",
        sa.Column("profile", sa.String(), primary_key=True),
        sa.Column("slot_at", UtcDateTime(), primary_key=True),
        sa.Column("claimed_by", sa.String(), nullable=False),
        sa.Column("claimed_at", UtcDateTime(), nullable=False),
        sa.Column("run_id", sa.String(40), nullable=True),
    )


def downgrade() -> None:
    """Drop the service's tables."""
    op.drop_table("schedule_slots")
    op.drop_index("ix_plans_profile_created", table_name="plans")
    op.drop_table("plans")
    op.drop_table("api_tokens")
