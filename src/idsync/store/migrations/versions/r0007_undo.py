"""What `idsync undo` needs from history: the lead role a hand-over item moved, and which run an
undo run reverses.

Revision ID: r0007
Revises: r0006
Create Date: 2026-12-16
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0007"
down_revision = "r0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add run_items.lead (JSON, null for items that hand over no lead) and runs.undo_of."""
    with op.batch_alter_table("run_items") as batch:
        batch.add_column(sa.Column("lead", sa.JSON(), nullable=True))
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("undo_of", sa.String(length=40), nullable=True))


def downgrade() -> None:
    """Drop run_items.lead and runs.undo_of."""
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("undo_of")
    with op.batch_alter_table("run_items") as batch:
        batch.drop_column("lead")
