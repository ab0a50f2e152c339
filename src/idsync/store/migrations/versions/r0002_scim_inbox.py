"""The SCIM inbox (what IdPs push to `idsync serve`): pushed resources, their indexed and unique
values, tombstones, token hashes.

Revision ID: r0002
Revises: r0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from idsync.store.models import UtcDateTime

revision = "r0002"
down_revision = "r0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the inbox tables."""
    op.create_table(
        "scim_resources",
        sa.Column("connection", sa.String(), primary_key=True),
        sa.Column("resource_type", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("modified_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "scim_keys",
        sa.Column("row", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("connection", sa.String(), nullable=False),
        sa.Column("resource_type", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(64), nullable=False),
        sa.Column("urn", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
    )
    op.create_index("ix_scim_keys_lookup", "scim_keys", ["connection", "resource_type", "urn", "value"])
    op.create_index("ix_scim_keys_owner", "scim_keys", ["connection", "resource_type", "resource_id"])
    op.create_table(
        "scim_unique",
        sa.Column("connection", sa.String(), primary_key=True),
        sa.Column("urn", sa.String(), primary_key=True),
        sa.Column("value", sa.String(), primary_key=True),
        sa.Column("resource_type", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(64), nullable=False),
    )
    op.create_table(
        "scim_tombstones",
        sa.Column("connection", sa.String(), primary_key=True),
        sa.Column("resource_type", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("deleted_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "scim_tokens",
        sa.Column("connection", sa.String(), primary_key=True),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop the inbox tables."""
    op.drop_table("scim_tokens")
    op.drop_table("scim_tombstones")
    op.drop_table("scim_unique")
    op.drop_index("ix_scim_keys_owner", table_name="scim_keys")
    op.drop_index("ix_scim_keys_lookup", table_name="scim_keys")
    op.drop_table("scim_keys")
    op.drop_table("scim_resources")
