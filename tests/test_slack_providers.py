"""Both LLM adapters against the provider doubles: schemas converted, tool calls parsed, errors mapped."""

from __future__ import annotations

import pytest

from slack_client.errors import LLMRateLimited, LLMRejected, LLMUnavailable
from slack_client.llm.anthropic_provider import AnthropicProvider
from slack_client.llm.openai_provider import OpenAIProvider
from slack_client.llm.schema import ToolNames, drop_absent_optionals, openai_parameters
from slack_client.models import (
    AssistantMessage,
    LLMRequest,
    ToolCall,
    ToolResult,
    ToolResultsMessage,
    ToolSpec,
    UserMessage,
)
from tests.doubles import llm_script
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import text_turn, tool_turn
from tests.doubles.openai_api import OpenAIDouble

pytest_plugins = ["tests.slack_fixtures"]

VOTING = ToolSpec(
    "get_live_voting_status",
    "Live voting per round and easel.",
    {
        "type": "object",
        "properties": {
            "eid": {"type": "string", "minLength": 2, "title": "Eid"},
            "round": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}], "default": None},
        },
        "required": ["eid"],
        "title": "get_live_voting_statusArguments",
    },
    read_only=True,
    destructive=False,
)
DOTTED = ToolSpec("events.search", "Search events.", {"type": "object", "properties": {"q": {"type": "string"}}})


def request(*messages, tools=(VOTING,)) -> LLMRequest:
    return LLMRequest("You are a test.", tuple(messages) or (UserMessage("how's voting at AB4001?"),), tools, 256)


def anthropic(claude: AnthropicDouble, **kw) -> AnthropicProvider:
    return AnthropicProvider(api_key=claude.api_key, model="claude-sonnet-5-5", base_url=claude.base_url, **kw)


def openai(gpt: OpenAIDouble, **kw) -> OpenAIProvider:
    return OpenAIProvider(api_key=gpt.api_key, model="gpt-4o-mini", base_url=gpt.base_url, **kw)


def test_openai_strict_schema_requires_every_property_and_makes_optionals_nullable():
    parameters, strict = openai_parameters(VOTING.input_schema)
    assert strict
    assert parameters["required"] == ["eid", "round"]
    assert parameters["additionalProperties"] is False
    assert "default" not in parameters["properties"]["round"]
    assert {"type": "null"} in parameters["properties"]["round"]["anyOf"]


def test_an_open_ended_schema_falls_back_to_a_non_strict_function():
    _, strict = openai_parameters(
        {"type": "object", "properties": {"x": {"type": "object", "additionalProperties": True}}}
    )
    assert not strict


def test_the_nulls_strict_mode_sends_for_left_out_optionals_are_dropped():
    assert drop_absent_optionals({"eid": "AB4001", "round": None}, VOTING.input_schema) == {"eid": "AB4001"}


def test_tool_names_the_providers_reject_are_mapped_and_mapped_back():
    names = ToolNames([DOTTED, VOTING])
    assert names.for_provider("events.search") == "events_search"
    assert names.for_gateway("events_search") == "events.search"


async def test_anthropic_offers_the_schema_and_returns_parallel_tool_calls(claude: AnthropicDouble):
    claude.script(
        tool_turn(
            llm_script.ToolCall("get_live_voting_status", {"eid": "AB4001"}),
            llm_script.ToolCall("events_search", {"q": "Toronto"}),
        )
    )
    provider = anthropic(claude)
    try:
        turn = await provider.complete(request(tools=(VOTING, DOTTED)))
    finally:
        await provider.aclose()
    sent = {tool["name"]: tool for tool in claude.requests[0].body["tools"]}
    assert sent["get_live_voting_status"]["input_schema"]["properties"]["eid"]["type"] == "string"
    assert [c.name for c in turn.tool_calls] == ["get_live_voting_status", "events.search"]
    assert turn.tool_calls[0].arguments == {"eid": "AB4001"}
    assert turn.usage.input_tokens > 0


async def test_anthropic_sends_tool_errors_back_flagged_as_errors(claude: AnthropicDouble):
    claude.script(text_turn("AB9999 does not exist."))
    call = ToolCall("toolu_1", "get_live_voting_status", {"eid": "AB9999"})
    provider = anthropic(claude)
    try:
        await provider.complete(
            request(
                UserMessage("voting at AB9999?"),
                AssistantMessage("", (call,)),
                ToolResultsMessage((ToolResult("toolu_1", call.name, "There is no event AB9999", True),)),
            )
        )
    finally:
        await provider.aclose()
    seen = claude.requests[0].tool_results[0]
    assert seen.is_error and "no event AB9999" in seen.text


