"""Tables in a streamed answer end as Slack `table` blocks: Slack double → real bot → LLM double.

The LLM double streams text in 12-character chunks, so a table reaches the bot a piece of a row at a time.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slack_client.formatting import Table, split_tables
from slack_client.redact import redact
from slack_client.slack.blocks import TABLE_MAX_ROWS, feedback_block, table_block
from slack_client.slack.stream_tables import TABLE_PLACEHOLDER
from slack_client.slack.streaming import StreamedAnswer, StreamTarget
from slack_client.slack.web import SlackWeb
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import text_turn
from tests.doubles.slack_api import SlackDouble
from tests.doubles.slack_payloads import BOT_ID, BOT_USER_ID, TEAM_ID, app_mention, event_callback
from tests.doubles.slack_streams import refuse_streaming
from tests.slack_fixtures import STAFF_USER, bot_settings, run_bot
from tests.support.waiting import eventually

pytest_plugins = ["tests.slack_fixtures"]

CHANNEL = "C0TABLES02"
DM = "D0STAFF002"
LEADERS = "\n".join(
    [
        "Leaders at AB4001:",
        "",
        "| Round | Leader | Weighted votes |",
        "|---|---|---:|",
        "| 1 | **Grace Liu** | 20.5 |",
        "| 2 | Sofia Marquez | 18 |",
        "",
        "Round 2 is the closest.",
    ]
)
LEADER_ROWS = [["Round", "Leader", "Weighted votes"], ["1", "Grace Liu", "20.5"], ["2", "Sofia Marquez", "18"]]


def mention(slack: SlackDouble, text: str) -> dict[str, Any]:
    event = app_mention(f"<@{BOT_USER_ID}> {text}", user=STAFF_USER, channel=CHANNEL)
    slack.socket_mode.push_events_api(event_callback(event))
    return event


def streamed_text(slack: SlackDouble) -> str:
    methods = ("chat.startStream", "chat.appendStream", "chat.stopStream")
    return "".join(str(c.params.get("markdown_text") or "") for c in slack.calls if c.method in methods and c.ok)


def bot_messages(slack: SlackDouble, thread_ts: str, channel: str = CHANNEL) -> list[dict[str, Any]]:
    return [m for m in slack.messages(channel, thread_ts) if m.get("bot_id") == BOT_ID]


def block_types(message: dict[str, Any]) -> list[str]:
    return [block["type"] for block in message.get("blocks") or []]


def cells(table: dict[str, Any]) -> list[list[str]]:
    return [[cell["text"] for cell in row] for row in table["rows"]]


async def answered(slack: SlackDouble, thread_ts: str, messages: int = 1) -> list[dict[str, Any]]:
    """The answer's messages in the thread, once the last carries its feedback."""

    async def found() -> list[dict[str, Any]]:
        return bot_messages(slack, thread_ts)

    def complete(listed: list[dict[str, Any]]) -> bool:
        return len(listed) == messages and "context_actions" in block_types(listed[-1])

    return await eventually(found, complete, timeout=10)


async def test_a_streamed_table_ends_as_a_table_block_with_its_header_and_numbers_aligned_right(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url: str, gateway_token: str
) -> None:
    claude.script(text_turn(LEADERS))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        event = mention(slack, "who leads each round at AB4001?")
        stop = await slack.wait_for_call_async("chat.stopStream", channel=CHANNEL)

    assert stop.ok and block_types(stop.params) == ["table", "context_actions"]
    table = stop.params["blocks"][0]
    assert cells(table) == LEADER_ROWS
    assert [column["align"] for column in table["column_settings"]] == ["right", "left", "right"]
    [message] = bot_messages(slack, event["ts"])
    assert (
        message["text"]
        == streamed_text(slack)
        == f"Leaders at AB4001:\n\n{TABLE_PLACEHOLDER}\n\nRound 2 is the closest."
    )
    assert "|" not in streamed_text(slack) and not slack.calls_to("chat.postMessage")


async def test_a_streamed_table_past_slacks_row_limit_is_streamed_as_a_code_block(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url: str, gateway_token: str
) -> None:
    rows = [f"| AB{4000 + n} | {n} |" for n in range(TABLE_MAX_ROWS + 5)]
    claude.script(text_turn("\n".join(["Votes:", "| Event | Votes |", "|---|---:|", *rows])))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        mention(slack, "votes for every event?")
        stop = await slack.wait_for_call_async("chat.stopStream", channel=CHANNEL)

    assert stop.ok and block_types(stop.params) == ["context_actions"]
    assert streamed_text(slack).startswith("Votes:\n```\nEvent   Votes\nAB4000      0\n")
    assert streamed_text(slack).endswith(f"AB{4000 + TABLE_MAX_ROWS + 4}    {TABLE_MAX_ROWS + 4}\n```")


