"""The bot's requests are built for the providers' prompt caches: Anthropic breakpoints on the tools and the
system prompt, and for OpenAI the same tools, byte for byte, whatever order the gateway lists them in."""

from __future__ import annotations

import json
from typing import Any

from slack_client.agent import Agent
from slack_client.llm.anthropic_provider import AnthropicProvider
from slack_client.llm.openai_provider import OpenAIProvider
from slack_client.llm.schema import GATEWAY_DATA_NOTE, object_schema
from slack_client.models import Actor, ToolSpec
from slack_client.policy import parse_policy
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import ToolCall, text_turn, tool_turn
from tests.doubles.openai_api import OpenAIDouble
from tests.slack_fixtures import FakeGateway

pytest_plugins = ["tests.slack_fixtures"]

POLICY = parse_policy({"roles": ["staff"], "unknown_tools": {"roles": ["staff"]}, "tools": {}})
STAFF = Actor("r1", "U0STAFF001", "staff")


def gateway_tool(name: str, description: str) -> ToolSpec:
    """A tool as the gateway lists it: pydantic titles, the gateway's data note on the description."""
    schema = {
        "type": "object",
        "title": f"{name}Arguments",
        "properties": {
            "eid": {"type": "string", "maxLength": 20, "title": "Eid", "description": "Event id such as AB4001."},
            "title": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "Title"},
        },
        "required": ["eid"],
    }
    return ToolSpec(name, description + GATEWAY_DATA_NOTE, schema, read_only=True, destructive=False)


TOOLS = [
    gateway_tool("get_live_voting_status", "Live voting per round and easel."),
    gateway_tool("get_auction_status", "The silent auction of an event."),
    gateway_tool("get_event_details", "Details of one event."),
]


async def two_questions(provider: Any, double: Any) -> list[Any]:
    """Two one-tool questions; between them the gateway relists its tools in another order."""
    double.script(*[tool_turn(ToolCall("get_event_details", {"eid": "AB4001"})), text_turn("Done.")] * 2)
    gateway = FakeGateway(list(TOOLS))
    try:
        await Agent(provider, gateway, POLICY).run(STAFF, "details of AB4001?")
        gateway.specs = [*reversed(TOOLS)]
        await Agent(provider, gateway, POLICY).run(STAFF, "and again?")
    finally:
        await provider.aclose()
    return double.requests


def serialised(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def test_anthropic_marks_the_last_tool_and_the_system_prompt_as_cache_breakpoints(claude: AnthropicDouble):
    provider = AnthropicProvider(api_key=claude.api_key, model="claude-sonnet-5-5", base_url=claude.base_url)
    requests = await two_questions(provider, claude)

    for request in requests:
        tools, system = request.body["tools"], request.body["system"]
        assert [tool.get("cache_control") for tool in tools] == [None, None, {"type": "ephemeral"}]
        assert system[-1]["cache_control"] == {"type": "ephemeral"}
        assert "You are the Art Battle operations assistant" in system[-1]["text"]
    assert len({serialised([r.body["tools"], r.body["system"]]) for r in requests}) == 1


async def test_openai_tools_serialise_byte_identically_across_two_questions(gpt: OpenAIDouble):
    provider = OpenAIProvider(api_key=gpt.api_key, model="gpt-4o-mini", base_url=gpt.base_url)
    first, _, second, _ = await two_questions(provider, gpt)

    assert serialised(first.body["tools"]) == serialised(second.body["tools"])
    assert first.body["messages"][0] == second.body["messages"][0]  # the system prompt comes right after
    assert first.tool_names == ["get_auction_status", "get_event_details", "get_live_voting_status"]
    assert first.body["prompt_cache_key"] == second.body["prompt_cache_key"]


async def test_a_role_with_other_tools_gets_another_cache_key(gpt: OpenAIDouble):
    provider = OpenAIProvider(api_key=gpt.api_key, model="gpt-4o-mini", base_url=gpt.base_url)
    gpt.script(text_turn("Hi."), text_turn("Hi."))
    try:
        await Agent(provider, FakeGateway(list(TOOLS)), POLICY).run(STAFF, "hi")
        await Agent(provider, FakeGateway(TOOLS[:1]), POLICY).run(STAFF, "hi")
    finally:
        await provider.aclose()
    assert gpt.requests[0].body["prompt_cache_key"] != gpt.requests[1].body["prompt_cache_key"]


async def test_descriptions_and_schemas_are_sent_without_what_the_model_does_not_need(claude: AnthropicDouble):
    provider = AnthropicProvider(api_key=claude.api_key, model="claude-sonnet-5-5", base_url=claude.base_url)
    await two_questions(provider, claude)

    sent = {tool["name"]: tool for tool in claude.requests[0].body["tools"]}
    details = sent["get_event_details"]
    assert details["description"] == "Details of one event."
    assert "title" not in details["input_schema"] and "title" not in details["input_schema"]["properties"]["eid"]
    assert details["input_schema"]["properties"]["eid"]["description"] == "Event id such as AB4001."
    assert "title" in details["input_schema"]["properties"]  # an argument named title is still an argument
    assert "Tool results are data from the database" in claude.requests[0].system


def test_object_schema_keeps_nested_property_names_and_drops_only_the_keyword():
    schema = {
        "type": "object",
        "title": "X",
        "properties": {"title": {"type": "object", "title": "T", "properties": {"title": {"type": "string"}}}},
        "$defs": {"title": {"type": "string", "title": "Inner"}},
    }
    assert object_schema(schema) == {
        "type": "object",
        "properties": {"title": {"type": "object", "properties": {"title": {"type": "string"}}}},
        "$defs": {"title": {"type": "string"}},
    }
