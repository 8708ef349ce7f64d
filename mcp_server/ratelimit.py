"""A per-client rate limit at the HTTP edge: one token bucket per client name.

It runs inside `BearerAuthMiddleware`, so the caller is the identity the token established (never a
header or an address: every request from the bot shares the pod network). A client over its budget gets
429 with `Retry-After` before the MCP app (and the database pool that payments also need) sees the request.
The probes are never limited: a kubelet must not be told to back off.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.auth import OPEN_PATHS, STATE_KEY, ClientIdentity
from mcp_server.http_errors import send_json_error

# Names come from the token registry, so the table holds a handful; the cap only guards a future
# keying mistake (say, by a header) from growing it without bound.
DEFAULT_MAX_CLIENTS = 1024
_NO_IDENTITY = "unknown"
_log = structlog.get_logger("abcodex.ratelimit")


@dataclass
class _Bucket:
    tokens: float
    updated: float
    refusing: bool = False  # logged when it starts, so a flood of refusals is one line, not one per request


class ClientRateLimit:
    """ASGI middleware: `burst` requests at once per client, refilled at `rate_per_second`."""

    def __init__(
        self,
        app: ASGIApp,
        rate_per_second: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = DEFAULT_MAX_CLIENTS,
    ) -> None:
        if rate_per_second <= 0 or burst < 1 or max_clients < 1:
            raise ValueError("rate_per_second must be > 0, burst and max_clients >= 1")
        self._app = app
        self._rate = rate_per_second
        self._burst = float(burst)
        self._clock = clock
        self._max_clients = max_clients
        # Least recently seen first: the stalest bucket is the one evicted when the table is full.
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self._app(scope, receive, send)
            return
        wait = self._take(_client_name(scope))
        if wait is None:
            await self._app(scope, receive, send)
            return
        await _too_many_requests(send, wait)

    def _take(self, client: str) -> float | None:
        """Spend one token of `client`'s bucket; None when allowed, else the seconds until one is back."""
        now = self._clock()
        bucket = self._bucket(client, now)
        bucket.tokens = min(self._burst, bucket.tokens + max(0.0, now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.refusing = False
            return None
        wait = (1 - bucket.tokens) / self._rate
        if not bucket.refusing:
            bucket.refusing = True
            _log.warning("rate_limited", client=client, retry_after_seconds=_whole_seconds(wait))
        return wait

    def _bucket(self, client: str, now: float) -> _Bucket:
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = self._buckets[client] = _Bucket(self._burst, now)
            if len(self._buckets) > self._max_clients:
                self._buckets.popitem(last=False)
        self._buckets.move_to_end(client)
        return bucket


def _client_name(scope: Scope) -> str:
    # Without an identity the app was wired without BearerAuthMiddleware outside: share one bucket
    # rather than let such requests through unlimited.
    identity = scope.get("state", {}).get(STATE_KEY)
    if not isinstance(identity, ClientIdentity):
        return _NO_IDENTITY
    # Everyone signed in through OAuth shares one client name; each person gets their own budget.
    return identity.key


def _whole_seconds(wait: float) -> int:
    return max(1, math.ceil(wait))


async def _too_many_requests(send: Send, wait_seconds: float) -> None:
    retry_after = _whole_seconds(wait_seconds)
    await send_json_error(
        send,
        429,
        "rate_limited",
        f"Too many requests from this client; retry after {retry_after} s.",
        [(b"retry-after", str(retry_after).encode())],
    )
