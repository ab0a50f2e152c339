"""Alembic revisions of the store, oldest first (r0001 creates every table)."""
