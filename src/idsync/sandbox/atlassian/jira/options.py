"""What a Jira emulator instance is started with (CLI flags, test fixtures), validated up front."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field


class OptionsError(ValueError):
    """A bad option: the message names the option, the value and what would be valid."""


@dataclass
class JiraOptions:
    """Knobs of one Jira emulator. Rates are probabilities per request (0.0–1.0)."""

    users: int = 100
    """Generated users besides the admin; 0 gives only the admin and the standard groups."""
    projects: int = 5
    seed: int = 1
    token: str | None = None
    """The admin's personal access token (Bearer); generated when not given."""
    username: str = "admin"
    password: str = "admin"
    version: int = 9
    """Jira major version: 9 (search capped at 1000, no /user/list) or 10 (search capped at 100)."""
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    read_fail_rate: float = 0.0
    write_fail_rate: float = 0.0
    rate_limit_requests: float | None = None
    """Per-user token bucket: tokens granted every interval (DC "Requests allowed"); None = off."""
    rate_limit_max: int | None = None
    """Bucket size (DC "Max requests"); defaults to `rate_limit_requests`."""
    rate_limit_interval_seconds: int = 1
    deployment_type: str = "DataCenter"
    extra_tokens: dict[str, str] = field(default_factory=dict)
    """More PATs: token → username of its owner (the owner must exist, e.g. created by a test)."""

    def __post_init__(self) -> None:
        if self.version not in (9, 10):
            raise OptionsError(f"version: {self.version!r} is not supported; valid: 9 or 10")
        for name in ("users", "projects"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise OptionsError(f"{name}: {value!r} is invalid; valid: an integer >= 0")
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
        if self.deployment_type not in ("Server", "DataCenter"):
            raise OptionsError(
                f"deployment_type: {self.deployment_type!r} is invalid; valid: 'Server' or 'DataCenter'"
            )
        if not self.username or self.username != self.username.strip():
            raise OptionsError(f"username: {self.username!r} is invalid; valid: a non-empty login")
        if self.token is None:
            self.token = secrets.token_urlsafe(33)
        elif not self.token:
            raise OptionsError("token: '' is invalid; valid: a non-empty string, or omit it to generate one")

    @property
    def pat(self) -> str:
        """The admin's PAT (always set after validation)."""
        assert self.token is not None
        return self.token
