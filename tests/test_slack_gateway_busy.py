"""A busy gateway (HTTP 429 or 503 with `Retry-After`): retried a little, then "busy, try again in N s"."""

from __future__ import annotations

import json
from email.utils import formatdate

import anyio
import pytest
from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations

from slack_client.errors import GatewayBusy, GatewayRefused
from slack_client.gateway_busy import retry_after_seconds
from slack_client.gateway_client import GatewayClient
from slack_client.models import Actor
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import ToolCall, tool_turn
from tests.doubles.slack_api import SlackDouble
from tests.doubles.slack_payloads import BOT_USER_ID, app_mention, event_callback
from tests.slack_fixtures import STAFF_USER, bot_settings, fake_mcp_gateway, run_bot

pytest_plugins = ["tests.slack_fixtures"]

CHANNEL = "C0OPS00001"
STAFF = Actor("req-busy", STAFF_USER, "staff")
VOTING = {"eid": "AB4001"}


def voting_server() -> MCPServer:
    server = MCPServer("busy-gateway")

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    async def get_live_voting_status(eid: str) -> str:
        """Live voting at an event."""
        return json.dumps({"eid": eid, "leader": "Grace Liu"})

    return server


@pytest.mark.parametrize(("status", "body"), [(503, "text"), (429, "jsonrpc")])
async def test_a_busy_answer_is_retried_after_its_retry_after_and_the_call_then_succeeds(status, body):
    async with fake_mcp_gateway(voting_server) as fake, GatewayClient(fake.url, fake.token) as gateway:
        assert await gateway.wait_ready(5)
        fake.busy.answer_busy(status, retry_after="0", body=body)
        outcome = await gateway.call_tool("get_live_voting_status", VOTING, STAFF)

    assert json.loads(outcome.text)["leader"] == "Grace Liu"
    assert fake.busy.tool_calls == 2


async def test_a_gateway_still_busy_after_a_couple_of_retries_is_reported_busy_not_unreachable():
    async with fake_mcp_gateway(voting_server) as fake, GatewayClient(fake.url, fake.token) as gateway:
        assert await gateway.wait_ready(5)
        fake.busy.answer_busy(503, retry_after="0", times=10)
        with pytest.raises(GatewayBusy, match="busy"):
            await gateway.call_tool("get_live_voting_status", VOTING, STAFF)
        assert gateway.connected  # busy is not down: the connection stays

    assert fake.busy.tool_calls == 3


async def test_a_retry_after_longer_than_the_wait_allowed_is_not_waited_for():
    async with fake_mcp_gateway(voting_server) as fake, GatewayClient(fake.url, fake.token) as gateway:
        assert await gateway.wait_ready(5)
        fake.busy.answer_busy(429, retry_after="30", times=10)
        with anyio.fail_after(5), pytest.raises(GatewayBusy) as busy:
            await gateway.call_tool("get_live_voting_status", VOTING, STAFF)

    assert busy.value.retry_after == 30 and busy.value.wait_seconds == 30
    assert fake.busy.tool_calls == 1


async def test_an_error_status_without_retry_after_is_not_taken_for_busy():
    async with fake_mcp_gateway(voting_server) as fake, GatewayClient(fake.url, fake.token) as gateway:
        assert await gateway.wait_ready(5)
        fake.busy.answer_busy(503, retry_after=None)
        with pytest.raises(GatewayRefused):
            await gateway.call_tool("get_live_voting_status", VOTING, STAFF)

    assert fake.busy.tool_calls == 1


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    now = 1_780_000_000.0
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds(formatdate(now + 12, usegmt=True), now=now) == 12
    assert retry_after_seconds(formatdate(now - 60, usegmt=True), now=now) == 0
    assert (
        retry_after_seconds("soon") is None and retry_after_seconds(None) is None and retry_after_seconds("-1") is None
    )


async def test_the_user_is_told_the_data_service_is_busy_and_when_to_try_again(
    slack: SlackDouble, claude: AnthropicDouble
):
    claude.script(tool_turn(ToolCall("get_live_voting_status", VOTING)))
    async with fake_mcp_gateway(voting_server) as fake:
        fake.busy.answer_busy(503, retry_after="45", times=10)
        async with run_bot(bot_settings(slack, claude, fake.url, fake.token), slack):
            event = app_mention(f"<@{BOT_USER_ID}> voting at AB4001?", user=STAFF_USER, channel=CHANNEL)
            slack.socket_mode.push_events_api(event_callback(event))
            refusal = await slack.wait_for_call_async("chat.postEphemeral", thread_ts=event["ts"])

    assert refusal.params["text"].startswith(
        "The Art Battle data service is busy right now; please try again in 45 seconds."
    )
    assert len(claude.requests) == 1  # the question stopped at the busy gateway
