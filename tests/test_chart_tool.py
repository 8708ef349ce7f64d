"""get_event_chart through the real MCP client over HTTP: a PNG a person can read, and the numbers it draws."""

from __future__ import annotations

import base64
import struct
from decimal import Decimal
from typing import Any

import pytest
from mcp_types import CallToolResult, ImageContent

from tests.support.gateway import RunningGateway, run_gateway
from tests.support.postgres import PostgresForTests

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def call(gateway: RunningGateway, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    async with gateway.client() as client:
        return await client.call_tool(tool, arguments)


def png_of(result: CallToolResult) -> bytes:
    images = [c for c in result.content if isinstance(c, ImageContent)]
    assert len(images) == 1 and images[0].mime_type == "image/png"
    return base64.b64decode(images[0].data)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


async def test_chart_tool_is_listed_with_its_output_schema_and_kinds(demo_gateway: RunningGateway) -> None:
    async with demo_gateway.client() as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    chart = tools["get_event_chart"]
    assert chart.output_schema is not None and "series" in chart.output_schema["properties"]
    assert chart.input_schema["properties"]["kind"]["enum"] == ["voting", "auction", "votes_over_time"]
    assert chart.annotations is not None and chart.annotations.read_only_hint is True


@pytest.mark.parametrize("kind", ["voting", "auction", "votes_over_time"])
async def test_each_kind_of_chart_is_a_readable_png_titled_with_the_event(
    demo_gateway: RunningGateway, kind: str
) -> None:
    result = await call(demo_gateway, "get_event_chart", {"eid": "ab4001", "kind": kind})
    assert not result.is_error
    png = png_of(result)
    assert png_size(png) == (1200, 675)
    assert 10_000 < len(png) < 400_000
    chart = result.structured_content
    assert chart is not None and chart["kind"] == kind and chart["eid"] == "AB4001"
    assert chart["title"].startswith("AB4001 · ") and chart["title"].endswith("(America/Toronto)")
    assert any(series["points"] for series in chart["series"])


async def test_voting_chart_draws_exactly_the_live_voting_numbers(demo_gateway: RunningGateway) -> None:
    chart = (await call(demo_gateway, "get_event_chart", {"eid": "AB4001", "kind": "voting"})).structured_content
    status = (await call(demo_gateway, "get_live_voting_status", {"eid": "AB4001"})).structured_content
    assert chart is not None and status is not None
    drawn = {(s["round"], p["label"]): Decimal(p["value"]) for s in chart["series"] for p in s["points"]}
    live = {
        (r["round_number"], f"E{e['easel']} {e['artist_name'] or '(no artist)'}"): Decimal(str(e["weighted_total"]))
        for r in status["rounds"]
        for e in r["easels"]
    }
    assert drawn == live
    assert sum(drawn.values()) > 0


async def test_one_round_of_voting_is_charted_alone(demo_gateway: RunningGateway) -> None:
    chart = (
        await call(demo_gateway, "get_event_chart", {"eid": "AB4001", "kind": "voting", "round": 1})
    ).structured_content
    assert chart is not None and [s["round"] for s in chart["series"]] == [1]


async def test_auction_chart_marks_sold_artworks_with_their_current_bids(demo_gateway: RunningGateway) -> None:
    chart = (await call(demo_gateway, "get_event_chart", {"eid": "AB4001", "kind": "auction"})).structured_content
    board = (await call(demo_gateway, "get_auction_status", {"eid": "AB4001"})).structured_content
    assert chart is not None and board is not None
    drawn = {p["label"]: (Decimal(p["value"]), p["marked"]) for s in chart["series"] for p in s["points"]}
    expected = {
        w["art_code"]: (Decimal(w["current_bid"]), w["status"] in {"sold", "paid"})
        for w in board["artworks"]
        if w["round"] is not None
    }
    assert drawn == expected
    assert chart["unit"] == "current bid (CAD)"


async def test_votes_over_time_counts_every_vote_of_the_breakdown(demo_gateway: RunningGateway) -> None:
    chart = (
        await call(demo_gateway, "get_event_chart", {"eid": "AB4001", "kind": "votes_over_time"})
    ).structured_content
    breakdown = (await call(demo_gateway, "get_vote_breakdown", {"eid": "AB4001"})).structured_content
    assert chart is not None and breakdown is not None
    values = [int(p["value"]) for p in chart["series"][0]["points"]]
    assert values == [w["votes"] for w in breakdown["per_five_minutes"]]


@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        ({"eid": "AB4001", "kind": "pie"}, "kind"),
        ({"eid": "AB9999", "kind": "voting"}, "AB9999"),
        ({"eid": "AB4001", "kind": "voting", "round": 7}, "no round 7"),
    ],
)
async def test_a_bad_kind_eid_or_round_is_an_error_result(
    demo_gateway: RunningGateway, arguments: dict[str, Any], sentence: str
) -> None:
    result = await call(demo_gateway, "get_event_chart", arguments)
    assert result.is_error
    assert not any(isinstance(c, ImageContent) for c in result.content)
    assert sentence in result.content[0].text  # type: ignore[union-attr]


async def test_identical_chart_calls_within_the_live_bound_share_one_drawing(postgres: PostgresForTests) -> None:
    async with run_gateway(await postgres.create_demo_database("charts_cached"), live_cache_seconds=60) as gateway:
        first, second = [await call(gateway, "get_event_chart", {"eid": "AB4001", "kind": "auction"}) for _ in "12"]
    assert first.structured_content is not None and second.structured_content is not None
    assert first.structured_content["as_of"] == second.structured_content["as_of"]
    assert first.structured_content["max_age_seconds"] == 60
    assert png_of(first) == png_of(second)
