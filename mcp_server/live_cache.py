"""The one cache for live answers: identical live reads share one execution and, for at most
LIVE_CACHE_SECONDS, one answer in its wire form.

Runs as MCP middleware inside the call policy (so scopes, audit, logs and metrics still see every call). An
answer's age is counted from the moment its load STARTED, before the query ran, so an answer served from
here is never older than `max_age` measured against its own `as_of` (which the database stamps after that
start). Only successful answers are kept; an error is shared with the callers already waiting for it and
then forgotten. Answers do not depend on the caller (read tools only), so sharing them reveals nothing a
caller could not ask for.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LiveCachePolicy:
    """`max_age` 0 still shares concurrent identical calls; `share=False` turns both off (a bench baseline)."""

    max_age: float
    share: bool = True
    max_entries: int = 512


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    value: T
    started_at: float


class SharedLoads(Generic[T]):
    """Single flight plus a bounded, time-limited memory of successful results."""

    def __init__(
        self,
        policy: LiveCachePolicy,
        keep: Callable[[T], bool] = lambda _: True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._policy = policy
        self._keep = keep
        self._clock = clock
        self._entries: dict[Hashable, _Entry[T]] = {}
        self._in_flight: dict[Hashable, asyncio.Future[T]] = {}

    async def get(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        if not self._policy.share:
            return await load()
        entry = self._entries.get(key)
        if entry is not None and self._clock() - entry.started_at < self._policy.max_age:
            return entry.value
        pending = self._in_flight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        return await self._load(key, load)

    async def _load(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        started_at = self._clock()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            value = await load()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: the waiters get it, nobody else needs to
            raise
        finally:
            del self._in_flight[key]
        future.set_result(value)
        if self._policy.max_age > 0 and self._keep(value):
            self._store(key, _Entry(value, started_at))
        return value

    def _store(self, key: Hashable, entry: _Entry[T]) -> None:
        self._entries.pop(key, None)
        while len(self._entries) >= self._policy.max_entries:
            del self._entries[next(iter(self._entries))]  # the oldest load (insertion order)
        self._entries[key] = entry


def _succeeded(result: HandlerResult) -> bool:
    return not (isinstance(result, dict) and result.get("isError"))


def live_answers(policy: LiveCachePolicy) -> SharedLoads[HandlerResult]:
    return SharedLoads(policy, keep=_succeeded)


class LiveAnswerSharing:
    """MCP middleware: a `tools/call` of a live tool goes through the lifespan's shared answers."""

    def __init__(self, is_live: Callable[[object], bool], answers: Callable[[Any], SharedLoads[HandlerResult]]) -> None:
        self._is_live = is_live
        self._answers = answers  # finds the SharedLoads in the lifespan's services

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        params = ctx.params or {}
        if ctx.method != "tools/call" or not self._is_live(params.get("name")):
            return await call_next(ctx)
        arguments = json.dumps(params.get("arguments") or {}, sort_keys=True, default=str)
        key = (ctx.protocol_version, params["name"], arguments)
        return await self._answers(ctx.lifespan_context).get(key, lambda: call_next(ctx))
