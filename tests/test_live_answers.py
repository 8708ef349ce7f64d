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


async def test_no_live_answer_is_older_than_its_stated_bound_while_votes_pour_in(postgres: PostgresForTests):
    """Concurrent readers while a writer adds votes: no answer's `as_of` is older than `max_age_seconds` when it
    is served, and the tallies keep moving. An answer is served after its request was sent, so its age when
    served is at least `sent - as_of`: that must be within the bound, with no allowance for the network."""
    import time  # noqa: PLC0415
    from datetime import datetime  # noqa: PLC0415

    import asyncpg  # noqa: PLC0415

    database = await postgres.create_demo_database("staleness")
    writer = await asyncpg.connect(database)
    stop = asyncio.Event()

    async def write_votes() -> None:
        while not stop.is_set():
            await writer.execute(
                "INSERT INTO votes (event_id, eid, round, easel, art_uuid, person_id, vote_factor, created_at) "
                "SELECT a.event_id, 'AB4001', a.round, a.easel, a.id, NULL, 1, now() FROM art a "
                "WHERE a.art_code = 'AB4001-2-1'"
            )

    ages: list[float] = []
    totals: set[int] = set()
    bound = 0.3
    async with run_gateway(database, live_cache_seconds=bound) as gateway:
        writing = asyncio.create_task(write_votes())

        async def reader() -> None:
            async with gateway.client() as client:
                for _ in range(40):
                    sent = time.time()
                    result = await client.call_tool("get_live_voting_status", {"eid": "AB4001", "round": 2})
                    answer = result.structured_content
                    assert answer["max_age_seconds"] == bound
                    ages.append(sent - datetime.fromisoformat(answer["as_of"]).timestamp())
                    totals.add(answer["rounds"][0]["total_raw_votes"])

        try:
            await asyncio.gather(*(reader() for _ in range(8)))
        finally:
            stop.set()
            await writing
            await writer.close()
    assert max(ages) <= bound + 0.001, sorted(ages)[-5:]  # as_of is cut to the millisecond
    assert len(totals) > 1  # the writer's votes showed up: these were live answers, not one frozen read
