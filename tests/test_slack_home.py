"""The Home tab: what the user's role can ask (with an example each), whether the data service is up, and
how to get more access."""

from __future__ import annotations

import dataclasses
import re

import pytest

from slack_client.policy import Access
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.slack_api import SlackDouble
from tests.doubles.slack_payloads import app_home_opened, event_callback
from tests.doubles.slack_views import HOME_BLOCKS, check_blocks
from tests.slack_fixtures import FINANCE_USER, STAFF_USER, bot_settings, run_bot, shipped_policy
from tests.support.process import free_port

pytest_plugins = ["tests.slack_fixtures"]

ROLES = {FINANCE_USER: "finance"}


def texts(view: dict) -> list[str]:
    """The text of each block, and of each element of a context block."""
    found = [block["text"]["text"] for block in view["blocks"] if isinstance(block.get("text"), dict)]
    return found + [e["text"] for block in view["blocks"] if block["type"] == "context" for e in block["elements"]]


def examples(view: dict) -> list[str]:
    """The example questions the view shows, one per tool."""
    return [m.group(1) for text in texts(view) if (m := re.search(r"\n“(.+)”$", text))]


async def open_home(slack: SlackDouble, user: str) -> dict:
    slack.add_user(user, name=user.lower())
    slack.socket_mode.push_events_api(event_callback(app_home_opened(user=user)))
    call = await slack.wait_for_call_async("views.publish", user_id=user)
    return call.params["view"]


@pytest.mark.parametrize(("user", "role"), [(STAFF_USER, "staff"), (FINANCE_USER, "finance")])
async def test_the_home_view_lists_what_the_users_role_may_ask_each_with_an_example_question(
    user, role, slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    policy = shipped_policy()
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token, rbac=ROLES), slack) as bot:
        view = await open_home(slack, user)
        assert bot.app.gateway is not None
        listed = bot.app.gateway.tools()

    allowed = [spec for spec in listed if policy.allows_tool(role, spec.name)]
    assert view["type"] == "home" and len(view["blocks"]) <= HOME_BLOCKS
    check_blocks(view["blocks"], HOME_BLOCKS)
    assert examples(view) == [policy.tools[spec.name].example for spec in allowed]
    assert "How's voting at AB4001?" in examples(view)
    owed = "Which artists are still owed money?"
    assert (owed in examples(view)) is (role == "finance")
    shown = "\n".join(texts(view))
    assert f"Your role is *{role}*" in shown
    assert "data service is reachable" in shown
    assert "#abcodex-admin" in shown  # how to get more access, from the policy file


async def test_when_the_gateway_cannot_be_reached_the_home_view_says_so(slack: SlackDouble, claude: AnthropicDouble):
    nobody_listens = f"http://127.0.0.1:{free_port()}/mcp"
    settings = bot_settings(slack, claude, nobody_listens, "token-unused")
    async with run_bot(settings, slack):
        view = await open_home(slack, STAFF_USER)

    shown = "\n".join(texts(view))
    assert "data service is not reachable right now" in shown
    assert examples(view) == [] and "No tools are available to your role right now." in shown


async def test_opening_the_messages_tab_publishes_nothing(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack) as bot:
        slack.socket_mode.push_events_api(event_callback(app_home_opened(user=STAFF_USER, tab="messages")))
        home = event_callback(app_home_opened(user=STAFF_USER))
        slack.add_user(STAFF_USER, name="staff")
        slack.socket_mode.push_events_api(home)
        await slack.wait_for_call_async("views.publish", user_id=STAFF_USER)
        await bot.app.tracker.drain(5)

    assert len(slack.calls_to("views.publish")) == 1


def test_every_tool_in_the_shipped_policy_has_an_example_question():
    policy = shipped_policy()

    assert [name for name, rule in policy.tools.items() if not rule.example] == []


async def test_a_user_outside_the_allow_list_is_shown_only_how_to_get_access(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    policy = dataclasses.replace(shipped_policy(), access=Access(users=frozenset({FINANCE_USER})))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack, policy):
        view = await open_home(slack, STAFF_USER)

    shown = "\n".join(texts(view))
    assert "not enabled for you" in shown and "#abcodex-admin" in shown
    assert examples(view) == []
