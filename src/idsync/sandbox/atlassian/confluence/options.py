"""What a Confluence emulator instance is started with (CLI flags, test fixtures), validated up front."""

from __future__ import annotations

from dataclasses import dataclass, field

from idsync.sandbox.atlassian.common.options import OptionsError as OptionsError  # re-exported
from idsync.sandbox.atlassian.common.options import (
    admin_token,
    check_count,
    check_faults,
    check_licensed_users,
)
from idsync.sandbox.atlassian.confluence.versions import RELEASES, Release


@dataclass
class ConfluenceOptions:
    """Knobs of one Confluence emulator. Rates are probabilities per request (0.0–1.0)."""

    users: int = 100
    """Generated users besides the admin; 0 gives only the admin and the standard groups."""
    seed: int = 1
    token: str | None = None
    """The admin's personal access token (Bearer); generated when not given."""
    username: str = "admin"
    password: str = "admin"
    version: str = "8.5"
    """The release to emulate (a key of versions.RELEASES): it decides which endpoints exist."""
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    read_fail_rate: float = 0.0
    write_fail_rate: float = 0.0
    licensed_users: int | None = None
    """Licence seats (enabled users); creating a user beyond them answers 402. None = unlimited."""
    delete_task_seconds: float = 0.2
    """How long the asynchronous long task of a user deletion runs (emulator clock)."""
    failing_deletes: set[str] = field(default_factory=set)
    """Usernames whose deletion task ends unsuccessfully (to test how clients report a failed task)."""

    def __post_init__(self) -> None:
        if self.version not in RELEASES:
            valid = ", ".join(RELEASES)
            raise OptionsError(f"version: {self.version!r} is not supported; valid: {valid}")
        check_count("users", self.users)
        check_faults(self, "delete_task_seconds")
        check_licensed_users(self.licensed_users)
        if not self.username or self.username != self.username.strip().lower():
            raise OptionsError(f"username: {self.username!r} is invalid; valid: a lower-case login")
        self.token = admin_token(self.token)
        self.failing_deletes = {name.lower() for name in self.failing_deletes}

    @property
    def pat(self) -> str:
        """The admin's PAT (always set after validation)."""
        assert self.token is not None
        return self.token

    @property
    def release(self) -> Release:
        """The emulated release."""
        return RELEASES[self.version]
