"""The Slack double, driven through slack-sdk's own clients: Web API, Socket Mode and signatures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.doubles.slack_api import SlackDouble
from tests.doubles.slack_http_events import (
    event_request,
    interactivity_request,
    slash_command_request,
    stale_timestamp,
    url_verification_request,
    with_bad_signature,
)
from tests.doubles.slack_payloads import (
    APP_ID,
    BOT_USER_ID,
    app_mention,
    block_actions,
    direct_message,
    event_callback,
    slash_command,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def slack() -> Iterator[SlackDouble]:
    with SlackDouble() as double:
        yield double


def web_client(slack: SlackDouble, token: str | None = None) -> AsyncWebClient:
    return AsyncWebClient(token=token or slack.bot_token, base_url=slack.api_url)


async def test_bot_reply_in_a_thread_is_read_back_by_conversations_replies(slack: SlackDouble):
    client = web_client(slack)
    question = slack.add_message("C0OPS", "how's voting at AB4001?", user="U0STAFF")

    posted = await client.chat_postMessage(channel="C0OPS", thread_ts=question["ts"], text="Easel 3 leads")
    replies = await client.conversations_replies(channel="C0OPS", ts=question["ts"])

    assert posted["message"]["thread_ts"] == question["ts"]
    assert [m["text"] for m in replies["messages"]] == ["how's voting at AB4001?", "Easel 3 leads"]
    assert replies["messages"][0]["reply_count"] == 1
    call = await slack.wait_for_post_async(thread_ts=question["ts"])
    assert call.headers["Authorization"] == f"Bearer {slack.bot_token}"


async def test_auth_test_names_the_bot_and_a_wrong_token_is_invalid_auth(slack: SlackDouble):
    me = await web_client(slack).auth_test()

    with pytest.raises(SlackApiError) as refused:
        await web_client(slack, token="xoxb-wrong").auth_test()

    assert me["user_id"] == BOT_USER_ID
    assert refused.value.response["error"] == "invalid_auth"
    assert slack.calls_to("auth.test")[-1].token == "xoxb-wrong"


async def test_forced_rate_limit_answers_429_with_retry_after_once(slack: SlackDouble):
    slack.rate_limit("chat.postMessage", retry_after=3)
    client = web_client(slack)

    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel="C0OPS", text="first")
    second = await client.chat_postMessage(channel="C0OPS", text="second")

    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "3"
    assert limited.value.response["error"] == "ratelimited"
    assert second["ok"]
    assert [call.status for call in slack.calls_to("chat.postMessage")] == [429, 200]


async def test_seeded_users_and_usergroups_are_served(slack: SlackDouble):
    slack.add_user("U0FIN", name="fiona", email="fiona@artbattle.com")
    slack.add_usergroup("S0FIN", handle="finance", users=["U0FIN"])
    client = web_client(slack)

    user = await client.users_info(user="U0FIN")
    groups = await client.usergroups_list(include_users=True)
    members = await client.usergroups_users_list(usergroup="S0FIN")

    assert user["user"]["profile"]["email"] == "fiona@artbattle.com"
    assert groups["usergroups"][0]["handle"] == "finance"
    assert groups["usergroups"][0]["users"] == ["U0FIN"]
    assert members["users"] == ["U0FIN"]


async def test_message_to_a_user_lands_in_their_dm_and_can_be_updated(slack: SlackDouble):
    client = web_client(slack)

    posted = await client.chat_postMessage(channel="U0STAFF", text="Preview", blocks=[{"type": "divider"}])
    await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="Paid", blocks=[])
    link = await client.chat_getPermalink(channel=posted["channel"], message_ts=posted["ts"])

    assert posted["channel"] == "D0STAFF"
    assert slack.message("D0STAFF", posted["ts"])["text"] == "Paid"
    assert slack.calls_to("chat.postMessage")[0].params["blocks"] == [{"type": "divider"}]
    assert link["permalink"].endswith(posted["ts"].replace(".", ""))


async def test_status_reaction_and_ephemeral_calls_are_recorded(slack: SlackDouble):
    mention = slack.add_message("C0OPS", "<@U0ABBOT01> hi", user="U0STAFF")
    client = web_client(slack)

    await client.assistant_threads_setStatus(channel_id="C0OPS", thread_ts=mention["ts"], status="is looking up…")
    await client.reactions_add(channel="C0OPS", name="eyes", timestamp=mention["ts"])
    await client.chat_postEphemeral(channel="C0OPS", user="U0STAFF", text="Only finance can pay artists.")
    with pytest.raises(SlackApiError) as twice:
        await client.reactions_add(channel="C0OPS", name="eyes", timestamp=mention["ts"])
    await client.reactions_remove(channel="C0OPS", name="eyes", timestamp=mention["ts"])

    assert twice.value.response["error"] == "already_reacted"
    assert slack.calls_to("assistant.threads.setStatus")[0].params["status"] == "is looking up…"
    assert slack.message("C0OPS", mention["ts"])["reactions"] == []
    assert slack.calls_to("chat.postEphemeral")[0].response["message_ts"]


def test_sync_web_client_works_while_a_test_waits_with_a_bound(slack: SlackDouble):
    WebClient(token=slack.bot_token, base_url=slack.api_url).chat_postMessage(channel="C0OPS", text="hello")

    assert slack.wait_for_post(channel="C0OPS", timeout=1).params["text"] == "hello"
    with pytest.raises(TimeoutError, match=r"chat\.update"):
        slack.wait_for_call("chat.update", timeout=0.05)


async def connected_socket_mode_client(
    slack: SlackDouble, listener: Any
) -> tuple[SocketModeClient, asyncio.Queue[dict[str, Any]]]:
    frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def record(_client: AsyncBaseSocketModeClient, message: dict[str, Any], _raw: str | None) -> None:
        frames.put_nowait(message)

    client = SocketModeClient(app_token=slack.app_token, web_client=web_client(slack))
    client.message_listeners.append(record)
    client.socket_mode_request_listeners.append(listener)
    await client.connect()
    await slack.socket_mode.wait_for_connection_async()
    return client, frames


async def test_socket_mode_client_is_greeted_gets_an_event_and_its_ack_is_recorded(slack: SlackDouble):
    received: list[SocketModeRequest] = []

    async def ack(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        received.append(request)
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

    client, frames = await connected_socket_mode_client(slack, ack)
    try:
        callback = event_callback(app_mention("<@U0ABBOT01> voting?", user="U0STAFF", channel="C0OPS"))
        envelope_id = slack.socket_mode.push_events_api(callback, retry_attempt=1, retry_reason="timeout")
        acked = await slack.socket_mode.wait_for_ack_async(envelope_id)
        hello = await asyncio.wait_for(frames.get(), 5)
    finally:
        await client.close()

    assert hello["type"] == "hello"
    assert hello["connection_info"] == {"app_id": APP_ID}
    assert received[0].type == "events_api"
    assert received[0].retry_attempt == 1
    assert received[0].payload["event_id"] == callback["event_id"]
    assert acked.latency is not None
    assert acked.latency >= 0
    assert slack.messages("C0OPS")[0]["text"] == "<@U0ABBOT01> voting?"


async def test_slash_command_ack_and_response_url_round_trip(slack: SlackDouble):
    async def answer(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        await client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload={"text": "Looking…"})
        )
        await AsyncWebhookClient(request.payload["response_url"]).send(text="Easel 3 leads", response_type="in_channel")

    client, _ = await connected_socket_mode_client(slack, answer)
    try:
        url = slack.new_response_url()
        fields = slash_command("how's voting?", user_id="U0STAFF", channel_id="C0OPS", response_url=url)
        envelope_id = slack.socket_mode.push_slash_command(fields)
        acked = await slack.socket_mode.wait_for_ack_async(envelope_id)
        answered = await slack.wait_for_response_url_post_async(url)
    finally:
        await client.close()

    assert slack.socket_mode.pushed[0].body["accepts_response_payload"] is True
    assert acked.payload == {"text": "Looking…"}
    assert answered.body == {"text": "Easel 3 leads", "response_type": "in_channel"}


async def test_button_click_arrives_as_block_actions_over_socket_mode(slack: SlackDouble):
    clicks: list[dict[str, Any]] = []

    async def ack(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        clicks.append(request.payload)
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

    posted = await web_client(slack).chat_postMessage(
        channel="C0OPS",
        text="Pay?",
        blocks=[{"type": "actions", "block_id": "pay", "elements": [{"type": "button", "action_id": "confirm"}]}],
    )
    client, _ = await connected_socket_mode_client(slack, ack)
    try:
        payload = block_actions(
            action_id="confirm",
            value="preview-1",
            user_id="U0FIN",
            message=posted["message"],
            channel_id="C0OPS",
            response_url=slack.new_response_url(),
        )
        await slack.socket_mode.wait_for_ack_async(slack.socket_mode.push_interactive(payload))
    finally:
        await client.close()

    assert clicks == [payload]
    assert clicks[0]["actions"][0]["block_id"] == "pay"
    assert clicks[0]["container"]["message_ts"] == posted["ts"]


async def test_disconnect_message_makes_the_sdk_reconnect_with_a_new_url(slack: SlackDouble):
    async def ignore(_client: AsyncBaseSocketModeClient, _request: SocketModeRequest) -> None:
        return None

    client, frames = await connected_socket_mode_client(slack, ignore)
    try:
        await asyncio.wait_for(frames.get(), 5)
        slack.socket_mode.push_disconnect()
        second_hello = await asyncio.wait_for(frames.get(), 5)  # the SDK handles `disconnect` itself
    finally:
        await client.close()

    assert second_hello["type"] == "hello"
    assert len(slack.calls_to("apps.connections.open")) == 2
    assert slack.socket_mode.wait_for_connection(count=2, timeout=1).number == 2


async def test_apps_connections_open_refuses_the_bot_token(slack: SlackDouble):
    with pytest.raises(SlackApiError) as refused:
        await web_client(slack).apps_connections_open(app_token=slack.bot_token)

    assert refused.value.response["error"] == "not_allowed_token_type"


def test_signed_event_and_url_verification_pass_slack_sdk_verifier():
    verifier = SignatureVerifier(SECRET)
    callback = event_callback(direct_message("hi", user="U0STAFF", channel="D0STAFF"))

    event = event_request(callback, SECRET, retry_num=1, retry_reason="http_timeout")
    challenge = url_verification_request(SECRET, challenge="abc")

    assert verifier.is_valid_request(event.body, event.headers)
    assert json.loads(event.body)["event"]["channel_type"] == "im"
    assert event.headers["X-Slack-Retry-Num"] == "1"
    assert verifier.is_valid_request(challenge.body, challenge.headers)
    assert json.loads(challenge.body) == {
        "token": "verification-token-unused",
        "challenge": "abc",
        "type": "url_verification",
    }


def test_signed_slash_command_and_interaction_are_form_encoded_and_verify():
    verifier = SignatureVerifier(SECRET)
    fields = slash_command("voting?", user_id="U0STAFF", channel_id="C0OPS", response_url="http://x/response/1")
    click = block_actions(
        action_id="cancel",
        value="p1",
        user_id="U0FIN",
        message={"ts": "1.000001"},
        channel_id="C0OPS",
        response_url="http://x/response/2",
    )

    command = slash_command_request(fields, SECRET)
    interaction = interactivity_request(click, SECRET)

    assert verifier.is_valid_request(command.body, command.headers)
    assert {key: values[0] for key, values in parse_qs(command.text).items()} == fields
    assert verifier.is_valid_request(interaction.body, interaction.headers)
    assert json.loads(parse_qs(interaction.text)["payload"][0]) == click


def test_stale_timestamp_and_bad_signature_fail_slack_sdk_verifier():
    verifier = SignatureVerifier(SECRET)
    callback = event_callback(app_mention("hi", user="U0STAFF", channel="C0OPS"))

    stale = event_request(callback, SECRET, timestamp=stale_timestamp())
    forged = with_bad_signature(event_request(callback, SECRET))

    assert not verifier.is_valid_request(stale.body, stale.headers)
    assert not verifier.is_valid_request(forged.body, forged.headers)
    assert (
        verifier.generate_signature(timestamp=stale.headers["X-Slack-Request-Timestamp"], body=stale.body)
        == (stale.headers["X-Slack-Signature"])
    )


def test_pushing_without_a_connection_says_to_wait_for_one(slack: SlackDouble):
    with pytest.raises(RuntimeError, match="wait_for_connection"):
        slack.socket_mode.push_events_api(event_callback(app_mention("hi", user="U0STAFF", channel="C0OPS")))
