"""Under overload the gateway sheds instead of queueing, and its probes answer even when the loop cannot.

Calls are held in flight by a real lock in Postgres; the event loop is blocked for real, by waiting
synchronously on an event that the probing thread sets once it has its answer.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx2
import pytest

from mcp_server.app import readiness_checks
from mcp_server.probes import LoopProbes, ProbeListener
from mcp_server.settings import GatewaySettings
from tests.support.gateway import RunningGateway, run_gateway
from tests.support.postgres import PostgresForTests, build_template, start_test_postgres
from tests.support.process import free_port, gateway_env, gateway_process, run_command
from tests.support.waiting import eventually

VERSION = "2026-07-28"


def tool_call(eid: str) -> dict[str, Any]:
    """One `tools/call` in the per-request form (no handshake), as the bot sends it."""
    meta = {"io.modelcontextprotocol/protocolVersion": VERSION, "io.modelcontextprotocol/clientCapabilities": {}}
    params = {"name": "get_event_details", "arguments": {"eid": eid}, "_meta": meta}
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}


def call_headers(token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
        "MCP-Protocol-Version": VERSION,
        "Mcp-Method": "tools/call",
        "Mcp-Name": "get_event_details",
    }


async def post_call(http: httpx2.AsyncClient, gateway: RunningGateway, body: bytes | None = None) -> httpx2.Response:
    content = body if body is not None else json.dumps(tool_call("AB4001")).encode()
    return await http.post(gateway.url, content=content, headers=call_headers(gateway.token))


async def calls_waiting_on_a_lock(connection: asyncpg.Connection) -> int:
    await connection.execute("SELECT pg_stat_clear_snapshot()")
    count: int = await connection.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'abcodex-gateway' AND wait_event_type = 'Lock'"
    )
    return count


@asynccontextmanager
async def events_locked(database: str) -> AsyncIterator[asyncpg.Connection]:
    """The `events` table locked until the block ends: every call that reads it waits, in flight."""
    blocker = await asyncpg.connect(database)
    transaction = blocker.transaction()
    await transaction.start()
    try:
        await blocker.execute("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
        yield blocker
    finally:
        await transaction.rollback()
        await blocker.close()


async def test_requests_past_the_bound_get_503_with_retry_after_while_those_within_complete(
    postgres: PostgresForTests,
):
    database = await postgres.create_demo_database("overload")
    async with run_gateway(database, mcp_gateway_max_in_flight=2) as gateway, httpx2.AsyncClient(timeout=30) as http:
        async with events_locked(database) as blocker:
            within = [asyncio.create_task(post_call(http, gateway)) for _ in range(2)]
            await eventually(lambda: calls_waiting_on_a_lock(blocker), lambda waiting: waiting == 2)
            shed = await post_call(http, gateway)
            unreadable = await post_call(http, gateway, body=b"{not json")  # refused before the body is read
            alive = await http.get(f"{gateway.base_url}/healthz")
            assert not any(task.done() for task in within)
        answers = await asyncio.wait_for(asyncio.gather(*within), timeout=15)
        after = await post_call(http, gateway)
        metrics = (await http.get(f"{gateway.base_url}/metrics")).text
    for refused in (shed, unreadable):
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["error"] == "overloaded"
        assert "retry after 1 s" in refused.json()["error_description"]
    assert alive.status_code == 200, "probes are never shed"
    for answer in (*answers, after):
        assert answer.status_code == 200
        assert answer.json()["result"]["structuredContent"]["eid"] == "AB4001"
    assert "abcodex_requests_shed_total 2.0" in metrics


async def test_a_shed_request_leaves_no_audit_row(postgres: PostgresForTests):
    database = await postgres.create_demo_database("overload_audit")
    async with run_gateway(database, mcp_gateway_max_in_flight=1) as gateway, httpx2.AsyncClient(timeout=30) as http:
        async with events_locked(database) as blocker:
            held = asyncio.create_task(post_call(http, gateway))
            await eventually(lambda: calls_waiting_on_a_lock(blocker), lambda waiting: waiting == 1)
            shed = await http.post(gateway.url, json=tool_call("AB4002"), headers=call_headers(gateway.token))
        assert (await held).status_code == 200
        connection = await asyncpg.connect(database)
        try:
            audited = await eventually(
                lambda: connection.fetch("SELECT tool, arguments->>'eid' AS eid FROM abcodex_tool_calls"),
                lambda rows: len(rows) >= 1,
            )
        finally:
            await connection.close()
    assert shed.status_code == 503
    assert [(row["tool"], row["eid"]) for row in audited] == [("get_event_details", "AB4001")]


async def ready() -> dict[str, dict[str, Any]]:
    return {"database": {"ok": True, "detail": "answers"}}


@asynccontextmanager
async def probes_served(probes: LoopProbes) -> AsyncIterator[str]:
    """`probes` running on this test's loop, served by their listener; yields its base URL."""
    async with probes.running():
        with ProbeListener(probes, "127.0.0.1", 0) as listener:
            yield f"http://127.0.0.1:{listener.port}"


def fetch(url: str) -> tuple[int, dict[str, Any]]:
    with httpx2.Client(timeout=2) as http:
        response = http.get(url)
    return response.status_code, response.json()


@contextmanager
def loop_blocked_until(answered: threading.Event) -> Iterator[None]:
    """Blocks the calling (event loop) thread until `answered` is set, at most 10 s: nothing on the loop runs."""
    yield
    assert answered.wait(timeout=10), "the probing thread got no answer while the loop was blocked"


