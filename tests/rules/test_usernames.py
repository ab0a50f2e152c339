"""Usernames: the source attribute, regex rewrite ($1, ${1}, ${name}), lower-casing, missing values."""

from __future__ import annotations

import pytest

from idsync.domain.errors import ConfigError
from idsync.domain.records import SourceUser
from idsync.rules.desired import desired_state
from tests.rules.builders import person, profile, snapshot


def _usernames(username_rule: dict[str, object], *users: SourceUser) -> dict[str, str]:
    state = desired_state(snapshot(users), profile(users={"username": username_rule}))
    return {sid: u.username for sid, u in state.users.items()}


def test_dollar_number_strips_the_mail_domain_and_lowercases() -> None:
    names = _usernames({"attribute": "login", "regex": "(.*)@.*", "replace": "$1"},
                       person("u1", "Ann.Lee@Example.com"))
    assert names == {"u1": "ann.lee"}


def test_braced_number_and_named_group() -> None:
    assert _usernames({"regex": "(?P<local>[^@]+)@(?P<dom>.*)", "replace": "${local}-${dom}"},
                      person("u1", "bob@corp.io")) == {"u1": "bob-corp.io"}
    assert _usernames({"regex": "(.*)@.*", "replace": "x${1}"}, person("u1", "bob@corp.io")) == {"u1": "xbob"}


@pytest.mark.parametrize(("regex", "replace", "login", "expected"), [
    ("(.*)@(.*)", "$2.$1", "bob@corp.io", "corp.io.bob"),  # literal text between references
    ("(.*)@.*", "$$$1", "bob@corp.io", "$bob"),  # $$ is a literal dollar sign
    ("@", "$0$0", "bob@corp.io", "bob@@corp.io"),  # $0: the whole match; the rest of the value stays
    ("(x)?(b.*)@.*", "[$1]$2", "bob@corp.io", "[]bob"),  # a group that took no part: empty
    ("(?P<local>.*)@.*", "id-${local}-end", "Bob@corp.io", "id-bob-end"),
])
def test_replacement_text_expands_like_one_substitution(
    regex: str, replace: str, login: str, expected: str
) -> None:
    assert _usernames({"regex": regex, "replace": replace}, person("u1", login)) == {"u1": expected}


def test_lowercase_off_keeps_case() -> None:
    assert _usernames({"regex": "(.*)@.*", "replace": "$1", "lowercase": False},
                      person("u1", "Ann@x.io")) == {"u1": "Ann"}


def test_value_not_matching_the_regex_stays_as_it_is() -> None:
    names = _usernames({"regex": "(.*)@.*", "replace": "$1"}, person("u1", "CarlNoDomain"))
    assert names == {"u1": "carlnodomain"}


def test_other_attribute_is_used() -> None:
    names = _usernames({"attribute": "employeeId"}, person("u1", "a@x.io", employeeId="E-42"))
    assert names == {"u1": "e-42"}


def test_missing_username_attribute_leaves_the_user_out_with_a_note() -> None:
    state = desired_state(snapshot([person("u1", "a@x.io"), person("u2", "b@x.io", employeeId=None)]),
                          profile(users={"username": {"attribute": "employeeId"}}))
    assert state.users == {}
    assert set(state.skipped) == {"u1", "u2"}
    assert any("employeeId" in note and "u1" in note for note in state.notes)


def test_replacement_naming_a_missing_group_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"users\.username\.replace.*\$2"):
        desired_state(snapshot([person("u1", "a@x.io")]),
                      profile(users={"username": {"regex": "(.*)@.*", "replace": "$2"}}))
    with pytest.raises(ConfigError, match=r"\$\{nope\}"):
        desired_state(snapshot([person("u1", "a@x.io")]),
                      profile(users={"username": {"regex": "(?P<a>.*)@.*", "replace": "${nope}"}}))


def test_two_source_users_with_one_username_are_disputed_and_neither_applied() -> None:
    state = desired_state(
        snapshot([person("u1", "ann@a.io"), person("u2", "ANN@b.io"), person("u3", "bob@a.io")]),
        profile(users={"username": {"regex": "(.*)@.*", "replace": "$1"}}),
    )
    assert set(state.users) == {"u3"}
    assert len(state.disputes) == 1
    assert state.disputes[0].username == "ann"
    assert state.disputes[0].source_ids == ("u1", "u2")


def test_case_only_collision_is_a_dispute_even_without_lowercase() -> None:
    state = desired_state(snapshot([person("u1", "Ann"), person("u2", "ann")]),
                          profile(users={"username": {"lowercase": False}}))
    assert state.users == {}
    assert state.disputes[0].source_ids == ("u1", "u2")


def test_several_disputes_are_reported_in_name_order_each_naming_all_its_claimants() -> None:
    people = [person("u5", "cy@a.io"), person("u1", "ann@a.io"), person("u4", "bob@a.io"),
              person("u2", "ANN@b.io"), person("u3", "Cy@b.io"), person("u6", "ann@c.io"),
              person("u7", "dan@a.io")]
    rules = profile(users={"username": {"regex": "(.*)@.*", "replace": "$1"}})
    state = desired_state(snapshot(people), rules)
    assert [(d.username.casefold(), d.source_ids) for d in state.disputes] == [
        ("ann", ("u1", "u2", "u6")), ("cy", ("u3", "u5"))]
    assert set(state.users) == {"u4", "u7"}
