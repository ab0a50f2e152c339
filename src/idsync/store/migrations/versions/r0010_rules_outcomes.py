"""The rules' outcome per person of the snapshot a profile's last run planned from
(idsync.store.outcomes), so that a run between full reads evaluates only the people who changed.

Revision ID: r0010
Revises: r0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from idsync.store.models import UtcDateTime

revision = "r0010"
down_revision = "r0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create rules_outcomes."""
    op.create_table(
        "rules_outcomes",
        sa.Column("profile", sa.String(), primary_key=True),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("snapshot_mark", sa.String(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("saved_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("rules_outcomes")
