"""The example of CONFIG.md (copied verbatim into config_md_example.yaml) against the models."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from idsync.config.connections import LdapConnection, ScimInboundConnection
from idsync.config.loader import ConfigFileError, load_config

HERE = Path(__file__).parent
EXAMPLE = HERE / "config_md_example.yaml"
CONFIG_MD = Path("/work/shared/design/CONFIG.md")
ENV = {"OKTA_TOKEN": "okta-secret-1", "LDAP_PASSWORD": "ldap-secret-2", "JIRA_PAT": "jira-secret-3"}
UNSUPPORTED = ("confluence", "bitbucket", "crowd", "cloud", "any-scim")


def without_unsupported(text: str) -> str:
    return "\n".join(
        line for line in text.splitlines() if not any(line.startswith(f"  {n}:") for n in UNSUPPORTED)
    )


@pytest.mark.skipif(not CONFIG_MD.exists(), reason="the design folder is not part of the repository")
def test_copy_matches_config_md() -> None:
    block = CONFIG_MD.read_text(encoding="utf-8").split("```yaml\n", 1)[1].split("```", 1)[0]
    assert EXAMPLE.read_text(encoding="utf-8") == block


def test_unsupported_types_are_named_as_not_available_yet() -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_config(EXAMPLE, ENV)
    unavailable = [line for line in caught.value.problems if "is not available yet" in line]
    types = sorted(re.findall(r"connection type '(\w+)'", "\n".join(unavailable)))
    assert types == ["atlassian_cloud", "bitbucket", "confluence", "crowd", "scim"]


def test_example_loads_once_env_is_set_and_unsupported_types_removed(tmp_path: Path) -> None:
    text = without_unsupported(EXAMPLE.read_text(encoding="utf-8"))
    path = tmp_path / "idsync.yaml"
    path.write_text(text, encoding="utf-8")
    # CONFIG.md shows `rename:` (on_the_fly) and `mapping:` (manual) in one profile to document both
    # modes: the contract's own example must load as it is.
    config = load_config(path, ENV)
    assert set(config.connections) == {"okta-prod", "ldap-corp", "scim-inbox", "jira"}
    ldap = config.connections["ldap-corp"]
    assert isinstance(ldap, LdapConnection)
    assert ldap.password is not None
    assert ldap.password.get_secret_value() == "ldap-secret-2"
    assert isinstance(config.connections["scim-inbox"], ScimInboundConnection)
    profile = config.profiles["okta-to-jira"]
    assert profile.source == "okta-prod"
    assert profile.safety.max_deactivation_percent == 10
    assert profile.users.username.regex == "(.*)@.*"
