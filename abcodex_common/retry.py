"""One retry helper for every loop that waits and tries again (migrations, Stripe, the bot's MCP link).

`retrying` runs an operation until it succeeds, the error is not worth retrying, or the attempts run out;
the delay doubles from `first` up to `ceiling`. `on_retry` sees each failure before the pause (for a log line).
An error may ask for a longer pause itself (`requested_delay`, e.g. a `Retry-After`), and `Backoff.budget`
caps the pauses in all, so a caller waiting on the answer is never held longer than it allows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays of `first`, doubling up to `ceiling`; `attempts=None` retries for ever (until cancelled).

    `budget`, when set, bounds the pauses in all: a retry whose pause would pass it is not made.
    """

    first: float = 0.5
    ceiling: float = 15.0
    attempts: int | None = None
    budget: float | None = None

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
    requested_delay: Callable[[Exception], float | None] | None = None,
) -> T:
    """The operation's result; the last error when it is not retryable or the attempts or budget are spent."""
    delays = backoff.delays()
    paused = 0.0
    while True:
        try:
            return await operation()
        except Exception as exc:
            delay = next(delays, None) if retry_on(exc) else None
            if delay is not None and requested_delay is not None:
                delay = max(delay, requested_delay(exc) or 0.0)
            if delay is None or (backoff.budget is not None and paused + delay > backoff.budget):
                raise
            paused += delay
            if on_retry is not None:
                on_retry(exc, delay)
            await asyncio.sleep(delay)
