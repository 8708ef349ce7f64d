"""Load shedding at the HTTP edge: past a bound of requests in flight, a new one is refused at once.

Under a burst, queueing helps nobody: every waiting call holds memory and a place behind the database pool,
its caller sees seconds of latency with no signal to back off, and the event loop falls behind on accepting
connections (probes included). So the gateway serves at most `MCP_GATEWAY_MAX_IN_FLIGHT` requests at once
and answers the next one with 503 and `Retry-After` before reading its body, authenticating it or touching
the database. Probes and metrics are never shed. The count is per process (one uvicorn worker per pod).
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.auth import OPEN_PATHS
from mcp_server.http_errors import send_json_error

# A burst clears in well under a second at the measured throughput (docs/benchmarks.md, "Overload");
# Retry-After takes whole seconds, so one is the shortest honest answer.
RETRY_AFTER_SECONDS = 1
_log = structlog.get_logger("abcodex.overload")


class OverloadShedding:
    """ASGI middleware: at most `max_in_flight` requests at once; past that, 503 + Retry-After, nothing queued.

    `on_shed` is called once per refused request (the metrics counter).
    """

    def __init__(self, app: ASGIApp, max_in_flight: int, on_shed: Callable[[], object] = lambda: None) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be >= 1")
        self._app = app
        self._max_in_flight = max_in_flight
        self._on_shed = on_shed
        self.in_flight = 0
        self._shed_this_episode = 0  # logged when the episode ends: a flood of refusals is two lines, not one each

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self._app(scope, receive, send)
            return
        if self.in_flight >= self._max_in_flight:
            self._shed()
            await _overloaded(send)
            return
        self._admitted()
        self.in_flight += 1
        try:
            await self._app(scope, receive, send)
        finally:
            self.in_flight -= 1

    def _shed(self) -> None:
        if self._shed_this_episode == 0:
            _log.warning("overloaded", max_in_flight=self._max_in_flight, retry_after_seconds=RETRY_AFTER_SECONDS)
        self._shed_this_episode += 1
        self._on_shed()

    def _admitted(self) -> None:
        if self._shed_this_episode:
            _log.warning("overload_ended", shed=self._shed_this_episode, max_in_flight=self._max_in_flight)
            self._shed_this_episode = 0


async def _overloaded(send: Send) -> None:
    await send_json_error(
        send,
        503,
        "overloaded",
        f"The gateway is serving as many requests as it can; retry after {RETRY_AFTER_SECONDS} s.",
        [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())],
    )
