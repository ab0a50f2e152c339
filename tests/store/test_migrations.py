"""Opening a store: migrations from empty, reopening, and clear errors for bad URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from idsync.domain.errors import ConfigError
from idsync.store import Store
from idsync.store.models import Base
from tests.fixtures.postgres import PostgresCluster

STORE_TABLES = {"links", "runs", "run_items", "profile_locks"}


def test_open_migrates_an_empty_database_to_every_table(store_url: str) -> None:
    config = Config()
    config.set_main_option("script_location", "idsync.store:migrations")
    head = ScriptDirectory.from_config(config).get_current_head()
    with Store.open(store_url) as store:
        tables = set(inspect(store.engine).get_table_names())
        assert tables == set(Base.metadata.tables) | {"alembic_version"}
        assert tables >= STORE_TABLES
        with store.engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head


def test_migrated_schema_matches_the_models(store_url: str) -> None:
    with Store.open(store_url) as store, store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_reopening_keeps_the_data(store_url: str) -> None:
    with Store.open(store_url) as store:
        run_id = store.start_run("staff", "manual")
    with Store.open(store_url) as store:
        assert [run.id for run in store.runs()] == [run_id]


def test_unsupported_driver_names_the_value_and_the_valid_forms() -> None:
    with pytest.raises(ConfigError) as caught:
        Store.open("mysql://idsync:hunter2@db/idsync")
    message = str(caught.value)
    assert "mysql" in message
    assert "sqlite:///" in message
    assert "postgresql+psycopg://" in message
    assert "hunter2" not in message


def test_not_a_url() -> None:
    with pytest.raises(ConfigError, match=r"'idsync\.db' is not a database URL"):
        Store.open("idsync.db")


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(ConfigError, match="no file path"):
        Store.open("sqlite://")


def test_missing_directory_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ConfigError, match="does not exist") as caught:
        Store.open(f"sqlite:///{missing / 'idsync.db'}")
    assert str(missing) in str(caught.value)


@pytest.mark.postgres
def test_unreachable_postgres_hides_the_password(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    port = engine.url.port
    engine.dispose()
    url = f"postgresql+psycopg://idsync:hunter2@127.0.0.1:{port}/no_such_database"
    with pytest.raises(ConfigError, match="cannot open the store") as caught:
        Store.open(url)
    message = str(caught.value)
    assert "hunter2" not in message
    assert "no_such_database" in message


@pytest.mark.postgres
def test_repr_hides_the_password(postgres_cluster: PostgresCluster) -> None:
    name = "t_repr_secret"
    cluster_url = postgres_cluster.create_database(name)
    try:
        with Store.open(cluster_url.replace("postgres@", "postgres:hunter2@")) as store:
            assert "hunter2" not in repr(store)
            assert "***" in repr(store)
    finally:
        postgres_cluster.drop_database(name)
