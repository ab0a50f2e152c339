"""What a Bitbucket emulator instance is started with (CLI flags, test fixtures), validated up front."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from idsync.sandbox.atlassian.common.options import OptionsError as OptionsError  # re-exported
from idsync.sandbox.atlassian.common.options import (
    admin_token,
    check_count,
    check_faults,
    check_licensed_users,
    check_login,
    check_rate_limit,
)

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")


@dataclass
class BitbucketOptions:
    """Knobs of one Bitbucket emulator. Rates are probabilities per request (0.0–1.0)."""

    users: int = 100
    """Generated users besides the admin; 0 gives only the admin and the standard groups."""
    seed: int = 1
    token: str | None = None
    """The admin's HTTP access token (Bearer); generated when not given."""
    username: str = "admin"
    password: str = "admin"
    version: str = "9.4.3"
    """Bitbucket version reported by /application-properties. From 10.4 on an unknown REST path is
    answered with the container's JSON 404, before that with its XML one."""
    licensed_users: int | None = None
    """The licence's user tier: users holding LICENSED_USER or higher; None = unlimited."""
    max_page_size: int = 1000
    """The server's cap on `limit` (Bitbucket's page.max.* properties; the real default is unverified)."""
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    read_fail_rate: float = 0.0
    write_fail_rate: float = 0.0
    rate_limit_requests: float | None = None
    """Per-user token bucket: tokens granted every interval; None = off (Bitbucket's default)."""
    rate_limit_max: int | None = None
    rate_limit_interval_seconds: int = 1
    extra_tokens: dict[str, str] = field(default_factory=dict)
    """More access tokens: token → username of its owner (the owner must exist, e.g. made by a test)."""

    def __post_init__(self) -> None:
        check_count("users", self.users)
        if _VERSION.match(self.version) is None:
            raise OptionsError(
                f"version: {self.version!r} is invalid; valid: major.minor[.patch], e.g. 9.4.3"
            )
        check_licensed_users(self.licensed_users)
        if self.max_page_size < 1:
            raise OptionsError(f"max_page_size: {self.max_page_size!r} is invalid; valid: >= 1")
        check_faults(self)
        check_rate_limit(self.rate_limit_requests, self.rate_limit_max, self.rate_limit_interval_seconds)
        check_login(self.username)
        self.token = admin_token(self.token)

    @property
    def access_token(self) -> str:
        """The admin's access token (always set after validation)."""
        assert self.token is not None
        return self.token

    @property
    def version_tuple(self) -> tuple[int, int, int]:
        """The version as numbers, for behaviour that changed between releases."""
        match = _VERSION.match(self.version)
        assert match is not None
        return int(match[1]), int(match[2]), int(match[3] or 0)
