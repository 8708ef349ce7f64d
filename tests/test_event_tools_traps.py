"""The production traps the event tools must not fall into, each on its own copy of the demo data changed the way
production's data is (DATA-MODEL.md, "Traps the other bot fell into"); and the `--scale` rows of their tables."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from mcp_server.repository.demo_data import demo_id
from mcp_server.repository.demo_scale import LIVE_EID, ScalePlan, build_scale_rows, load_scale_data
from mcp_server.repository.demo_scale_event_ops import PAST_CHECK_INS, add_event_operations_at_scale
from tests.support.gateway import RunningGateway, run_gateway
from tests.support.postgres import PostgresForTests

SMALL = 0.05
EVENT_TABLES = ("round_contestants", "artist_invitations", "artist_confirmations", "artist_applications")


@asynccontextmanager
async def gateway_after(postgres: PostgresForTests, label: str, *statements: str) -> AsyncIterator[RunningGateway]:
    """A gateway on a fresh copy of the demo data after `statements` ran on it."""
    database = await postgres.create_demo_database(label)
    connection = await asyncpg.connect(database)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()
    async with run_gateway(database) as gateway:
        yield gateway


async def answer(gateway: RunningGateway, tool: str, arguments: dict[str, Any]) -> Any:
    async with gateway.client() as client:
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return result.structured_content


async def test_a_paid_work_without_a_final_price_is_valued_at_its_current_bid(postgres: PostgresForTests):
    unpriced = "UPDATE art SET final_price = NULL, current_bid = 640 WHERE art_code = 'AB4002-2-3'"
    async with gateway_after(postgres, "null_price", unpriced) as gateway:
        summary = await answer(gateway, "get_event_summary", {"eid": "AB4002"})
        history = await answer(gateway, "get_bid_history", {"eid": "AB4002", "art_code": "AB4002-2-3"})
    [sales] = summary["total"]["sales"]
    assert (sales["works_sold"], sales["sales_total"], sales["artists_share"]) == (10, "4590.00", "2295.00")
    assert (history["artworks"][0]["sold"], history["artworks"][0]["sale_price"]) == (True, "640.00")


async def test_whether_a_work_sold_is_decided_by_its_status_not_by_a_price(postgres: PostgresForTests):
    async with gateway_after(
        postgres,
        "sold_by_status",
        "UPDATE art SET status = 'closed' WHERE art_code = 'AB4002-1-4'",  # keeps its final price of 250
        "UPDATE art SET status = 'sold' WHERE art_code = 'AB4001-1-3'",  # no final price, current bid 425
    ) as gateway:
        finished = await answer(gateway, "get_event_summary", {"eid": "AB4002"})
        live = await answer(gateway, "get_event_summary", {"eid": "AB4001"})
    assert finished["total"]["artworks_by_status"] == {"closed": 1, "paid": 9}
    assert (finished["total"]["sales"][0]["works_sold"], finished["total"]["sales"][0]["sales_total"]) == (9, "4300.00")
    assert [(s["works_sold"], s["sales_total"], s["top_sale"]["art_code"]) for s in live["total"]["sales"]] == [
        (1, "425.00", "AB4001-1-3")
    ]


async def test_sales_in_two_currencies_are_listed_apart_and_never_added(postgres: PostgresForTests):
    in_dollars = (
        "INSERT INTO bids (art_id, amount, currency_code, created_at) "
        "SELECT id, 300, 'USD', closing_time FROM art WHERE art_code = 'AB4002-1-1'"
    )
    async with gateway_after(postgres, "two_currencies", in_dollars) as gateway:
        summary = await answer(gateway, "get_event_summary", {"eid": "AB4002", "group_by": "round"})
        history = await answer(gateway, "get_bid_history", {"eid": "AB4002", "art_code": "AB4002-1-1"})
    lines = [(s["currency"], s["works_sold"], s["sales_total"], s["artists_share"]) for s in summary["total"]["sales"]]
    assert lines == [("CAD", 9, "4250.00", "2125.00"), ("USD", 1, "300.00", "150.00")]
    first_round = summary["groups"][0]["sales"]
    assert [(s["currency"], s["sales_total"]) for s in first_round] == [("CAD", "1200.00"), ("USD", "300.00")]
    work = history["artworks"][0]
    assert (work["currency"], work["bids"][0]["currency"], work["bids"][0]["bidder"]) == (
        "USD",
        "USD",
        "anonymous bidder",
    )


async def test_a_name_with_a_missing_part_keeps_the_other_part(postgres: PostgresForTests):
    ava = demo_id("artist", "N3")
    async with gateway_after(
        postgres,
        "name_parts",
        "UPDATE people SET last_name = NULL WHERE first_name = 'Voter47'",
        "UPDATE people SET first_name = NULL WHERE first_name = 'Voter36'",
        f"UPDATE artist_profiles SET name = '' WHERE id = '{ava}'",
        f"UPDATE people SET last_name = NULL WHERE id = (SELECT person_id FROM artist_profiles WHERE id = '{ava}')",
    ) as gateway:
        history = await answer(gateway, "get_bid_history", {"eid": "AB4001", "art_code": "AB4001-1-3"})
        roster = await answer(gateway, "get_event_roster", {"eid": "AB4004"})
    bidders = [b["bidder"] for b in history["artworks"][0]["bids"]]
    assert bidders == ["Voter3 D.", "Voter14 D.", "Voter25 D.", "D.", "Voter47"]
    assert history["artworks"][0]["top_bidder"] == "Voter47"
    assert [a["artist_name"] for a in roster["artists"] if a["stage"] == "accepted"] == ["Ava"]


async def test_a_merged_duplicate_profile_counts_as_the_artist_it_was_merged_into(postgres: PostgresForTests):
    ava, old_ava = demo_id("artist", "N3"), demo_id("artist", "N3-old")
    async with gateway_after(
        postgres,
        "merged_profile",
        f"INSERT INTO artist_profiles (id, name, superseded_by) VALUES ('{old_ava}', 'Ava G.', '{ava}')",
        f"UPDATE art SET artist_id = '{old_ava}' WHERE art_code = 'AB4004-1-3'",
        f"INSERT INTO artist_confirmations (event_eid, artist_profile_id, confirmation_status) "
        f"VALUES ('AB4004', '{old_ava}', 'confirmed')",
    ) as gateway:
        roster = await answer(gateway, "get_event_roster", {"eid": "AB4004"})
        readiness = await answer(gateway, "get_event_readiness", {"eid": "AB4004"})
        summary = await answer(gateway, "get_event_summary", {"eid": "AB4004", "group_by": "artist"})
    [ava_line] = [a for a in roster["artists"] if a["artist_profile_id"] == str(ava)]
    assert (roster["total"], ava_line["artist_name"], ava_line["stage"]) == (8, "Ava Goldberg", "confirmed")
    assert [e["art_code"] for e in ava_line["easels"]] == ["AB4004-1-3"]
    artists = {c["check"]: c for c in readiness["checks"]}["artists_confirmed"]
    assert artists["result"] == "pass" and artists["detail"].startswith("4 artists confirmed")
    assert sorted(g["artist_name"] for g in summary["groups"]) == [
        "Ava Goldberg",
        "Jasmine Carter",
        "Malik Johnson",
        "Tomás Rivera",
    ]


async def test_times_are_given_in_the_events_own_timezone(demo_gateway: RunningGateway):
    connection = await asyncpg.connect(demo_gateway.database_url)
    try:
        first_vote = await connection.fetchval("SELECT min(created_at) FROM votes WHERE eid = 'AB4003'")
        first_scan = await connection.fetchval(
            "SELECT min(q.scan_timestamp) FROM people_qr_scans q JOIN events e ON e.id = q.event_id "
            "WHERE e.eid = 'AB4001'"
        )
    finally:
        await connection.close()
    votes = await answer(demo_gateway, "get_vote_breakdown", {"eid": "AB4003"})
    summary = await answer(demo_gateway, "get_event_summary", {"eid": "AB4001"})

    def local(moment: datetime, zone: str) -> str:
        return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="minutes")

    assert (votes["timezone"], votes["first_vote_at"]) == ("Australia/Sydney", local(first_vote, "Australia/Sydney"))
    assert votes["first_vote_at"].endswith(("+10:00", "+11:00"))
    assert summary["door_check_ins"]["first_at"] == local(first_scan, "America/Toronto")
    assert votes["as_of"].endswith("Z")


async def test_counts_are_not_capped_by_the_rows_listed(postgres: PostgresForTests):
    async with gateway_after(
        postgres,
        "uncapped",
        # 210 more applicants for AB4004 than the roster lists (200)
        "INSERT INTO artist_profiles (id, name) SELECT md5('applicant' || n)::uuid, 'Applicant ' || n "
        "FROM generate_series(1, 210) n",
        "INSERT INTO artist_applications (event_eid, artist_profile_id) "
        "SELECT 'AB4004', md5('applicant' || n)::uuid FROM generate_series(1, 210) n",
        # 30 bids on a work without any: more than the 25 latest listed per work for the whole event
        "INSERT INTO bids (art_id, amount, currency_code, created_at) SELECT a.id, 100 + n, 'CAD', "
        "now() - (30 - n) * interval '1 minute' FROM art a, generate_series(1, 30) n WHERE a.art_code = 'AB4001-1-4'",
        # a vote two days later than the others: past the day of 5-minute windows listed
        "INSERT INTO votes (event_id, eid, round, easel, vote_factor, created_at) "
        "SELECT id, eid, 1, 1, 1, now() + interval '2 days' FROM events WHERE eid = 'AB4001'",
    ) as gateway:
        roster = await answer(gateway, "get_event_roster", {"eid": "AB4004"})
        every_work = await answer(gateway, "get_bid_history", {"eid": "AB4001"})
        one_work = await answer(gateway, "get_bid_history", {"eid": "AB4001", "art_code": "AB4001-1-4"})
        votes = await answer(gateway, "get_vote_breakdown", {"eid": "AB4001"})
        summary = await answer(gateway, "get_event_summary", {"eid": "AB4001"})
    assert (roster["total"], roster["truncated"], len(roster["artists"])) == (218, True, 200)
    assert roster["by_stage"]["applied"] == 212 and roster["by_stage"]["confirmed"] == 3
    listed = next(w for w in every_work["artworks"] if w["art_code"] == "AB4001-1-4")
    assert (listed["bid_count"], len(listed["bids"]), listed["bids_truncated"]) == (30, 25, True)
    assert listed["bids"][-1]["amount"] == "130.00"  # the latest are the ones listed
    assert (every_work["total_bids"], summary["total"]["bids"]) == (47, 47)
    assert (len(one_work["artworks"][0]["bids"]), one_work["artworks"][0]["bids_truncated"]) == (30, False)
    assert (votes["votes"], votes["windows_truncated"]) == (140, True)
    assert sum(w["votes"] for w in votes["per_five_minutes"]) == 139  # the late vote is counted, not listed


async def test_readiness_fails_a_hidden_unfinished_event_and_says_why(postgres: PostgresForTests):
    async with gateway_after(
        postgres,
        "not_ready",
        "UPDATE events SET enabled = false, show_in_app = false, venue_id = NULL, stripe_account_region = NULL, "
        "timezone_icann = 'Mars/Olympus', eventbrite_id = NULL WHERE eid = 'AB4004'",
        "DELETE FROM artist_confirmations WHERE event_eid = 'AB4004'",
    ) as gateway:
        readiness = await answer(gateway, "get_event_readiness", {"eid": "AB4004"})
    checks = {c["check"]: (c["result"], c["detail"]) for c in readiness["checks"]}
    assert (readiness["ready"], readiness["overall"], readiness["failures"]) == (False, "fail", 5)
    assert checks["visibility"] == (
        "fail",
        "Not visible: it is disabled (enabled is false), which hides it everywhere; "
        "show_in_app is false, so the app does not list it.",
    )
    assert checks["timezone"] == ("fail", "'Mars/Olympus' is not a known timezone; times are shown in UTC.")
    assert checks["venue"] == ("fail", "No venue is set.")
    assert checks["stripe_region"][0] == "fail" and checks["artists_confirmed"][0] == "fail"
    assert checks["eventbrite"][0] == "warn"  # NULL reads as "not linked", like the empty string of AB4003
    assert readiness["starts_at"].endswith("+00:00")


def _counts(scale: float) -> dict[str, int]:
    rows = build_scale_rows(scale)
    add_event_operations_at_scale(rows, LIVE_EID)
    return {table: len(rows.rows.get(table, [])) for table in (*EVENT_TABLES, "people_qr_scans", "art")}


def test_scale_data_grows_the_event_tables_with_the_scale_factor():
    small, double = _counts(SMALL), _counts(2 * SMALL)
    for counts, plan in ((small, ScalePlan.of(SMALL)), (double, ScalePlan.of(2 * SMALL))):
        assert counts["round_contestants"] == counts["art"] == 36 + 12 * plan.past_events
        assert counts["people_qr_scans"] == plan.voters + PAST_CHECK_INS * plan.past_events
    assert double["artist_confirmations"] > small["artist_confirmations"] > 0
    assert double["people_qr_scans"] - small["people_qr_scans"] >= PAST_CHECK_INS * 15


async def test_scale_data_loads_the_event_tables_and_the_tools_answer_for_the_big_event(postgres: PostgresForTests):
    database = await postgres.create_demo_database("event_scale")
    connection = await asyncpg.connect(database)
    try:
        added = await load_scale_data(connection, SMALL, postgres.anchor)
        linked = await connection.fetchval("SELECT count(*) FROM events WHERE eid LIKE 'AB5%' AND eventbrite_id <> ''")
    finally:
        await connection.close()
    plan = ScalePlan.of(SMALL)
    assert added["round_contestants"] == 36 + 12 * plan.past_events and added["people_qr_scans"] > plan.voters
    assert 0 < linked < 1 + plan.past_events
    async with run_gateway(database) as gateway:
        summary = await answer(gateway, "get_event_summary", {"eid": LIVE_EID})
        readiness = await answer(gateway, "get_event_readiness", {"eid": LIVE_EID})
    assert summary["door_check_ins"]["people"] == plan.voters and summary["total"]["votes"] == plan.live_votes
    assert {c["check"]: c["result"] for c in readiness["checks"]}["artists_confirmed"] == "pass"
