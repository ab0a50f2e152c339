"""The `service_desks` profile section and the `jira_cloud` connection: what loads, and the message of
each mistake (naming the key, the value and what would be valid)."""

from __future__ import annotations

import pytest

from idsync.config.connections import JiraCloudConnection
from idsync.config.loader import ConfigFileError, parse_config

ENV = {"OKTA_TOKEN": "okta-secret-1", "JIRA_PAT": "jira-secret-2", "CLOUD_TOKEN": "cloud-secret-3"}
BASE = """\
connections:
  okta: {{type: okta, url: https://example.okta.com, token: "${{OKTA_TOKEN}}"}}
  jira: {{type: jira, url: https://jira.example.com, token: "${{JIRA_PAT}}"}}
  jsm: {{type: jira_cloud, url: {cloud_url}, email: admin@example.com, api_token: "${{CLOUD_TOKEN}}"}}
profiles:
  p:
    source: okta
{profile}
"""


def load(profile: str, cloud_url: str = "https://example.atlassian.net") -> list[str] | None:
    """None when the config loads, else its problems."""
    try:
        parse_config(BASE.format(profile=profile, cloud_url=cloud_url), env=ENV)
    except ConfigFileError as exc:
        return exc.problems
    return None


def test_a_customers_only_profile_loads_without_targets() -> None:
    config = parse_config(BASE.format(cloud_url="https://example.atlassian.net", profile="""\
    service_desks: {connection: jsm, mapping: {customers: [ITH, HR]}}"""), env=ENV)
    rules = config.profiles["p"].service_desks
    assert rules is not None and rules.mapping == {"customers": ["ITH", "HR"]}
    assert config.profiles["p"].targets == []
    connection = config.connections["jsm"]
    assert isinstance(connection, JiraCloudConnection)
    assert "cloud-secret-3" not in repr(connection)


def test_a_jira_connection_may_serve_targets_and_service_desks() -> None:
    assert load("""\
    targets: [jira]
    service_desks: {connection: jira, mapping: {customers: [ITH]}}""") is None


def test_a_profile_needs_targets_or_service_desks() -> None:
    found = load("    users: {create: true}")
    assert found is not None and any("targets: needs at least one target" in p for p in found)


def test_a_bad_project_key_is_named_with_what_is_valid() -> None:
    found = load("    service_desks: {connection: jsm, mapping: {customers: [ith-1]}}")
    assert found is not None
    assert any("'ith-1' (for group 'customers') is not a Jira project key" in p and "e.g. ITH" in p
               for p in found)


def test_an_empty_desk_list_is_refused() -> None:
    found = load("    service_desks: {connection: jsm, mapping: {customers: []}}")
    assert found is not None and any("maps to no service desk" in p for p in found)


@pytest.mark.parametrize(("connection", "expected"), [
    ("nowhere", "no connection named 'nowhere'; jira and jira_cloud connections: jira, jsm"),
    ("okta", "connection 'okta' has type 'okta', which holds no service desks (valid: jira, jira_cloud); "
             "jira and jira_cloud connections: jira, jsm"),
])
def test_the_connection_must_hold_service_desks(connection: str, expected: str) -> None:
    found = load(f"    service_desks: {{connection: {connection}, mapping: {{customers: [ITH]}}}}")
    assert found is not None
    assert any(p.endswith(f"profiles.p.service_desks.connection: {expected}") for p in found), found


def test_jira_cloud_is_refused_in_targets_with_a_hint() -> None:
    found = load("    targets: [jsm]")
    assert found is not None
    assert any("has type 'jira_cloud', which is not a target" in p
               and "serves only service_desks.connection" in p for p in found)


def test_a_jira_cloud_url_must_be_an_atlassian_net_site() -> None:
    found = load("    targets: [jira]", cloud_url="https://jira.example.com/jira")
    assert found is not None
    assert any("must be a Jira Cloud site URL such as https://example.atlassian.net" in p for p in found)
    assert load("    targets: [jira]", cloud_url="http://127.0.0.1:8099") is None
