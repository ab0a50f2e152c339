"""Connection models, one per `type:`. Secrets are SecretStr so they never print in reprs or errors."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def https_url(value: str, *, allow_http_for_local: bool = True) -> str:
    """Validate a service URL: https, or http only for loopback (the sandbox)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an https:// URL such as https://example.okta.com, got {value!r}")
    if parts.scheme == "http" and not (allow_http_for_local and parts.hostname in _LOCAL_HOSTS):
        raise ValueError(
            f"http:// is allowed only for 127.0.0.1 / localhost (the sandbox); use https:// ({value!r})"
        )
    return value.rstrip("/")


class _ConnectionBase(_Strict):
    """Keys every connection type accepts."""

    expires_at: date | None = Field(
        None, description="when this connection's credential expires: idsync check warns 30 days before "
        "and fails after; runs record the days left (metric idsync_credential_days_left)"
    )


class HttpConnection(_ConnectionBase):
    """Settings every HTTP connection shares."""

    url: str
    concurrency: int = Field(8, ge=1, le=64, description="requests in flight at once")
    timeout: float = Field(30.0, gt=0, le=600, description="seconds per request")
    retries: int = Field(5, ge=0, le=20, description="retries of a transient failure")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return https_url(value)


_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
_RESERVED_HEADERS = frozenset({"accept", "content-type", "content-length", "host", "user-agent"})


class EventHooks(_Strict):
    """Okta Event Hooks received at /hooks/okta/<connection> of `idsync serve`: the shared secret Okta
    sends on every request (as `<header>: <secret>`, the hook's authScheme)."""

    secret: SecretStr = Field(description="the value Okta sends in `header`")
    header: str = Field("Authorization", description="the request header that carries the secret")

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError(
                "must be at least 16 characters (a random shared secret, e.g. `openssl rand -hex 24`)"
            )
        return value

    @field_validator("header")
    @classmethod
    def _header(cls, value: str) -> str:
        if not _HEADER_NAME.fullmatch(value):
            raise ValueError(f"must be an HTTP header name such as Authorization, got {value!r}")
        if value.lower() in _RESERVED_HEADERS:
            raise ValueError(f"{value!r} is a header Okta sets itself; use Authorization or an X- header")
        return value


class OktaConnection(HttpConnection):
    """The Okta Management API with an SSWS API token."""

    type: Literal["okta"]
    token: SecretStr
    app_id: str | None = None
    concurrency: int = Field(4, ge=1, le=64)
    # Page sizes: the documented maximum of each endpoint. Groups: Okta's docs disagree on the maximum
    # page size (200 or 10,000), so 200 is the default that every org accepts; paging always follows Link.
    users_page_size: int = Field(200, ge=1, le=200, description="GET /api/v1/users limit")
    groups_page_size: int = Field(200, ge=1, le=10_000, description="GET /api/v1/groups limit")
    members_page_size: int = Field(1000, ge=1, le=1000, description="GET /api/v1/groups/{id}/users limit")
    app_users_page_size: int = Field(500, ge=1, le=500, description="GET /api/v1/apps/{id}/users limit")
    app_groups_page_size: int = Field(200, ge=1, le=200, description="GET /api/v1/apps/{id}/groups limit")
    full_read_every_hours: float = Field(
        24,
        ge=0,
        description="read every group's members at least this often; in between, groups whose "
        "lastMembershipUpdated/lastUpdated are unchanged keep their cached members (0 = never cache)",
    )
    event_hooks: EventHooks | None = None


class JiraConnection(HttpConnection):
    """Jira Data Center REST v2, with a personal access token or username + password."""

    type: Literal["jira"]
    token: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    member_page_size: int = Field(1000, ge=1, le=10_000)
    """maxResults of `/group/member` reads. Jira documents a default of 50 and no maximum; idsync
    asks for more and pages by what comes back, so a server that caps lower still gives everyone."""

    @model_validator(mode="after")
    def _auth(self) -> JiraConnection:
        if self.token is None and (self.username is None or self.password is None):
            raise ValueError("needs token: (a personal access token) or both username: and password:")
        if self.token is not None and (self.username is not None or self.password is not None):
            raise ValueError("give either token: or username: + password:, not both")
        return self


