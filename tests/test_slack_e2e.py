"""The assistant end to end over Socket Mode: Slack double → real bot → LLM doubles → real gateway and Postgres."""

from __future__ import annotations

import json

import httpx2
import pytest

from slack_client.policy import parse_policy
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import ToolCall, text_turn, tool_turn
from tests.doubles.openai_api import OpenAIDouble
from tests.doubles.slack_api import SlackDouble
from tests.doubles.slack_payloads import (
    BOT_ID,
    BOT_USER_ID,
    app_mention,
    direct_message,
    event_callback,
    slash_command,
)
from tests.slack_fixtures import STAFF_USER, RestartableGateway, bot_settings, run_bot

pytest_plugins = ["tests.slack_fixtures"]

CHANNEL = "C0OPS00001"
DM = "D0STAFF001"
VOTING = ToolCall("get_live_voting_status", {"eid": "AB4001"})


def leader_of_round_2(request) -> str:
    """Read the tool result the bot sent the model, as a model would."""
    voting = json.loads(request.tool_results[0].text)
    leader = next(r["leader"] for r in voting["rounds"] if r["round_number"] == 2)
    return f"Round 2 at AB4001 is led by **{leader['artist_name']}** with {leader['weighted_total']} weighted votes."


def voting_model(request):
    """A model that looks the voting up, then answers from what it got."""
    return text_turn(leader_of_round_2(request)) if request.tool_results else tool_turn(VOTING)


def mention(slack: SlackDouble, text: str, user: str = STAFF_USER, **kw) -> dict:
    event = app_mention(f"<@{BOT_USER_ID}> {text}", user=user, channel=kw.pop("channel", CHANNEL), **kw)
    slack.socket_mode.push_events_api(event_callback(event))
    return event


def bot_replies(slack: SlackDouble, channel: str, thread_ts: str) -> list[dict]:
    """The bot's messages in a thread, as a user scrolling it sees them."""
    return [m for m in slack.messages(channel, thread_ts) if m.get("bot_id") == BOT_ID]


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
async def test_a_mention_runs_a_tool_and_answers_in_the_thread_with_its_numbers(
    provider, slack: SlackDouble, claude: AnthropicDouble, gpt: OpenAIDouble, gateway_url, gateway_token
):
    llm = claude if provider == "anthropic" else gpt
    llm.script(tool_turn(VOTING), lambda request: text_turn(leader_of_round_2(request)))
    async with run_bot(bot_settings(slack, llm, gateway_url, gateway_token), slack):
        event = mention(slack, "how's voting at AB4001?")
        answer = await slack.wait_for_answer_async(CHANNEL, event["ts"])

    assert answer.streamed  # a stream's markdown, which Slack renders: bold stays `**`
    assert answer.text == "Round 2 at AB4001 is led by **Grace Liu** with 20.5 weighted votes."
    assert len(llm.requests) == 2
    assert "get_live_voting_status" in llm.requests[0].tool_names
    assert slack.calls_to("reactions.add")[0].params["name"] == "eyes"
    status = slack.calls_to("assistant.threads.setStatus")
    assert any("live voting status for AB4001" in call.params["status"] for call in status)


