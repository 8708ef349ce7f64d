"""Events API mode: signed requests to /slack/events are acked at once; bad or stale signatures are refused."""

from __future__ import annotations

import asyncio
import contextlib
import json

import anyio
import httpx2
import pytest

from slack_client.slack.http_events import MAX_BODY_BYTES
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import ToolCall, text_turn, tool_turn
from tests.doubles.slack_api import SlackDouble
from tests.doubles.slack_http_events import (
    event_request,
    slash_command_request,
    stale_timestamp,
    url_verification_request,
    with_bad_signature,
)
from tests.doubles.slack_payloads import BOT_ID, BOT_USER_ID, app_mention, event_callback, slash_command
from tests.slack_fixtures import SIGNING_SECRET, STAFF_USER, bot_settings, run_bot

pytest_plugins = ["tests.slack_fixtures"]

CHANNEL = "C0OPS00001"


def voting_answer(request):
    voting = json.loads(request.tool_results[0].text)
    return text_turn(f"{voting['rounds'][1]['leader']['artist_name']} leads round 2.")


@pytest.fixture
async def http_bot(slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token):
    settings = bot_settings(slack, claude, gateway_url, gateway_token, socket_mode=False)
    async with run_bot(settings, slack) as bot, httpx2.AsyncClient(base_url=bot.base_url) as http:
        yield bot, http


async def post(http: httpx2.AsyncClient, request) -> httpx2.Response:
    return await http.post("/slack/events", content=request.body, headers=request.headers)


def mention_callback(text: str = "how's voting at AB4001?") -> tuple[dict, dict]:
    event = app_mention(f"<@{BOT_USER_ID}> {text}", user=STAFF_USER, channel=CHANNEL)
    return event, event_callback(event)


async def test_a_signed_mention_is_acked_then_answered_in_the_thread(http_bot, slack, claude):
    _, http = http_bot
    claude.script(tool_turn(ToolCall("get_live_voting_status", {"eid": "AB4001"})), voting_answer)
    event, callback = mention_callback()

    ack = await post(http, event_request(callback, SIGNING_SECRET))
    answer = await slack.wait_for_answer_async(CHANNEL, event["ts"])

    assert ack.status_code == 200
    assert answer.text == "Grace Liu leads round 2." and answer.streamed


async def test_the_url_verification_challenge_is_echoed(http_bot):
    _, http = http_bot
    response = await post(http, url_verification_request(SIGNING_SECRET, challenge="c-123"))
    assert response.status_code == 200 and response.json() == {"challenge": "c-123"}


async def test_a_bad_signature_is_refused_and_nothing_is_done(http_bot, slack, claude):
    _, http = http_bot
    _, callback = mention_callback()
    response = await post(http, with_bad_signature(event_request(callback, SIGNING_SECRET)))
    assert response.status_code == 401
    assert claude.requests == [] and slack.calls_to("reactions.add") == []


async def test_a_stale_timestamp_is_refused_even_with_a_valid_signature(http_bot, slack, claude):
    _, http = http_bot
    _, callback = mention_callback()
    response = await post(http, event_request(callback, SIGNING_SECRET, timestamp=stale_timestamp()))
    assert response.status_code == 401
    assert claude.requests == [] and slack.calls_to("reactions.add") == []


async def test_a_request_without_signature_headers_is_refused(http_bot):
    _, http = http_bot
    response = await http.post("/slack/events", json={"type": "url_verification", "challenge": "x"})
    assert response.status_code == 401


async def test_a_retried_delivery_is_acked_but_answered_once(http_bot, slack, claude):
    bot, http = http_bot
    claude.script(tool_turn(ToolCall("get_live_voting_status", {"eid": "AB4001"})), voting_answer)
    event, callback = mention_callback()

    first = await post(http, event_request(callback, SIGNING_SECRET))
    retry = await post(http, event_request(callback, SIGNING_SECRET, retry_num=1, retry_reason="http_timeout"))
    answer = await slack.wait_for_answer_async(CHANNEL, event["ts"])
    await bot.app.tracker.drain(5)

    assert first.status_code == retry.status_code == 200
    bot_replies = [m["ts"] for m in slack.messages(CHANNEL, event["ts"]) if m.get("bot_id") == BOT_ID]
    assert bot_replies == [answer.ts] and len(claude.requests) == 2
    assert len(slack.calls_to("chat.startStream")) == 1 and not slack.calls_to("chat.postMessage")


