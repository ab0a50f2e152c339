"""What a Crowd emulator instance is started with (CLI flags, test fixtures), validated up front."""

from __future__ import annotations

from dataclasses import dataclass, field

from idsync.sandbox.atlassian.common.options import OptionsError as OptionsError  # re-exported
from idsync.sandbox.atlassian.common.options import check_count, check_faults

OPERATIONS = frozenset(
    {
        "CREATE_USER",
        "UPDATE_USER",
        "UPDATE_USER_ATTRIBUTE",
        "DELETE_USER",
        "CREATE_GROUP",
        "UPDATE_GROUP",
        "UPDATE_GROUP_ATTRIBUTE",
        "DELETE_GROUP",
    }
)
"""Crowd's per-directory permissions of an application (its "Directories → Permissions" tab).
Membership changes count as UPDATE_GROUP, as in Crowd."""


@dataclass
class CrowdOptions:
    """Knobs of one Crowd emulator. Rates are probabilities per request (0.0–1.0)."""

    users: int = 100
    """Generated users besides the directory's admin; 0 gives only the admin and the standard groups."""
    seed: int = 1
    application: str = "idsync"
    """The application name clients authenticate as (Basic auth user part)."""
    password: str = "idsync"
    """The application password."""
    directory_id: int = 32769
    """The internal directory's id: the first part of every user key."""
    directory_name: str = "Crowd Internal Directory"
    permissions: frozenset[str] = OPERATIONS
    """What the application may change in the directory; a write without its permission is a 403."""
    remote_addresses: tuple[str, ...] = ()
    """Client IP addresses the application accepts requests from; empty accepts any address."""
    empty_groups_for_missing_user: bool = True
    """Crowd's known deviation (CWD-4433 / CWD-4470): GET /user/group/direct for a user that does not
    exist answers 200 with an empty list instead of 404. On by default, because real Crowd does it."""
    nested_groups: bool = True
    """Whether the directory allows groups in groups (Crowd's "nested groups" directory setting)."""
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    read_fail_rate: float = 0.0
    write_fail_rate: float = 0.0
    extra_applications: dict[str, str] = field(default_factory=dict)
    """More applications: name → password (they share the permissions above)."""

    def __post_init__(self) -> None:
        check_count("users", self.users)
        check_faults(self)
        if not self.application or ":" in self.application or self.application != self.application.strip():
            raise OptionsError(
                f"application: {self.application!r} is invalid; valid: a non-empty name without ':'"
            )
        if not self.password:
            raise OptionsError("password: '' is invalid; valid: a non-empty string")
        unknown = sorted(set(self.permissions) - OPERATIONS)
        if unknown:
            raise OptionsError(f"permissions: {unknown} are unknown; valid: {sorted(OPERATIONS)}")
        self.permissions = frozenset(self.permissions)
        if self.directory_id < 1:
            raise OptionsError(f"directory_id: {self.directory_id!r} is invalid; valid: an integer >= 1")

    def credentials(self) -> dict[str, str]:
        """Every application that may authenticate: name → password."""
        return {**self.extra_applications, self.application: self.password}
