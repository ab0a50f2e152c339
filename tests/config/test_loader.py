"""Loading idsync.yaml from real files: discovery, ${ENV}, YAML errors, validation messages, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from idsync.config.connections import JiraConnection, OktaConnection
from idsync.config.loader import ConfigFileError, dump_example, load_config
from idsync.domain.errors import ConfigError

ENV = {"OKTA_TOKEN": "okta-secret-token-123", "JIRA_PAT": "jira-secret-pat-456"}

MINIMAL = """\
connections:
  okta-prod: {type: okta, url: https://example.okta.com, token: "${OKTA_TOKEN}"}
  jira: {type: jira, url: https://jira.example.com, token: "${JIRA_PAT}"}
profiles:
  okta-to-jira:
    source: okta-prod
    targets: [jira]
"""


def write(tmp_path: Path, text: str, name: str = "idsync.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigFileError) as caught:
        load_config(path, ENV if env is None else env)
    assert isinstance(caught.value, ConfigError)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def test_minimal_config_loads_with_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), ENV)
    okta = config.connections["okta-prod"]
    assert isinstance(okta, OktaConnection)
    assert okta.token.get_secret_value() == ENV["OKTA_TOKEN"]
    assert isinstance(config.connections["jira"], JiraConnection)
    profile = config.profiles["okta-to-jira"]
    assert profile.users.when_removed == "deactivate"
    assert profile.safety.max_deactivations == 50
    assert config.server is None
    # The default SQLite file lives next to the config file, not in the working directory.
    assert config.database == f"sqlite:///{(tmp_path / 'idsync.db').resolve()}"


def test_relative_sqlite_path_resolves_against_config_folder(tmp_path: Path) -> None:
    sub = tmp_path / "etc"
    sub.mkdir()
    config = load_config(write(sub, "database: sqlite:///data/run.db\n"), ENV)
    assert config.database == f"sqlite:///{(sub / 'data' / 'run.db').resolve()}"
    absolute = load_config(write(sub, "database: sqlite:////var/lib/idsync.db\n"), ENV)
    assert absolute.database == "sqlite:////var/lib/idsync.db"
    memory = load_config(write(sub, "database: 'sqlite://'\n"), ENV)
    assert memory.database == "sqlite://"


def test_postgres_password_from_env_is_hidden_in_repr_and_display(tmp_path: Path) -> None:
    text = "database: postgresql+psycopg://idsync:${PGPASSWORD}@db.example.com/idsync\n"
    config = load_config(write(tmp_path, text), {"PGPASSWORD": "pg-pass-789"})
    assert config.database == "postgresql+psycopg://idsync:pg-pass-789@db.example.com/idsync"
    assert "pg-pass-789" not in repr(config)
    assert "pg-pass-789" not in config.database_display
    assert config.database_display == "postgresql+psycopg://idsync:***@db.example.com/idsync"


def test_path_from_argument_then_env_then_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = write(tmp_path, "server: {port: 9001}\n", "chosen.yaml")
    via_env = write(tmp_path, "server: {port: 9002}\n", "via-env.yaml")
    write(tmp_path, "server: {port: 9003}\n")
    monkeypatch.chdir(tmp_path)
    both = {**ENV, "IDSYNC_CONFIG": str(via_env)}
    assert (server := load_config(chosen, both).server) is not None
    assert server.port == 9001
    assert (server := load_config(None, both).server) is not None
    assert server.port == 9002
    assert (server := load_config(None, ENV).server) is not None
    assert server.port == 9003


def test_missing_file_names_it_and_how_to_choose_another(tmp_path: Path) -> None:
    (line,) = problems(tmp_path / "nope.yaml")
    assert str(tmp_path / "nope.yaml") in line
    assert "no such config file" in line
    assert "--config" in line
    assert "IDSYNC_CONFIG" in line


def test_env_expansion_in_any_string_value(tmp_path: Path) -> None:
    text = MINIMAL.replace("https://jira.example.com", "'https://${JIRA_HOST}:8443/jira'")
    text += "server: {host: '${BIND}', port: '${PORT}'}\n"
    env = {**ENV, "JIRA_HOST": "jira.corp.example", "BIND": "0.0.0.0", "PORT": "9100"}
    config = load_config(write(tmp_path, text), env)
    assert config.connections["jira"].url == "https://jira.corp.example:8443/jira"
    assert config.server is not None
    assert (config.server.host, config.server.port) == ("0.0.0.0", 9100)


def test_lowercase_braces_stay_regex_groups_and_double_dollar_escapes(tmp_path: Path) -> None:
    text = MINIMAL + """\
    users:
      username: {attribute: login, regex: "(?P<name>.*)@.*", replace: "${name}"}
    groups:
      rename: {regex: "^okta-(.*)$", replace: "$${KEEP}$1"}
"""
    profile = load_config(write(tmp_path, text), ENV).profiles["okta-to-jira"]
    assert profile.users.username.replace == "${name}"
    assert profile.groups.rename is not None
    assert profile.groups.rename.replace == "${KEEP}$1"


def test_missing_and_empty_env_variables_name_the_variable_and_key(tmp_path: Path) -> None:
    lines = problems(write(tmp_path, MINIMAL), {"OKTA_TOKEN": ""})
    assert lines == [
        f"{tmp_path / 'idsync.yaml'}: connections.okta-prod.token: environment variable OKTA_TOKEN is empty",
        f"{tmp_path / 'idsync.yaml'}: connections.jira.token: environment variable JIRA_PAT is not set",
    ]


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    (line,) = problems(write(tmp_path, "profiles:\n  p:\n    targets: [jira\n"))
    assert "YAML syntax error (line 4, column 1)" in line
    assert line.startswith(str(tmp_path / "idsync.yaml"))


def test_duplicate_key_is_an_error_not_a_silent_override(tmp_path: Path) -> None:
    text = MINIMAL + "  okta-to-jira:\n    source: okta-prod\n    targets: [jira]\n"
    (line,) = problems(write(tmp_path, text))
    assert "key 'okta-to-jira' appears twice (first on line 5)" in line
    assert "line 8" in line


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    (line,) = problems(write(tmp_path, "- a\n- b\n"))
    assert "must hold a mapping" in line
    assert "got a list" in line


def test_empty_file_is_an_empty_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "# nothing yet\n"), ENV)
    assert config.connections == {}
    assert config.profiles == {}


def test_invalid_literal_lists_valid_values(tmp_path: Path) -> None:
    text = MINIMAL + "    users: {when_removed: disable}\n"
    assert problems(write(tmp_path, text), ENV) == [
        f"{tmp_path / 'idsync.yaml'}: profiles.okta-to-jira.users.when_removed: 'disable' is not valid; "
        "valid: deactivate, delete, ignore"
    ]


def test_unknown_key_suggests_nearest_field_at_that_path(tmp_path: Path) -> None:
    text = MINIMAL + "    safety: {max_deactivation: 5}\n"
    (line,) = problems(write(tmp_path, text))
    assert line.endswith(
        "profiles.okta-to-jira.safety: unknown key 'max_deactivation' — did you mean 'max_deactivations'?"
    )


def test_unknown_key_without_near_match_lists_valid_keys(tmp_path: Path) -> None:
    (line,) = problems(write(tmp_path, MINIMAL + "server: {zzz: 1}\n"))
    assert line.endswith("server: unknown key 'zzz'; valid keys: host, port, stop_grace_seconds")


def test_unknown_top_level_and_connection_keys(tmp_path: Path) -> None:
    text = MINIMAL.replace('token: "${JIRA_PAT}"', 'tokn: "${JIRA_PAT}"') + "databse: sqlite:///x.db\n"
    lines = problems(write(tmp_path, text))
    name = str(tmp_path / "idsync.yaml")
    assert f"{name}: connections.jira: unknown key 'tokn' — did you mean 'token'?" in lines
    assert f"{name}: unknown key 'databse' — did you mean 'database'?" in lines


def test_unknown_mapping_key_of_a_fixed_set(tmp_path: Path) -> None:
    text = MINIMAL + "    users:\n      attributes: {emial: email}\n"
    (line,) = problems(write(tmp_path, text))
    assert "profiles.okta-to-jira.users.attributes: unknown key 'emial' — did you mean 'email'?" in line
    assert "valid: email, display_name" in line


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    text = MINIMAL + "    users: {when_removed: disable, create: maybe}\n    safety: {max_deletions: -1}\n"
    lines = problems(write(tmp_path, text))
    assert len(lines) == 3
    assert any("users.create: input should be a valid boolean" in line and "'maybe'" in line
               for line in lines)
    assert any("safety.max_deletions: input should be greater than or equal to 0, got -1" in line
               for line in lines)


def test_missing_required_key_and_validator_message(tmp_path: Path) -> None:
    text = """\
connections:
  corp: {type: ldap, url: "http://dc1"}
  jira: {type: jira, url: https://jira.example.com}
"""
    lines = problems(write(tmp_path, text))
    name = str(tmp_path / "idsync.yaml")
    assert f"{name}: connections.corp.user_base: required key is missing" in lines
    assert f"{name}: connections.corp.url: must be an ldap:// or ldaps:// URL, got 'http://dc1'" in lines
    assert any(line.startswith(f"{name}: connections.jira: needs token:") for line in lines)


def test_unknown_connection_types(tmp_path: Path) -> None:
    text = """\
connections:
  typo: {type: jirra, url: https://j.example.com}
  untyped: {url: https://j.example.com}
"""
    lines = problems(write(tmp_path, text))
    valid = "atlassian_cloud, bitbucket, confluence, crowd, jira, jira_cloud, ldap, okta, scim, scim_inbound"
    typo = f"connections.typo.type: 'jirra' is not a connection type; valid: {valid}"
    assert any(line.endswith(f"{typo} — did you mean 'jira'?") for line in lines)
    assert any(line.endswith(f"connections.untyped: missing key 'type'; valid: {valid}") for line in lines)


def test_cross_checks_name_the_wrong_connection_and_list_valid_ones(tmp_path: Path) -> None:
    text = MINIMAL + """\
  backwards:
    source: jira
    targets: [okta-prod, jira-test]
  ghost:
    source: okta-test
    targets: [jira, jira]
"""
    lines = problems(write(tmp_path, text))
    name = str(tmp_path / "idsync.yaml")
    assert lines == [
        f"{name}: profiles.backwards.source: connection 'jira' has type 'jira', which is not a source "
        "(ldap, okta, scim_inbound); source connections: okta-prod",
        f"{name}: profiles.backwards.targets[0]: connection 'okta-prod' has type 'okta', which is not a "
        "target (atlassian_cloud, bitbucket, confluence, crowd, jira, scim); target connections: jira",
        f"{name}: profiles.backwards.targets[1]: no connection named 'jira-test'; target connections: jira",
        f"{name}: profiles.ghost.source: no connection named 'okta-test'; source connections: okta-prod",
        f"{name}: profiles.ghost.targets[1]: target 'jira' is listed twice",
    ]


def test_unsupported_database(tmp_path: Path) -> None:
    (line,) = problems(write(tmp_path, "database: mysql://u:topsecret@h/db\n"))
    assert line.endswith("database: database 'mysql' is not supported; valid: sqlite, postgresql")
    (line,) = problems(write(tmp_path, "database: 'not a url ://'\n"))
    assert "must be a database URL such as sqlite:///idsync.db" in line


SECRET_CASES = [
    # a SecretStr field with a value of the wrong type
    ("connections:\n  o: {type: okta, url: https://o.example.com, token: [okta-secret-token-123]}\n"),
    # a template whose env value lands in a validator message
    ("connections:\n  o: {type: okta, url: 'http://${OKTA_TOKEN}.example.com', token: t}\n"),
    # an env value as an invalid literal
    ("profiles:\n  p: {source: o, targets: [j], users: {when_removed: '${JIRA_PAT}'}}\n"),
    # an env value in a database URL that fails
    ("database: 'mysql://u:${OKTA_TOKEN}@h/db'\n"),
    ("database: 'postgresql+psycopg://u:${OKTA_TOKEN}@h/db'\nserver: {port: '${JIRA_PAT}'}\n"),
]


@pytest.mark.parametrize("text", SECRET_CASES)
def test_secrets_never_appear_in_errors(tmp_path: Path, text: str) -> None:
    lines = problems(write(tmp_path, text))
    message = "\n".join(lines)
    assert lines, "the case must fail"
    for secret in ENV.values():
        assert secret not in message


def test_dump_example_is_commented_and_loads(tmp_path: Path) -> None:
    text = dump_example()
    assert text.count("#") > 20
    config = load_config(write(tmp_path, text), ENV)
    assert set(config.connections) == {"okta-prod", "jira"}
    profile = config.profiles["okta-to-jira"]
    assert profile.targets == ["jira"]
    assert profile.safety.protected_groups == ["jira-administrators"]
    assert profile.schedule is None, "no scheduler runs it yet: the example leaves it commented out"


def test_cross_checks_reported_together_with_field_errors(tmp_path: Path) -> None:
    text = MINIMAL.replace("targets: [jira]", "targets: [jira, wiki]") + """\
    users: {when_removed: disable}
  second:
    source: untyped
    targets: [jira]
"""
    text = text.replace("profiles:", "  untyped: {url: https://x.example.com}\nprofiles:")
    lines = problems(write(tmp_path, text))
    name = str(tmp_path / "idsync.yaml")
    assert lines == [
        f"{name}: connections.untyped: missing key 'type'; "
        "valid: atlassian_cloud, bitbucket, confluence, crowd, jira, jira_cloud, ldap, okta, scim, "
        "scim_inbound",
        f"{name}: profiles.okta-to-jira.users.when_removed: 'disable' is not valid; "
        "valid: deactivate, delete, ignore",
        f"{name}: profiles.okta-to-jira.targets[1]: no connection named 'wiki'; target connections: jira",
    ]
