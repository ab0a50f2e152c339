"""Finding the account behind an e-mail address, and whether it is licensed, through the Jira
platform API (servicedeskapi lists no users but a desk's customers).

Data Center: `GET /rest/api/2/user/search?username=<e-mail>` (it matches username, e-mail and display
name by prefix: only exact e-mail matches count), then for each
`GET /rest/api/2/user?username=…&expand=applicationRoles`: any application role means the user has
application access (an agent in jira-servicedesk-users, a jira-software user…) and is never made a
customer.

Cloud: `GET /rest/api/3/user/search?query=<e-mail>` and `GET /rest/api/3/user?accountId=…`; a
portal-only account (accountId `qm:…`) is a customer account, any other is treated as licensed.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from idsync.domain.customers import CustomerAccount
from idsync.domain.errors import NotFoundError
from idsync.http import HttpClient
from idsync.targets.jira.client import API as DC_API
from idsync.targets.jira.client import USER_LIST, JiraUser
from idsync.targets.jsm.client import CLOUD_USERS, CloudUser
from idsync.targets.jsm.quirks import PORTAL_ONLY_PREFIX

CLOUD_API = "/rest/api/3"
SEARCH_LIMIT = 100
"""Jira 10 returns at most 100 matches of a user search; far more than share one e-mail prefix."""


class AccountLookup(Protocol):
    """How one product finds accounts."""

    async def by_email(self, email: str) -> tuple[CustomerAccount, ...]:
        """Every account whose e-mail is exactly `email` (case-insensitive)."""
        ...

    async def by_account(self, account: str) -> CustomerAccount | None:
        """The account, or None when it does not exist."""
        ...


class _Role(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    key: str = ""


class _Roles(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    size: int = 0
    items: list[_Role] = Field(default_factory=list)


class _UserRoles(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
    roles: _Roles = Field(default_factory=_Roles, alias="applicationRoles")


class DataCenterAccounts:
    """Accounts of Jira Data Center (usernames, application roles)."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    async def by_email(self, email: str) -> tuple[CustomerAccount, ...]:
        """Exact e-mail matches of a user search, each with its application roles."""
        response = await self.http.request(
            "GET", f"{DC_API}/user/search",
            params={"username": email, "maxResults": SEARCH_LIMIT, "includeActive": True,
                    "includeInactive": True},
            ok=(200,), label=f"{DC_API}/user/search",
        )
        matches = [u for u in USER_LIST.validate_json(response.content)
                   if u.email is not None and u.email.casefold() == email.casefold()]
        found = [await self.by_account(user.name) for user in matches]
        return tuple(account for account in found if account is not None)

    async def by_account(self, account: str) -> CustomerAccount | None:
        """GET /user?username=…&expand=applicationRoles."""
        try:
            response = await self.http.request(
                "GET", f"{DC_API}/user", params={"username": account, "expand": "applicationRoles"},
                ok=(200,), label=f"{DC_API}/user",
            )
        except NotFoundError:
            return None
        user = JiraUser.model_validate_json(response.content)
        roles = _UserRoles.model_validate_json(response.content).roles
        keys = sorted(role.key for role in roles.items if role.key)
        detail = f"application access: {', '.join(keys)}" if keys else \
            ("application access" if roles.size else "")
        return CustomerAccount(user.name.lower(), user.email, user.display_name, roles.size > 0, detail)


def _cloud_account(user: CloudUser) -> CustomerAccount:
    portal_only = user.account_id.startswith(PORTAL_ONLY_PREFIX)
    kind = user.account_type or "atlassian"
    detail = "" if portal_only else f"an Atlassian account ({kind}), not portal-only"
    return CustomerAccount(user.account_id, user.email, user.display_name, not portal_only, detail)


class CloudAccounts:
    """Accounts of a Jira Cloud site (accountIds; portal-only ones start with qm:)."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    async def by_email(self, email: str) -> tuple[CustomerAccount, ...]:
        """Exact e-mail matches of GET /rest/api/3/user/search?query=."""
        response = await self.http.request(
            "GET", f"{CLOUD_API}/user/search", params={"query": email, "maxResults": SEARCH_LIMIT},
            ok=(200,), label=f"{CLOUD_API}/user/search",
        )
        return tuple(_cloud_account(u) for u in CLOUD_USERS.validate_json(response.content)
                     if u.email is not None and u.email.casefold() == email.casefold())

    async def by_account(self, account: str) -> CustomerAccount | None:
        """GET /rest/api/3/user?accountId=…."""
        try:
            response = await self.http.request(
                "GET", f"{CLOUD_API}/user", params={"accountId": account}, ok=(200,),
                label=f"{CLOUD_API}/user",
            )
        except NotFoundError:
            return None
        return _cloud_account(CloudUser.model_validate_json(response.content))
