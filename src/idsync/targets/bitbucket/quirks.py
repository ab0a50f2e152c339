"""Bitbucket Data Center's vendor quirks, in one place.

- There is no deactivate: `active` is the user directory's flag and read-only (a PUT with `active` is
  rejected as an unknown field). A person stops using Bitbucket by losing their seat, and a seat comes
  from a global permission of LICENSED_USER or higher — PROJECT_CREATE, ADMIN and SYS_ADMIN include
  it — granted to a group the user is in, or to the user directly.
- A user is created with query parameters, not a JSON body, and the answer is 204 without a body: the
  new user's id has to be read back.
- Creating a user needs a password unless Bitbucket mails the user an invitation (`notify`), which needs
  a mail server; see `new_user_password`.
- Past the licensed-user tier, a write that would add a seat answers 403 ("... would exceed the
  server's license limit."). The HTTP layer maps 403 to StopSyncError (bad credentials), so the target
  asks to see 403s and turns this one into a BadRequestError for its item: the run goes on, nothing is
  retried.
- REST 1.0 has no "who am I": authenticated responses name the caller in the `X-AUSERNAME` header.
"""

from __future__ import annotations

import re
import secrets

from idsync.http import WireResponse
from idsync.targets.bitbucket.client import error_entries

LICENSING_PERMISSIONS = frozenset({"LICENSED_USER", "PROJECT_CREATE", "ADMIN", "SYS_ADMIN"})
"""Global permissions that take a seat (each higher one includes LICENSED_USER)."""

ADD_TO_DEFAULT_GROUP = False
"""New users are created with `addToDefaultGroup=false`: the plan says which groups a user gets (the
profile's default groups for new users name the licence group), so Bitbucket makes no membership
idsync did not plan, and the licence limit shows up on the item that adds the seat."""

AUTHENTICATED_AS = "x-ausername"

NO_DEACTIVATE = (
    "Bitbucket Data Center has no deactivate: a user stops using Bitbucket by losing the licence-granting "
    "groups (revoke_licence items), and returns by getting them back (restore_licence items)"
)

_LICENCE_LIMIT = re.compile(r"licen[cs]e\s+limit", re.IGNORECASE)


def is_licence_limit(response: WireResponse) -> bool:
    """Whether a 403 is Bitbucket refusing a seat past the licensed-user tier."""
    return response.status_code == 403 and any(
        _LICENCE_LIMIT.search(str(entry.get("message") or "")) for entry in error_entries(response)
    )


def new_user_password() -> str:
    """A random password for a new internal-directory user, known to nobody (never logged): people sign
    in through SSO or a directory, or set their own with Bitbucket's password reset. Asking Bitbucket to
    notify the user instead would fail on servers without a mail server."""
    return secrets.token_urlsafe(32)
