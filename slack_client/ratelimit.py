"""Per-user and per-channel token buckets: a request needs a token from both."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_client.policy import Limits

_MAX_TRACKED = 10_000


@dataclass(slots=True)
class TokenBucket:
    """A bucket of `capacity` tokens refilled at `rate` tokens a second."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self) -> float:
        """Seconds until one token is available (0 when one is)."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class RateLimiter:
    """Admit a request when both the user's and the channel's bucket hold a token."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self._user = (float(limits.user_burst), limits.user_per_minute / 60.0)
        self._channel = (float(limits.channel_burst), limits.channel_per_minute / 60.0)
        self._clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def try_acquire(self, user: str, channel: str | None) -> float:
        """Take a token from both buckets and return 0, or return the seconds to wait and take none."""
        now = self._clock()
        buckets = [self._bucket(("user", user), self._user, now)]
        if channel:
            buckets.append(self._bucket(("channel", channel), self._channel, now))
        wait = max(bucket.wait_time() for bucket in buckets)
        if wait > 0:
            return wait
        for bucket in buckets:
            bucket.tokens -= 1
        return 0.0

    def _bucket(self, key: tuple[str, str], shape: tuple[float, float], now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            self._forget_full_buckets(now)
            bucket = self._buckets[key] = TokenBucket(shape[0], shape[1], shape[0], now)
        bucket.refill(now)
        return bucket

    def _forget_full_buckets(self, now: float) -> None:
        # A full bucket carries no state worth keeping, so memory stays bounded.
        if len(self._buckets) < _MAX_TRACKED:
            return
        for key, bucket in list(self._buckets.items()):
            bucket.refill(now)
            if bucket.tokens >= bucket.capacity:
                del self._buckets[key]
