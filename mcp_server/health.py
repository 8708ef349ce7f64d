"""Readiness checks registered by each dependency beside itself; `/readyz` runs them with a short timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

HealthCheck = Callable[[], Awaitable[tuple[bool, str]]]


class HealthChecks:
    """Readiness checks by name, registered by each dependency beside itself (svcs-style)."""

    def __init__(self) -> None:
        self._checks: dict[str, HealthCheck] = {}

    def register(self, name: str, check: HealthCheck) -> None:
        self._checks[name] = check

    def unregister(self, name: str) -> None:
        self._checks.pop(name, None)

    async def run(self, within_seconds: float) -> dict[str, dict[str, Any]]:
        """Every check within `within_seconds`; one that does not answer in time fails with that said."""
        results: dict[str, dict[str, Any]] = {}
        for name, check in list(self._checks.items()):
            try:
                ok, detail = await asyncio.wait_for(check(), timeout=within_seconds)
            except TimeoutError:
                ok, detail = False, f"no answer within {within_seconds:g}s"
            except Exception as exc:
                ok, detail = False, f"no answer ({exc.__class__.__name__})"
            results[name] = {"ok": ok, "detail": detail}
        return results
