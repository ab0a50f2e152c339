"""The store: SQLAlchemy models and Alembic migrations for links, runs, items, locks and secrets."""
