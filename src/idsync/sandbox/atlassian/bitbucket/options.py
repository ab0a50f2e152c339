"""What a Bitbucket emulator instance is started with (CLI flags, test fixtures), validated up front."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")


class OptionsError(ValueError):
    """A bad option: the message names the option, the value and what would be valid."""


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
        if not isinstance(self.users, int) or self.users < 0:
            raise OptionsError(f"users: {self.users!r} is invalid; valid: an integer >= 0")
        if _VERSION.match(self.version) is None:
            raise OptionsError(
                f"version: {self.version!r} is invalid; valid: major.minor[.patch], e.g. 9.4.3"
            )
        if self.licensed_users is not None and self.licensed_users < 1:
            raise OptionsError(
                f"licensed_users: {self.licensed_users!r} is invalid; valid: >= 1, or None (unlimited)"
            )
        if self.max_page_size < 1:
            raise OptionsError(f"max_page_size: {self.max_page_size!r} is invalid; valid: >= 1")
        for name in ("latency_ms", "jitter_ms"):
            if getattr(self, name) < 0:
                raise OptionsError(f"{name}: {getattr(self, name)!r} is invalid; valid: a number >= 0")
        for name in ("read_fail_rate", "write_fail_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise OptionsError(f"{name}: {value!r} is invalid; valid: a probability 0.0–1.0")
        if self.rate_limit_requests is not None and self.rate_limit_requests <= 0:
            raise OptionsError(
                f"rate_limit_requests: {self.rate_limit_requests!r} is invalid; valid: > 0, or None (off)"
            )
        if self.rate_limit_max is not None and self.rate_limit_max < 1:
            raise OptionsError(f"rate_limit_max: {self.rate_limit_max!r} is invalid; valid: >= 1, or None")
        if self.rate_limit_interval_seconds < 1:
            raise OptionsError(
                f"rate_limit_interval_seconds: {self.rate_limit_interval_seconds!r} is invalid; valid: >= 1"
            )
        if not self.username or self.username != self.username.strip():
            raise OptionsError(f"username: {self.username!r} is invalid; valid: a non-empty login")
        if self.token is None:
            self.token = secrets.token_urlsafe(33)
        elif not self.token:
            raise OptionsError("token: '' is invalid; valid: a non-empty string, or omit it to generate one")

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
