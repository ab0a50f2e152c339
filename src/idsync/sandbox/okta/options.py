"""What one Okta emulator instance is started with (the CLI options and the knobs tests turn)."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_BUCKETS: dict[str, int] = {
    # Requests per minute per bucket: the "Workforce" column of Okta's rate-limit table. The numbers
    # come from pages Okta removed in 2025, so every bucket is configurable.
    "users": 600,  # GET|POST /api/v1/users
    "user_get": 2000,  # GET /api/v1/users/{idOrLogin}
    "user_write": 600,  # POST|PUT|DELETE /api/v1/users/{id}
    "groups": 500,  # GET|POST /api/v1/groups
    "group": 1000,  # /api/v1/groups/{id} and below (where {id}/users falls is "not found": we chose this one)
    "app": 500,  # /api/v1/apps/{id}
    "apps": 100,  # /api/v1/apps and /api/v1/apps/{id}/*
    "logs": 120,  # /api/v1/logs
    "other": 1200,  # everything else under /api/v1
}


@dataclass
class RateLimitOptions:
    """Per-endpoint buckets (requests per window) and the org-wide concurrent-request limit."""

    per_minute: int | None = None
    """When set, every bucket gets this limit (the CLI's --rate-limit)."""
    buckets: dict[str, int] = field(default_factory=dict)
    """Overrides by bucket name (see DEFAULT_BUCKETS); applied after `per_minute`."""
    window_seconds: float = 60.0
    concurrency: int = 75
    """Simultaneous requests before 429 with X-Rate-Limit-Limit: 0 (Workforce default 75)."""

    def limits(self) -> dict[str, int]:
        """The effective limit of every bucket."""
        base = {name: self.per_minute or value for name, value in DEFAULT_BUCKETS.items()}
        unknown = sorted(set(self.buckets) - set(DEFAULT_BUCKETS))
        if unknown:
            raise ValueError(f"unknown rate-limit bucket(s) {unknown}; valid: {sorted(DEFAULT_BUCKETS)}")
        base.update(self.buckets)
        return base


@dataclass
class OktaOptions:
    """Generation size, credentials, faults and limits of one emulator."""

    users: int = 1000
    groups: int = 50
    apps: int = 5
    memberships: int | None = None
    """About how many explicit group memberships (departments + teams, not Everyone) to generate;
    None keeps the natural sizes (about 3.5 per user). Team sizes are scaled, their skew kept."""
    seed: int = 1
    token: str | None = None
    """Fixed SSWS API token; None generates one (printed by the CLI)."""
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    fail_rate: float = 0.0
    """Probability of an injected 5xx on reads and writes alike."""
    rate_limit: RateLimitOptions = field(default_factory=RateLimitOptions)
    deactivate_status: int = 204
    """Deactivate answers 200 `{}` in Okta's docs but 204 in recorded real traffic; choose per instance."""
    groups_default_limit: int = 200
    groups_max_limit: int = 10000
    """The docs disagree on the group list's page size: the legacy text says 200 by default, the spec
    allows 10,000."""
    groups_q_default_limit: int = 10
    groups_q_max_limit: int = 300
    hook_batch_ms: float = 50.0
    """How long event-hook deliveries wait to batch events together."""
    hook_timeout_s: float = 3.0
    hook_allow_http_loopback: bool = True
    """Okta requires https hook URIs; the emulator also accepts http:// on loopback for local receivers."""
    domain: str | None = None
    """Host used in `_links` and `source`; None uses the request's Host header."""

    def validate(self) -> None:
        """Raise ValueError naming the first bad option."""
        for name in ("users", "groups", "apps"):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"{name}={value} is invalid: must be 0 or more")
        if self.memberships is not None and self.memberships < 0:
            raise ValueError(f"memberships={self.memberships} is invalid: must be 0 or more, or None")
        if not 0.0 <= self.fail_rate <= 1.0:
            raise ValueError(f"fail_rate={self.fail_rate} is invalid: must be between 0.0 and 1.0")
        if self.deactivate_status not in (200, 204):
            raise ValueError(f"deactivate_status={self.deactivate_status} is invalid: use 200 or 204")
        if self.token is not None and not self.token.strip():
            raise ValueError("token is empty: give a non-blank token or none to generate one")
        self.rate_limit.limits()
