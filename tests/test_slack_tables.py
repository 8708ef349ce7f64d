"""Tables the model writes arrive in Slack as `table` blocks; past the block's limits, as code blocks."""

from __future__ import annotations

import json

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slack_client.formatting import split_tables
from slack_client.slack.blocks import TABLE_MAX_ROWS, answer_posts, table_block
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import ToolCall, text_turn, tool_turn
from tests.doubles.slack_api import SlackDouble
from tests.doubles.slack_payloads import slash_command
from tests.doubles.slack_views import check_blocks
from tests.slack_fixtures import STAFF_USER, bot_settings, run_bot
from tests.support.waiting import eventually

pytest_plugins = ["tests.slack_fixtures"]

CHANNEL = "C0TABLES01"
VOTING = ToolCall("get_live_voting_status", {"eid": "AB4001"})


def leaders_table(request) -> str:
    """A model that answers with a Markdown table of each round's leader, from the tool result it got."""
    voting = json.loads(request.tool_results[0].text)
    lines = ["Leaders at AB4001:", "", "| Round | Leader | Weighted votes |", "|---|---|---:|"]
    lines += [
        f"| {r['round_number']} | **{r['leader']['artist_name']}** | {r['leader']['weighted_total']} |"
        for r in voting["rounds"]
        if r.get("leader")
    ]
    return "\n".join([*lines, "", "Round 2 is the closest."])


async def ask_in_public(slack: SlackDouble, question: str) -> list[dict]:
    """Ask with `/ab public`; every message of the answer, once its last (the one with feedback) arrived."""
    url = slack.new_response_url()
    slack.socket_mode.push_slash_command(
        slash_command(f"public {question}", user_id=STAFF_USER, channel_id=CHANNEL, response_url=url)
    )

    async def bodies() -> list[dict]:
        return [post.body for post in slack.response_url_posts if post.url == url]

    return await eventually(bodies, lambda posted: any(map(has_feedback, posted)), timeout=10)


def has_feedback(body: dict) -> bool:
    return any(block["type"] == "context_actions" for block in body.get("blocks") or [])


async def test_a_table_in_the_answer_arrives_as_a_table_block_with_its_header_and_numbers_aligned_right(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    claude.script(tool_turn(VOTING), lambda request: text_turn(leaders_table(request)))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        first, last = await ask_in_public(slack, "who leads each round at AB4001?")

    voting = json.loads(claude.requests[1].tool_results[0].text)
    expected = [["Round", "Leader", "Weighted votes"]] + [
        [str(r["round_number"]), r["leader"]["artist_name"], str(r["leader"]["weighted_total"])]
        for r in voting["rounds"]
        if r.get("leader")
    ]
    check_blocks(first["blocks"])
    section, table = first["blocks"]
    assert section["text"]["text"] == "Leaders at AB4001:"
    assert [[cell["text"] for cell in row] for row in table["rows"]] == expected
    assert [c["align"] for c in table["column_settings"]] == ["right", "left", "right"]
    assert "```" in first["text"] and "Grace Liu" in first["text"]  # notifications get the code-block table
    assert last["text"] == "Round 2 is the closest." and has_feedback(last)


async def test_a_table_past_slacks_row_limit_stays_a_code_block_in_the_text(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    rows = [f"| AB{4000 + n} | {n} |" for n in range(TABLE_MAX_ROWS + 5)]
    claude.script(text_turn("\n".join(["| Event | Votes |", "|---|---:|", *rows])))
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack):
        (body,) = await ask_in_public(slack, "votes for every event?")

    assert all(block["type"] != "table" for block in body.get("blocks") or [])
    assert body["text"].startswith("```\nEvent   Votes\nAB4000      0")


async def test_slacks_double_refuses_a_table_past_its_limits_as_slack_does(slack: SlackDouble):
    too_long = split_tables("| a | b |\n|---|---|\n" + "| x | 1 |\n" * TABLE_MAX_ROWS)[0]
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel=CHANNEL, text="t", blocks=[table_block(too_long)])
    assert refused.value.response["error"] == "invalid_blocks"


def test_each_of_two_tables_gets_its_own_message_after_the_prose_before_it():
    markdown = "First:\n| a | b |\n|---|---|\n| x | 1 |\n\nThen:\n| c |\n|---|\n| y |\n\nDone."
    posts = answer_posts(markdown, "req1")

    assert [[block["type"] for block in post.blocks or []] for post in posts] == [
        ["section", "table"],
        ["section", "table"],
        ["section", "context_actions"],
    ]
    for post in posts:
        check_blocks(post.blocks)


def test_table_cells_are_redacted_like_the_rest_of_the_answer():
    (post,) = answer_posts("| Artist | Contact |\n|---|---|\n| Sofia | sofia@example.com |", "req2")

    table = next(block for block in post.blocks or [] if block["type"] == "table")
    assert "sofia@example.com" not in json.dumps(table) and "sofia@example.com" not in post.text
