"""The root model used directly (as other code and tests do), without the YAML loader."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from idsync.config.model import CROSS_REFERENCE_ERROR, IdsyncConfig

CONNECTIONS = {
    "okta": {"type": "okta", "url": "http://127.0.0.1:8001", "token": "t"},
    "jira": {"type": "jira", "url": "http://127.0.0.1:8002", "token": "t"},
}


def test_valid_config_and_relative_sqlite_kept_without_base_dir() -> None:
    config = IdsyncConfig.model_validate(
        {"connections": CONNECTIONS, "profiles": {"p": {"source": "okta", "targets": ["jira"]}}}
    )
    assert config.database == "sqlite:///idsync.db"
    assert config.profiles["p"].targets == ["jira"]


def test_base_dir_context_anchors_relative_sqlite(tmp_path: Path) -> None:
    config = IdsyncConfig.model_validate({"database": "sqlite:///a.db"}, context={"base_dir": tmp_path})
    assert config.database == f"sqlite:///{tmp_path.resolve() / 'a.db'}"


def test_cross_reference_error_carries_each_problem() -> None:
    with pytest.raises(ValidationError) as caught:
        IdsyncConfig.model_validate(
            {"connections": CONNECTIONS, "profiles": {"p": {"source": "jira", "targets": ["okta"]}}}
        )
    (error,) = caught.value.errors()
    assert error["type"] == CROSS_REFERENCE_ERROR
    paths = [path for path, _ in error["ctx"]["problems"]]
    assert paths == ["profiles.p.source", "profiles.p.targets[0]"]
    assert "connection 'jira' has type 'jira', which is not a source" in error["msg"]


def test_model_is_frozen_and_rejects_unknown_keys() -> None:
    config = IdsyncConfig()
    with pytest.raises(ValidationError):
        config.database = "sqlite://"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        IdsyncConfig.model_validate({"conections": {}})
