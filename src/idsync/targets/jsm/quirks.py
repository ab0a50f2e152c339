"""What differs between Jira Service Management on Data Center and on Cloud, in one place, so the
shared reader and writer never branch on the product.

- The account of a customer: Data Center the username (bodies take `usernames`; its Java API
  resolves usernames, then e-mails); Cloud the `accountId` (`accountIds`; `usernames` is deprecated
  and ignored).
- Creating a customer: Data Center `{"email", "fullName"}`, and the new user's username is the
  e-mail; Cloud `{"email", "displayName"}` with `?strictConflictStatusCode=true`, so a taken e-mail is
  a 409 instead of a 400.
- Licensed (never a customer): Data Center any application role
  (`GET /user?expand=applicationRoles`); Cloud any account that is not portal-only (portal-only
  accountIds start with `qm:`).
- A desk's customers, GET and DELETE: absent from the Data Center 10.x/11.x spec, so they may be
  missing (405), and idsync then adds but never removes; experimental on Cloud (opt-in header, 412
  without it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from idsync.domain.errors import BadRequestError, ConflictError, ConnectorError
from idsync.targets.jsm.client import UserDto

PORTAL_ONLY_PREFIX = "qm:"
"""Cloud: the accountIds of portal-only customer accounts start with this; a licensed Atlassian
account does not (it may be a customer too, but idsync never makes one)."""


@dataclass(frozen=True, slots=True)
class Flavour:
    """The Data Center / Cloud differences the servicedeskapi code needs."""

    product: str
    accounts_field: str
    """Key of the list in add / remove customer bodies."""
    name_field: str
    """Key of the display name in the create-customer body."""
    create_params: Mapping[str, str] = field(default_factory=dict)

    def create_body(self, email: str, display_name: str | None) -> dict[str, Any]:
        """The create-customer body (the display name falls back to the e-mail: both require one)."""
        return {"email": email, self.name_field: display_name or email}

    def account_of(self, user: UserDto) -> str | None:
        """The account a UserDTO stands for (Data Center usernames compare lower-case)."""
        if self.accounts_field == "accountIds":
            return user.account_id
        return user.name.lower() if user.name else None

    def taken(self, error: ConnectorError) -> bool:
        """Whether a failed create means "a user with this e-mail exists": Cloud says 409 (strict
        conflict codes); Data Center documents no error at all and answers 400, so its message is read."""
        if isinstance(error, ConflictError):
            return True
        text = str(error).casefold()
        return isinstance(error, BadRequestError) and ("exist" in text or "already" in text)


DATA_CENTER = Flavour(product="Jira Service Management Data Center", accounts_field="usernames",
                      name_field="fullName")
CLOUD = Flavour(product="Jira Service Management Cloud", accounts_field="accountIds",
                name_field="displayName", create_params={"strictConflictStatusCode": "true"})