async def test_anthropic_streams_the_answer_as_it_is_written(claude: AnthropicDouble):
    claude.script(text_turn("Grace Liu leads round 2 with 20.5 weighted votes."))
    pieces: list[str] = []

    async def sink(text: str) -> None:
        pieces.append(text)

    provider = anthropic(claude)
    try:
        turn = await provider.complete(request(), on_text=sink)
    finally:
        await provider.aclose()
    assert len(pieces) > 1 and "".join(pieces) == turn.text
    assert claude.requests[0].stream


async def test_openai_offers_strict_functions_and_parses_parallel_tool_calls(gpt: OpenAIDouble):
    gpt.script(
        tool_turn(
            llm_script.ToolCall("get_live_voting_status", {"eid": "AB4001", "round": None}),
            llm_script.ToolCall("events_search", {"q": "Toronto"}),
        )
    )
    provider = openai(gpt)
    try:
        turn = await provider.complete(request(tools=(VOTING, DOTTED)))
    finally:
        await provider.aclose()
    function = next(t["function"] for t in gpt.requests[0].body["tools"] if t["function"]["name"] == VOTING.name)
    assert function["strict"] is True and function["name"] == "get_live_voting_status"
    assert [c.name for c in turn.tool_calls] == ["get_live_voting_status", "events.search"]
    assert turn.tool_calls[0].arguments == {"eid": "AB4001"}


async def test_openai_streaming_assembles_tool_call_fragments(gpt: OpenAIDouble):
    gpt.script(tool_turn(llm_script.ToolCall("get_live_voting_status", {"eid": "AB4001"}), text="Checking."))
    seen: list[str] = []

    async def sink(text: str) -> None:
        seen.append(text)

    provider = openai(gpt)
    try:
        turn = await provider.complete(request(), on_text=sink)
    finally:
        await provider.aclose()
    assert turn.tool_calls[0].arguments == {"eid": "AB4001"}
    assert "".join(seen) == "Checking."
    assert turn.usage.input_tokens > 0


async def test_openai_arguments_that_are_not_json_are_flagged_for_the_agent(gpt: OpenAIDouble):
    gpt.script(tool_turn(llm_script.ToolCall("get_live_voting_status", raw_arguments="{bad json")))
    provider = openai(gpt)
    try:
        turn = await provider.complete(request())
    finally:
        await provider.aclose()
    assert turn.tool_calls[0].invalid_arguments == "{bad json"


@pytest.mark.parametrize(
    ("status", "error"), [(429, LLMRateLimited), (500, LLMUnavailable), (401, LLMRejected), (400, LLMRejected)]
)
async def test_provider_errors_become_the_bots_own(gpt: OpenAIDouble, claude: AnthropicDouble, status, error):
    gpt.fail(status, times=None)
    claude.fail(status, times=None)
    for provider in (openai(gpt, max_retries=0), anthropic(claude, max_retries=0)):
        try:
            with pytest.raises(error):
                await provider.complete(request())
        finally:
            await provider.aclose()


async def test_a_provider_that_cannot_be_reached_is_unavailable():
    provider = OpenAIProvider(api_key="k", model="gpt-4o-mini", base_url="http://127.0.0.1:9/v1", max_retries=0)
    try:
        with pytest.raises(LLMUnavailable):
            await provider.complete(request())
    finally:
        await provider.aclose()


async def test_a_final_round_keeps_the_tools_defined_but_forbids_calling_them(
    claude: AnthropicDouble, gpt: OpenAIDouble
):
    claude.script(text_turn("final"))
    gpt.script(text_turn("final"))
    final = LLMRequest("sys", (UserMessage("q"),), (VOTING,), 256, may_call_tools=False)
    for provider in (anthropic(claude), openai(gpt)):
        try:
            await provider.complete(final)
        finally:
            await provider.aclose()
    assert claude.requests[0].body["tool_choice"] == {"type": "none"} and claude.requests[0].tool_names
    assert gpt.requests[0].body["tool_choice"] == "none" and gpt.requests[0].tool_names
