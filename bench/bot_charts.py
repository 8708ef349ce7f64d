"""get_event_chart through the bot's MCP client against the real gateway on the demo data (its own Postgres).

p50/p99 per call at 1 and 8 calls in flight, uncached (LIVE_CACHE_SECONDS=0, arguments cycling through kinds
and rounds): query, drawing in the gateway's worker threads, PNG over the wire, and decoding.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.bot_harness import summary_ms
from slack_client.gateway_client import GatewayClient
from slack_client.models import Actor
from tests.support.gateway import run_gateway
from tests.support.postgres import session_postgres

CHART_ARGUMENTS = [
    {"eid": "AB4001", "kind": kind} | ({"round": number} if number else {})
    for kind in ("voting", "auction", "votes_over_time")
    for number in (None, 1, 2)
]
CHART_CONCURRENCY = (1, 8)


async def chart_phase(count: int) -> dict[str, Any]:
    """get_event_chart's latency as the bot sees it, `count` calls at each concurrency, nothing cached."""
    postgres = await session_postgres()
    database = await postgres.create_demo_database("chart_bench")
    async with (
        run_gateway(database, live_cache_seconds=0) as running,
        GatewayClient(running.url, running.token, call_timeout=60) as client,
    ):
        await client.wait_ready(10)
        return {f"c={c}": summary_ms(await chart_latencies(client, count, c)) for c in CHART_CONCURRENCY}


async def chart_latencies(client: GatewayClient, count: int, concurrency: int) -> list[float]:
    actor = Actor("bench-chart", "U0BENCH", "staff")
    seconds: list[float] = []

    async def one(index: int) -> None:
        started = time.perf_counter()
        outcome = await client.call_tool("get_event_chart", CHART_ARGUMENTS[index % len(CHART_ARGUMENTS)], actor)
        if outcome.is_error or not outcome.images:
            raise RuntimeError(f"get_event_chart gave no chart: {outcome.text}")
        seconds.append(time.perf_counter() - started)

    for start in range(0, count, concurrency):
        await asyncio.gather(*(one(i) for i in range(start, min(count, start + concurrency))))
    return seconds


def report_charts(charts: dict[str, Any]) -> None:
    for label, stats in charts.items():
        name = f"get_event_chart via the bot's client, {label}, uncached"
        print(f"{name:52} {stats['n']:>5} {stats['p50']:>8} {stats['p99']:>8}")
