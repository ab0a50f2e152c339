"""What is peculiar to Confluence Data Center, in one place: which release has which endpoint, the
status words of a Person, the rules of user creation, and the shapes of long-task messages.

Endpoint releases: disable / enable / delete a user since 8.2 (the AdminUserResource javadoc); create
a user and list all users since 8.4 (Atlassian's tickets for them). For group create / delete and
membership add / remove the sources only narrow it to "8.2–8.4": idsync assumes 8.2, the earliest
possible, so an older 8.x that lacks them shows as a 404 on that item. Updating email and full name
is not dated by any source; idsync assumes 8.4, with user creation.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from idsync.domain.errors import ConnectorError
from idsync.domain.plan import Action

Release = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One REST call idsync makes, the job it does and the release that introduced it."""

    call: str
    purpose: str
    since: Release

    def describe(self) -> str:
        """`POST /rest/api/admin/user (create users, Confluence 8.4 and later)`."""
        return f"{self.call} ({self.purpose}, Confluence {self.since[0]}.{self.since[1]} and later)"


CREATE_USER = Endpoint("POST /rest/api/admin/user", "create users", (8, 4))
UPDATE_USER = Endpoint("PUT /rest/api/admin/user/{username}", "update email and full name", (8, 4))
LIST_USERS = Endpoint("GET /rest/api/user/list", "find users by email", (8, 4))
DISABLE_USER = Endpoint("PUT /rest/api/admin/user/{username}/disable", "deactivate users", (8, 2))
ENABLE_USER = Endpoint("PUT /rest/api/admin/user/{username}/enable", "reactivate users", (8, 2))
DELETE_USER = Endpoint("DELETE /rest/api/admin/user/{username}", "delete users", (8, 2))
CREATE_GROUP = Endpoint("POST /rest/api/admin/group", "create groups", (8, 2))
ADD_MEMBER = Endpoint("PUT /rest/api/user/{username}/group/{groupName}", "add group members", (8, 2))
REMOVE_MEMBER = Endpoint("DELETE /rest/api/user/{username}/group/{groupName}", "remove group members", (8, 2))

FOR_ACTION: dict[Action, Endpoint] = {
    Action.CREATE_USER: CREATE_USER,
    Action.UPDATE_USER: UPDATE_USER,
    Action.DEACTIVATE_USER: DISABLE_USER,
    Action.REACTIVATE_USER: ENABLE_USER,
    Action.DELETE_USER: DELETE_USER,
    Action.CREATE_GROUP: CREATE_GROUP,
    Action.ADD_MEMBER: ADD_MEMBER,
    Action.REMOVE_MEMBER: REMOVE_MEMBER,
}
ALL_ENDPOINTS: tuple[Endpoint, ...] = (*FOR_ACTION.values(), LIST_USERS)

_VERSION = re.compile(r"^(\d+)\.(\d+)")


def release_of(version: str) -> Release:
    """(major, minor) of a version string such as "8.5.4"; ConnectorError when it is not one."""
    match = _VERSION.match(version.strip())
    if match is None:
        raise ConnectorError(f"Confluence reported version {version!r}, which is not a version number")
    return int(match.group(1)), int(match.group(2))


def xml_field(text: str, name: str) -> str | None:
    """A field of the XML manifest, e.g. `<version>` (servers that ignore `Accept: application/json`)."""
    match = re.search(rf"<{name}>\s*([^<\s]+)\s*</{name}>", text)
    return match.group(1) if match else None


def missing(release: Release, endpoints: Iterable[Endpoint]) -> list[Endpoint]:
    """The endpoints a release does not have."""
    return [endpoint for endpoint in endpoints if release < endpoint.since]


def refusal(version: str, url: str, lacking: list[Endpoint]) -> str:
    """The message that stops a sync against a release without the endpoints it needs."""
    calls = "; ".join(endpoint.describe() for endpoint in lacking)
    oldest = max(endpoint.since for endpoint in lacking)
    return (
        f"Confluence {version} at {url} does not have {calls}; idsync needs Confluence "
        f"{oldest[0]}.{oldest[1]} or later for this"
    )


# Person.status with expand=status: Atlassian's documentation does not pin the literal; atlassian-python-api
# documents "Active" and "Deactivated". Unknown words stop the read rather than guess, because a
# wrong guess would plan a (re)activation for every user.
_ACTIVE = frozenset({"active", "enabled"})
_INACTIVE = frozenset({"deactivated", "disabled", "inactive"})


def is_active(status: str | None, username: str) -> bool:
    """Whether a Person's `status` means the user is enabled."""
    word = (status or "").strip().lower()
    if word in _ACTIVE:
        return True
    if word in _INACTIVE:
        return False
    raise ConnectorError(
        f"Confluence user {username!r} has status {status!r}; idsync knows 'Active' and 'Deactivated' "
        "(was expand=status honoured?)"
    )


def create_username(username: str) -> str:
    """Confluence requires lower-case usernames on creation (case-insensitive everywhere else)."""
    return username.lower()


def full_name(display_name: str | None, username: str) -> str:
    """`fullName` is required on creation: the display name, else the username."""
    return display_name.strip() if display_name and display_name.strip() else username


def initial_password() -> str:
    """A random password for a new user. Creation needs a password unless Confluence emails the user
    (`notifyViaEmail`), which idsync does not ask for: people log in through the directory / SSO, or
    an admin resets it. The value is never stored or logged. The mixed character classes satisfy a
    password policy that asks for them."""
    return f"{secrets.token_urlsafe(24)}aA1!"


def task_messages(messages: list[Any]) -> str:
    """Long-task messages as one line: plain strings, or objects with `translation`, `message` or
    `key` (Atlassian's documentation lists `messages` without showing an element)."""
    texts: list[str] = []
    for message in messages:
        if isinstance(message, str):
            texts.append(message)
        elif isinstance(message, dict):
            text = message.get("translation") or message.get("message") or message.get("key")
            if text:
                texts.append(str(text))
    return "; ".join(texts) if texts else "no message"
