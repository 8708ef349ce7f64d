"""The `--scale` demo data: what a scale factor means, that it loads as documented, and that the live-voting
tool answers for the big live event through the real gateway. A small factor keeps it fast."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import pytest

from mcp_server.repository.demo_scale import (
    LIVE_EASELS,
    LIVE_EID,
    PAST_VOTES_PER_ROUND,
    ROUNDS,
    ScalePlan,
    build_scale_rows,
    load_scale_data,
)
from tests.support.gateway import run_gateway
from tests.support.postgres import PostgresForTests

SMALL = 0.05


def test_scale_one_is_the_production_like_volume():
    plan = ScalePlan.of(1)
    assert plan.live_votes == 20_000
    assert plan.live_votes_per_round == (7_200, 6_800, 6_000)
    assert plan.past_events == 300
    assert plan.past_eids[0] == "AB5100" and plan.past_eids[-1] == "AB5399"


def test_a_small_factor_keeps_the_shapes_and_scales_the_volume():
    plan = ScalePlan.of(SMALL)
    assert (plan.live_votes, plan.live_votes_per_round, plan.past_events) == (1_000, (360, 340, 300), 15)
    with pytest.raises(ValueError, match="scale"):
        ScalePlan.of(0)


def test_the_same_scale_and_anchor_give_the_same_rows(postgres: PostgresForTests):
    first = build_scale_rows(SMALL, postgres.anchor)
    second = build_scale_rows(SMALL, postgres.anchor)
    assert first.rows == second.rows


@pytest.fixture(scope="module")
async def scale_database(postgres: PostgresForTests) -> str:
    database = await postgres.create_demo_database("scale")
    connection = await asyncpg.connect(database)
    try:
        added = await load_scale_data(connection, SMALL, postgres.anchor)
        assert added["votes"] == 1_000 + 15 * sum(PAST_VOTES_PER_ROUND)
        assert await load_scale_data(connection, SMALL, postgres.anchor) == {}  # loads once
    finally:
        await connection.close()
    return database


async def test_scale_data_loads_with_the_documented_counts(scale_database: str):
    connection = await asyncpg.connect(scale_database)
    try:
        live = await connection.fetchrow(
            """SELECT e.current_round, c.name AS city, e.currency,
                      (SELECT count(*) FROM art a WHERE a.event_id = e.id) AS works,
                      (SELECT count(DISTINCT a.artist_id) FROM art a WHERE a.event_id = e.id) AS artists,
                      (SELECT count(*) FROM rounds r WHERE r.event_id = e.id) AS rounds,
                      (SELECT count(*) FROM bids b JOIN art a ON a.id = b.art_id WHERE a.event_id = e.id) AS bids
               FROM events e JOIN cities c ON c.id = e.city_id WHERE e.eid = $1""",
            LIVE_EID,
        )
        per_round = await connection.fetch(
            "SELECT round, count(*) AS votes, count(DISTINCT vote_factor) AS factors FROM votes "
            "WHERE eid = $1 GROUP BY round ORDER BY round",
            LIVE_EID,
        )
        past = await connection.fetchval("SELECT count(*) FROM events WHERE eid BETWEEN 'AB5100' AND 'AB5114'")
        past_votes = await connection.fetchval("SELECT count(*) FROM votes WHERE eid BETWEEN 'AB5100' AND 'AB5114'")
        toronto = await connection.fetchval("SELECT count(*) FROM cities WHERE name = 'Toronto'")
        all_visible = await connection.fetchval("SELECT relallvisible = relpages FROM pg_class WHERE relname = 'votes'")
    finally:
        await connection.close()
    assert dict(live) == {
        "current_round": ROUNDS,
        "city": "Toronto",
        "currency": "CAD",
        "works": ROUNDS * LIVE_EASELS,
        "artists": ROUNDS * LIVE_EASELS,
        "rounds": ROUNDS,
        "bids": 432,
    }
    assert [(r["round"], r["votes"]) for r in per_round] == [(1, 360), (2, 340), (3, 300)]
    assert all(r["factors"] > 1 for r in per_round)  # weighted: vote_factor varies
    assert (past, past_votes) == (15, 15 * sum(PAST_VOTES_PER_ROUND))
    assert toronto == 1  # shared with the base demo, not duplicated
    assert all_visible  # vacuumed as production is: index-only scans are possible


async def test_live_voting_status_answers_for_the_big_event(scale_database: str):
    connection = await asyncpg.connect(scale_database)
    try:
        expected = {
            (r["round"], r["easel"]): (r["raw"], r["weighted"])
            for r in await connection.fetch(
                "SELECT round, easel, count(*) AS raw, sum(vote_factor) AS weighted FROM votes "
                "WHERE eid = $1 GROUP BY round, easel",
                LIVE_EID,
            )
        }
    finally:
        await connection.close()
    async with run_gateway(scale_database) as gateway, gateway.client() as client:
        result = await client.call_tool("get_live_voting_status", {"eid": LIVE_EID.lower()})
    assert not result.is_error
    answer = result.structured_content
    assert answer["eid"] == LIVE_EID and answer["current_round"] == ROUNDS
    assert [r["round_number"] for r in answer["rounds"]] == [1, 2, 3]
    assert [r["state"] for r in answer["rounds"]] == ["finished", "finished", "open"]
    found = {
        (r["round_number"], e["easel"]): (e["raw_votes"], Decimal(str(e["weighted_total"])))
        for r in answer["rounds"]
        for e in r["easels"]
    }
    assert len(found) == ROUNDS * LIVE_EASELS
    assert found == {key: (raw, Decimal(weighted)) for key, (raw, weighted) in expected.items()}
    for round_ in answer["rounds"]:
        best = max(e["weighted_total"] for e in round_["easels"])
        assert round_["leader"]["weighted_total"] == best
        assert round_["leader"]["art_code"].startswith(f"{LIVE_EID}-{round_['round_number']}-")
