"""Background work after an acknowledgement, tracked so shutdown can let it finish (bounded)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

import structlog

log = structlog.get_logger(__name__)


class TaskTracker:
    """Spawn answers as tasks; `drain()` stops new work and waits for the running ones."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self.accepting = True

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> bool:
        """Run `work` in the background; False (and nothing runs) once shutdown has begun."""
        if not self.accepting:
            work.close()
            return False
        task = asyncio.create_task(self._guard(work, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _guard(self, work: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await work
        except Exception:
            log.exception("background_task_failed", task=name)

    async def drain(self, grace: float) -> int:
        """Stop accepting; wait up to `grace` s for running work; cancel what is left and return its count."""
        self.accepting = False
        started = time.monotonic()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        else:
            pending = set()
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1.0)
        log.info("drained", cancelled=len(pending), seconds=round(time.monotonic() - started, 3))
        return len(pending)


class RecentIds:
    """Ids seen in the last `ttl` seconds (bounded): how a retried Slack event is answered once."""

    def __init__(self, ttl: float = 3600.0, limit: int = 20_000) -> None:
        self._ttl = ttl
        self._limit = limit
        self._seen: dict[str, float] = {}

    def first_time(self, *keys: str) -> bool:
        """Record `keys`; True when none of them was seen recently."""
        now = time.monotonic()
        if len(self._seen) >= self._limit:
            self._seen = {k: t for k, t in self._seen.items() if now - t < self._ttl}
            while len(self._seen) >= self._limit:
                self._seen.pop(next(iter(self._seen)))
        fresh = all(now - self._seen.get(key, -self._ttl - 1) > self._ttl for key in keys if key)
        for key in keys:
            if key:
                self._seen[key] = now
        return fresh
