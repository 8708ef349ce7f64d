"""get_gateway_activity through a real MCP client: calls made first, then counted from the audit, exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import pytest
from mcp.shared.exceptions import MCPError

from tests.support.gateway import RunningGateway, mcp_client, run_gateway
from tests.support.payments import call, pay_args, payments_gateway, preview_token
from tests.support.postgres import PostgresForTests
from tests.support.tokens import tokens_file
from tests.support.waiting import eventually

ACTIVITY = "get_gateway_activity"
STAFF = {"X-Acting-User": "U0STAFF001", "X-Acting-Role": "staff"}
ADMIN_BY_EMAIL = {"X-Acting-User": "maya.okafor@example.com", "X-Acting-Role": "admin"}


async def audited_rows(gateway: RunningGateway, at_least: int) -> int:
    """Wait (bounded) until the background audit writer has stored `at_least` rows."""
    connection = await asyncpg.connect(gateway.database_url)
    try:
        return await eventually(
            lambda: connection.fetchval("SELECT count(*) FROM abcodex_tool_calls"), lambda n: n >= at_least
        )
    finally:
        await connection.close()


async def activity(gateway: RunningGateway, token: str | None = None, **arguments: Any) -> Any:
    async with gateway.client(token) as client:
        result = await client.call_tool(ACTIVITY, arguments)
    assert not result.is_error, result.content
    return result.structured_content


def counts(row: dict[str, Any]) -> tuple[int, int, int, int, int]:
    return row["calls"], row["ok"], row["tool_errors"], row["refused"], row["rejected"]


async def test_activity_counts_calls_errors_and_refusals_by_tool_and_by_masked_slack_user(
    postgres: PostgresForTests, tmp_path: Path
):
    path, tokens = tokens_file(tmp_path, {"ops-bot": ["read", "ops"], "desktop": ["read"]}, trusted={"ops-bot"})
    async with run_gateway(await postgres.create_demo_database("activity"), mcp_gateway_tokens_file=path) as gateway:
        async with mcp_client(gateway.url, tokens["ops-bot"], STAFF) as staff:
            for eid in ("AB4001", "ab4001", "AB9999"):
                await staff.call_tool("get_event_details", {"eid": eid})
        async with mcp_client(gateway.url, tokens["ops-bot"], ADMIN_BY_EMAIL) as admin:
            await admin.call_tool("list_events", {})
        async with gateway.client(tokens["desktop"]) as desktop:
            desktop_tools = {tool.name for tool in (await desktop.list_tools()).tools}
            await desktop.call_tool("get_event_details", {"eid": "AB4002"})
            for refused in ("get_payment_summary", ACTIVITY):
                with pytest.raises(MCPError, match=f"Unknown tool: {refused}"):
                    await desktop.call_tool(refused, {"eid": "AB4002"})
        await audited_rows(gateway, 7)
        answer = await activity(gateway, tokens["ops-bot"])

    assert ACTIVITY not in desktop_tools
    assert counts(answer["totals"]) == (7, 4, 1, 2, 0)
    assert answer["hours"] == 24 and answer["tool"] is None
    assert answer["tool_count"] == 4 and answer["tools_truncated"] is False
    by_tool = {row["tool"]: counts(row) for row in answer["tools"]}
    assert by_tool == {
        "get_event_details": (4, 3, 1, 0, 0),
        "list_events": (1, 1, 0, 0, 0),
        "get_payment_summary": (1, 0, 0, 1, 0),
        ACTIVITY: (1, 0, 0, 1, 0),
    }
    assert answer["tools"][0]["tool"] == "get_event_details"
    assert answer["tools"][0]["p50_ms"] > 0 and answer["tools"][0]["p95_ms"] >= answer["tools"][0]["p50_ms"]
    by_user = {(row["client"], row["acting_user"], row["acting_role"]): counts(row) for row in answer["users"]}
    assert by_user == {
        ("ops-bot", "U0STAFF001", "staff"): (3, 2, 1, 0, 0),
        ("ops-bot", "m***@example.com", "admin"): (1, 1, 0, 0, 0),
        ("desktop", None, None): (3, 1, 0, 2, 0),
    }
    assert answer["user_count"] == 3 and answer["payouts"] == []


async def test_activity_covers_only_its_window_and_the_tool_asked_about(postgres: PostgresForTests):
    async with run_gateway(await postgres.create_demo_database("window")) as gateway:
        async with gateway.client() as client:
            await client.call_tool("get_event_details", {"eid": "AB4001"})
            await client.call_tool("list_events", {})
        await audited_rows(gateway, 2)
        connection = await asyncpg.connect(gateway.database_url)
        try:  # a call made 30 hours ago
            await connection.execute(
                "INSERT INTO abcodex_tool_calls (called_at, client_name, tool, outcome, duration_ms) "
                "VALUES (now() - interval '30 hours', 'gateway-token', 'list_events', 'ok', 3)"
            )
        finally:
            await connection.close()
        day = await activity(gateway)
        two_days = await activity(gateway, hours=48, tool="list_events")

    assert counts(day["totals"]) == (2, 2, 0, 0, 0)
    assert counts(two_days["totals"]) == (2, 2, 0, 0, 0)
    assert two_days["tool"] == "list_events" and [row["tool"] for row in two_days["tools"]] == ["list_events"]


@pytest.mark.parametrize("hours", [0, 721])
async def test_a_window_outside_thirty_days_is_refused_with_a_sentence(demo_gateway: RunningGateway, hours: int):
    async with demo_gateway.client() as client:
        result = await client.call_tool(ACTIVITY, {"hours": hours})
    assert result.is_error
    assert result.content[0].text.startswith("`hours` must be")


async def test_counts_are_not_capped_by_the_listed_tools(postgres: PostgresForTests):
    async with run_gateway(await postgres.create_demo_database("manytools")) as gateway:
        async with gateway.client() as client:
            for number in range(55):
                with pytest.raises(MCPError):
                    await client.call_tool(f"no_such_tool_{number:02d}", {})
        await audited_rows(gateway, 55)
        answer = await activity(gateway)

    assert counts(answer["totals"]) == (55, 0, 0, 55, 0)
    assert answer["tool_count"] == 55 and answer["tools_truncated"] is True
    assert len(answer["tools"]) == 50 and answer["tools"][0]["tool"] == "no_such_tool_00"


async def test_payouts_are_counted_by_the_status_they_ended_in(postgres: PostgresForTests):
    async with payments_gateway(postgres) as setup:
        token = await preview_token(setup)
        paid = await call(setup, pay_args(token=token))
        answer = await activity(setup.gateway, tool="process_artist_payment")

    assert paid.structured_content["status"] == "paid"
    assert answer["payouts"] == [{"status": "needs_confirmation", "count": 1}, {"status": "paid", "count": 1}]
    assert counts(answer["totals"]) == (2, 2, 0, 0, 0)
