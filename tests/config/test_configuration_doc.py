"""docs/configuration.md is the configuration contract: its YAML examples load with the config models,
and its key tables list exactly the keys the models accept (a new model field without a row fails, and
so does a row naming a key the models do not have)."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union

import pytest
from pydantic import BaseModel

from idsync.config.connections import Connection, LdapConnection, OktaConnection
from idsync.config.loader import parse_config
from idsync.config.model import IdsyncConfig
from idsync.config.profiles import Profile

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
ENV = {
    "OKTA_TOKEN": "okta-secret-1",
    "LDAP_PASSWORD": "ldap-secret-2",
    "JIRA_PAT": "jira-secret-3",
    "CONFLUENCE_PAT": "confluence-secret-4",
    "BITBUCKET_PASSWORD": "bitbucket-secret-5",
    "CROWD_APP_PASSWORD": "crowd-secret-6",
    "OKTA_HOOK_SECRET": "okta-hook-secret-7-0123456789",
}
TYPE_HEADING = re.compile(r"`type: (\w+)`")


def connection_models() -> dict[str, type[BaseModel]]:
    """`type:` value → connection model, from the discriminated union itself."""
    union = typing.get_args(Connection)[0]
    models: dict[str, type[BaseModel]] = {}
    for model in typing.get_args(union):
        (literal,) = typing.get_args(model.model_fields["type"].annotation)
        models[literal] = model
    return models


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (also when optional), else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (Union, types.UnionType):
        models = [a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        if len(models) == 1:
            return models[0]
    return None


def _literal_keys(annotation: Any) -> tuple[str, ...]:
    """The fixed keys of a `dict[Literal[...], ...]` field, else ()."""
    if typing.get_origin(annotation) is dict:
        key = typing.get_args(annotation)[0]
        if typing.get_origin(key) is Literal:
            return tuple(str(k) for k in typing.get_args(key))
    return ()


def model_keys(model: type[BaseModel], prefix: str = "") -> tuple[set[str], set[str]]:
    """(leaf keys, section keys) a model accepts, as dotted paths. Nested models and dicts with fixed
    keys are sections whose own keys are listed too; other dicts (connections, mapping) are leaves."""
    leaves: set[str] = set()
    sections: set[str] = set()
    for name, field in model.model_fields.items():
        path = prefix + name
        nested = _nested_model(field.annotation)
        fixed = _literal_keys(field.annotation)
        if nested is not None:
            sections.add(path)
            sub_leaves, sub_sections = model_keys(nested, path + ".")
            leaves |= sub_leaves
            sections |= sub_sections
        elif fixed:
            sections.add(path)
            leaves |= {f"{path}.{key}" for key in fixed}
        else:
            leaves.add(path)
    return leaves, sections


def documented_keys() -> dict[str, set[str]]:
    """Scope ("top", "profile", or a connection type) → keys in the first column of its key tables.

    A heading naming `type: X` starts connection type X, one naming `profiles.<name>` the profile
    keys, one saying "Top-level" the file's top level; other headings keep the scope they are in.
    """
    scopes: dict[str, set[str]] = {}
    scope: str | None = None
    in_key_table = False
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            in_key_table = False
            kind = TYPE_HEADING.search(line)
            if kind:
                scope = kind.group(1)
            elif "`profiles.<name>`" in line:
                scope = "profile"
            elif "top-level" in line.lower():
                scope = "top"
            continue
        if not line.startswith("|"):
            in_key_table = False
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] == "key":
            in_key_table = True
            continue
        if not in_key_table or set(cells[0]) <= {"-", ":"}:
            continue
        match = re.fullmatch(r"`([\w.]+)`", cells[0])
        assert match, f"a key table row must start with one `key`: {line!r}"
        assert scope is not None, f"key table outside a keyed section: {line!r}"
        scopes.setdefault(scope, set()).add(match.group(1))
    return scopes


def expected_scopes() -> dict[str, type[BaseModel]]:
    return {"top": IdsyncConfig, "profile": Profile, **connection_models()}


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


@pytest.mark.parametrize("scope", sorted(expected_scopes()))
def test_every_key_the_models_accept_is_documented_and_nothing_else(scope: str) -> None:
    leaves, sections = model_keys(expected_scopes()[scope])
    documented = documented_keys().get(scope, set())

    assert sorted(leaves - documented) == [], f"keys accepted by the models but not in {DOC.name}"
    assert sorted(documented - leaves - sections) == [], f"keys in {DOC.name} that the models do not accept"


def test_no_key_table_outside_the_known_scopes() -> None:
    assert set(documented_keys()) <= set(expected_scopes())


def test_every_yaml_example_loads(tmp_path: Path) -> None:
    blocks = yaml_blocks()
    assert len(blocks) >= 4, "the full example and one per connection type without a profile"
    for index, block in enumerate(blocks):
        parse_config(block, name=f"{DOC.name} example {index + 1}", base_dir=tmp_path, env=ENV)


def test_the_full_example_holds_what_it_shows(tmp_path: Path) -> None:
    config = parse_config(yaml_blocks()[0], name=DOC.name, base_dir=tmp_path, env=ENV)

    assert set(config.connections) == {"okta-prod", "ldap-corp", "scim-inbox", "jira"}
    okta = config.connections["okta-prod"]
    assert isinstance(okta, OktaConnection)
    assert okta.token.get_secret_value() == "okta-secret-1"
    ldap = config.connections["ldap-corp"]
    assert isinstance(ldap, LdapConnection)
    assert ldap.flavor == "active_directory"
    profile = config.profiles["okta-to-jira"]
    assert profile.users.username.regex == "(.*)@.*"
    assert profile.safety.max_deactivation_percent == 10
    assert config.profiles["ldap-to-jira"].groups.mapping == {
        "Engineering": ["jira-software-users", "developers"]
    }
    assert config.server is not None
    assert config.server.port == 8080
    assert config.database.endswith("idsync.db")


def test_the_key_reader_sees_nested_and_fixed_keys() -> None:
    leaves, sections = model_keys(Profile)

    assert {"users.username.regex", "users.attributes.email", "groups.default_groups.new_users"} <= leaves
    assert {"users", "users.username", "users.attributes", "schedule"} <= sections
    assert "groups.mapping" in leaves
