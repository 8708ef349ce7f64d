"""👍/👎 under each answer: a click is acknowledged, logged with the answer's request id and counted."""

from __future__ import annotations

import httpx2
from structlog.testing import capture_logs

from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import text_turn
from tests.doubles.slack_api import SlackDouble
from tests.doubles.slack_payloads import feedback_click, new_ts, slash_command
from tests.doubles.slack_views import check_blocks
from tests.slack_fixtures import FINANCE_USER, STAFF_USER, bot_settings, run_bot

pytest_plugins = ["tests.slack_fixtures"]

CHANNEL = "C0FEEDBK01"


async def answered(slack: SlackDouble, question: str) -> dict:
    """Ask with `/ab public`; the answer as the channel's message Slack would hand back with a click."""
    url = slack.new_response_url()
    slack.socket_mode.push_slash_command(
        slash_command(f"public {question}", user_id=STAFF_USER, channel_id=CHANNEL, response_url=url)
    )
    body = (await slack.wait_for_response_url_post_async(url)).body
    return {"type": "message", "ts": new_ts(), "text": body["text"], "blocks": body["blocks"]}


async def click(slack: SlackDouble, message: dict, *, positive: bool, user: str = STAFF_USER) -> dict:
    """Click 👍 or 👎 under `message`; what the bot answered the clicker."""
    url = slack.new_response_url()
    payload = feedback_click(message, positive=positive, user_id=user, channel_id=CHANNEL, response_url=url)
    slack.socket_mode.push_interactive(payload)
    return (await slack.wait_for_response_url_post_async(url)).body


async def test_a_thumbs_down_is_thanked_privately_logged_with_the_answers_request_id_and_counted(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    claude.script(text_turn("AB4001 starts at 7 pm."))
    with capture_logs() as logs:
        async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack) as bot:
            message = await answered(slack, "when does AB4001 start?")
            thanks = await click(slack, message, positive=False)
            async with httpx2.AsyncClient(base_url=bot.base_url) as http:
                metrics = (await http.get("/metrics")).text

    check_blocks(message["blocks"])
    request = next(line for line in logs if line["event"] == "request")
    feedback = next(line for line in logs if line["event"] == "feedback")
    assert feedback["request_id"] == request["request_id"]
    assert (feedback["verdict"], feedback["user"]) == ("bad", STAFF_USER)
    assert thanks["response_type"] == "ephemeral" and thanks["replace_original"] is False
    assert request["request_id"] in thanks["text"]
    assert 'abcodex_bot_feedback_total{verdict="bad"} 1.0' in metrics


async def test_each_click_counts_under_its_own_verdict(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    claude.script(text_turn("AB4001 starts at 7 pm."))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack) as bot:
        message = await answered(slack, "when does AB4001 start?")
        first = await click(slack, message, positive=True)
        second = await click(slack, message, positive=True, user=FINANCE_USER)
        async with httpx2.AsyncClient(base_url=bot.base_url) as http:
            metrics = (await http.get("/metrics")).text

    assert first["text"] == second["text"] == "Thanks, glad that helped."
    assert 'abcodex_bot_feedback_total{verdict="good"} 2.0' in metrics
    assert 'abcodex_bot_feedback_total{verdict="bad"}' not in metrics
