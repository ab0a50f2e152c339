"""`idsync keys generate|rotate`: a new store key, and every sealed credential re-sealed under the first
key of IDSYNC_STORE_KEYS."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from idsync.cli import app
from idsync.service import admins
from idsync.store import Store


def test_generate_prints_a_usable_key() -> None:
    result = CliRunner().invoke(app, ["keys", "generate"])
    assert result.exit_code == 0
    Fernet(result.stdout.strip().encode())  # raises if it is not a key


def test_rotate_reseals_and_names_what_it_did(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "idsync.db"
    path = tmp_path / "idsync.yaml"
    path.write_text(f"database: sqlite:///{db}\nconnections: {{}}\nprofiles: {{}}\n")
    old = CliRunner().invoke(app, ["keys", "generate"]).stdout.strip()
    new = CliRunner().invoke(app, ["keys", "generate"]).stdout.strip()
    monkeypatch.delenv(admins.SESSION_SECRET_ENV, raising=False)
    monkeypatch.setenv(admins.KEYS_ENV, old)
    with Store.open(f"sqlite:///{db}") as store:
        admins.session_secret(store)  # a sealed credential in the store
    monkeypatch.delenv(admins.KEYS_ENV)
    missing = CliRunner().invoke(app, ["keys", "rotate", "-c", str(path)], env={admins.KEYS_ENV: ""})
    assert missing.exit_code == 2 and "IDSYNC_STORE_KEYS is not set" in missing.stderr
    done = CliRunner().invoke(app, ["keys", "rotate", "-c", str(path)], env={admins.KEYS_ENV: f"{new},{old}"})
    assert done.exit_code == 0, done.output
    assert "re-sealed 1 stored credential(s): ui_session" in done.stdout
    assert old not in done.output and new not in done.output
