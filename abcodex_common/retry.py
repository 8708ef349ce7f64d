"""One retry helper for every loop that waits and tries again (migrations, Stripe, the bot's MCP link).

`retrying` runs an operation until it succeeds, the error is not worth retrying, or the attempts run out;
the delay doubles from `first` up to `ceiling`. `on_retry` sees each failure before the pause (for a log line).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays of `first`, doubling up to `ceiling`; `attempts=None` retries for ever (until cancelled)."""

    first: float = 0.5
    ceiling: float = 15.0
    attempts: int | None = None

    def delays(self) -> Iterator[float]:
        """The pause before each retry (one fewer than the attempts)."""
        delay, given = self.first, 0
        while self.attempts is None or given < self.attempts - 1:
            yield delay
            given += 1
            delay = min(delay * 2, self.ceiling)


async def retrying(
    operation: Callable[[], Awaitable[T]],
    *,
    backoff: Backoff,
    retry_on: Callable[[Exception], bool],
    on_retry: Callable[[Exception, float], None] | None = None,
) -> T:
    """The operation's result; the last error when it is not retryable or the attempts are spent."""
    delays = backoff.delays()
    while True:
        try:
            return await operation()
        except Exception as exc:
            delay = next(delays, None) if retry_on(exc) else None
            if delay is None:
                raise
            if on_retry is not None:
                on_retry(exc, delay)
            await asyncio.sleep(delay)