async def test_a_slash_command_over_http_acks_with_its_immediate_reply(http_bot, slack, claude):
    _, http = http_bot
    claude.script(tool_turn(ToolCall("get_live_voting_status", {"eid": "AB4001"})), voting_answer)
    url = slack.new_response_url()
    fields = slash_command("how's voting at AB4001?", user_id=STAFF_USER, channel_id=CHANNEL, response_url=url)

    ack = await post(http, slash_command_request(fields, SIGNING_SECRET))
    reply = await slack.wait_for_response_url_post_async(url)

    assert ack.status_code == 200 and ack.json()["response_type"] == "ephemeral"
    assert reply.body["text"] == "Grace Liu leads round 2."


async def test_help_is_answered_in_the_ack_without_the_model(http_bot, slack, claude):
    _, http = http_bot
    fields = slash_command("help", user_id=STAFF_USER, channel_id=CHANNEL, response_url=slack.new_response_url())
    ack = await post(http, slash_command_request(fields, SIGNING_SECRET))
    assert "/ab public" in ack.json()["text"] and claude.requests == []


async def test_once_draining_for_shutdown_new_events_get_503_so_slack_retries_elsewhere(http_bot, claude):
    bot, http = http_bot
    await bot.app.tracker.drain(1)
    _, callback = mention_callback()
    response = await post(http, event_request(callback, SIGNING_SECRET))
    assert response.status_code == 503 and claude.requests == []


@pytest.mark.parametrize("timestamp", ["soon", "", "1.7e9"])
async def test_a_missing_or_non_numeric_timestamp_is_refused_as_unsigned(http_bot, claude, timestamp):
    _, http = http_bot
    request = event_request(mention_callback()[1], SIGNING_SECRET)
    headers = request.headers | {"X-Slack-Request-Timestamp": timestamp}
    response = await http.post("/slack/events", content=request.body, headers=headers)
    assert response.status_code == 401 and claude.requests == []


async def exchange(base_url: str, headers: dict[str, str], body_parts: list[bytes]) -> tuple[int, bytes]:
    """POST raw bytes to /slack/events (no client framing of our own) and read the one response."""
    url = httpx2.URL(base_url)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        lines = [f"POST /slack/events HTTP/1.1\r\nHost: {url.host}\r\n", *(f"{k}: {v}\r\n" for k, v in headers.items())]
        writer.write(("".join(lines) + "\r\n").encode())
        for part in body_parts:
            writer.write(part)
        await writer.drain()
        with anyio.fail_after(5):
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                length = int(value) if name.lower() == "content-length" else length
            return status, await reader.readexactly(length)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def signed_mention_headers() -> dict[str, str]:
    """Slack's headers for a signed mention (what a sender over the cap may well copy)."""
    return event_request(mention_callback()[1], SIGNING_SECRET).headers


async def test_a_body_declared_over_the_cap_is_refused_413_without_being_read(http_bot, claude):
    bot, _ = http_bot
    headers = signed_mention_headers()
    # Only the headers are sent: an answer proves the bot did not wait for the body.
    status, body = await exchange(bot.base_url, headers | {"Content-Length": str(MAX_BODY_BYTES + 1)}, [])
    assert status == 413 and json.loads(body) == {"error": "request body too large"}
    assert claude.requests == []


async def test_a_chunked_body_that_grows_past_the_cap_is_refused_413(http_bot, claude):
    bot, _ = http_bot
    headers = signed_mention_headers() | {"Transfer-Encoding": "chunked"}
    piece = b"x" * 65536
    chunks = [b"%x\r\n%s\r\n" % (len(piece), piece)] * (MAX_BODY_BYTES // len(piece) + 1)  # never finished
    status, _ = await exchange(bot.base_url, headers, chunks)
    assert status == 413 and claude.requests == []


async def test_a_signed_body_near_the_cap_is_still_read_and_answered(http_bot):
    _, http = http_bot
    challenge = "c" * (MAX_BODY_BYTES - 1000)
    response = await post(http, url_verification_request(SIGNING_SECRET, challenge=challenge))
    assert response.status_code == 200 and response.json() == {"challenge": challenge}
