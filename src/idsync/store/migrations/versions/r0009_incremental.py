"""Incremental reads: the last snapshot of each source connection, the people a target was asked
about and did not have, and the wanted members of each managed group when a run last left it so.

Revision ID: r0009
Revises: r0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from idsync.store.models import UtcDateTime

revision = "r0009"
down_revision = "r0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create source_snapshots, absent_users and group_digests."""
    op.create_table(
        "source_snapshots",
        sa.Column("connection", sa.String(), primary_key=True),
        sa.Column("cursor", sa.String(), nullable=False),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("users", sa.Integer(), nullable=False),
        sa.Column("read_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "absent_users",
        sa.Column("profile", sa.String(), primary_key=True),
        sa.Column("target", sa.String(), primary_key=True),
        sa.Column("source_id", sa.String(), primary_key=True),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("checked_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "group_digests",
        sa.Column("profile", sa.String(), primary_key=True),
        sa.Column("target", sa.String(), primary_key=True),
        sa.Column("group_name", sa.String(), primary_key=True),
        sa.Column("digest", sa.String(), nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("group_digests")
    op.drop_table("absent_users")
    op.drop_table("source_snapshots")
