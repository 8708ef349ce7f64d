"""Charts into Slack: the real gateway's chart through the bot's MCP client, into a thread of the Slack double."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import aiohttp
import mcp_types
import pytest

from slack_client.agent import Agent
from slack_client.errors import SlackError
from slack_client.gateway_client import GatewayClient
from slack_client.gateway_convert import outcome_from_sdk
from slack_client.models import Actor, ToolImage
from slack_client.slack.uploads import ImageCollector, upload_images
from slack_client.slack.web import SlackWeb
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import ToolCall, text_turn, tool_turn
from tests.doubles.slack_api import SlackDouble
from tests.doubles.slack_files import uploads
from tests.slack_fixtures import ScriptedLLM, answer, bot_settings, calls, run_bot, shipped_policy
from tests.support.gateway import RunningGateway
from tests.test_slack_streaming import mention

pytest_plugins = ["tests.slack_fixtures"]

CHANNEL, THREAD = "C0OPS00001", "1760000000.000100"
STAFF = Actor("req-chart-1", "U0STAFF001", "staff", CHANNEL)
VOTING_CHART = {"eid": "AB4001", "kind": "voting"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def slack_web(slack: SlackDouble) -> AsyncIterator[SlackWeb]:
    async with aiohttp.ClientSession() as session:
        yield SlackWeb(slack.bot_token, slack.api_url, session)


async def test_a_chart_reaches_the_thread_as_a_png_with_its_title_as_alt_text(
    demo_gateway: RunningGateway, slack: SlackDouble, slack_web: SlackWeb
) -> None:
    async with GatewayClient(demo_gateway.url, demo_gateway.token) as gateway:
        collector = ImageCollector(gateway)
        await gateway.wait_ready(5)
        outcome = await collector.call_tool("get_event_chart", VOTING_CHART, STAFF)
        images = collector.take(STAFF.request_id)
        file_ids = await upload_images(slack_web, CHANNEL, THREAD, images)

    assert outcome.structured is not None and not outcome.images
    [upload] = uploads(slack)
    assert upload.data.startswith(PNG_SIGNATURE) and len(upload.data) > 10_000
    assert upload.alt_text == outcome.structured["title"]
    assert str(upload.alt_text).startswith("AB4001 · ")
    assert (upload.channel, upload.thread_ts, upload.filename) == (CHANNEL, THREAD, "chart-1.png")
    assert file_ids == [upload.file_id]
    [message] = [m for m in slack.messages(CHANNEL, THREAD) if m.get("files")]
    assert message["files"][0]["id"] == upload.file_id
    assert collector.take(STAFF.request_id) == ()  # taken once


async def test_the_model_gets_the_chart_numbers_and_a_note_but_never_the_png(demo_gateway: RunningGateway) -> None:
    llm = ScriptedLLM(calls(("get_event_chart", VOTING_CHART)), answer("Here is the voting chart."))
    async with GatewayClient(demo_gateway.url, demo_gateway.token) as gateway:
        collector = ImageCollector(gateway)
        result = await Agent(llm, collector, shipped_policy()).run(STAFF, "show me the voting at AB4001")

    assert result.tools_used == ("get_event_chart",)
    sent = llm.requests[1].messages[-1].results[0]  # type: ignore[union-attr]
    assert not sent.is_error
    numbers = json.loads(sent.content)
    assert numbers["kind"] == "voting" and numbers["series"] and "posted in the thread" in numbers["image_shown"]
    assert "iVBORw0KGgo" not in sent.content  # the PNG's base64 signature
    [image] = collector.take(STAFF.request_id)
    assert image.data.startswith(PNG_SIGNATURE) and image.mime_type == "image/png"


async def test_an_upload_slack_refuses_is_a_slack_error(slack: SlackDouble, slack_web: SlackWeb) -> None:
    slack.fail("files.completeUploadExternal", "not_in_channel")
    image = ToolImage(PNG_SIGNATURE + b"\0" * 64, "image/png", "AB4001 · voting")
    with pytest.raises(SlackError, match="not_in_channel"):
        await upload_images(slack_web, CHANNEL, THREAD, [image])
    assert uploads(slack) == []


def test_an_image_block_that_is_not_base64_is_left_out_and_the_text_kept() -> None:
    good = base64.b64encode(PNG_SIGNATURE).decode()
    result = mcp_types.CallToolResult(
        content=[
            mcp_types.TextContent(text="numbers"),
            mcp_types.ImageContent(data="not base64!", mime_type="image/png"),
            mcp_types.ImageContent(data=good, mime_type="image/png"),
        ],
        structured_content={"title": "AB4001 · voting"},
    )
    outcome = outcome_from_sdk(result)
    assert [i.data for i in outcome.images] == [PNG_SIGNATURE]
    assert outcome.images[0].alt_text == "AB4001 · voting"
    assert outcome.text.startswith("numbers")


async def test_a_mention_asking_for_a_chart_gets_it_in_the_thread_beside_the_streamed_answer(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url: str, gateway_token: str
) -> None:
    claude.script(tool_turn(ToolCall("get_event_chart", VOTING_CHART)), text_turn("Here is the vote race at AB4001."))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        event = mention(slack, "show me the vote race at AB4001")
        await slack.wait_for_call_async("chat.stopStream", channel=CHANNEL)
        await slack.wait_for_call_async("files.completeUploadExternal")

    [upload] = uploads(slack)
    assert upload.data.startswith(PNG_SIGNATURE)
    assert (upload.channel, upload.thread_ts) == (CHANNEL, event["ts"])
    assert str(upload.alt_text).startswith("AB4001 · ")
    sent_to_model = json.dumps(claude.requests[-1].body)
    assert "image_shown" in sent_to_model and base64.b64encode(upload.data[:48]).decode() not in sent_to_model
