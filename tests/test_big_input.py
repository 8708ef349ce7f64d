"""A megabyte in any argument of any tool is refused at once, while the gateway keeps answering others.

Masking, validation and the audit trail all read what a caller sends; the payloads are shaped to make a
non-linear pass show (contacts, digit groups and cards for the masker, NULs, multi-byte text). The gateway runs
as its own OS process, so what is timed is the gateway and not this test's client. The one timing bound of the
suite lives here: `/healthz`, asked on its own connection all the while, answers within 100 ms every time.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import httpx2
import pytest

from tests.support.gateway import mcp_client
from tests.support.payments import SOFIA, payment_settings, seeded_stripe
from tests.support.postgres import PostgresForTests
from tests.support.process import GatewayProcess, free_port, gateway_env, gateway_process
from tests.support.waiting import eventually

ENCODED_SIZE = 1_000_000  # bytes of JSON per payload, so each request stays under the 2 MiB body limit
CONTACTS = "maya.okafor@example.com +1 (416) 555-0101 4111 1111 1111 1111 1-2-3-4 2026-11-27 19:30 "
PAYLOADS = {
    "letters": "A" * ENCODED_SIZE,
    "contacts": CONTACTS * (ENCODED_SIZE // len(CONTACTS)),
    "NULs": "\x00" * (ENCODED_SIZE // 6),  # JSON spells each one \u0000
    "unicode": "é" * (ENCODED_SIZE // 2),
}
# What each argument gets while another one carries the megabyte, so the refusal is about the big one.
SENSIBLE = {"eid": "AB4001", "artist_profile_id": SOFIA, "amount": "10.00", "currency": "CAD", "query": "Sofia"}
HEALTHZ_BOUND_SECONDS = 0.1


class Gateway:
    def __init__(self, process: GatewayProcess, token: str, database_url: str) -> None:
        self.process = process
        self.token = token
        self.database_url = database_url

    async def audit_rows(self) -> int:
        connection = await asyncpg.connect(self.database_url)
        try:
            return int(await connection.fetchval("SELECT count(*) FROM abcodex_tool_calls"))
        finally:
            await connection.close()


@pytest.fixture(scope="module")
async def gateway(postgres: PostgresForTests) -> AsyncIterator[Gateway]:
    """The gateway as an OS process with payments on (every tool there is) and no rate limit."""
    database_url = await postgres.create_demo_database("big")
    token = secrets.token_urlsafe(16)
    with seeded_stripe() as stripe_api:
        extra = {name.upper(): str(value) for name, value in payment_settings(stripe_api).items()}
        extra |= {"MCP_GATEWAY_RATE_LIMIT_PER_SECOND": "100000", "MCP_GATEWAY_RATE_LIMIT_BURST": "1000000"}
        with gateway_process(gateway_env(database_url, token, free_port(), extra)) as process:
            yield Gateway(process, token, database_url)


async def big_calls(gateway: Gateway) -> list[tuple[str, str, dict[str, Any]]]:
    """(tool, argument, arguments) for every argument of every listed tool, with each payload in turn.

    The other required arguments get sensible values where this file knows one; a tool added later with a
    required argument it does not know still gets the megabyte (its answer may then be about that one)."""
    async with mcp_client(gateway.process.url, gateway.token) as client:
        tools = (await client.list_tools()).tools
    calls = []
    for tool in tools:
        required = tool.input_schema.get("required", [])
        for argument in tool.input_schema.get("properties", {}):
            others = {name: SENSIBLE[name] for name in required if name != argument and name in SENSIBLE}
            calls += [(tool.name, argument, {**others, argument: big}) for big in PAYLOADS.values()]
    return calls


@contextmanager
def healthz_timed(base_url: str) -> Iterator[list[float]]:
    """Seconds each `/healthz` took, asked back to back on one connection from its own thread while inside."""
    latencies: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        with httpx2.Client(base_url=base_url, timeout=5) as http:
            while not stop.is_set():
                started = time.perf_counter()
                status = http.get("/healthz").status_code
                latencies.append(time.perf_counter() - started if status == 200 else float("inf"))

    prober = threading.Thread(target=probe, name="healthz-probe")
    prober.start()
    try:
        yield latencies
    finally:
        stop.set()
        prober.join(timeout=10)


async def test_a_megabyte_in_any_argument_is_refused_while_healthz_stays_under_100_ms(gateway: Gateway):
    calls = await big_calls(gateway)
    answers: list[tuple[str, str, str]] = []
    with healthz_timed(gateway.process.base_url) as latencies:
        async with mcp_client(gateway.process.url, gateway.token) as client:
            for tool, argument, arguments in calls:
                result = await client.call_tool(tool, arguments)
                assert result.is_error, f"{tool} accepted a megabyte in {argument}"
                answers.append((tool, argument, result.content[0].text))
    assert len(latencies) >= 10, "the probe barely ran; the calls ended before it could measure anything"
    assert max(latencies) < HEALTHZ_BOUND_SECONDS, f"slowest /healthz {max(latencies) * 1000:.0f} ms"
    for tool, argument, text in answers:
        # A sentence about an argument (the big one's type or length), never the megabyte echoed back.
        assert text.startswith("`") and len(text) < 200, (tool, argument, text[:300])
    about_the_big_one = [text for _tool, argument, text in answers if text.startswith(f"`{argument}`")]
    assert len(about_the_big_one) >= len(answers) * 0.9, "most refusals should name the argument that was big"


async def test_every_megabyte_call_leaves_its_audit_row(gateway: Gateway):
    calls = (await big_calls(gateway))[:: len(PAYLOADS)]  # one payload per argument is enough here
    before = await gateway.audit_rows()
    async with mcp_client(gateway.process.url, gateway.token) as client:
        for tool, _argument, arguments in calls:
            await client.call_tool(tool, arguments)
    expected = before + len(calls)
    assert await eventually(gateway.audit_rows, lambda count: count >= expected) == expected
