"""Paying an artist from Slack: preview with buttons, only the requester's click pays, exactly once.

Real bot, Slack double, LLM double, and the real gateway with payments on (real Postgres, Stripe double).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from slack_client.confirmations import ButtonSeal
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import ToolCall, text_turn, tool_turn
from tests.doubles.slack_api import SlackDouble
from tests.doubles.slack_payloads import BOT_USER_ID, app_mention, block_actions, event_callback
from tests.slack_fixtures import FINANCE_USER, OTHER_FINANCE_USER, PAY_SOFIA, STAFF_USER, bot_settings, run_bot
from tests.support.payments import payments_gateway

pytest_plugins = ["tests.slack_fixtures"]

CHANNEL = "C0FINANCE1"
ROLES = {FINANCE_USER: "finance", OTHER_FINANCE_USER: "finance"}


@pytest.fixture
async def payments(postgres) -> Any:
    async with payments_gateway(postgres) as setup:
        yield setup


async def ask_to_pay(slack: SlackDouble, claude: AnthropicDouble) -> tuple[dict, dict]:
    """Ask as the finance user; return the posted confirmation message and its Confirm button."""
    claude.script(
        tool_turn(ToolCall("process_artist_payment", PAY_SOFIA)),
        text_turn("I've prepared a payment of 400.00 CAD to Sofia Marchetti. Please confirm below."),
    )
    event = app_mention(f"<@{BOT_USER_ID}> pay Sofia her 400 CAD for AB4002", user=FINANCE_USER, channel=CHANNEL)
    slack.socket_mode.push_events_api(event_callback(event))
    post = await slack.wait_for_post_async(lambda c: "blocks" in c.params, channel=CHANNEL, thread_ts=event["ts"])
    message = slack.message(CHANNEL, post.response["ts"])
    button = next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"])
    return message, button


def click(slack: SlackDouble, message: dict, button: dict, user: str) -> str:
    url = slack.new_response_url()
    payload = block_actions(
        action_id=button["action_id"],
        value=button["value"],
        user_id=user,
        message=message,
        channel_id=CHANNEL,
        response_url=url,
    )
    slack.socket_mode.push_interactive(payload)
    return url


async def test_the_requesters_click_pays_once_and_the_message_shows_the_transfer(
    slack: SlackDouble, claude: AnthropicDouble, payments
):
    settings = bot_settings(slack, claude, payments.gateway.url, payments.gateway.token, rbac=ROLES)
    async with run_bot(settings, slack):
        message, confirm = await ask_to_pay(slack, claude)
        assert payments.stripe.transfers == []  # the preview moved nothing

        click(slack, message, confirm, FINANCE_USER)
        update = await slack.wait_for_call_async("chat.update", ts=message["ts"])
        late = click(slack, message, confirm, FINANCE_USER)
        told = await slack.wait_for_response_url_post_async(late)

    transfers = payments.stripe.transfers
    assert len(transfers) == 1
    assert transfers[0]["amount"] == 40000 and transfers[0]["destination"] == "acct_demoA3sofiam"
    assert transfers[0]["id"] in update.params["text"]
    assert all(block["type"] != "actions" for block in update.params["blocks"])  # the buttons are gone
    assert "already handled" in told.body["text"] and told.body["response_type"] == "ephemeral"
    offered = next(t for t in claude.requests[0].body["tools"] if t["name"] == "process_artist_payment")
    assert "confirmation_token" not in offered["input_schema"]["properties"]  # the model can't even send one
    told_model = claude.requests[1].tool_results[0].text
    assert told_model.startswith("PREVIEW ONLY") and "confirmation_token" not in told_model


async def test_a_click_by_another_finance_user_pays_nothing_and_tells_them_why(
    slack: SlackDouble, claude: AnthropicDouble, payments
):
    settings = bot_settings(slack, claude, payments.gateway.url, payments.gateway.token, rbac=ROLES)
    async with run_bot(settings, slack):
        message, confirm = await ask_to_pay(slack, claude)
        url = click(slack, message, confirm, OTHER_FINANCE_USER)
        told = await slack.wait_for_response_url_post_async(url)

    assert told.body["text"] == f"Only <@{FINANCE_USER}>, who asked for this, can confirm it."
    assert told.body["response_type"] == "ephemeral" and told.body["replace_original"] is False
    assert payments.stripe.transfers == []
    assert slack.calls_to("chat.update") == []


async def test_cancel_by_the_requester_disables_the_buttons_and_pays_nothing(
    slack: SlackDouble, claude: AnthropicDouble, payments
):
    settings = bot_settings(slack, claude, payments.gateway.url, payments.gateway.token, rbac=ROLES)
    async with run_bot(settings, slack):
        message, _confirm = await ask_to_pay(slack, claude)
        cancel = next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"][1:])
        click(slack, message, cancel, FINANCE_USER)
        update = await slack.wait_for_call_async("chat.update", ts=message["ts"])

    assert "Cancelled" in update.params["text"]
    assert all(block["type"] != "actions" for block in update.params["blocks"])
    assert payments.stripe.transfers == []


async def test_staff_are_never_offered_the_payment_tool_even_when_the_gateway_lists_it(
    slack: SlackDouble, claude: AnthropicDouble, payments
):
    claude.script(text_turn("Sorry, paying artists needs the finance role."))
    settings = bot_settings(slack, claude, payments.gateway.url, payments.gateway.token, rbac=ROLES)
    async with run_bot(settings, slack) as bot:
        assert "process_artist_payment" in [t.name for t in bot.app.gateway.tools()]
        event = app_mention(f"<@{BOT_USER_ID}> pay Sofia 400 CAD", user=STAFF_USER, channel=CHANNEL)
        slack.socket_mode.push_events_api(event_callback(event))
        await slack.wait_for_answer_async(CHANNEL, event["ts"])

    assert "process_artist_payment" not in claude.requests[0].tool_names
    assert payments.stripe.transfers == []


# -- any replica can act on a click: the buttons carry the signed action ---------------------------


def tampered(value: str) -> str:
    middle = len(value) // 2
    return value[:middle] + ("A" if value[middle] != "A" else "B") + value[middle + 1 :]


async def test_a_click_reaching_a_restarted_bot_pays_once_and_a_second_click_pays_nothing_more(
    slack: SlackDouble, claude: AnthropicDouble, payments
):
    settings = bot_settings(slack, claude, payments.gateway.url, payments.gateway.token, rbac=ROLES)
    async with run_bot(settings, slack):
        message, confirm = await ask_to_pay(slack, claude)
    assert len(confirm["value"]) <= 2000

    async with run_bot(settings, slack):  # a new process: nothing in memory from the one that posted
        foreign = await slack.wait_for_response_url_post_async(click(slack, message, confirm, OTHER_FINANCE_USER))
        click(slack, message, confirm, FINANCE_USER)
        update = await slack.wait_for_call_async("chat.update", ts=message["ts"])
        again = await slack.wait_for_response_url_post_async(click(slack, message, confirm, FINANCE_USER))

    async with run_bot(settings, slack):  # a third replica, which never saw the first click
        click(slack, message, confirm, FINANCE_USER)
        repeated = await slack.wait_for_call_async("chat.update", where=lambda c: c is not update, ts=message["ts"])

    transfers = payments.stripe.transfers
    assert len(transfers) == 1 and transfers[0]["amount"] == 40000
    assert foreign.body["text"] == f"Only <@{FINANCE_USER}>, who asked for this, can confirm it."
    assert transfers[0]["id"] in update.params["text"]
    assert all(block["type"] != "actions" for block in update.params["blocks"])
    assert "already handled" in again.body["text"]
    assert transfers[0]["id"] in repeated.params["text"]  # the gateway answered the repeat with the same transfer


async def test_a_click_with_a_tampered_button_value_changes_nothing_and_pays_nothing(
    slack: SlackDouble, claude: AnthropicDouble, payments
):
    settings = bot_settings(slack, claude, payments.gateway.url, payments.gateway.token, rbac=ROLES)
    async with run_bot(settings, slack):
        message, confirm = await ask_to_pay(slack, claude)
        url = click(slack, message, {**confirm, "value": tampered(confirm["value"])}, FINANCE_USER)
        told = await slack.wait_for_response_url_post_async(url)

    assert "not valid" in told.body["text"] and told.body["response_type"] == "ephemeral"
    assert payments.stripe.transfers == []
    assert slack.calls_to("chat.update") == []


async def test_an_expired_button_is_refused_on_any_replica_and_pays_nothing(
    slack: SlackDouble, claude: AnthropicDouble, payments
):
    settings = bot_settings(slack, claude, payments.gateway.url, payments.gateway.token, rbac=ROLES)
    async with run_bot(settings, slack):
        message, confirm = await ask_to_pay(slack, claude)
    seal = ButtonSeal(settings.state_key())
    pending = seal.open(confirm["value"])
    assert pending is not None
    expired = seal.seal(dataclasses.replace(pending, expires_at=pending.expires_at - 3600))
    assert expired is not None

    async with run_bot(settings, slack):
        click(slack, message, {**confirm, "value": expired}, FINANCE_USER)
        update = await slack.wait_for_call_async("chat.update", ts=message["ts"])

    assert "expired" in update.params["text"]
    assert payments.stripe.transfers == []
