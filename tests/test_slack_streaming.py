"""Answers that appear as the model writes them: Slack double → real bot → LLM double → real gateway and Postgres.

The LLM doubles stream text in 12-character chunks, so every answer here reaches the bot in pieces.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import aiohttp
import pytest

from slack_client.errors import SlackError
from slack_client.formatting import to_mrkdwn
from slack_client.redact import redact
from slack_client.slack.streaming import StreamedAnswer, StreamTarget
from slack_client.slack.web import SlackWeb
from slack_client.stream_redact import StreamRedactor
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import ToolCall, text_turn, tool_turn
from tests.doubles.slack_api import ApiCall, SlackDouble
from tests.doubles.slack_payloads import (
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
    app_mention,
    direct_message,
    event_callback,
    slash_command,
)
from tests.doubles.slack_streams import STREAMING_REFUSED, refuse_streaming
from tests.slack_fixtures import STAFF_USER, bot_settings, run_bot
from tests.support.waiting import eventually

pytest_plugins = ["tests.slack_fixtures"]

T = TypeVar("T")

CHANNEL = "C0OPS00001"
DM = "D0STAFF001"
VOTING = ToolCall("get_live_voting_status", {"eid": "AB4001"})
ANSWER = "Round 2 at AB4001 is led by **Grace Liu** with 20.5 weighted votes; round 1 is closed."
CONTACT = "Reach Maya at maya.okafor@example.com or +1 (416) 555-0101 today, or her agent at 416.555.0199."
SPLIT_CONTACTS = [
    "maya.okafor@example.com",
    "write to maya.okafor@example.com.",
    "call +1 (416) 555-0101 now",
    "call 416 555 0101\nthen",
    "+33 1 23 45 67 89 is Paris",
    "card 4242 4242 4242 4242 on file",
    "votes 1 2 3 and 20.5 on 2026-11-27 19:30",
]


def mention(slack: SlackDouble, text: str, channel: str = CHANNEL) -> dict[str, Any]:
    event = app_mention(f"<@{BOT_USER_ID}> {text}", user=STAFF_USER, channel=channel)
    slack.socket_mode.push_events_api(event_callback(event))
    return event


def streamed_text(slack: SlackDouble) -> str:
    """Every piece of markdown the bot sent through the stream methods, in order."""
    methods = ("chat.startStream", "chat.appendStream", "chat.stopStream")
    return "".join(str(c.params.get("markdown_text") or "") for c in slack.calls if c.method in methods and c.ok)


def bot_messages(slack: SlackDouble, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
    return [m for m in slack.messages(channel, thread_ts) if m.get("bot_id") == BOT_ID]


def position(slack: SlackDouble, matches: Callable[[ApiCall], bool]) -> int:
    return next(index for index, call in enumerate(slack.calls) if matches(call))


@pytest.mark.parametrize("text", SPLIT_CONTACTS)
def test_a_contact_split_across_two_chunks_at_any_position_is_masked(text: str) -> None:
    for cut in range(len(text) + 1):
        redactor = StreamRedactor()
        shown = redactor.feed(text[:cut]) + redactor.feed(text[cut:]) + redactor.flush()
        assert shown == redact(text), f"split at {cut}: {text[:cut]!r} | {text[cut:]!r}"


def test_a_contact_streamed_one_character_at_a_time_is_masked() -> None:
    redactor = StreamRedactor()
    shown = "".join(redactor.feed(char) for char in CONTACT) + redactor.flush()
    assert shown == redact(CONTACT)
    assert "maya.okafor" not in shown and "555-0101" not in shown and "555.0199" not in shown


def test_the_redactor_releases_words_at_once_and_holds_back_only_a_possible_contact() -> None:
    redactor = StreamRedactor()
    assert redactor.feed("Round 2 is led by Grace ") == "Round 2 is led by Grace "
    assert redactor.feed("call +1 416 ") == "call "  # a phone's groups may go on after that space
    assert redactor.feed("555 0101 ") == ""
    assert redactor.feed("today. More") == "***0101 today. "
    assert redactor.flush() == "More"


async def test_a_mention_is_answered_by_a_stream_in_the_thread_that_ends_as_one_message(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url: str, gateway_token: str
) -> None:
    claude.script(tool_turn(VOTING), text_turn(ANSWER))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        event = mention(slack, "how's voting at AB4001?")
        stop = await slack.wait_for_call_async("chat.stopStream", channel=CHANNEL)

    start = slack.calls_to("chat.startStream")
    assert len(start) == 1 and start[0].params["thread_ts"] == event["ts"]
    assert start[0].params["recipient_user_id"] == STAFF_USER and start[0].params["recipient_team_id"] == TEAM_ID
    [message] = bot_messages(slack, CHANNEL, event["ts"])
    assert message["ts"] == stop.params["ts"] and message["text"] == ANSWER == streamed_text(slack)
    assert "streaming" not in message and message["blocks"][-1]["block_id"].startswith("feedback_")
    assert not slack.calls_to("chat.postMessage") and not slack.calls_to("chat.update")
    looking_up = position(slack, lambda c: "live voting" in str(c.params.get("status") or ""))
    assert looking_up < position(slack, lambda c: c.method == "chat.startStream")


async def test_contacts_split_across_streamed_chunks_never_reach_slack_unmasked(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url: str, gateway_token: str
) -> None:
    claude.script(text_turn(CONTACT))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        event = mention(slack, "how do I reach Maya?")
        await slack.wait_for_call_async("chat.stopStream", channel=CHANNEL)

    sent = streamed_text(slack)
    assert sent == redact(CONTACT)
    assert "m***@example.com" in sent and "***0101" in sent and "***0199" in sent
    assert not any("okafor" in str(call.params) or "555-0101" in str(call.params) for call in slack.calls)
    assert [m["text"] for m in bot_messages(slack, CHANNEL, event["ts"])] == [sent]


async def test_where_slack_refuses_to_stream_one_message_is_posted_and_updated_instead(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url: str, gateway_token: str
) -> None:
    refuse_streaming(slack)
    claude.script(tool_turn(VOTING), text_turn(ANSWER))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        event = mention(slack, "how's voting at AB4001?")
        [message] = await eventually(
            lambda: _async(bot_messages(slack, CHANNEL, event["ts"])),
            lambda found: bool(found) and found[0].get("blocks") is not None,
        )

    assert [c.response["error"] for c in slack.calls_to("chat.startStream")] == [STREAMING_REFUSED]
    assert message["text"] == to_mrkdwn(ANSWER) and message["thread_ts"] == event["ts"]
    assert message["blocks"][-1]["block_id"].startswith("feedback_")
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert not slack.calls_to("chat.appendStream") and not slack.calls_to("chat.stopStream")
    chunks = len(ANSWER) // 12 + 1
    assert 1 <= len(slack.calls_to("chat.update")) < chunks  # batched, not one update per chunk


async def test_a_top_level_direct_message_is_answered_in_one_message_that_grows_in_place(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url: str, gateway_token: str
) -> None:
    claude.script(tool_turn(VOTING), text_turn(ANSWER))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        slack.socket_mode.push_events_api(
            event_callback(direct_message("voting at AB4001?", user=STAFF_USER, channel=DM))
        )
        [message] = await eventually(
            lambda: _async(bot_messages(slack, DM)),
            lambda found: bool(found) and found[0].get("blocks") is not None,
        )

    assert message["text"] == to_mrkdwn(ANSWER) and "thread_ts" not in message
    assert not slack.calls_to("chat.startStream")  # a stream must be a thread reply; a DM answer is inline
    assert len(slack.calls_to("chat.postMessage")) == 1


async def _async(value: T) -> T:
    return value


async def test_what_the_model_says_before_a_lookup_and_its_answer_stream_as_two_paragraphs(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url: str, gateway_token: str
) -> None:
    claude.script(tool_turn(VOTING, text="Checking the votes."), text_turn(ANSWER))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        event = mention(slack, "how's voting at AB4001?")
        await slack.wait_for_call_async("chat.stopStream", channel=CHANNEL)

    [message] = bot_messages(slack, CHANNEL, event["ts"])
    assert message["text"] == f"Checking the votes.\n\n{ANSWER}"


async def test_a_slash_command_answer_still_arrives_whole_through_its_response_url(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url: str, gateway_token: str
) -> None:
    claude.script(tool_turn(VOTING), text_turn(ANSWER))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        url = slack.new_response_url()
        slack.socket_mode.push_slash_command(
            slash_command("how's voting at AB4001?", user_id=STAFF_USER, channel_id=CHANNEL, response_url=url)
        )
        reply = await slack.wait_for_response_url_post_async(url)

    assert to_mrkdwn(ANSWER) in reply.body["text"]
    assert not [
        c for c in slack.calls if c.method.endswith("Stream") or c.method in ("chat.postMessage", "chat.update")
    ]


@contextlib.asynccontextmanager
async def streamed_answer(slack: SlackDouble, thread_ts: str | None, max_chars: int) -> AsyncIterator[StreamedAnswer]:
    async with aiohttp.ClientSession() as session:
        web = SlackWeb(slack.bot_token, slack.api_url, session)
        yield StreamedAnswer(web, StreamTarget(DM, thread_ts, STAFF_USER, TEAM_ID), max_chars=max_chars)


async def test_an_answer_longer_than_a_reply_may_be_ends_where_the_limit_is_and_says_so(slack: SlackDouble) -> None:
    question = slack.add_message(DM, "tell me everything", user=STAFF_USER)
    async with streamed_answer(slack, question["ts"], max_chars=30) as answer:
        for word in ("Grace Liu leads ", "round 2 with ", "20.5 votes ", "and more besides."):
            await answer.text(word)
        await answer.finish()

    [message] = bot_messages(slack, DM, question["ts"])
    assert message["text"] == "Grace Liu leads round 2 with 2\n… (answer shortened)"


async def test_an_answer_slack_takes_neither_as_a_stream_nor_as_a_post_is_reported_not_lost(
    slack: SlackDouble,
) -> None:
    question = slack.add_message(DM, "voting?", user=STAFF_USER)
    refuse_streaming(slack)
    slack.fail("chat.postMessage", "restricted_action", times=None)
    async with streamed_answer(slack, question["ts"], max_chars=1000) as answer:
        await answer.text("Grace Liu leads.")
        with pytest.raises(SlackError):
            await answer.finish()

    assert not bot_messages(slack, DM)
