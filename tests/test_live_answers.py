"""Live answers are shared for at most LIVE_CACHE_SECONDS, and every call is still seen by the call policy."""

from __future__ import annotations

import asyncio

import httpx2

from tests.support.gateway import run_gateway
from tests.support.postgres import PostgresForTests


async def test_identical_live_reads_share_one_answer_within_the_bound_yet_each_is_counted(
    postgres: PostgresForTests,
):
    database = await postgres.create_demo_database("live")
    async with run_gateway(database, live_cache_seconds=60) as gateway, gateway.client() as client:
        results = await asyncio.gather(
            *(client.call_tool("get_live_voting_status", {"eid": "AB4001"}) for _ in range(10))
        )
        later = await client.call_tool("get_live_voting_status", {"eid": "AB4001"})
        other_round = await client.call_tool("get_live_voting_status", {"eid": "AB4001", "round": 1})
        async with httpx2.AsyncClient(base_url=gateway.base_url) as http:
            metrics = (await http.get("/metrics")).text
    stamps = {r.structured_content["as_of"] for r in [*results, later]}
    assert len(stamps) == 1  # one read, stated in every answer
    assert [r["round_number"] for r in other_round.structured_content["rounds"]] == [1]
    assert 'abcodex_tool_calls_total{outcome="ok",tool="get_live_voting_status"} 12.0' in metrics


async def test_with_no_cache_a_new_bid_shows_in_the_next_answer(postgres: PostgresForTests):
    import asyncpg  # noqa: PLC0415

    database = await postgres.create_demo_database("fresh")
    async with run_gateway(database, live_cache_seconds=0) as gateway, gateway.client() as client:
        before = await client.call_tool("get_auction_status", {"eid": "AB4001"})
        connection = await asyncpg.connect(database)
        try:
            await connection.execute("UPDATE art SET current_bid = 999, bid_count = 1 WHERE art_code = 'AB4001-1-4'")
        finally:
            await connection.close()
        after = await client.call_tool("get_auction_status", {"eid": "AB4001"})

    def bid(result: object) -> str:
        works = result.structured_content["artworks"]  # type: ignore[attr-defined]
        return next(w["current_bid"] for w in works if w["art_code"] == "AB4001-1-4")

    assert (bid(before), bid(after)) == ("0.00", "999.00")
    assert after.structured_content["max_age_seconds"] == 0
