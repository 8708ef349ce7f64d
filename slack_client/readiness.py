"""`/readyz`: each dependency's check, run side by side within a bound; ready when every one passes.

The LLM check asks the provider itself (it lists models through the provider's SDK), so a refused key or
an unreachable API makes the bot unready with the provider's sentence. Its answer is kept for
`LLM_CHECK_TTL` seconds: probes come every few seconds from every replica, and each must not cost a
provider call.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio

from slack_client.errors import LLMError
from slack_client.llm.base import LLMProvider

Check = Callable[[], Awaitable[tuple[bool, str]]]
"""A readiness check: whether its dependency is usable, and a sentence saying why."""

CHECK_TIMEOUT = 2.0
LLM_CHECK_TTL = 30.0


async def run_checks(checks: Mapping[str, Check], each_within: float = CHECK_TIMEOUT) -> dict[str, Any]:
    """Every check at once, each given `each_within` seconds; ready when all pass."""
    results: dict[str, dict[str, Any]] = {}

    async def run(name: str, check: Check) -> None:
        ok, detail = False, "timed out"
        with anyio.move_on_after(each_within):
            ok, detail = await check()
        results[name] = {"ok": ok, "detail": detail}

    async with anyio.create_task_group() as group:
        for name, check in checks.items():
            group.start_soon(run, name, check)
    ordered = {name: results[name] for name in checks}
    return {"ready": bool(ordered) and all(r["ok"] for r in ordered.values()), "checks": ordered}


class CachedCheck:
    """A check that asks its dependency at most once per `ttl` seconds, and one probe at a time."""

    def __init__(self, check: Check, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._check = check
        self._ttl = ttl
        self._clock = clock
        self._answer: tuple[bool, str] | None = None
        self._asked_at = -math.inf
        self._asking = anyio.Lock()

    async def __call__(self) -> tuple[bool, str]:
        async with self._asking:
            if self._answer is None or self._clock() - self._asked_at >= self._ttl:
                # Stored only once answered: a probe that timed out leaves the next one to ask again.
                self._answer = await self._check()
                self._asked_at = self._clock()
            return self._answer


def llm_check(llm: LLMProvider, ttl: float = LLM_CHECK_TTL) -> Check:
    """Whether the configured provider accepts the key, asked at most once per `ttl` seconds."""

    async def ask() -> tuple[bool, str]:
        try:
            await llm.ping()
        except LLMError as error:
            return False, f"{llm.name} {llm.model}: {error}"
        return True, f"{llm.name} {llm.model}: key accepted"

    return CachedCheck(ask, ttl)
