"""Bounded waiting for state another process changes (the only thing tests may poll)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], timeout: float = 15) -> T:
    """Call `probe` until `accept` says yes, at most `timeout` seconds; returns the accepted value."""
    with anyio.fail_after(timeout):
        while True:
            value = await probe()
            if accept(value):
                return value
            await asyncio.sleep(0.05)
