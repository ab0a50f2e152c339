"""Run items carry what recovery needs to finish a killed run's bookkeeping: the user fingerprint and
the default groups a creation grants.

Revision ID: r0008
Revises: r0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0008"
down_revision = "r0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add run_items.fingerprint and run_items.grants (NULL for existing rows)."""
    with op.batch_alter_table("run_items") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(), nullable=True))
        batch.add_column(sa.Column("grants", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("run_items") as batch:
        batch.drop_column("grants")
        batch.drop_column("fingerprint")
