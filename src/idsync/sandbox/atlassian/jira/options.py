"""What a Jira emulator instance is started with (CLI flags, test fixtures), validated up front."""

from __future__ import annotations

from dataclasses import dataclass, field

from idsync.sandbox.atlassian.common.options import OptionsError as OptionsError  # re-exported
from idsync.sandbox.atlassian.common.options import (
    admin_token,
    check_count,
    check_faults,
    check_login,
    check_rate_limit,
)


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
        check_count("users", self.users)
        check_count("projects", self.projects)
        check_faults(self)
        check_rate_limit(self.rate_limit_requests, self.rate_limit_max, self.rate_limit_interval_seconds)
        if self.deployment_type not in ("Server", "DataCenter"):
            raise OptionsError(
                f"deployment_type: {self.deployment_type!r} is invalid; valid: 'Server' or 'DataCenter'"
            )
        check_login(self.username)
        self.token = admin_token(self.token)

    @property
    def pat(self) -> str:
        """The admin's PAT (always set after validation)."""
        assert self.token is not None
        return self.token
