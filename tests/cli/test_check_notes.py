"""`idsync check` says which configured attributes a target ignores, instead of dropping them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from idsync.cli import app
from tests.fixtures.confluence import RunningConfluence
from tests.fixtures.sandbox import RunningOkta

CONFIG = """
database: sqlite:///{db}
connections:
  okta: {{type: okta, url: {okta}, token: "${{OKTA_TOKEN}}"}}
  wiki: {{type: confluence, url: {wiki}, token: "${{WIKI_TOKEN}}"}}
profiles:
  p:
    source: okta
    targets: [wiki]
    users: {{custom_attributes: {{department: department}}}}
"""


def test_check_names_custom_attributes_a_target_ignores(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta],
    confluence_sandbox: Callable[..., RunningConfluence],
) -> None:
    okta, wiki = okta_sandbox(users=3, groups=1), confluence_sandbox(users=0)
    path = tmp_path / "idsync.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "idsync.db", okta=okta.url, wiki=wiki.url))
    env = {"OKTA_TOKEN": okta.token, "WIKI_TOKEN": wiki.token}
    result = CliRunner().invoke(app, ["check", "-c", str(path), "--json"], env=env)
    assert result.exit_code == 0, result.output
    notices = json.loads(result.stdout)["notices"]
    assert "profile 'p': users.custom_attributes (department) are ignored for target 'wiki': it has " \
           "nowhere to put them" in notices