async def test_a_slash_command_is_acked_at_once_and_answered_only_to_the_asker(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    claude.script(tool_turn(VOTING), lambda request: text_turn(leader_of_round_2(request)))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        url = slack.new_response_url()
        envelope = slack.socket_mode.push_slash_command(
            slash_command("how's voting at AB4001?", user_id=STAFF_USER, channel_id=CHANNEL, response_url=url)
        )
        ack = await slack.socket_mode.wait_for_ack_async(envelope)
        reply = await slack.wait_for_response_url_post_async(url)

    assert ack.payload == {"response_type": "ephemeral", "text": "Looking into it…"}
    assert reply.body["response_type"] == "ephemeral"
    assert "Grace Liu" in reply.body["text"] and "20.5" in reply.body["text"]


async def test_slash_public_answers_in_the_channel(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    claude.script(tool_turn(VOTING), lambda request: text_turn(leader_of_round_2(request)))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        url = slack.new_response_url()
        envelope = slack.socket_mode.push_slash_command(
            slash_command("public how's voting at AB4001?", user_id=STAFF_USER, channel_id=CHANNEL, response_url=url)
        )
        ack = await slack.socket_mode.wait_for_ack_async(envelope)
        reply = await slack.wait_for_response_url_post_async(url)

    assert ack.payload == {"response_type": "in_channel"}
    assert reply.body["response_type"] == "in_channel" and "Grace Liu" in reply.body["text"]
    assert claude.requests[0].messages[-1]["content"] == "how's voting at AB4001?"


async def test_a_direct_message_is_answered_inline(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    claude.script(tool_turn(VOTING), lambda request: text_turn(leader_of_round_2(request)))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        slack.socket_mode.push_events_api(
            event_callback(direct_message("voting at AB4001?", user=STAFF_USER, channel=DM))
        )
        answer = await slack.wait_for_answer_async(DM)

    assert answer.thread_ts is None and "Grace Liu" in answer.text
    assert not answer.streamed  # a stream must be a thread reply; a DM's top level grows by post and update


async def test_a_follow_up_in_the_thread_carries_the_conversation_so_far(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    claude.script(
        tool_turn(VOTING),
        lambda request: text_turn(leader_of_round_2(request)),
        lambda request: text_turn("Round 1 was won by Hana Kowalczyk."),
    )
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        first = mention(slack, "how's voting at AB4001?")
        await slack.wait_for_answer_async(CHANNEL, first["ts"])
        mention(slack, "and who won round 1?", thread_ts=first["ts"])
        await slack.wait_for_answer_async(CHANNEL, first["ts"], where=lambda answer: "Hana" in answer.text)

    follow_up = claude.requests[2].messages
    assert [m["role"] for m in follow_up] == ["user", "assistant", "user"]
    assert follow_up[0]["content"] == "how's voting at AB4001?"
    assert "Grace Liu" in json.dumps(follow_up[1]["content"])
    assert follow_up[2]["content"] == "and who won round 1?"


async def test_parallel_tool_calls_both_reach_the_gateway_and_the_answer_uses_both(
    slack: SlackDouble, gpt: OpenAIDouble, gateway_url, gateway_token
):
    def both(request):
        voting, auction = (json.loads(r.text) for r in request.tool_results)
        return text_turn(f"Votes so far: {voting['rounds'][1]['total_raw_votes']}; works: {len(auction['artworks'])}.")

    gpt.script(tool_turn(VOTING, ToolCall("get_auction_status", {"eid": "AB4001"})), both)
    async with run_bot(bot_settings(slack, gpt, gateway_url, gateway_token), slack):
        event = mention(slack, "voting and auction at AB4001?")
        answer = await slack.wait_for_answer_async(CHANNEL, event["ts"])

    assert len(gpt.requests[1].tool_results) == 2
    assert answer.text.startswith("Votes so far: 56; works:")


async def test_a_tool_error_goes_back_to_the_model_which_still_answers(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    claude.script(
        tool_turn(ToolCall("get_event_details", {"eid": "AB9999"})),
        lambda request: text_turn(f"Hmm: {request.tool_results[0].text}"),
    )
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        event = mention(slack, "details of AB9999?")
        answer = await slack.wait_for_answer_async(CHANNEL, event["ts"])

    result = claude.requests[1].tool_results[0]
    assert result.is_error and "There is no event AB9999" in result.text
    assert "There is no event AB9999" in answer.text


async def test_a_role_without_payments_is_not_offered_the_tool_and_is_told_politely(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    pay = {"eid": "AB4002", "artist_profile_id": "x", "amount": "100", "currency": "CAD"}
    claude.script(
        tool_turn(ToolCall("process_artist_payment", pay)),
        lambda request: text_turn(f"Sorry, I can't do that: {request.tool_results[0].text}"),
    )
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        event = mention(slack, "pay Sofia 100 CAD for AB4002")
        answer = await slack.wait_for_answer_async(CHANNEL, event["ts"])

    assert "process_artist_payment" not in claude.requests[0].tool_names
    assert "get_payment_summary" not in claude.requests[0].tool_names  # staff may not read payments either
    assert "not available to the staff role" in answer.text


async def test_a_user_asking_too_fast_is_told_to_wait_and_the_model_is_not_called(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    raw = {"roles": ["staff"], "limits": {"user_burst": 1, "user_per_minute": 1}, "tools": {}}
    claude.script(text_turn("Hello!"))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack, parse_policy(raw)):
        first = mention(slack, "hi")
        await slack.wait_for_answer_async(CHANNEL, first["ts"])
        second = mention(slack, "hi again")
        refusal = await slack.wait_for_call_async("chat.postEphemeral", thread_ts=second["ts"])

    assert "faster than I can keep up" in refusal.params["text"] and refusal.params["user"] == STAFF_USER
    assert len(claude.requests) == 1


async def test_a_retried_event_is_answered_once(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    claude.script(tool_turn(VOTING), lambda request: text_turn(leader_of_round_2(request)))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack) as bot:
        event = app_mention(f"<@{BOT_USER_ID}> voting at AB4001?", user=STAFF_USER, channel=CHANNEL)
        body = event_callback(event)
        first = slack.socket_mode.push_events_api(body)
        retry = slack.socket_mode.push_events_api(body, retry_attempt=1, retry_reason="timeout")
        await slack.socket_mode.wait_for_ack_async(first)
        await slack.socket_mode.wait_for_ack_async(retry)
        answer = await slack.wait_for_answer_async(CHANNEL, event["ts"])
        await bot.app.tracker.drain(5)

    assert [m["ts"] for m in bot_replies(slack, CHANNEL, event["ts"])] == [answer.ts]
    assert len([c for c in slack.calls_to("chat.startStream") if c.params.get("thread_ts") == event["ts"]]) == 1
    assert len(claude.requests) == 2


async def test_when_the_gateway_is_down_the_user_is_told_and_when_it_is_back_they_are_answered(
    slack: SlackDouble, claude: AnthropicDouble, postgres
):
    gateway = RestartableGateway(await postgres.create_demo_database("slackdown"))
    await gateway.start()
    try:
        claude.script(voting_model, voting_model, voting_model)  # the first question may or may not reach the model
        async with run_bot(bot_settings(slack, claude, gateway.url, gateway.token), slack):
            await gateway.stop()
            down = mention(slack, "voting at AB4001?")
            refusal = await slack.wait_for_call_async("chat.postEphemeral", thread_ts=down["ts"])
            await gateway.start()
            back = mention(slack, "voting at AB4001?")
            answer = await slack.wait_for_answer_async(CHANNEL, back["ts"])
    finally:
        await gateway.stop()

    assert "can't reach the Art Battle data service" in refusal.params["text"]
    assert "Grace Liu" in answer.text


async def test_health_readiness_and_metrics_are_served(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    claude.script(text_turn("Hello!"))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack) as bot:
        event = mention(slack, "hi")
        await slack.wait_for_answer_async(CHANNEL, event["ts"])
        async with httpx2.AsyncClient(base_url=bot.base_url) as http:
            health, ready, metrics = [await http.get(path) for path in ("/healthz", "/readyz", "/metrics")]

    assert health.status_code == 200
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert set(ready.json()["checks"]) == {"slack", "tools", "llm"}
    assert 'abcodex_bot_requests_total{kind="mention",outcome="answered"} 1.0' in metrics.text
    assert "abcodex_bot_ack_seconds_bucket" in metrics.text
