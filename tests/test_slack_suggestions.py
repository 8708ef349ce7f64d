"""Opening the assistant offers the role's suggested prompts; a thread is titled after its first question."""

from __future__ import annotations

import re

import pytest
import yaml

from slack_client.errors import ConfigError
from slack_client.policy import load_policy
from slack_client.slack.suggestions import TITLE_LIMIT, thread_title
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import text_turn
from tests.doubles.slack_api import SlackDouble
from tests.doubles.slack_payloads import (
    BOT_ID,
    BOT_USER_ID,
    assistant_thread_started,
    direct_message,
    event_callback,
    new_ts,
)
from tests.slack_fixtures import FINANCE_USER, MANIFEST, STAFF_USER, bot_settings, run_bot, shipped_policy
from tests.support.waiting import eventually

pytest_plugins = ["tests.slack_fixtures"]

ROLES = {FINANCE_USER: "finance"}


@pytest.mark.parametrize(("user", "role"), [(STAFF_USER, "staff"), (FINANCE_USER, "finance")])
async def test_opening_the_assistant_offers_the_prompts_the_policy_lists_for_the_users_role(
    user, role, slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    dm = "D" + user[1:]
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token, rbac=ROLES), slack):
        started = assistant_thread_started(user=user, channel=dm)
        slack.socket_mode.push_events_api(event_callback(started))
        thread_ts = started["assistant_thread"]["thread_ts"]
        call = await slack.wait_for_call_async("assistant.threads.setSuggestedPrompts", channel_id=dm)

    expected = [{"title": p.title, "message": p.message} for p in shipped_policy().suggested_prompts[role]]
    assert call.params["thread_ts"] == thread_ts
    assert call.params["prompts"] == expected and len(expected) == 3
    assert call.params["title"] == "Try asking"


async def test_the_first_question_in_a_thread_titles_it_and_a_follow_up_does_not(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    dm = "D" + STAFF_USER[1:]
    claude.script(text_turn("It starts at 7 pm."), text_turn("Doors open at 6:30."))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        root = slack.add_message(dm, "How can I help?", user=BOT_USER_ID, bot_id=BOT_ID, ts=new_ts())
        first = direct_message("When does AB4001 start?", user=STAFF_USER, channel=dm, thread_ts=root["ts"])
        slack.socket_mode.push_events_api(event_callback(first))
        titled = await slack.wait_for_call_async("assistant.threads.setTitle", channel_id=dm)
        follow_up = direct_message("and the doors?", user=STAFF_USER, channel=dm, thread_ts=root["ts"])
        slack.socket_mode.push_events_api(event_callback(follow_up))

        async def requests() -> int:
            return len(claude.requests)

        await eventually(requests, lambda count: count == 2, timeout=10)  # the title step comes before the model

    assert (titled.params["thread_ts"], titled.params["title"]) == (root["ts"], "When does AB4001 start?")
    assert len(slack.calls_to("assistant.threads.setTitle")) == 1


def test_a_long_question_becomes_a_one_line_title_cut_at_a_word():
    title = thread_title(
        "How many   votes did\neach artist get in every round of every event in Toronto this season so far?"
    )

    assert len(title) <= TITLE_LIMIT and title.endswith("…") and "\n" not in title
    assert title.startswith("How many votes did each artist get")


@pytest.mark.parametrize(
    ("prompts", "complaint"),
    [
        ({"intern": [{"title": "Hi", "message": "Hi?"}]}, "unknown role 'intern'"),
        ({"staff": [{"title": f"T{n}", "message": f"Q{n}?"} for n in range(5)]}, "1 to 4 prompts"),
        ({"staff": [{"title": "No question"}]}, "needs a title and a message"),
    ],
)
def test_a_policy_with_unusable_suggested_prompts_is_refused_at_start_naming_the_problem(prompts, complaint, tmp_path):
    raw = yaml.safe_load(MANIFEST.read_text(encoding="utf-8")) | {"suggested_prompts": prompts}
    path = tmp_path / "allowed-tools.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")

    with pytest.raises(ConfigError, match=re.escape(complaint)):
        load_policy(path)
