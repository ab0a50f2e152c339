"""The store: SQLAlchemy models and Alembic migrations for links, runs, items, locks and secrets."""

from idsync.store.records import PLANNED, RunDetail, RunItemRecord, RunNotFound, RunStatus, RunSummary
from idsync.store.store import Store

__all__ = ["PLANNED", "RunDetail", "RunItemRecord", "RunNotFound", "RunStatus", "RunSummary", "Store"]
