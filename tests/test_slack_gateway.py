"""The gateway adapter: the official MCP client over HTTP, its headers, tool discovery and reconnection."""

from __future__ import annotations

import asyncio
import json

import anyio
import asyncpg
import pytest
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations

from abcodex_common.retry import Backoff
from slack_client.errors import GatewayUnavailable
from slack_client.gateway_client import GatewayClient
from slack_client.models import Actor
from tests.slack_fixtures import fake_mcp_gateway
from tests.support.waiting import eventually

pytest_plugins = ["tests.slack_fixtures"]

FAST = Backoff(first=0.01, ceiling=0.05)


def echo_server() -> MCPServer:
    server = MCPServer("fake-gateway")

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    async def whoami(tag: str, ctx: Context) -> str:
        """Echo the acting headers."""
        headers = ctx.headers or {}
        wanted = ("x-request-id", "x-acting-user", "x-acting-role")
        return json.dumps({"tag": tag, **{h: headers.get(h) for h in wanted}})

    @server.tool()
    async def grow(ctx: Context) -> str:
        """Add a tool and announce it."""
        server.add_tool(lambda: "new", name="brand_new_tool", description="new")
        await ctx.notify_tools_changed()
        return "grown"

    return server


async def test_the_real_gateways_tools_are_discovered_with_their_annotations(gateway_url, gateway_token):
    async with GatewayClient(gateway_url, gateway_token) as gateway:
        assert await gateway.wait_ready(5)
        tools = {spec.name: spec for spec in gateway.tools()}
    assert {"get_event_details", "get_live_voting_status", "get_auction_status", "list_events"} <= set(tools)
    voting = tools["get_live_voting_status"]
    assert voting.read_only and not voting.destructive
    assert voting.input_schema["required"] == ["eid"]


async def test_the_acting_user_and_request_id_reach_the_real_gateways_audit(demo_gateway):
    actor = Actor("req-audit-1", "U0STAFF001", "staff", "C1")
    async with GatewayClient(demo_gateway.url, demo_gateway.token) as gateway:
        outcome = await gateway.call_tool("get_event_details", {"eid": "ab4001"}, actor)
    assert not outcome.is_error and outcome.structured["eid"] == "AB4001"
    connection = await asyncpg.connect(demo_gateway.database_url)
    try:
        row = await audit_row(connection, demo_gateway, "req-audit-1")
    finally:
        await connection.close()
    assert dict(row) == {"acting_user": "U0STAFF001", "acting_role": "staff", "tool": "get_event_details"}


async def audit_row(connection, demo_gateway, request_id):
    """The gateway writes read-call audits in background batches (every 0.25 s); look until the row is there."""
    return await eventually(
        lambda: connection.fetchrow(
            "select acting_user, acting_role, tool from abcodex_tool_calls where request_id = $1", request_id
        ),
        lambda row: row is not None,
        timeout=5,
    )


async def test_concurrent_calls_each_carry_their_own_bearer_token_and_acting_headers():
    async with fake_mcp_gateway(echo_server) as fake, GatewayClient(fake.url, fake.token) as gateway:
        actors = [Actor(f"req-{i}", f"U{i}", "finance" if i % 2 else "staff") for i in range(6)]
        outcomes = await asyncio.gather(*(gateway.call_tool("whoami", {"tag": a.user_id}, a) for a in actors))
    for actor, outcome in zip(actors, outcomes, strict=True):
        echoed = json.loads(outcome.text)
        assert echoed == {
            "tag": actor.user_id,
            "x-request-id": actor.request_id,
            "x-acting-user": actor.user_id,
            "x-acting-role": actor.role,
        }
    assert all(h.get("authorization") == f"Bearer {fake.token}" for h in fake.seen_headers)


async def test_a_gateway_restart_is_survived_the_call_in_between_says_unavailable():
    async with fake_mcp_gateway(echo_server) as fake, GatewayClient(fake.url, fake.token, backoff=FAST) as gateway:
        actor = Actor("r", "U1", "staff")
        assert (await gateway.call_tool("whoami", {"tag": "before"}, actor)).text
        await fake.stop()
        with pytest.raises(GatewayUnavailable):
            await gateway.call_tool("whoami", {"tag": "down"}, actor)
        await fake.start()
        with anyio.fail_after(5):
            outcome = await gateway.call_tool("whoami", {"tag": "after"}, actor)
    assert json.loads(outcome.text)["tag"] == "after"


async def test_an_announced_tool_change_is_picked_up_without_waiting_for_the_ttl():
    async with (
        fake_mcp_gateway(echo_server) as fake,
        GatewayClient(fake.url, fake.token, tools_ttl=300, listen_for_changes=True) as gateway,
    ):
        with anyio.fail_after(5):
            while not gateway.listening:
                await gateway.next_tools()
        assert "brand_new_tool" not in [t.name for t in gateway.tools()]
        await gateway.call_tool("grow", {}, Actor("r", "U1", "staff"))
        with anyio.fail_after(5):
            while "brand_new_tool" not in [t.name for t in gateway.tools()]:
                await gateway.next_tools()


async def test_tools_are_listed_again_after_the_ttl():
    server = echo_server()
    async with fake_mcp_gateway(lambda: server) as fake, GatewayClient(fake.url, fake.token, tools_ttl=0.05) as gateway:
        assert await gateway.wait_ready(5)
        server.add_tool(lambda: "x", name="added_quietly", description="added without telling anyone")
        with anyio.fail_after(5):
            while "added_quietly" not in [t.name for t in gateway.tools()]:
                await gateway.next_tools()


async def test_a_wrong_token_is_reported_as_the_reason_the_gateway_is_unavailable():
    async with fake_mcp_gateway(echo_server) as fake, GatewayClient(fake.url, "wrong", backoff=FAST) as gateway:
        with pytest.raises(GatewayUnavailable, match="refused the bot's token"):
            await gateway.call_tool("whoami", {"tag": "x"}, Actor("r", "U1", "staff"))


async def test_a_gateway_that_never_answers_connection_is_unavailable_quickly():
    async with GatewayClient("http://127.0.0.1:9/mcp", "t", backoff=FAST, connect_wait=0.2) as gateway:
        with anyio.fail_after(2), pytest.raises(GatewayUnavailable, match="unreachable"):
            await gateway.call_tool("whoami", {}, Actor("r", "U1", "staff"))
