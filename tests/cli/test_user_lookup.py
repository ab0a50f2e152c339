"""`idsync user lookup` ("Test Sync") through the real CLI, against a real slapd and the Okta sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from idsync.cli import app
from tests.fixtures.sandbox import RunningOkta
from tests.fixtures.slapd import AD_DISABLED, BASE, READER_DN, READER_PW, SlapdServer

LDAP_CONFIG = """
database: sqlite:///{db}
connections:
  ad:
    type: ldap
    url: {url}
    bind_dn: {bind_dn}
    password: ${{LDAP_PASSWORD}}
    flavor: active_directory
    user_base: ou=ad,{base}
    group_base: ou=ad,{base}
    page_size: 5
  jira: {{type: jira, url: "http://127.0.0.1:9", token: unused}}
profiles:
  p:
    source: ad
    targets: [jira]
    users:
      username: {{attribute: login, lowercase: true}}
      active_statuses: [ACTIVE]
      custom_attributes: {{dn: dn}}
    groups: {{mode: on_the_fly, include: ["^AD"]}}
"""


@pytest.mark.slapd
def test_lookup_shows_raw_attributes_groups_and_the_mapped_user(slapd: SlapdServer, tmp_path: Path) -> None:
    config = tmp_path / "idsync.yaml"
    config.write_text(LDAP_CONFIG.format(db=tmp_path / "x.db", url=slapd.url, bind_dn=READER_DN, base=BASE))
    runner = CliRunner()
    env = {"LDAP_PASSWORD": READER_PW}

    result = runner.invoke(app, ["user", "lookup", "ad", "ad00001", "-c", str(config), "--json"], env=env)

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "ACTIVE"
    assert data["attributes"]["sAMAccountName"] == "ad00001"
    assert data["groups"], "the AD test data puts every user in groups"
    (view,) = data["profiles"]
    assert view["user"]["username"] == "ad00001"
    assert view["user"]["properties"]["dn"].lower().startswith("cn=")
    assert set(view["user"]["groups"]) == {g for g in data["groups"] if g.startswith("AD")}

    human = runner.invoke(app, ["user", "lookup", "ad", "ad00001", "-c", str(config)], env=env)
    assert human.exit_code == 0
    assert "profile p would write" in human.stdout
    assert READER_PW not in human.stdout


@pytest.mark.slapd
def test_lookup_of_a_disabled_or_missing_user(slapd: SlapdServer, tmp_path: Path) -> None:
    config = tmp_path / "idsync.yaml"
    config.write_text(LDAP_CONFIG.format(db=tmp_path / "x.db", url=slapd.url, bind_dn=READER_DN, base=BASE))
    runner = CliRunner()
    env = {"LDAP_PASSWORD": READER_PW}

    args = ["user", "lookup", "ad", AD_DISABLED[0], "-c", str(config), "--json"]
    disabled = runner.invoke(app, args, env=env)
    assert disabled.exit_code == 0, disabled.output
    assert json.loads(disabled.stdout)["profiles"][0]["user"]["active"] is False

    missing = runner.invoke(app, ["user", "lookup", "ad", "nobody-here", "-c", str(config)], env=env)
    assert missing.exit_code == 1
    assert "NotFoundError" in missing.stderr


def test_lookup_against_okta(okta_sandbox: Callable[..., RunningOkta], tmp_path: Path) -> None:
    okta = okta_sandbox(users=30, groups=6, apps=0, seed=2)
    user = next(u for u in okta.sandbox.state.users.values() if u.status == "ACTIVE")
    config = tmp_path / "idsync.yaml"
    config.write_text(
        f"""
database: sqlite:///{tmp_path / "x.db"}
connections:
  okta: {{type: okta, url: "{okta.url}", token: "${{OKTA_TOKEN}}"}}
  jira: {{type: jira, url: "http://127.0.0.1:9", token: unused}}
profiles:
  p:
    source: okta
    targets: [jira]
    users: {{username: {{attribute: login, regex: "(?P<local>.*)@.*", replace: "${{local}}"}}}}
"""
    )
    result = CliRunner().invoke(
        app, ["user", "lookup", "okta", user.profile["login"], "-c", str(config), "--json"],
        env={"OKTA_TOKEN": okta.token},
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)["profiles"][0]
    assert view["user"]["username"] == user.profile["login"].split("@")[0].lower()
    assert okta.token not in result.output
