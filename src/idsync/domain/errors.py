"""The error tree of idsync, mapped once at each edge and acted on by type.

    IdsyncError
    ├── ConfigError            bad config or usage                         → exit 2
    ├── SourceReadError        a source read was incomplete: the run stops before any write
    ├── ConnectorError         a remote call failed (raised by idsync.http, one place per protocol)
    │   ├── TransientError     429, 502/503/504, timeouts, dropped connections: retried with backoff
    │   ├── NotFoundError      404
    │   ├── ConflictError      409, or "already exists"
    │   ├── BadRequestError    any other 4xx: the item is recorded as failed, the run goes on
    │   └── StopSyncError      401/403, bad URL, TLS: nothing else will work, halt the run
    ├── GuardRefused           a plan broke a safety limit                  → exit 3
    ├── PlanStale              a saved plan no longer matches the target    → apply refused
    └── RunInProgress          another run of the same profile holds the lock
"""

from __future__ import annotations


class IdsyncError(Exception):
    """Base of every error idsync raises on purpose."""


class ConfigError(IdsyncError):
    """The configuration or the command line is wrong; the message names the key and what is valid."""


class SourceReadError(IdsyncError):
    """A source could not be read completely. Never treated as 'fewer users'."""


class ConnectorError(IdsyncError):
    """A call to a remote system failed. `status` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class TransientError(ConnectorError):
    """Worth retrying: rate limits, 5xx gateway errors, timeouts, dropped connections."""

    unsent = False
    """True when the request never reached the server, so even a POST may be repeated."""
    outcome_unknown = False
    """True when a write that is not safe to repeat (a POST) reached the server and failed without a
    verdict (a 5xx other than 503, a timeout, a cut connection): it may or may not have happened.
    Apply then reads the target before doing it again (idsync.engine.resolve)."""


class NotFoundError(ConnectorError):
    """The object does not exist on the remote side."""


class ConflictError(ConnectorError):
    """The object already exists or is in a state that forbids the change."""


class BadRequestError(ConnectorError):
    """The remote side refused this one request; other requests may still succeed."""


class StopSyncError(ConnectorError):
    """Authentication, authorisation or addressing is wrong: every further call would fail too."""


class GuardRefused(IdsyncError):
    """A plan exceeded a safety limit. The message says which limit and how to override it."""


class PlanStale(IdsyncError):
    """A saved plan was computed against a target state that has changed since."""


class RunInProgress(IdsyncError):
    """Another run of the same profile is in progress (one run per profile at a time)."""
