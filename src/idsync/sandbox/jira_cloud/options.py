"""What a Jira Cloud site emulator is started with, validated up front."""

from __future__ import annotations

from dataclasses import dataclass

from idsync.sandbox.atlassian.common.options import OptionsError, admin_token, check_count, check_faults


@dataclass
class JiraCloudOptions:
    """Knobs of one Jira Cloud site emulator. Rates are probabilities per request (0.0–1.0)."""

    accounts: int = 10
    """Generated licensed Atlassian accounts (agents) besides the admin."""
    service_desks: tuple[str, ...] = ("ITH",)
    """Project keys of the site's service desks (ids 1, 2, … in this order)."""
    open_desks: tuple[str, ...] = ()
    """Desks with public signup or open access: removing their customers is refused (400)."""
    seed: int = 1
    email: str = "admin@example.com"
    """The site admin's Atlassian account e-mail (Basic auth user)."""
    api_token: str | None = None
    """The admin's API token (Basic auth password); generated when not given."""
    customer_burst_per_second: float | None = 5.0
    """The burst bucket of GET …/servicedesk/{id}/customer (Cloud: 5 requests a second); None = off."""
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    read_fail_rate: float = 0.0
    write_fail_rate: float = 0.0

    def __post_init__(self) -> None:
        check_count("accounts", self.accounts)
        check_faults(self)
        for key in (*self.service_desks, *self.open_desks):
            if not key.isalnum() or not key[:1].isalpha() or key != key.upper():
                raise OptionsError(
                    f"service desk {key!r} is invalid; valid: upper-case project keys like ITH"
                )
        strangers = sorted(set(self.open_desks) - set(self.service_desks))
        if strangers:
            raise OptionsError(f"open_desks: {', '.join(strangers)} not in service_desks; valid: "
                               f"{', '.join(self.service_desks) or '(none)'}")
        if self.customer_burst_per_second is not None and self.customer_burst_per_second <= 0:
            raise OptionsError(f"customer_burst_per_second: {self.customer_burst_per_second!r} is invalid; "
                               "valid: > 0, or None (off)")
        if "@" not in self.email:
            raise OptionsError(f"email: {self.email!r} is invalid; valid: an e-mail address")
        self.api_token = admin_token(self.api_token)

    @property
    def token(self) -> str:
        """The admin's API token (always set after validation)."""
        assert self.api_token is not None
        return self.api_token
