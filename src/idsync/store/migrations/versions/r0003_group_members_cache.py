"""The Okta group-membership cache: member ids per group, keyed by the group's timestamps.

Revision ID: r0003
Revises: r0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from idsync.store.models import UtcDateTime

revision = "r0003"
down_revision = "r0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the cache table."""
    op.create_table(
        "source_group_members",
        sa.Column("connection", sa.String(), primary_key=True),
        sa.Column("group_id", sa.String(), primary_key=True),
        sa.Column("last_membership_updated", sa.String(), nullable=True),
        sa.Column("last_updated", sa.String(), nullable=True),
        sa.Column("member_ids", sa.JSON(), nullable=False),
        sa.Column("read_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop the cache table."""
    op.drop_table("source_group_members")