class _AtlassianDcConnection(HttpConnection):
    """Confluence and Bitbucket Data Center: a personal / HTTP access token (Bearer) or Basic auth."""

    token: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    page_size: int = Field(
        200, ge=1, le=1000, description="limit= of paged reads; paging follows what comes back"
    )

    @model_validator(mode="after")
    def _auth(self) -> _AtlassianDcConnection:
        if self.token is None and (self.username is None or self.password is None):
            raise ValueError("needs token: (a personal access token) or both username: and password:")
        if self.token is not None and (self.username is not None or self.password is not None):
            raise ValueError("give either token: or username: + password:, not both")
        return self


class ConfluenceConnection(_AtlassianDcConnection):
    """Confluence Data Center REST (`/rest/api/`), admin user and group endpoints."""

    type: Literal["confluence"]


class BitbucketConnection(_AtlassianDcConnection):
    """Bitbucket Data Center REST (`/rest/api/1.0/`), admin user and group endpoints."""

    type: Literal["bitbucket"]


class CrowdConnection(HttpConnection):
    """Crowd's usermanagement REST API: Basic auth with an application's name and password."""

    type: Literal["crowd"]
    application: str = Field(min_length=1, description="the Crowd application name idsync logs in as")
    password: SecretStr


class _ScimTargetConnection(HttpConnection):
    """A SCIM 2.0 service provider idsync writes to, with a bearer token. What the server supports
    (PATCH, filters, page size, extensions) is discovered from its /ServiceProviderConfig,
    /ResourceTypes and /Schemas; the keys here are what discovery cannot tell."""

    token: SecretStr = Field(description="the bearer token, sent as `Authorization: Bearer <token>`")
    page_size: int | None = Field(
        None,
        ge=1,
        le=10_000,
        description="count= of paged /Users and /Groups reads; unset: the server's filter.maxResults "
        "from discovery (100 when it states none)",
    )


class ScimConnection(_ScimTargetConnection):
    """Any SCIM 2.0 service provider (RFC 7643 / RFC 7644) as a target."""

    type: Literal["scim"]
    group_rename: bool = Field(
        True,
        description="the server lets a group's displayName change (PATCH); false: a group renamed in "
        "the source is replaced (create, move members, delete)",
    )


_CLOUD_HOST = "api.atlassian.com"
_CLOUD_DIRECTORY = re.compile(r"/scim/directory/[^/]+")


class AtlassianCloudConnection(_ScimTargetConnection):
    """An Atlassian Cloud organisation's user provisioning (SCIM) directory, with its directory API
    key. The URL is the directory base URL Atlassian shows when the key is created."""

    type: Literal["atlassian_cloud"]
    concurrency: int = Field(4, ge=1, le=64, description="requests in flight at once")
    max_users: int = Field(
        150_000, ge=1, description="users the directory accepts (Atlassian's documented limit; the "
        "guard refuses a plan past it — raise it only if Atlassian raised it for your organisation)"
    )
    max_group_members: int = Field(
        35_000, ge=1, description="users one synced group accepts (Atlassian's documented limit)"
    )

    @field_validator("url")
    @classmethod
    def _directory_url(cls, value: str) -> str:
        value = https_url(value)
        parts = urlsplit(value)
        if parts.hostname in _LOCAL_HOSTS:
            return value  # the sandbox may serve the directory under any path
        if parts.hostname != _CLOUD_HOST or not _CLOUD_DIRECTORY.fullmatch(parts.path):
            raise ValueError(
                "must be the directory base URL https://api.atlassian.com/scim/directory/<directory id> "
                f"shown when the directory's API key was created, got {value!r}"
            )
        return value


_CLOUD_SITE = re.compile(r"[a-z0-9][a-z0-9-]*\.atlassian\.net")


