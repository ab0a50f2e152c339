"""Finding the users and groups a request names, with Bitbucket's 404s (texts unverified; the
exception names are the ones Bitbucket's errors show)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from idsync.sandbox.atlassian.bitbucket.state import BitbucketGroup, BitbucketUser
from idsync.sandbox.atlassian.bitbucket.web import (
    NO_SUCH_GROUP,
    NO_SUCH_USER,
    VALIDATION,
    BitbucketError,
    state_of,
)


def user_named(request: Request, name: Any, context: str = "name") -> BitbucketUser:
    """The user with this name (case-insensitive): 400 when no name is given, 404 when unknown."""
    if not isinstance(name, str) or not name:
        raise BitbucketError(
            400, f"The '{context}' of a user is required.", context=context, exception=VALIDATION
        )
    user = state_of(request).user_by_name(name)
    if user is None:
        raise BitbucketError(404, f"User {name} does not exist.", exception=NO_SUCH_USER)
    return user


def group_named(request: Request, name: Any, context: str = "name") -> BitbucketGroup:
    """The group with this name (case-insensitive): 400 when no name is given, 404 when unknown."""
    if not isinstance(name, str) or not name:
        raise BitbucketError(
            400, f"The '{context}' of a group is required.", context=context, exception=VALIDATION
        )
    group = state_of(request).group(name)
    if group is None:
        raise BitbucketError(404, f"Group {name} does not exist.", exception=NO_SUCH_GROUP)
    return group


def matches(filter_text: str, *values: str) -> bool:
    """Bitbucket's `filter`: a case-insensitive substring of any of the values (empty matches all)."""
    if not filter_text:
        return True
    needle = filter_text.lower()
    return any(needle in value.lower() for value in values)
