"""Attributes: email / display name from an attribute or a template, fallbacks, custom attributes."""

from __future__ import annotations

import pytest

from idsync.domain.errors import ConfigError
from idsync.rules.desired import desired_state
from tests.rules.builders import person, profile, snapshot


def test_template_and_plain_attribute() -> None:
    state = desired_state(snapshot([person("u1", "ann@x.io", firstName="Ann", lastName="Lee",
                                           mail2="ann.lee@corp.io")]),
                          profile(users={"attributes": {"email": "mail2",
                                                        "display_name": "{lastName}, {firstName}"}}))
    user = state.users["u1"]
    assert user.email == "ann.lee@corp.io"
    assert user.display_name == "Lee, Ann"


def test_fallback_takes_the_first_template_whose_placeholders_are_all_filled() -> None:
    fallbacks = ["{displayName}", "{firstName} {lastName}", "login"]
    rules = profile(users={"attributes": {"display_name": fallbacks}})
    state = desired_state(snapshot([
        person("u1", "a@x.io", displayName="Alice A."),
        person("u2", "b@x.io", firstName="Bob", lastName="B"),
        person("u3", "c@x.io", firstName="", lastName=None),
    ]), rules)
    assert state.users["u1"].display_name == "Alice A."
    assert state.users["u2"].display_name == "Bob B"
    assert state.users["u3"].display_name == "c@x.io"


def test_no_alternative_filled_gives_none() -> None:
    state = desired_state(snapshot([person("u1", "a@x.io", email=None)]), profile())
    assert state.users["u1"].email is None


def test_custom_attributes_skip_empty_values_and_take_first_of_multivalued() -> None:
    rules = profile(users={"custom_attributes": {"department": "department", "site": "{city}/{country}",
                                                 "cost": "costCenter", "tags": "tags"}})
    state = desired_state(snapshot([person("u1", "a@x.io", department="R&D", city="Oslo", country=None,
                                           costCenter="  ", tags=["", "blue", "red"])]), rules)
    assert state.users["u1"].properties == {"department": "R&D", "tags": "blue"}


def test_malformed_template_is_a_config_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"users\.attributes\.display_name.*\{firstName"):
        desired_state(snapshot([person("u1", "a@x.io")]),
                      profile(users={"attributes": {"display_name": "{firstName"}}))
