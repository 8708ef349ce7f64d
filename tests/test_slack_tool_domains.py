"""The bot uses new gateway tools with no code change: per domain, a role is offered exactly its tools, the
model's call reaches the real gateway (audited as that user) and the answer comes back to Slack.

Roles come from the tool catalog (TOOL-CATALOG.md), written out here so the shipped policy is checked against
it. The tools offered are whatever the gateway lists, so these tests hold while tools are being added.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest
import yaml

from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import ToolCall, text_turn, tool_turn
from tests.doubles.openai_api import OpenAIDouble
from tests.doubles.slack_api import SlackDouble
from tests.doubles.slack_payloads import BOT_USER_ID, app_mention, event_callback
from tests.slack_fixtures import MANIFEST, bot_settings, run_bot, shipped_policy
from tests.support.gateway import RunningGateway
from tests.support.waiting import eventually

pytest_plugins = ["tests.slack_fixtures"]

EVERYONE = frozenset({"staff", "producer", "finance", "admin"})
FROM_PRODUCER = frozenset({"producer", "finance", "admin"})
FINANCE = frozenset({"finance", "admin"})
READ = ("list_events", "get_event_details", "get_live_voting_status", "get_auction_status", "get_event_readiness")
READ += ("get_event_summary", "get_event_roster", "get_vote_breakdown", "get_bid_history")
READ += ("get_event_chart",)  # issue 11: a chart of what the read tools report, for whoever may read it
FINANCE_TOOLS = ("get_artist_owed", "get_artist_history", "get_payment_ledger", "get_payout_readiness")
FINANCE_TOOLS += ("get_payment_health", "get_exchange_rates")
CATALOG_ROLES: dict[str, frozenset[str]] = {
    **dict.fromkeys(READ, EVERYONE),
    **dict.fromkeys(("find_artists", "find_people"), FROM_PRODUCER),
    **dict.fromkeys(FINANCE_TOOLS, FINANCE),
    "get_payment_summary": FROM_PRODUCER,  # the catalog's "summaries: producer"
    "process_artist_payment": frozenset({"finance"}),
    "get_gateway_activity": frozenset({"admin"}),
}
# Per domain: who asks, through which provider, and the calls to try, the catalog's new tools first.
DOMAINS: dict[str, tuple[str, str, list[tuple[str, dict[str, Any]]]]] = {
    "events": (
        "staff",
        "anthropic",
        [("get_event_summary", {"eid": "AB4002"}), ("get_event_details", {"eid": "AB4002"})],
    ),
    "people": ("producer", "openai", [("find_artists", {"query": "Sofia"}), ("find_people", {"query": "Sofia"})]),
    "finance": (
        "finance",
        "anthropic",
        [("get_payment_health", {"eid": "AB4002"}), ("get_payment_summary", {"eid": "AB4002"})],
    ),
    "ops": ("admin", "openai", [("get_gateway_activity", {"hours": 24})]),
}
SCOPE_OF_DOMAIN = {"events": "read", "people": "people", "finance": "finance", "ops": "ops"}
CHANNEL = "C0DOMAINS1"


def test_the_shipped_policy_gives_every_catalog_tool_the_catalogs_roles():
    policy = shipped_policy()
    assert {name: rule.roles for name, rule in policy.tools.items()} == CATALOG_ROLES
    assert policy.tools["process_artist_payment"].needs_confirmation
    assert policy.unknown_tools is None  # a tool outside the catalog stays hidden until it gets a rule


def test_each_role_says_in_words_what_it_can_ask():
    roles = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["roles"]
    assert list(roles) == ["staff", "producer", "finance", "admin"] == list(shipped_policy().roles)
    assert all(isinstance(text, str) and len(text.split()) >= 8 for text in roles.values())
    assert "activity" in roles["admin"] and "paying an artist" in roles["finance"]


async def audited_call(gateway: RunningGateway, user: str, tool: str) -> asyncpg.Record:
    connection = await asyncpg.connect(gateway.database_url)
    try:
        return await eventually(
            lambda: connection.fetchrow(
                "SELECT acting_role, outcome FROM abcodex_tool_calls WHERE acting_user = $1 AND tool = $2", user, tool
            ),
            lambda row: row is not None,
        )
    finally:
        await connection.close()


@pytest.mark.parametrize("domain", list(DOMAINS))
async def test_a_role_is_offered_exactly_its_tools_and_its_call_comes_back_answered(
    domain: str, slack: SlackDouble, claude: AnthropicDouble, gpt: OpenAIDouble, demo_gateway: RunningGateway
):
    role, provider, candidates = DOMAINS[domain]
    user = f"U0{domain.upper():0<8}"
    async with demo_gateway.client() as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
    registry = demo_gateway.gateway.registry
    expected = {name for name in listed if role in CATALOG_ROLES.get(name, frozenset())}
    call = next(((tool, args) for tool, args in candidates if tool in listed), None)
    llm = claude if provider == "anthropic" else gpt
    fields = len(listed[call[0]].output_schema["properties"]) if call else 0
    llm.script(
        tool_turn(ToolCall(*call)) if call else text_turn("Nothing to look up."),
        lambda request: text_turn(f"The answer had {len(json.loads(request.tool_results[0].text))} fields."),
    )
    settings = bot_settings(slack, llm, demo_gateway.url, demo_gateway.token, rbac={user: role})
    async with run_bot(settings, slack):
        event = app_mention(f"<@{BOT_USER_ID}> a {domain} question", user=user, channel=CHANNEL)
        slack.socket_mode.push_events_api(event_callback(event))
        answer = await slack.wait_for_answer_async(CHANNEL, event["ts"])

    assert set(llm.requests[0].tool_names) == expected
    assert any(registry.scope_of(name) == SCOPE_OF_DOMAIN[domain] for name in expected) == (call is not None)
    if call is None:
        pytest.skip(f"the gateway lists no {SCOPE_OF_DOMAIN[domain]} tool yet: visibility checked, no call made")
    result = llm.requests[1].tool_results[0]
    assert not result.is_error, result.text
    assert answer.text == f"The answer had {fields} fields."
    audited = await audited_call(demo_gateway, user, call[0])
    assert (audited["acting_role"], audited["outcome"]) == (role, "ok")
