"""Jira DC's optional rate limiting: a token bucket per user (off by default).

As Atlassian's "Improving instance stability with rate limiting" page describes the headers:
`X-RateLimit-Limit` (max tokens, "Max requests"), `X-RateLimit-Remaining`, `X-RateLimit-Interval-Seconds`,
`X-RateLimit-FillRate` (tokens granted every interval, "Requests allowed") and `Retry-After` (seconds until
new tokens; 0 while tokens are left). Tokens arrive in a batch at each interval boundary. The bucket runs on
the emulator's steppable clock, so a test can get a 429 and then step past `Retry-After` instead of sleeping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol


@dataclass
class Bucket:
    """One user's tokens and the clock second their current interval started."""

    tokens: float
    interval_start: float


class RateLimiter:
    """Buckets per user key, refilled in whole intervals."""

    def __init__(self, fill_rate: float, max_tokens: int, interval_seconds: int) -> None:
        self.fill_rate = fill_rate
        self.max_tokens = max_tokens
        self.interval = interval_seconds
        self.buckets: dict[str, Bucket] = {}
        self.rejected = 0
        """429s answered so far (tests prove a client met the limit and waited it out)."""

    def take(self, who: str, now: float) -> tuple[bool, int, int]:
        """Spend one token of `who` at time `now` (seconds): (allowed, remaining, retry_after seconds)."""
        bucket = self.buckets.get(who)
        if bucket is None:
            bucket = self.buckets[who] = Bucket(float(self.max_tokens), now)
        elapsed = int((now - bucket.interval_start) // self.interval)
        if elapsed > 0:
            bucket.tokens = min(float(self.max_tokens), bucket.tokens + elapsed * self.fill_rate)
            bucket.interval_start += elapsed * self.interval
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            retry = 0 if bucket.tokens >= 1 else self._until_refill(bucket, now)
            return True, int(bucket.tokens), retry
        self.rejected += 1
        return False, 0, self._until_refill(bucket, now)

    def admit(self, who: str, now: float) -> tuple[bool, list[tuple[bytes, bytes]]]:
        """`take` one token of `who`: whether the request may go on, and the headers of its response."""
        allowed, remaining, retry_after = self.take(who, now)
        return allowed, self.headers(remaining, retry_after)

    def _until_refill(self, bucket: Bucket, now: float) -> int:
        return max(1, math.ceil(bucket.interval_start + self.interval - now))

    def headers(self, remaining: int, retry_after: int) -> list[tuple[bytes, bytes]]:
        """The rate-limit headers of one response."""
        fill = self.fill_rate
        fill_text = str(int(fill)) if fill == int(fill) else str(fill)
        return [
            (b"x-ratelimit-limit", str(self.max_tokens).encode()),
            (b"x-ratelimit-remaining", str(remaining).encode()),
            (b"x-ratelimit-interval-seconds", str(self.interval).encode()),
            (b"x-ratelimit-fillrate", fill_text.encode()),
            (b"retry-after", str(retry_after).encode()),
        ]


class RateLimitOptions(Protocol):
    """The rate-limit knobs of an emulator's options (Jira's and Bitbucket's)."""

    @property
    def rate_limit_requests(self) -> float | None: ...

    @property
    def rate_limit_max(self) -> int | None: ...

    @property
    def rate_limit_interval_seconds(self) -> int: ...


def limiter_for(options: RateLimitOptions) -> RateLimiter | None:
    """A fresh limiter for `options`, None when rate limiting is off. The bucket size defaults to the
    requests allowed per interval."""
    if options.rate_limit_requests is None:
        return None
    max_tokens = options.rate_limit_max or max(1, int(options.rate_limit_requests))
    return RateLimiter(options.rate_limit_requests, max_tokens, options.rate_limit_interval_seconds)
