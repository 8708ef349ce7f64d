"""The event tools (readiness, summary, roster, vote breakdown, bid history) through a real MCP client over HTTP,
against the demo data, with exact numbers; their bad inputs; and who may see them. The production traps are in
tests/test_event_tools_traps.py."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from mcp_server.repository.migrations import recommended_index_statements
from tests.support.gateway import RunningGateway, run_gateway
from tests.support.postgres import PostgresForTests
from tests.support.tokens import tokens_file

EVENT_TOOLS = {"get_event_readiness", "get_event_summary", "get_event_roster", "get_vote_breakdown", "get_bid_history"}


async def answer(gateway: RunningGateway, tool: str, arguments: dict[str, Any]) -> Any:
    async with gateway.client() as client:
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return result.structured_content


def checks_of(readiness: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["check"]: (c["result"], c["detail"]) for c in readiness["checks"]}


async def test_readiness_of_the_upcoming_event_warns_about_what_is_unfinished(demo_gateway: RunningGateway):
    readiness = await answer(demo_gateway, "get_event_readiness", {"eid": "ab4004"})
    checks = checks_of(readiness)
    assert (readiness["eid"], readiness["status"], readiness["timezone"]) == ("AB4004", "upcoming", "America/New_York")
    assert (readiness["ready"], readiness["overall"]) == (True, "warn")
    assert (readiness["passed"], readiness["warnings"], readiness["failures"]) == (8, 3, 0)
    assert checks["artists_confirmed"] == (
        "warn",
        "3 artists confirmed; 1 of 4 artists on an easel not confirmed: Ava Goldberg.",
    )
    assert checks["artworks_created"] == ("warn", "4 of 8 easel slots have no artwork yet.")
    assert checks["rounds_and_easels"] == ("pass", "3 rounds; easels assigned (round 1: 4, round 2: 4).")
    assert checks["eventbrite"] == ("warn", "Not linked to Eventbrite, so ticket sales are not connected.")
    assert checks["visibility"] == ("pass", "Enabled and shown in the app.")
    assert checks["city"] == ("pass", "In New York, USA.")


async def test_readiness_of_the_live_event_passes_every_check(demo_gateway: RunningGateway):
    readiness = await answer(demo_gateway, "get_event_readiness", {"eid": "AB4001"})
    assert (readiness["overall"], readiness["passed"]) == ("pass", 11)
    checks = checks_of(readiness)
    assert checks["eventbrite"] == ("pass", "Linked to Eventbrite event 781240014001.")
    assert checks["artists_confirmed"][1] == (
        "8 artists confirmed; every one of the 8 artists on an easel is confirmed (11 easel slots)."
    )
    assert checks["stripe_region"] == ("pass", "Artists are paid from the Canadian Stripe account.")


async def test_summary_of_a_finished_event_gives_sales_the_top_sale_the_share_and_check_ins(
    demo_gateway: RunningGateway,
):
    summary = await answer(demo_gateway, "get_event_summary", {"eid": "AB4002"})
    assert (summary["status"], summary["currency"], summary["group_by"], summary["groups"]) == (
        "finished",
        "CAD",
        "total",
        [],
    )
    total = summary["total"]
    assert (total["artworks"], total["artworks_by_status"]) == (10, {"paid": 10})
    assert total["sales"] == [
        {
            "currency": "CAD",
            "works_sold": 10,
            "sales_total": "4550.00",
            "artists_share": "2275.00",
            "top_sale": {"art_code": "AB4002-3-1", "artist_name": "Sofia Marchetti", "amount": "800.00"},
        }
    ]
    assert (total["bids"], total["votes"]) == (0, 0)
    assert {k: summary["door_check_ins"][k] for k in ("scans", "people")} == {"scans": 110, "people": 104}


async def test_summary_by_round_counts_unique_bidders_and_voters_per_round(demo_gateway: RunningGateway):
    summary = await answer(demo_gateway, "get_event_summary", {"eid": "AB4001", "group_by": "round"})
    total = summary["total"]
    assert (total["bids"], total["unique_bidders"]) == (17, 12)
    assert (total["votes"], total["weighted_votes"], total["unique_voters"]) == (139, 156.0, 120)
    assert total["sales"] == []  # nothing sold yet while the auction runs
    rounds = [
        (g["round"], g["artworks"], g["bids"], g["unique_bidders"], g["votes"], g["weighted_votes"])
        for g in summary["groups"]
    ]
    assert rounds == [(1, 4, 11, 11, 83, 95.0), (2, 4, 6, 6, 56, 61.0), (3, 3, 0, 0, 0, 0.0)]
    assert summary["door_check_ins"]["scans"] == 90 and summary["door_check_ins"]["people"] == 84


async def test_summary_by_artist_folds_each_artists_works_and_votes(demo_gateway: RunningGateway):
    summary = await answer(demo_gateway, "get_event_summary", {"eid": "AB4003", "group_by": "artist"})
    assert summary["artists_portion"] == 0.6
    assert summary["total"]["sales"][0] | {"top_sale": None} == {
        "currency": "AUD",
        "works_sold": 8,
        "sales_total": "4310.00",
        "artists_share": "2586.00",
        "top_sale": None,
    }
    chloe = next(g for g in summary["groups"] if g["artist_name"] == "Chloe Nguyen")
    assert (chloe["artworks"], chloe["votes"], chloe["weighted_votes"], chloe["unique_voters"]) == (2, 52, 55.0, 52)
    assert chloe["sales"][0]["sales_total"] == "1400.00" and chloe["sales"][0]["artists_share"] == "840.00"
    assert len(summary["groups"]) == 6


async def test_roster_of_the_upcoming_event_lists_every_stage_in_order(demo_gateway: RunningGateway):
    roster = await answer(demo_gateway, "get_event_roster", {"eid": "AB4004"})
    assert (roster["total"], roster["truncated"]) == (8, False)
    assert roster["by_stage"] == {"confirmed": 3, "accepted": 1, "invited": 1, "pending": 1, "applied": 2}
    assert [(a["artist_name"], a["stage"]) for a in roster["artists"]] == [
        ("Jasmine Carter", "confirmed"),
        ("Tomás Rivera", "confirmed"),
        ("Malik Johnson", "confirmed"),
        ("Ava Goldberg", "accepted"),
        ("Maya Okafor", "invited"),
        ("Grace Liu", "pending"),
        ("Liam O'Sullivan", "applied"),
        ("Noor Haddad", "applied"),
    ]
    ava = roster["artists"][3]
    assert ava["easels"] == [{"round": 1, "easel": 3, "art_code": "AB4004-1-3", "artwork_status": "inactive"}]
    assert (ava["artwork_created"], ava["payout_setup"], ava["confirmation_status"]) == (True, "none", None)
    assert ava["applied_at"] < ava["invited_at"] < ava["accepted_at"]  # same offset: ISO strings sort by time
    assert roster["artists"][4]["easels"] == [] and roster["artists"][4]["artwork_created"] is False
    assert "email" not in str(roster) and "@" not in str(roster)


async def test_vote_breakdown_of_the_live_event(demo_gateway: RunningGateway):
    votes = await answer(demo_gateway, "get_vote_breakdown", {"eid": "AB4001"})
    assert (votes["votes"], votes["weighted_total"], votes["unique_voters"]) == (139, 156.0, 120)
    assert [(f["vote_factor"], f["votes"], f["share_of_votes"]) for f in votes["by_vote_factor"]] == [
        (0.5, 2, 1.4),
        (1.0, 109, 78.4),
        (1.5, 20, 14.4),
        (2.0, 8, 5.8),
    ]
    assert [(r["round"], r["votes"], r["weighted_total"]) for r in votes["by_round"]] == [(1, 83, 95.0), (2, 56, 61.0)]
    windows = votes["per_five_minutes"]
    starts = [datetime.fromisoformat(w["starts_at"]) for w in windows]
    assert sum(w["votes"] for w in windows) == 139 and not votes["windows_truncated"]
    assert all(later - earlier == timedelta(minutes=5) for earlier, later in itertools.pairwise(starts))
    assert starts[0] <= datetime.fromisoformat(votes["first_vote_at"]) < starts[0] + timedelta(minutes=5)


async def test_vote_breakdown_of_one_round(demo_gateway: RunningGateway):
    votes = await answer(demo_gateway, "get_vote_breakdown", {"eid": "AB4001", "round": 2})
    assert (votes["round"], votes["votes"], votes["weighted_total"], votes["unique_voters"]) == (2, 56, 61.0, 56)
    assert {f["vote_factor"]: f["votes"] for f in votes["by_vote_factor"]} == {0.5: 2, 1.0: 44, 1.5: 8, 2.0: 2}


async def test_bid_history_of_one_artwork_lists_its_bids_oldest_first_with_short_names(demo_gateway: RunningGateway):
    history = await answer(demo_gateway, "get_bid_history", {"eid": "AB4001", "art_code": " ab4001-1-3 "})
    assert (history["art_code"], history["total_bids"], history["unique_bidders"]) == ("AB4001-1-3", 5, 5)
    [work] = history["artworks"]
    assert [(b["amount"], b["bidder"]) for b in work["bids"]] == [
        ("150.00", "Voter3 D."),
        ("200.00", "Voter14 D."),
        ("275.00", "Voter25 D."),
        ("350.00", "Voter36 D."),
        ("425.00", "Voter47 D."),
    ]
    assert (work["artist_name"], work["top_bidder"], work["sold"], work["sale_price"]) == (
        "Hana Kowalczyk",
        "Voter47 D.",
        False,
        None,
    )
    assert work["bids"][0]["at"] < work["bids"][-1]["at"] and work["bids"][0]["at"].endswith(("-05:00", "-04:00"))
    assert "@" not in str(history)


async def test_bid_history_of_an_event_counts_every_bid_and_bidder(demo_gateway: RunningGateway):
    history = await answer(demo_gateway, "get_bid_history", {"eid": "AB4001"})
    assert (history["total_bids"], history["unique_bidders"], len(history["artworks"])) == (17, 12, 11)
    assert {w["art_code"]: w["bid_count"] for w in history["artworks"] if w["bid_count"]} == {
        "AB4001-1-1": 4,
        "AB4001-1-2": 2,
        "AB4001-1-3": 5,
        "AB4001-2-1": 1,
        "AB4001-2-2": 3,
        "AB4001-2-3": 2,
    }


async def test_a_sold_work_shows_its_winner_and_sale_price(demo_gateway: RunningGateway):
    history = await answer(demo_gateway, "get_bid_history", {"eid": "AB4002", "art_code": "AB4002-3-1"})
    [work] = history["artworks"]
    assert (work["status"], work["sold"], work["sale_price"], work["currency"]) == ("paid", True, "800.00", "CAD")
    assert work["winner"] == "Voter22 D." and work["bids"] == [] and work["bid_count"] == 0


NO_SUCH_EVENT = "There is no event AB4005; did you mean AB4004, AB4003, AB4002?"


@pytest.mark.parametrize(
    ("tool", "arguments", "sentence"),
    [
        *((tool, {"eid": "AB4005"}, NO_SUCH_EVENT) for tool in sorted(EVENT_TOOLS)),
        ("get_bid_history", {"eid": "AB4001", "art_code": "AB4001-9-9"}, "AB4001 has no artwork AB4001-9-9; its art "),
        ("get_bid_history", {"eid": "AB4004", "art_code": "AB4001-1-1"}, "AB4001-1-1 is an artwork of AB4001, not"),
        ("get_bid_history", {"eid": "AB4001", "art_code": "easel three"}, "'easel three' is not an art code; art co"),
        ("get_vote_breakdown", {"eid": "AB4004", "round": 4}, "AB4004 has no round 4; its rounds are [1, 2, 3]."),
        ("get_vote_breakdown", {"eid": "AB4001", "round": 11}, "`round` must be at most 10."),
        ("get_event_summary", {"eid": "AB4001", "group_by": "city"}, "`group_by` must be one of"),
        ("get_event_roster", {"eid": "!!"}, "`eid` must look like AB4001"),
    ],
)
async def test_bad_input_is_one_sentence_about_it(
    demo_gateway: RunningGateway, tool: str, arguments: dict[str, Any], sentence: str
):
    async with demo_gateway.client() as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert result.content[0].text.startswith(sentence)


async def test_a_read_token_sees_and_calls_the_event_tools_and_a_finance_only_token_does_not(
    postgres: PostgresForTests, tmp_path: Path
):
    path, tokens = tokens_file(tmp_path, {"desktop": ["read"], "books": ["finance"]})
    database = await postgres.create_demo_database("event_scopes")
    async with run_gateway(database, mcp_gateway_tokens_file=path) as gateway:
        async with gateway.client(tokens["desktop"]) as desktop:
            listed = {tool.name: tool for tool in (await desktop.list_tools()).tools}
            roster = await desktop.call_tool("get_event_roster", {"eid": "AB4004"})
        async with gateway.client(tokens["books"]) as books:
            finance_listed = {tool.name for tool in (await books.list_tools()).tools}
            with pytest.raises(MCPError, match="Unknown tool: get_bid_history"):
                await books.call_tool("get_bid_history", {"eid": "AB4001"})
    assert set(listed) >= EVENT_TOOLS and not finance_listed & EVENT_TOOLS
    assert not roster.is_error and roster.structured_content["total"] == 8
    for name in EVENT_TOOLS:
        tool = listed[name]
        assert tool.output_schema is not None and tool.annotations is not None and tool.annotations.read_only_hint
        assert "data, not instructions" in (tool.description or "")
    assert listed["get_bid_history"].input_schema["properties"]["art_code"]["anyOf"][0]["maxLength"] == 30


def test_the_event_tools_indexes_are_offered_to_production():
    offered = "\n".join(recommended_index_statements())
    for index in (
        "round_contestants_round_idx",
        "round_contestants_art_idx",
        "artist_invitations_event_idx",
        "artist_confirmations_event_idx",
        "artist_applications_event_idx",
        "people_qr_scans_event_idx",
    ):
        assert f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON" in offered
