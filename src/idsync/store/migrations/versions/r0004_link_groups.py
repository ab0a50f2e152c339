"""Links remember groups: default groups granted at creation, and licence groups taken away.

Revision ID: r0004
Revises: r0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0004"
down_revision = "r0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add links.groups (JSON object, {} for existing rows)."""
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("groups", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    """Drop links.groups."""
    with op.batch_alter_table("links") as batch:
        batch.drop_column("groups")