async def test_an_email_in_a_streamed_table_cell_is_masked_in_the_block_and_everywhere_else(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url: str, gateway_token: str
) -> None:
    claude.script(text_turn("| Artist | Contact |\n|---|---|\n| Sofia | sofia.marquez@example.com |"))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        mention(slack, "how do I reach Sofia?")
        stop = await slack.wait_for_call_async("chat.stopStream", channel=CHANNEL)

    assert cells(stop.params["blocks"][0]) == [["Artist", "Contact"], ["Sofia", redact("sofia.marquez@example.com")]]
    assert not any("sofia.marquez" in json.dumps(call.params) for call in slack.calls)


async def test_where_slack_refuses_to_stream_the_final_update_carries_the_table_block(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url: str, gateway_token: str
) -> None:
    refuse_streaming(slack)
    claude.script(text_turn(LEADERS))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        event = mention(slack, "who leads each round at AB4001?")
        [message] = await answered(slack, event["ts"])

    assert block_types(message) == ["section", "table", "context_actions"]
    section, table, _ = message["blocks"]
    assert section["text"]["text"] == f"Leaders at AB4001:\n\n{TABLE_PLACEHOLDER}\n\nRound 2 is the closest."
    assert cells(table) == LEADER_ROWS
    assert "```" in message["text"] and "Grace Liu" in message["text"]  # notifications get the code-block table
    assert not slack.calls_to("chat.appendStream") and len(slack.calls_to("chat.postMessage")) == 1


async def test_a_second_streamed_table_follows_in_its_own_message_which_carries_the_feedback(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url: str, gateway_token: str
) -> None:
    claude.script(text_turn(f"{LEADERS}\n\nBids:\n| Lot | Bid |\n|---|---:|\n| A | $120 |\n\nThat's all."))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        event = mention(slack, "leaders and bids at AB4001?")
        streamed, follow_up = await answered(slack, event["ts"], messages=2)

    assert block_types(streamed) == ["table"] and cells(streamed["blocks"][0]) == LEADER_ROWS
    assert streamed["text"].count(TABLE_PLACEHOLDER) == 2 and streamed["text"].endswith("That's all.")
    assert block_types(follow_up) == ["table", "context_actions"]
    assert cells(follow_up["blocks"][0]) == [["Lot", "Bid"], ["A", "$120"]] and "```" in follow_up["text"]


@contextlib.asynccontextmanager
async def streamed_answer(slack: SlackDouble, thread_ts: str) -> AsyncIterator[StreamedAnswer]:
    async with aiohttp.ClientSession() as session:
        web = SlackWeb(slack.bot_token, slack.api_url, session)
        yield StreamedAnswer(web, StreamTarget(DM, thread_ts, STAFF_USER, TEAM_ID), max_chars=10_000)


@pytest.mark.parametrize(
    "text",
    [
        "| not a table, just a pipe\nand more words",
        "| a | b |\n| c | d |\nno separator under the first row",
        "```\n| a | b |\n|---|---|\n| 1 | 2 |\n```\ninside a code block",
        "a | b\n---|---\nno leading pipe",
    ],
)
async def test_lines_starting_with_a_pipe_that_are_no_table_are_released_as_text(slack: SlackDouble, text: str) -> None:
    question = slack.add_message(DM, "anything", user=STAFF_USER)
    async with streamed_answer(slack, question["ts"]) as answer:
        for char in text:
            await answer.text(char)
        await answer.finish()

    [message] = bot_messages(slack, question["ts"], DM)
    assert message["text"] == text and "blocks" not in message


async def test_a_table_at_the_very_end_without_a_line_break_still_becomes_a_block(slack: SlackDouble) -> None:
    question = slack.add_message(DM, "leaders?", user=STAFF_USER)
    async with streamed_answer(slack, question["ts"]) as answer:
        await answer.text("| Round | Leader |\n|---|---|\n| 1 | Grace Liu |")
        await answer.finish()

    [message] = bot_messages(slack, question["ts"], DM)
    assert message["text"] == TABLE_PLACEHOLDER and cells(message["blocks"][0]) == [
        ["Round", "Leader"],
        ["1", "Grace Liu"],
    ]


async def test_slacks_double_refuses_a_stream_stopped_with_two_tables_as_slack_does(slack: SlackDouble) -> None:
    question = slack.add_message(DM, "tables?", user=STAFF_USER)
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
    [parsed] = split_tables("| a |\n|---|\n| 1 |")
    assert isinstance(parsed, Table)
    table = table_block(parsed)
    started = await client.chat_startStream(channel=DM, thread_ts=question["ts"], markdown_text="Two tables:")
    with pytest.raises(SlackApiError) as refused:
        await client.chat_stopStream(channel=DM, ts=started["ts"], blocks=[table, table, feedback_block("req")])
    assert refused.value.response["error"] == "invalid_blocks"
