"""The two refusals every membership write shares: the licensed-user limit, and a group whose global
permission is above the caller's.

Seats: a write that would give more users LICENSED_USER or higher than the licence's tier allows is
refused with 403 and changes nothing. Bitbucket's API documentation gives the text for user creation
("Adding the user to the default group would exceed the server's license limit."); the other writes'
texts follow it and are unverified.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request

from idsync.sandbox.atlassian.bitbucket.state import RANK, BitbucketGroup, BitbucketUser
from idsync.sandbox.atlassian.bitbucket.web import LICENCE_LIMIT, BitbucketError, runtime_of, state_of

CREATE_OVER_LIMIT = "Adding the user to the default group would exceed the server's license limit."
ADD_OVER_LIMIT = "Adding the user(s) to the group(s) would exceed the server's license limit."
GRANT_OVER_LIMIT = "Granting this permission would exceed the server's license limit."


def check_seats(
    request: Request, users: Iterable[BitbucketUser], groups: Iterable[BitbucketGroup], message: str
) -> None:
    """403 when `users` joining `groups` would take the licensed users past the licence's tier."""
    limit = runtime_of(request).options.licensed_users
    if limit is None:
        return
    state = state_of(request)
    new = state.newly_licensed(users, groups)
    if new and state.licensed_count() + new > limit:
        raise BitbucketError(403, message, exception=LICENCE_LIMIT)


def check_new_seats(request: Request, new: int, message: str) -> None:
    """403 when `new` more licensed users would exceed the tier (permission grants count them)."""
    limit = runtime_of(request).options.licensed_users
    if limit is not None and new and state_of(request).licensed_count() + new > limit:
        raise BitbucketError(403, message, exception=LICENCE_LIMIT)


def check_group_rank(request: Request, caller: BitbucketUser, groups: Iterable[BitbucketGroup]) -> None:
    """403 when a group holds a global permission above the caller's (an ADMIN cannot change the
    members of a SYS_ADMIN group). Text unverified."""
    state = state_of(request)
    mine = RANK.get(state.permission_of(caller) or "", 0)
    for group in groups:
        theirs = state.group_permissions.get(group.name.lower())
        if theirs is not None and RANK[theirs] > mine:
            raise BitbucketError(
                403,
                f"You cannot change the members of '{group.name}': it holds the {theirs} permission, "
                "which is higher than yours.",
                exception="com.atlassian.bitbucket.permission.PermissionException",
            )
