"""The per-client rate limit, over HTTP through the real auth middleware and token registry.

The inner app only counts the requests that reach it; the clock is a number the test moves, so refills are
exact and nothing waits.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest
import yaml
from starlette.types import Receive, Scope, Send
from structlog.testing import capture_logs

from mcp_server.auth import BearerAuthMiddleware, TokenRegistry
from mcp_server.ratelimit import ClientRateLimit

CLIENTS = ("desktop", "laptop", "phone")


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class CountingApp:
    """Answers 200 and counts what gets through, by path."""

    calls: list[str] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})


@dataclass
class Edge:
    http: httpx2.AsyncClient
    inner: CountingApp
    clock: Clock

    async def post(self, client: str, path: str = "/mcp") -> httpx2.Response:
        return await self.http.post(path, headers={"Authorization": f"Bearer token-of-{client}"}, json={})

    async def statuses(self, client: str, count: int) -> list[int]:
        return [(await self.post(client)).status_code for _ in range(count)]


def registry(tmp_path: Path) -> TokenRegistry:
    clients = [
        {"name": name, "token_sha256": hashlib.sha256(f"token-of-{name}".encode()).hexdigest()} for name in CLIENTS
    ]
    path = tmp_path / "tokens.yaml"
    path.write_text(yaml.safe_dump({"clients": clients}), encoding="utf-8")
    return TokenRegistry.build(None, path)


@asynccontextmanager
async def limited(tmp_path: Path, rate_per_second: float, burst: int, max_clients: int = 1024) -> AsyncIterator[Edge]:
    """The gateway's HTTP edge as the app wires it: auth outside, the rate limit inside, then the app."""
    inner, clock = CountingApp(), Clock()
    app = ClientRateLimit(inner, rate_per_second, burst, clock=clock, max_clients=max_clients)
    transport = httpx2.ASGITransport(app=BearerAuthMiddleware(app, registry(tmp_path)))
    async with httpx2.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield Edge(http, inner, clock)


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[Edge]:
    """3 requests at once per client, one more every half second."""
    async with limited(tmp_path, rate_per_second=2, burst=3) as built:
        yield built


async def test_a_burst_over_the_limit_gets_429_with_retry_after_and_never_reaches_the_app(edge: Edge):
    assert await edge.statuses("desktop", 3) == [200, 200, 200]
    refused = await edge.post("desktop")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"] == "application/json"
    body = refused.json()
    assert body["error"] == "rate_limited"
    assert body["error_description"].endswith(".")
    assert len(edge.inner.calls) == 3


async def test_another_client_keeps_its_own_budget_while_one_is_limited(edge: Edge):
    assert await edge.statuses("desktop", 4) == [200, 200, 200, 429]
    assert await edge.statuses("laptop", 3) == [200, 200, 200]
    assert len(edge.inner.calls) == 6


async def test_tokens_refill_as_the_clock_advances_but_never_beyond_the_burst(edge: Edge):
    assert await edge.statuses("desktop", 4) == [200, 200, 200, 429]
    edge.clock.advance(0.5)  # one token back at 2 per second
    assert await edge.statuses("desktop", 2) == [200, 429]
    edge.clock.advance(3600)
    assert await edge.statuses("desktop", 4) == [200, 200, 200, 429]


async def test_refused_requests_do_not_spend_tokens(edge: Edge):
    assert await edge.statuses("desktop", 10) == [200, 200, 200] + [429] * 7
    edge.clock.advance(0.5)
    assert await edge.statuses("desktop", 1) == [200]


@pytest.mark.parametrize(("rate", "retry_after"), [(0.25, "4"), (0.4, "3"), (1000.0, "1")])
async def test_retry_after_is_the_wait_in_whole_seconds_rounded_up_and_at_least_one(
    tmp_path: Path, rate: float, retry_after: str
):
    async with limited(tmp_path, rate_per_second=rate, burst=1) as edge:
        assert (await edge.post("desktop")).status_code == 200
        assert (await edge.post("desktop")).headers["retry-after"] == retry_after


async def test_probes_and_metrics_are_never_limited(edge: Edge):
    await edge.statuses("desktop", 4)
    for path in ("/healthz", "/readyz", "/metrics"):
        for _ in range(10):
            assert (await edge.http.get(path)).status_code == 200
            assert (await edge.post("desktop", path)).status_code == 200
    assert (await edge.post("desktop")).status_code == 429


async def test_an_unknown_token_is_refused_by_auth_before_it_costs_anyone_a_token(edge: Edge):
    for _ in range(5):
        assert (await edge.post("stranger")).status_code == 401
    assert await edge.statuses("desktop", 3) == [200, 200, 200]


async def test_a_full_table_forgets_the_stalest_client_first(tmp_path: Path):
    async with limited(tmp_path, rate_per_second=0.001, burst=1, max_clients=2) as edge:
        assert await edge.statuses("desktop", 1) == [200]
        assert await edge.statuses("laptop", 1) == [200]
        assert await edge.statuses("desktop", 1) == [429]  # desktop is now the most recently seen
        assert await edge.statuses("phone", 1) == [200]  # a third client: laptop's bucket goes
        assert await edge.statuses("desktop", 1) == [429]  # desktop's stays, still empty
        assert await edge.statuses("laptop", 1) == [200]  # laptop starts afresh


async def test_a_client_that_starts_being_refused_is_logged_once_not_per_request(edge: Edge):
    with capture_logs() as logs:
        await edge.statuses("desktop", 3 + 5)
        edge.clock.advance(0.5)
        await edge.statuses("desktop", 1 + 4)
    limited = [entry for entry in logs if entry["event"] == "rate_limited"]
    assert limited == [
        {"event": "rate_limited", "log_level": "warning", "client": "desktop", "retry_after_seconds": 1},
        {"event": "rate_limited", "log_level": "warning", "client": "desktop", "retry_after_seconds": 1},
    ]


async def test_people_signed_in_through_oauth_each_get_their_own_budget():
    from mcp_server.auth import STATE_KEY, ClientIdentity  # noqa: PLC0415

    reached: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope["state"][STATE_KEY].person)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    limited = ClientRateLimit(app, rate_per_second=0.001, burst=1, clock=lambda: 0.0)

    async def as_person(scope: Scope, receive: Receive, send: Send) -> None:
        person = dict(scope["headers"])[b"x-test-person"].decode()
        scope["state"] = {STATE_KEY: ClientIdentity("oauth:idp.example.com", frozenset({"read"}), person=person)}
        await limited(scope, receive, send)

    transport = httpx2.ASGITransport(app=as_person)
    async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        first = await http.post("/mcp", headers={"x-test-person": "a***@artbattle.test (sub 1)"})
        again = await http.post("/mcp", headers={"x-test-person": "a***@artbattle.test (sub 1)"})
        other = await http.post("/mcp", headers={"x-test-person": "b***@artbattle.test (sub 2)"})
    assert (first.status_code, again.status_code, other.status_code) == (200, 429, 200)
    assert reached == ["a***@artbattle.test (sub 1)", "b***@artbattle.test (sub 2)"]
