"""Initial schema: links, runs, run items and profile locks.

Revision ID: r0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from idsync.store.models import UtcDateTime

revision = "r0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table of the store."""
    op.create_table(
        "links",
        sa.Column("profile", sa.String(), primary_key=True),
        sa.Column("target", sa.String(), primary_key=True),
        sa.Column("source_id", sa.String(), primary_key=True),
        sa.Column("target_key", sa.String(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("profile", sa.String(), nullable=False),
        sa.Column("trigger", sa.String(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("scope", sa.String(), nullable=True),
        sa.Column("source_users", sa.Integer(), nullable=True),
        sa.Column("source_groups", sa.Integer(), nullable=True),
        sa.Column("plan_created_at", UtcDateTime(), nullable=True),
        sa.Column("single_user", sa.String(), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("counts_by_action", sa.JSON(), nullable=False),
        sa.Column("counts_by_outcome", sa.JSON(), nullable=False),
        sa.Column("timings", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("disputes", sa.JSON(), nullable=False),
        sa.Column("managed_users", sa.JSON(), nullable=False),
    )
    op.create_index("ix_runs_profile_started", "runs", ["profile", "started_at"])
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_table(
        "run_items",
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("idx", sa.Integer(), primary_key=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("user", sa.String(), nullable=True),
        sa.Column("user_key", sa.String(), nullable=True),
        sa.Column("source_id", sa.String(), nullable=True),
        sa.Column("group", sa.String(), nullable=True),
        sa.Column("new_lead", sa.String(), nullable=True),
        sa.Column("reason_rule", sa.String(), nullable=False),
        sa.Column("reason_detail", sa.Text(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("target_key", sa.String(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
    )
    op.create_table(
        "profile_locks",
        sa.Column("profile", sa.String(), primary_key=True),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("acquired_at", UtcDateTime(), nullable=False),
        sa.Column("heartbeat_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop every table of the store."""
    op.drop_table("profile_locks")
    op.drop_table("run_items")
    op.drop_index("ix_runs_status", table_name="runs")
    op.drop_index("ix_runs_profile_started", table_name="runs")
    op.drop_table("runs")
    op.drop_table("links")
