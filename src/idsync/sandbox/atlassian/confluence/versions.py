"""Which Confluence release the emulator pretends to be, and which endpoints that release has.

Confluence grew its user-administration REST API late, in steps:
- disable, enable and delete a user (`/rest/api/admin/user/{username}/...`) arrived in 8.2 (the
  AdminUserResource javadoc says "@since 8.2.0");
- create a user, set a password and list all users arrived in 8.4 (the Atlassian tickets for those
  endpoints name Confluence DC 8.4);
- for group create / delete and membership add / remove no source gives the exact release ("8.2–8.4").
  The emulator offers them from 8.2 on, the earliest release the sources allow.
- Updating a user's email and full name (`PUT /rest/api/admin/user/{username}`) is in the same
  resource, but no source dates it; the emulator offers it from 8.4 with user creation.
Reading users, groups and members, and long tasks, are much older than any release emulated here.

Patch levels and build numbers below are illustrative, not taken from real releases.
"""

from __future__ import annotations

from dataclasses import dataclass

Since = tuple[int, int]

ALWAYS: Since = (0, 0)
USER_LIFECYCLE: Since = (8, 2)
"""disable / enable / delete a user."""
GROUP_ADMIN: Since = (8, 2)
"""create / delete a group, add / remove a member (exact release unknown: the earliest possible)."""
USER_ADMIN: Since = (8, 4)
"""create a user, set a password, update email and full name, list all users."""


@dataclass(frozen=True, slots=True)
class Release:
    """One emulated Confluence release."""

    version: str
    build_number: int

    @property
    def numbers(self) -> Since:
        """(major, minor) for comparisons with a `Since`."""
        major, minor, *_ = self.version.split(".")
        return int(major), int(minor)

    def has(self, since: Since) -> bool:
        """Whether an endpoint added in `since` exists in this release."""
        return self.numbers >= since


RELEASES: dict[str, Release] = {
    "7.19": Release("7.19.26", 8804),
    "8.2": Release("8.2.3", 9000),
    "8.4": Release("8.4.5", 9006),
    "8.5": Release("8.5.4", 9012),
    "9.2": Release("9.2.1", 9203),
}
"""`--version` value → the release it emulates."""
