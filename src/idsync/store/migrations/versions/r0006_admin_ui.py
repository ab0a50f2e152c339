"""The admin UI's tables: local admin accounts and the server's generated keys.

Revision ID: r0006
Revises: r0005
Create Date: 2026-12-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from idsync.store.models import UtcDateTime

revision = "r0006"
down_revision = "r0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create admin_accounts and server_keys."""
    op.create_table(
        "admin_accounts",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("password_changed_at", UtcDateTime(), nullable=False),
        sa.Column("last_login_at", UtcDateTime(), nullable=True),
    )
    op.create_table(
        "server_keys",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop the admin UI's tables."""
    op.drop_table("server_keys")
    op.drop_table("admin_accounts")
