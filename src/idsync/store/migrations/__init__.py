"""Alembic migrations of the store, run programmatically by `idsync.store.migrate` on every open.

To add a revision: change `idsync/store/models.py`, then write `versions/rNNNN_<what>.py` by hand
(or with `alembic -x ... revision`, using `script_location = idsync.store:migrations`); the test
`tests/store/test_migrations.py` fails while the migrated schema differs from the models.
"""