class JiraCloudConnection(HttpConnection):
    """A Jira Cloud site (https://<site>.atlassian.net), used for Jira Service Management customers
    (a profile's `service_desks`); Basic auth with an Atlassian account's e-mail and API token. Cloud
    accounts themselves are provisioned through the organisation's SCIM directory (`atlassian_cloud`),
    so this connection is not a `targets:` entry."""

    type: Literal["jira_cloud"]
    email: str = Field(description="the Atlassian account the API token belongs to (a Jira administrator)")
    api_token: SecretStr = Field(description="an API token of that account (id.atlassian.com)")
    concurrency: int = Field(4, ge=1, le=64, description="requests in flight at once")
    page_size: int = Field(50, ge=1, le=1000, description="limit= of servicedeskapi pages (Cloud's default)")

    @field_validator("url")
    @classmethod
    def _site(cls, value: str) -> str:
        value = https_url(value)
        parts = urlsplit(value)
        if parts.hostname in _LOCAL_HOSTS:
            return value  # the sandbox
        if not _CLOUD_SITE.fullmatch(parts.hostname or "") or parts.path not in ("", "/"):
            raise ValueError(
                f"must be a Jira Cloud site URL such as https://example.atlassian.net, got {value!r}"
            )
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if "@" not in value.strip("@") or any(ch.isspace() for ch in value):
            raise ValueError(f"must be the e-mail address of an Atlassian account, got {value!r}")
        return value


class LdapAttributeNames(_Strict):
    """Per-connection overrides of the flavour's default attribute names."""

    id: str | None = Field(None, description="immutable id: entryUUID (openldap) / objectGUID (AD)")
    login: str | None = Field(None, description="username: uid (openldap) / sAMAccountName (AD)")
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    group_name: str | None = Field(None, description="group name: cn")


class LdapConnection(_ConnectionBase):
    """LDAP / Active Directory."""

    type: Literal["ldap"]
    url: str
    bind_dn: str | None = None
    password: SecretStr | None = None
    flavor: Literal["active_directory", "openldap"] = "openldap"
    user_base: str
    user_filter: str | None = None
    group_base: str | None = None
    group_filter: str | None = None
    nested_groups: bool = True
    start_tls: bool = False
    ca_file: str | None = None
    tls_verify: bool = True
    page_size: int = Field(500, ge=1, le=100_000)
    timeout: float = Field(30.0, gt=0)
    attributes: LdapAttributeNames = LdapAttributeNames()
    in_chain: Literal["auto", "always", "never"] = Field(
        "auto",
        description="AD in-chain matching rule for one user's nested groups; auto = when the server is AD",
    )
    full_read_every_hours: float = Field(
        24.0, gt=0, description="incremental reads: a full read at least this often, so deletions are seen"
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("ldap", "ldaps"):
            raise ValueError(f"must be an ldap:// or ldaps:// URL, got {value!r}")
        return value

    @model_validator(mode="after")
    def _tls_and_bind(self) -> LdapConnection:
        if self.start_tls and urlsplit(self.url).scheme == "ldaps":
            raise ValueError(f"start_tls: true needs an ldap:// URL; {self.url!r} already uses TLS (ldaps://)")
        if (self.bind_dn is None) != (self.password is None):
            raise ValueError("give both bind_dn: and password: for a simple bind, or neither (anonymous)")
        return self


class ScimInboundConnection(_ConnectionBase):
    """idsync as a SCIM service provider; the IdP pushes to /scim/v2/<connection name>/."""

    type: Literal["scim_inbound"]
    max_body_bytes: int = Field(1_048_576, ge=1024)


Connection = Annotated[
    OktaConnection
    | JiraConnection
    | ConfluenceConnection
    | BitbucketConnection
    | CrowdConnection
    | ScimConnection
    | AtlassianCloudConnection
    | LdapConnection
    | ScimInboundConnection
    | JiraCloudConnection,
    Field(discriminator="type"),
]
SOURCE_TYPES = frozenset({"okta", "ldap", "scim_inbound"})
TARGET_TYPES = frozenset({"jira", "confluence", "bitbucket", "crowd", "scim", "atlassian_cloud"})
SERVICE_DESK_TYPES = frozenset({"jira", "jira_cloud"})
"""Connection types a profile's `service_desks.connection` may name (Jira Service Management)."""