async def test_the_probe_listener_answers_while_the_event_loop_is_blocked():
    async with probes_served(LoopProbes(ready, stall_seconds=10)) as base_url:
        answers: dict[str, tuple[int, dict[str, Any]]] = {}
        answered = threading.Event()

        def probe() -> None:
            answers["healthz"] = fetch(f"{base_url}/healthz")
            answers["readyz"] = fetch(f"{base_url}/readyz")
            answered.set()

        await eventually(lambda: asyncio.to_thread(fetch, f"{base_url}/readyz"), lambda answer: answer[0] == 200)
        thread = threading.Thread(target=probe)
        with loop_blocked_until(answered):
            thread.start()
        thread.join()
    assert answers["healthz"][0] == 200
    assert answers["healthz"][1]["status"] == "alive"
    assert answers["readyz"][0] == 200
    assert answers["readyz"][1]["checks"]["database"]["ok"] is True


async def test_a_loop_stuck_past_the_stall_threshold_is_reported_dead_then_alive_again():
    probes = LoopProbes(ready, stall_seconds=0.3, ready_lag_seconds=0.3)
    async with probes_served(probes) as base_url:
        seen: list[tuple[int, dict[str, Any]]] = []
        answered = threading.Event()

        def probe_until_dead() -> None:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # polling with a bound, in the probing thread
                seen.append(fetch(f"{base_url}/healthz"))
                if seen[-1][0] == 503:
                    seen.append(fetch(f"{base_url}/readyz"))
                    break
                answered.wait(0.05)
            answered.set()

        await eventually(lambda: asyncio.to_thread(fetch, f"{base_url}/healthz"), lambda answer: answer[0] == 200)
        thread = threading.Thread(target=probe_until_dead)
        with loop_blocked_until(answered):
            thread.start()
        thread.join()
        (dead_status, dead), (ready_status, readiness) = seen[-2:]
        assert (dead_status, dead["status"]) == (503, "stalled")
        assert "the event loop has not run for" in dead["detail"]
        assert ready_status == 503
        assert readiness["checks"]["event_loop"]["ok"] is False
        alive = await eventually(lambda: asyncio.to_thread(fetch, f"{base_url}/healthz"), lambda a: a[0] == 200)
    assert alive[1]["status"] == "alive"


async def test_readiness_on_the_probe_port_follows_the_database_down_and_back_up():
    server = start_test_postgres()
    await build_template(server, datetime.now(UTC))
    try:
        async with run_gateway(server.dsn("demo_template"), readiness_timeout_seconds=1) as gateway:
            probes = LoopProbes(lambda: readiness_checks(gateway.gateway), stall_seconds=10)
            async with probes_served(probes) as base_url:
                probe = f"{base_url}/readyz"
                await eventually(lambda: asyncio.to_thread(fetch, probe), lambda answer: answer[0] == 200)
                server.stop("fast")
                down = await eventually(lambda: asyncio.to_thread(fetch, probe), lambda answer: answer[0] == 503)
                assert down[1]["checks"]["database"]["ok"] is False
                assert down[1]["checks"]["event_loop"]["ok"] is True
                assert (await asyncio.to_thread(fetch, f"{base_url}/healthz"))[0] == 200
                server.start()
                await eventually(lambda: asyncio.to_thread(fetch, probe), lambda answer: answer[0] == 200)
    finally:
        server.stop("immediate")


@pytest.mark.slow
async def test_the_gateway_process_serves_probes_on_their_own_port_and_still_exits_zero_on_sigterm(
    postgres: PostgresForTests,
):
    database = await postgres.create_demo_database("probes")
    probe_port = free_port()
    env = gateway_env(database, secrets.token_urlsafe(16), free_port(), {"MCP_GATEWAY_PROBE_PORT": str(probe_port)})
    with gateway_process(env) as gateway:
        probes = f"http://127.0.0.1:{probe_port}"
        status, alive = await asyncio.to_thread(fetch, f"{probes}/healthz")
        assert (status, alive["status"]) == (200, "alive")
        readiness = await eventually(lambda: asyncio.to_thread(fetch, f"{probes}/readyz"), lambda a: a[0] == 200)
        assert set(readiness[1]["checks"]) == {"tools", "database", "schema", "event_loop"}
        gateway.signal(signal.SIGTERM)
        assert await asyncio.to_thread(gateway.wait) == 0
    with pytest.raises(httpx2.TransportError):
        await asyncio.to_thread(fetch, f"{probes}/healthz")  # the listener stopped with the process


@pytest.mark.slow
def test_a_probe_port_already_taken_stops_start_up_naming_the_variable():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        env = gateway_env("postgresql://nobody@127.0.0.1:1/none", "t" * 32, free_port())
        env["MCP_GATEWAY_PROBE_PORT"] = str(taken.getsockname()[1])
        done = run_command([], env)
    assert done.returncode == 2, done.stderr
    assert "MCP_GATEWAY_PROBE_PORT: cannot listen on 127.0.0.1:" in done.stderr


@pytest.mark.slow
async def test_the_default_probe_port_already_taken_leaves_the_probes_on_the_main_port(postgres: PostgresForTests):
    default = GatewaySettings.model_fields["mcp_gateway_probe_port"].default
    with socket.socket() as taken:
        try:
            taken.bind(("127.0.0.1", default))
        except OSError:
            pytest.skip(f"port {default} is held by another process here; this test needs to hold it itself")
        taken.listen(1)
        env = gateway_env(await postgres.create_demo_database("taken"), "t" * 32, free_port())
        with gateway_process(env) as gateway:  # waits for the main port's /healthz
            assert (await asyncio.to_thread(fetch, f"{gateway.base_url}/healthz"))[0] == 200
            gateway.signal(signal.SIGTERM)
            assert await asyncio.to_thread(gateway.wait) == 0
            assert '"probe_port_taken"' in gateway.output()
