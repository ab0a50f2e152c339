"""What an Atlassian Cloud SCIM emulator instance is started with (CLI flags, test fixtures),
validated up front: every bad value is refused naming the option, the value and what is valid."""

from __future__ import annotations

import random
import secrets
import uuid
from dataclasses import dataclass, field

from idsync.sandbox.atlassian.common.options import OptionsError as OptionsError  # re-exported
from idsync.sandbox.atlassian.common.options import check_count, check_faults

SITE_GROUPS: tuple[str, ...] = (
    "site-admins",
    "org-admins",
    "jira-software-users",
    "jira-admins",
    "confluence-users",
    "confluence-admins",
)
"""Groups an organization has before any provisioning (created by its products). They are not SCIM
groups (the directory does not list them) but they share the organization's group-name namespace."""

MAX_USERS = 150_000
"""Users a directory may hold (Atlassian support documentation)."""
MAX_GROUP_MEMBERS = 35_000
"""Users a synced group may hold (Atlassian support documentation)."""


@dataclass
class CloudOptions:
    """Knobs of one emulated SCIM directory. Rates are probabilities per request (0.0–1.0)."""

    users: int = 100
    """Generated SCIM users; team groups are generated with them (one per 20 users)."""
    groups: int | None = None
    """Generated groups; None gives one team group per 20 users."""
    memberships: int | None = None
    """Generated memberships, spread evenly over the users; None puts each user in one to three teams."""
    seed: int = 1
    token: str | None = None
    """The directory API key (Bearer); generated when not given."""
    directory_id: str | None = None
    """The directory's id in the base URL; a UUID derived from the seed when not given."""
    verified_domains: tuple[str, ...] = ("example.com",)
    """Domains the organization has verified: a user's primary e-mail must be on one of them."""
    site_groups: tuple[str, ...] = SITE_GROUPS
    max_users: int = MAX_USERS
    max_group_members: int = MAX_GROUP_MEMBERS
    max_results: int = 100
    """The largest page (`count`) a list answers, announced as filter.maxResults; also the default."""
    rate_limit: float = 0.0
    """Requests per second per API key (a token bucket); 0 = off. Atlassian does not publish its numbers."""
    rate_limit_burst: int | None = None
    """Bucket size: requests allowed at once; defaults to one second's worth (at least 1)."""
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    read_fail_rate: float = 0.0
    write_fail_rate: float = 0.0
    extra_groups: tuple[str, ...] = field(default_factory=tuple)
    """More pre-existing organization groups besides `site_groups` (to test name clashes)."""

    def __post_init__(self) -> None:
        check_count("users", self.users)
        check_faults(self, "rate_limit")
        for name in ("groups", "memberships"):
            value = getattr(self, name)
            if value is not None:
                check_count(name, value)
        for name in ("max_users", "max_group_members", "max_results"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise OptionsError(f"{name}: {value!r} is invalid; valid: an integer >= 1")
        if self.users > self.max_users:
            raise OptionsError(f"users: {self.users} is invalid; valid: at most max_users ({self.max_users})")
        if self.rate_limit_burst is not None and self.rate_limit_burst < 1:
            raise OptionsError(
                f"rate_limit_burst: {self.rate_limit_burst!r} is invalid; valid: >= 1, or None"
            )
        domains = tuple(d.strip().lower() for d in self.verified_domains)
        if not domains or any(not d or "@" in d or "." not in d for d in domains):
            raise OptionsError(
                f"verified_domains: {self.verified_domains!r} is invalid; valid: one or more domain "
                "names such as 'example.com'"
            )
        self.verified_domains = domains
        if self.token is None:
            self.token = secrets.token_urlsafe(33)
        elif not self.token:
            raise OptionsError("token: '' is invalid; valid: a non-empty string, or omit it to generate one")
        if self.directory_id is None:
            self.directory_id = str(
                uuid.UUID(int=random.Random(f"directory-{self.seed}").getrandbits(128), version=4)
            )
        elif not self.directory_id or "/" in self.directory_id:
            raise OptionsError(
                f"directory_id: {self.directory_id!r} is invalid; valid: a non-empty id without '/'"
            )

    @property
    def api_key(self) -> str:
        """The directory API key (always set after validation)."""
        assert self.token is not None
        return self.token

    @property
    def directory(self) -> str:
        """The directory id (always set after validation)."""
        assert self.directory_id is not None
        return self.directory_id

    @property
    def burst(self) -> int:
        """The rate limiter's bucket size."""
        return self.rate_limit_burst or max(1, int(self.rate_limit))

    @property
    def org_groups(self) -> tuple[str, ...]:
        """Every pre-existing organization group name."""
        return (*self.site_groups, *self.extra_groups)
