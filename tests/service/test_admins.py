"""Admin accounts over a real SQLite store, and the login throttle on a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from idsync.domain.errors import ConfigError
from idsync.service import admins
from idsync.service.errors import Conflict, NotFound, UnknownName
from idsync.store import Store
from idsync.store.sealing import KEYS_ENV, generate_key


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'idsync.db'}") as opened:
        yield opened


def test_an_admin_logs_in_with_their_password_only(store: Store) -> None:
    added = admins.add_admin(store, "ada", "a long enough password")
    assert added.name == "ada" and added.last_login_at is None
    assert admins.authenticate(store, "ada", "a long enough password")
    assert not admins.authenticate(store, "ada", "a long enough passwor")
    assert not admins.authenticate(store, "nobody", "a long enough password")
    (listed,) = admins.list_admins(store)
    assert listed.last_login_at is not None
    assert "argon2" not in str(listed.to_dict()) and "a long enough" not in str(listed.to_dict())


def test_only_an_argon2id_hash_is_stored(store: Store) -> None:
    from idsync.store import admins as rows

    admins.add_admin(store, "ada", "a long enough password")
    stored = rows.password_hash(store.engine, "ada")
    assert stored is not None and stored.startswith("$argon2id$") and "a long enough" not in stored


def test_bad_names_and_short_passwords_say_what_is_valid(store: Store) -> None:
    with pytest.raises(UnknownName, match=r"at least 12"):
        admins.add_admin(store, "ada", "short")
    with pytest.raises(UnknownName, match=r"name: 'a b' is not an admin name; use 1 to 64"):
        admins.add_admin(store, "a b", "a long enough password")
    admins.add_admin(store, "ada", "a long enough password")
    with pytest.raises(Conflict, match=r"exists already"):
        admins.add_admin(store, "ada", "another long password")


def test_removing_names_the_admins_when_there_is_no_such_one(store: Store) -> None:
    admins.add_admin(store, "ada", "a long enough password")
    with pytest.raises(NotFound, match=r"no admin named 'bob'; admins: ada"):
        admins.remove_admin(store, "bob")
    admins.remove_admin(store, "ada")
    assert admins.list_admins(store) == ()
    assert not admins.authenticate(store, "ada", "a long enough password")


def test_the_session_secret_is_made_once_and_kept_sealed(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(admins.SESSION_SECRET_ENV, raising=False)
    monkeypatch.setenv(KEYS_ENV, generate_key())
    first = admins.session_secret(store)
    assert len(first) >= 32 and admins.session_secret(store) == first
    with store.engine.connect() as connection:
        stored = connection.execute(text("select value from server_keys")).scalar_one()
    assert stored.startswith("sealed:v1:") and first not in stored  # sealed at rest
    monkeypatch.setenv(admins.SESSION_SECRET_ENV, "x" * 40)
    assert admins.session_secret(store) == "x" * 40
    monkeypatch.setenv(admins.SESSION_SECRET_ENV, "short")
    with pytest.raises(UnknownName, match=r"IDSYNC_SESSION_SECRET: 5 characters is too short"):
        admins.session_secret(store)


def test_without_store_keys_the_session_secret_is_never_stored(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(admins.SESSION_SECRET_ENV, raising=False)
    monkeypatch.delenv(KEYS_ENV, raising=False)
    first = admins.session_secret(store)
    assert len(first) >= 32 and admins.session_secret(store) == first  # kept for this process
    with store.engine.connect() as connection:
        assert connection.execute(text("select count(*) from server_keys")).scalar_one() == 0


def test_rotation_reseals_under_the_new_key_and_the_old_key_can_go(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(admins.SESSION_SECRET_ENV, raising=False)
    old, new = generate_key(), generate_key()
    monkeypatch.setenv(KEYS_ENV, old)
    secret = admins.session_secret(store)
    monkeypatch.setenv(KEYS_ENV, new)
    with pytest.raises(ConfigError, match=r"IDSYNC_STORE_KEYS: none of its keys opens server key 'ui_"):
        admins.session_secret(store)
    monkeypatch.setenv(KEYS_ENV, f"{new},{old}")
    assert admins.session_secret(store) == secret  # the old key still opens it
    assert admins.rotate_store_keys(store) == ["ui_session"]
    monkeypatch.setenv(KEYS_ENV, new)
    assert admins.session_secret(store) == secret  # re-sealed: the new key alone opens it
    monkeypatch.setenv(KEYS_ENV, "not-a-key")
    with pytest.raises(ConfigError, match=r"IDSYNC_STORE_KEYS: key 1 of 1 is not a valid key"):
        admins.session_secret(store)
    monkeypatch.delenv(KEYS_ENV)
    with pytest.raises(ConfigError, match=r"IDSYNC_STORE_KEYS is not set"):
        admins.rotate_store_keys(store)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_throttle_counts_per_name_and_per_address_over_a_window() -> None:
    clock = Clock()
    throttle = admins.LoginThrottle(per_name=3, per_address=5, window=600, clock=clock)
    for _ in range(3):
        assert throttle.check("Ada", "10.0.0.1") is None
        throttle.failed("Ada", "10.0.0.1")
    refused = throttle.check("ada", "10.0.0.2")
    assert refused is not None and refused.by == "name" and refused.retry_after == 601
    assert "this admin name" in refused.message()
    assert throttle.check("bob", "10.0.0.1") is None, "another name from the same address may try"
    throttle.failed("bob", "10.0.0.1")
    throttle.failed("carol", "10.0.0.1")
    by_address = throttle.check("dave", "10.0.0.1")
    assert by_address is not None and by_address.by == "address"
    clock.now += 601
    assert throttle.check("ada", "10.0.0.1") is None, "failures older than the window no longer count"


def test_a_successful_login_clears_the_names_failures_only() -> None:
    clock = Clock()
    throttle = admins.LoginThrottle(per_name=2, per_address=3, window=600, clock=clock)
    throttle.failed("ada", "10.0.0.1")
    throttle.failed("ada", "10.0.0.1")
    assert throttle.check("ada", "10.0.0.9") is not None
    throttle.succeeded("ada")
    assert throttle.check("ada", "10.0.0.9") is None
    throttle.failed("bob", "10.0.0.1")
    assert throttle.check("zed", "10.0.0.1") is not None, "the address keeps its three failures"
