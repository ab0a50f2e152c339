"""What a Jira emulator instance is started with (CLI flags, test fixtures), validated up front."""

from __future__ import annotations

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
    licensed_users: int | None = None
    """Seats of the Jira Software application role (None: unlimited); active members of
    jira-software-users take them."""
    create_unlicensed: bool = False
    """A creation that would take a seat of a full role succeeds without that role (201), instead of
    being refused with 400."""
    service_desks: tuple[str, ...] = ()
    """Project keys that are Jira Service Management service desks (a project is made for a key the
    generated ones lack); agents are the members of jira-servicedesk-users."""
    desk_customer_listing: bool = True
    """Serve GET and DELETE on a desk's customers. The DC 10.x/11.x spec has only POST there, yet
    atlassian-python-api calls them: on by default, off answers 405 as for a method a path lacks."""
    jsm_licensed: bool = True
    """Off: every /rest/servicedeskapi call but /info answers 403 with an HTML page (JSM unlicensed)."""

    def __post_init__(self) -> None:
        if self.version not in (9, 10):
            raise OptionsError(f"version: {self.version!r} is not supported; valid: 9 or 10")
        check_count("users", self.users)
        check_count("projects", self.projects)
        check_faults(self)
        check_licensed_users(self.licensed_users)
        check_rate_limit(self.rate_limit_requests, self.rate_limit_max, self.rate_limit_interval_seconds)
        if self.deployment_type not in ("Server", "DataCenter"):
            raise OptionsError(
                f"deployment_type: {self.deployment_type!r} is invalid; valid: 'Server' or 'DataCenter'"
            )
        check_login(self.username)
        for key in self.service_desks:
            if not isinstance(key, str) or not key.isalnum() or not key[:1].isalpha() or key != key.upper():
                raise OptionsError(
                    f"service_desks: {key!r} is invalid; valid: upper-case project keys like ITH"
                )
        self.token = admin_token(self.token)

    @property
    def pat(self) -> str:
        """The admin's PAT (always set after validation)."""
        assert self.token is not None
        return self.token
