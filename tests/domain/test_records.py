"""The records' own checks: what a target refuses to create a user with (`UserRequirements`)."""

from __future__ import annotations

import sys

import pytest

from idsync.domain.records import UserRequirements

JIRA_LIKE = UserRequirements(email=True, display_name=True, max_length=255, forbidden_in_username="<>&")

WHITESPACE = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]
"""Every character Python counts as whitespace (29: the ASCII ones, no-break and em spaces, the
information separators, line and paragraph separators...)."""


def test_a_username_names_each_forbidden_character_once_in_order() -> None:
    assert JIRA_LIKE.problems("a<b&c<d", "a@example.com", "A", creating=True) == [
        "username 'a<b&c<d' contains '&', '<', which the target does not allow"
    ]


def test_a_username_without_forbidden_characters_is_accepted() -> None:
    assert JIRA_LIKE.problems("jane.doe+ops", "jane@example.com", "Jane Doe", creating=True) == []
    assert UserRequirements().problems("a<b", None, None, creating=True) == []


@pytest.mark.parametrize("space", WHITESPACE, ids=lambda ch: f"U+{ord(ch):04X}")
def test_an_address_holding_any_whitespace_is_not_an_address(space: str) -> None:
    email = f"jane{space}doe@example.com"
    assert JIRA_LIKE.problems("jane", email, "Jane", creating=True) == [f"e-mail {email!r} is not an address"]


def test_an_address_with_characters_close_to_whitespace_is_one() -> None:
    # zero-width space and the byte-order mark are not whitespace to Python, nor to the check
    assert JIRA_LIKE.problems("jane", "jane\u200bdoe\ufeff@example.com", "Jane", creating=True) == []
    assert len(WHITESPACE) == 29
