"""The data behind the people and finance tools: the `--scale` rows grow with the scale and load, and
`migrate --recommended-indexes` builds the indexes their queries need on a database that lacks them."""

from __future__ import annotations

from collections import Counter

import asyncpg

from mcp_server.repository.demo_scale import LIVE_EID, build_scale_rows, load_scale_data
from mcp_server.repository.demo_scale_people_finance import add_people_and_finance_at_scale
from mcp_server.repository.migrations import recommended_index_statements
from mcp_server.repository.setup import build_recommended_indexes
from tests.support.gateway import run_gateway
from tests.support.postgres import PostgresForTests

OUR_INDEXES = {
    "people_email_lower_idx",
    "people_phone_digits_idx",
    "artist_profiles_email_lower_idx",
    "artist_profiles_phone_digits_idx",
    "artist_profiles_superseded_idx",
    "artist_profiles_entry_idx",
    "art_artist_idx",
    "artist_payments_event_meta_idx",
    "payment_setup_invitations_artist_idx",
    "artist_manual_payment_requests_events_idx",
}


def scale_counts(scale: float, postgres: PostgresForTests) -> Counter[str]:
    rows = build_scale_rows(scale, postgres.anchor)
    add_people_and_finance_at_scale(rows, LIVE_EID, postgres.anchor)
    merged = sum(1 for row in rows.rows["artist_profiles"] if row[6] is not None)
    return Counter(
        requests=len(rows.rows["artist_manual_payment_requests"]),
        invitations=len(rows.rows["payment_setup_invitations"]),
        merged=merged,
        numbered=sum(1 for row in rows.rows["artist_profiles"] if row[7] is not None),
    )


def test_scale_rows_grow_manual_requests_with_the_events_and_cover_every_artist(postgres: PostgresForTests):
    small, large = scale_counts(0.05, postgres), scale_counts(0.2, postgres)
    assert (small["requests"], large["requests"]) == (1, 6)  # one per ten past events: 15 and 60 of them
    assert small["merged"] == large["merged"] == 6  # one in forty of the 276 scale artists
    assert small["numbered"] == 276 + 6
    assert small["invitations"] > 0


async def test_scale_data_loads_and_the_tools_answer_for_it(postgres: PostgresForTests):
    database = await postgres.create_demo_database("people_scale")
    connection = await asyncpg.connect(database)
    try:
        added = await load_scale_data(connection, 0.05, postgres.anchor)
        payouts = await connection.fetchval("SELECT count(*) FROM artist_payments WHERE metadata->>'eid' = 'AB5109'")
    finally:
        await connection.close()
    assert added["artist_manual_payment_requests"] == 1 and added["payment_setup_invitations"] > 0
    async with run_gateway(database) as gateway, gateway.client() as client:
        first = await client.call_tool("find_artists", {"query": "400001"})
        health = await client.call_tool("get_payment_health", {"eid": "AB5109"})
        ledger = await client.call_tool("get_payment_ledger", {"eid": "AB5109"})
    assert first.structured_content["total"] == 1
    assert len(health.structured_content["manual_requests"]) == 1
    assert payouts > 0 and ledger.structured_content["total"] == payouts


async def test_recommended_indexes_include_the_people_and_finance_indexes_and_build_them(
    postgres: PostgresForTests,
):
    statements = recommended_index_statements()
    assert all(s.startswith("CREATE INDEX CONCURRENTLY IF NOT EXISTS ") for s in statements)
    assert {s.split()[6] for s in statements} >= OUR_INDEXES
    database = await postgres.create_demo_database("people_indexes")
    connection = await asyncpg.connect(database)
    try:
        for name in OUR_INDEXES:
            await connection.execute(f"DROP INDEX {name}")
        built = await build_recommended_indexes(database)
        present = {row["indexname"] for row in await connection.fetch("SELECT indexname FROM pg_indexes")}
    finally:
        await connection.close()
    assert present >= OUR_INDEXES
    assert len(built) == len(statements)
