"""Coalescing, time-bounded cache for live aggregates.

Identical concurrent reads share one query (single flight), and a result is served again while it is younger
than `max_age` seconds; the answer states when it was read, so staleness is visible and bounded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Entry(Generic[T]):
    value: T
    stored_at: float


class CoalescingCache(Generic[T]):
    def __init__(self, max_age: float, max_entries: int = 1024) -> None:
        self._max_age = max_age
        self._max_entries = max_entries
        self._entries: dict[Hashable, _Entry[T]] = {}
        self._in_flight: dict[Hashable, asyncio.Future[T]] = {}

    @property
    def max_age(self) -> float:
        return self._max_age

    async def get(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        entry = self._entries.get(key)
        if entry is not None and time.monotonic() - entry.stored_at < self._max_age:
            return entry.value
        pending = self._in_flight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        return await self._load(key, load)

    async def _load(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            value = await load()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters get it, nobody else needs to
            raise
        finally:
            del self._in_flight[key]
        future.set_result(value)
        if self._max_age > 0:
            self._store(key, value)
        return value

    def _store(self, key: Hashable, value: T) -> None:
        if len(self._entries) >= self._max_entries:
            oldest = min(self._entries, key=lambda k: self._entries[k].stored_at)
            del self._entries[oldest]
        self._entries[key] = _Entry(value, time.monotonic())
