"""Checks the Atlassian emulators' options share. Each raises OptionsError with a message that names
the option, the value and what would be valid."""

from __future__ import annotations

import secrets
from typing import Any


class OptionsError(ValueError):
    """A bad option: the message names the option, the value and what would be valid."""


def check_count(name: str, value: Any) -> None:
    """`value` is an integer >= 0 (how many users or projects to generate)."""
    if not isinstance(value, int) or value < 0:
        raise OptionsError(f"{name}: {value!r} is invalid; valid: an integer >= 0")


def check_faults(options: Any, *non_negative: str) -> None:
    """Latency and jitter (and the other `non_negative` fields, in that order) are >= 0, the fail
    rates are probabilities."""
    for name in ("latency_ms", "jitter_ms", *non_negative):
        if getattr(options, name) < 0:
            raise OptionsError(f"{name}: {getattr(options, name)!r} is invalid; valid: a number >= 0")
    for name in ("read_fail_rate", "write_fail_rate"):
        value = getattr(options, name)
        if not 0.0 <= value <= 1.0:
            raise OptionsError(f"{name}: {value!r} is invalid; valid: a probability 0.0–1.0")


def check_rate_limit(requests: float | None, max_tokens: int | None, interval_seconds: int) -> None:
    """The token bucket's knobs: requests per interval > 0 or None (off), a size >= 1 or None, an
    interval >= 1 second."""
    if requests is not None and requests <= 0:
        raise OptionsError(f"rate_limit_requests: {requests!r} is invalid; valid: > 0, or None (off)")
    if max_tokens is not None and max_tokens < 1:
        raise OptionsError(f"rate_limit_max: {max_tokens!r} is invalid; valid: >= 1, or None")
    if interval_seconds < 1:
        raise OptionsError(f"rate_limit_interval_seconds: {interval_seconds!r} is invalid; valid: >= 1")


def check_licensed_users(value: int | None) -> None:
    """A licence tier of at least one seat, or None (unlimited)."""
    if value is not None and value < 1:
        raise OptionsError(f"licensed_users: {value!r} is invalid; valid: >= 1, or None (unlimited)")


def check_login(username: str) -> None:
    """The admin's username is non-empty, without surrounding white space."""
    if not username or username != username.strip():
        raise OptionsError(f"username: {username!r} is invalid; valid: a non-empty login")


def admin_token(token: str | None) -> str:
    """The admin's token: `token`, or a generated one when it is None; an empty one is refused."""
    if token is None:
        return secrets.token_urlsafe(33)
    if not token:
        raise OptionsError("token: '' is invalid; valid: a non-empty string, or omit it to generate one")
    return token
