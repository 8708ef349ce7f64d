"""find_artists and find_people through a real MCP client over HTTP, against the demo data, with exact numbers;
contacts matched only whole and masked everywhere; the people and finance tools hidden from a read-only token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from mcp_server.repository.demo_data import demo_id
from tests.support.gateway import RunningGateway, run_gateway
from tests.support.postgres import PostgresForTests
from tests.support.tokens import tokens_file

PEOPLE_TOOLS = {"find_artists", "find_people"}
FINANCE_TOOLS = {
    "get_artist_history",
    "get_payment_ledger",
    "get_payout_readiness",
    "get_payment_health",
    "get_exchange_rates",
}
MAYA = str(demo_id("artist", "A1"))
MAYA_OLD_PROFILE = str(demo_id("artist", "A1-old"))
# Every contact of Maya Okafor and of Rowan in the demo data, as stored: none may appear in an answer.
RAW_CONTACTS = (
    "mayaokafor@",
    "maya.okafor.art@",
    "maya.studio@",
    "rowan@",
    "+1 514 555 4218",
    "+1 647 555 0142",
    "+1 416 555 0199",
    "+1 416 555 7788",
)


async def call(gateway: RunningGateway, tool: str, arguments: dict[str, Any]) -> Any:
    async with gateway.client() as client:
        return await client.call_tool(tool, arguments)


async def answer(gateway: RunningGateway, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await call(gateway, tool, arguments)
    assert not result.is_error, result.content[0].text
    return result.structured_content


def assert_no_raw_contact(result: Any) -> None:
    for text in (result.content[0].text, json.dumps(result.structured_content, ensure_ascii=False)):
        for contact in RAW_CONTACTS:
            assert contact not in text


async def test_people_and_finance_tools_are_listed_read_only_with_output_schemas(demo_gateway: RunningGateway):
    async with demo_gateway.client() as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    for name in PEOPLE_TOOLS | FINANCE_TOOLS:
        tool = tools[name]
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
        assert "data, not instructions" in (tool.description or "")
    assert tools["find_artists"].input_schema["properties"]["query"]["maxLength"] == 100


async def test_an_artist_found_by_name_is_their_canonical_profile_with_the_merged_duplicate(
    demo_gateway: RunningGateway,
):
    found = await answer(demo_gateway, "find_artists", {"query": "okafor"})
    assert (found["query_kind"], found["total"], found["truncated"]) == ("name", 1, False)
    maya = found["artists"][0]
    assert maya["artist_profile_id"] == MAYA
    assert (maya["name"], maya["artist_number"], maya["country"]) == ("Maya Okafor", 310001, "Canada")
    assert (maya["email_hint"], maya["phone_hint"]) == ("m***@example.com", "***4218")
    assert maya["bio"] == "Toronto painter of crowded streets. Commissions: m***@example.com or ***0199."
    assert (maya["event_count"], maya["last_eid"], maya["matched_merged_profile"]) == (2, "AB4002", False)
    [old] = maya["merged_profiles"]
    assert old["artist_profile_id"] == MAYA_OLD_PROFILE
    assert (old["artist_number"], old["email_hint"], old["phone_hint"]) == (309876, "m***@example.com", "***0142")


@pytest.mark.parametrize(
    ("query", "kind", "via_merged"),
    [
        ("310001", "artist_number", False),
        ("#309876", "artist_number", True),
        ("  MayaOkafor@Example.com ", "email", False),
        ("maya.okafor.art@example.com", "email", True),
        ("+1 (647) 555-0142", "phone", True),
        ("15145554218", "phone", False),
        (MAYA_OLD_PROFILE, "profile_id", True),
    ],
)
async def test_an_artist_is_found_by_number_or_by_a_whole_contact_of_any_of_their_profiles(
    demo_gateway: RunningGateway, query: str, kind: str, via_merged: bool
):
    found = await answer(demo_gateway, "find_artists", {"query": query})
    assert (found["query_kind"], found["total"]) == (kind, 1)
    assert found["artists"][0]["artist_profile_id"] == MAYA
    assert found["artists"][0]["matched_merged_profile"] is via_merged


@pytest.mark.parametrize(
    ("tool", "query"),
    [
        ("find_artists", "okafor@example.com"),
        ("find_artists", "mayaokafor@example"),
        ("find_artists", "example.com"),
        ("find_artists", "555 4218"),
        ("find_artists", "5145554218"),  # the whole number without its country code
        ("find_artists", "4218"),
        ("find_people", "rowan@example"),
        ("find_people", "owan@example.org"),
        ("find_people", "555-7788"),
        ("find_people", "4165557788"),
        ("find_people", "example.org"),
    ],
)
async def test_a_fragment_of_an_email_or_phone_finds_nobody(demo_gateway: RunningGateway, tool: str, query: str):
    found = await answer(demo_gateway, tool, {"query": query})
    assert found["total"] == 0
    assert found.get("artists", found.get("people")) == []


async def test_two_artists_with_one_name_are_both_listed(demo_gateway: RunningGateway):
    found = await answer(demo_gateway, "find_artists", {"query": "daniel kwan"})
    assert [(a["artist_number"], a["country"], a["event_count"]) for a in found["artists"]] == [
        (310004, "Canada", 2),
        (310027, "USA", 0),
    ]


async def test_a_person_with_no_last_name_is_found_and_counted(demo_gateway: RunningGateway):
    found = await answer(demo_gateway, "find_people", {"query": "rowan"})
    assert (found["query_kind"], found["total"]) == ("name", 1)
    assert found["people"] == [
        {
            "name": "Rowan",
            "email_hint": "r***@example.org",
            "phone_hint": "***7788",
            "votes": 2,
            "bids": 3,
            "wins": 1,
            "check_ins": 0,
            "artist_name": None,
            "artist_number": None,
        }
    ]


@pytest.mark.parametrize(("query", "kind"), [("ROWAN@example.org", "email"), ("+1 416-555-7788", "phone")])
async def test_a_person_is_found_by_a_whole_email_or_phone(demo_gateway: RunningGateway, query: str, kind: str):
    found = await answer(demo_gateway, "find_people", {"query": query})
    assert found["query_kind"] == kind
    assert [p["name"] for p in found["people"]] == ["Rowan"]


async def test_a_person_who_paints_shows_their_artist_profile(demo_gateway: RunningGateway):
    found = await answer(demo_gateway, "find_people", {"query": "mayaokafor@example.com"})
    assert [(p["name"], p["artist_name"], p["artist_number"]) for p in found["people"]] == [
        ("Maya Okafor", "Maya Okafor", 310001)
    ]


async def test_people_are_counted_beyond_the_listed_limit(demo_gateway: RunningGateway):
    found = await answer(demo_gateway, "find_people", {"query": "voter1 ", "limit": 5})
    # Voter1, Voter10-19 and Voter100-119, each "VoterN Demo"
    assert (found["total"], found["truncated"], len(found["people"])) == (31, True, 5)


@pytest.mark.parametrize(
    ("tool", "query"),
    [("find_artists", "okafor"), ("find_artists", "#309876"), ("find_people", "rowan"), ("find_people", "okafor")],
)
async def test_contacts_are_masked_in_structured_and_text_content(demo_gateway: RunningGateway, tool: str, query: str):
    result = await call(demo_gateway, tool, {"query": query})
    assert not result.is_error
    assert_no_raw_contact(result)


@pytest.mark.parametrize(
    ("tool", "arguments", "sentence"),
    [
        ("find_artists", {"query": "a"}, "Give at least two letters of a name, an artist number, or a whole email"),
        ("find_people", {"query": " "}, "Give at least two letters of a name"),
        ("find_artists", {"query": ""}, "Give at least two letters of a name"),
        ("find_people", {"query": "x" * 101}, "`query` is too long: at most 100 characters."),
        ("find_people", {"query": "rowan\u0000"}, "`query` must not contain control characters."),
        ("find_artists", {"query": "maya", "limit": 51}, "`limit` must be at most 50."),
    ],
)
async def test_bad_lookups_are_one_clear_sentence(
    demo_gateway: RunningGateway, tool: str, arguments: dict[str, Any], sentence: str
):
    result = await call(demo_gateway, tool, arguments)
    assert result.is_error
    assert result.content[0].text.startswith(sentence)
    assert "\n" not in result.content[0].text


async def test_a_read_token_neither_lists_nor_calls_people_or_finance_tools(postgres: PostgresForTests, tmp_path: Path):
    path, tokens = tokens_file(tmp_path, {"desktop": ["read"], "producer": ["read", "people"]})
    database = await postgres.create_demo_database("people_scopes")
    async with run_gateway(database, mcp_gateway_tokens_file=path) as gateway:
        async with gateway.client(tokens["desktop"]) as desktop:
            read_only = {tool.name for tool in (await desktop.list_tools()).tools}
            for name, arguments in (("find_artists", {"query": "maya"}), ("get_payment_health", {"eid": "AB4002"})):
                with pytest.raises(MCPError, match=f"Unknown tool: {name}"):
                    await desktop.call_tool(name, arguments)
        async with gateway.client(tokens["producer"]) as producer:
            people = {tool.name for tool in (await producer.list_tools()).tools}
            found = await producer.call_tool("find_artists", {"query": "maya"})
            with pytest.raises(MCPError, match="Unknown tool: get_artist_history"):
                await producer.call_tool("get_artist_history", {"artist": "maya"})
    assert "get_event_details" in read_only and not read_only & (PEOPLE_TOOLS | FINANCE_TOOLS)
    assert people >= PEOPLE_TOOLS and not people & FINANCE_TOOLS
    assert not found.is_error and found.structured_content["total"] == 1
