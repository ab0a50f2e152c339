"""The directory's rate limit: a token bucket per API key, `rate` tokens a second up to `burst`.

Atlassian says the provisioning API is rate limited (429) but publishes no numbers, so both are
options and the limit is off by default. A refused request gets 429 with `Retry-After` (whole seconds
until a token is back) and a SCIM error body. The bucket runs on the emulator's steppable clock, so a
test can meet the limit and step past `Retry-After` instead of sleeping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Bucket:
    """One key's tokens at the clock second they were last counted."""

    tokens: float
    at: float


class RateLimiter:
    """Token buckets per API key, refilled continuously."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.buckets: dict[str, Bucket] = {}
        self.rejected = 0
        """429s answered so far (tests prove a client met the limit and waited it out)."""

    def take(self, key: str, now: float) -> int:
        """Spend one token of `key` at time `now` (seconds): 0 when allowed, else the whole seconds
        to wait (`Retry-After`)."""
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + max(0.0, now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0
        self.rejected += 1
        return max(1, math.ceil((1 - bucket.tokens) / self.rate))
