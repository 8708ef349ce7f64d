"""The OpenAI and Anthropic doubles, driven through the real `openai` and `anthropic` SDKs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from tests.doubles.anthropic_api import AnthropicDouble, AnthropicRequest
from tests.doubles.llm_script import ToolCall, text_turn, tool_turn
from tests.doubles.openai_api import OpenAIDouble, OpenAIRequest

VOTES = {"eid": "AB4001"}
OPENAI_TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "get_vote_totals",
            "description": "Vote totals by easel",
            "parameters": {"type": "object", "properties": {"eid": {"type": "string"}}, "required": ["eid"]},
        },
    },
    {
        "type": "function",
        "function": {"name": "get_event", "parameters": {"type": "object", "properties": {"eid": {"type": "string"}}}},
    },
]
ANTHROPIC_TOOLS: list[Any] = [
    {"name": tool["function"]["name"], "input_schema": tool["function"]["parameters"]} for tool in OPENAI_TOOLS
]


@pytest.fixture
def gpt() -> Iterator[OpenAIDouble]:
    with OpenAIDouble() as double:
        yield double


@pytest.fixture
def claude() -> Iterator[AnthropicDouble]:
    with AnthropicDouble() as double:
        yield double


def openai_client(gpt: OpenAIDouble, api_key: str | None = None) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gpt.base_url, api_key=api_key or gpt.api_key, max_retries=2)


def anthropic_client(claude: AnthropicDouble, api_key: str | None = None) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=claude.base_url, api_key=api_key or claude.api_key)


def echo_openai_tool_result(request: OpenAIRequest) -> Any:
    return text_turn(f"Voting at AB4001: {request.tool_results[0].text}")


def echo_anthropic_tool_result(request: AnthropicRequest) -> Any:
    failed = [result.tool_call_id for result in request.tool_results if result.is_error]
    return text_turn(f"Voting at AB4001: {request.tool_results[0].text} (failed: {', '.join(failed)})")


async def test_openai_parallel_tool_calls_then_an_answer_built_from_the_tool_results(gpt: OpenAIDouble):
    gpt.script(tool_turn(ToolCall("get_vote_totals", VOTES), ToolCall("get_event", VOTES)), echo_openai_tool_result)
    messages: list[Any] = [{"role": "user", "content": "how's voting at AB4001?"}]

    async with openai_client(gpt) as client:
        first = await client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=OPENAI_TOOLS)
        calls = first.choices[0].message.tool_calls or []
        messages.append(first.choices[0].message.model_dump(exclude_none=True))
        messages += [
            {"role": "tool", "tool_call_id": calls[0].id, "content": "easel 3 leads with 41.5"},
            {"role": "tool", "tool_call_id": calls[1].id, "content": '{"name": "Toronto"}'},
        ]
        final = await client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=OPENAI_TOOLS)

    assert first.choices[0].finish_reason == "tool_calls"
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("get_vote_totals", VOTES),
        ("get_event", VOTES),
    ]
    assert final.choices[0].message.content == "Voting at AB4001: easel 3 leads with 41.5"
    assert final.usage is not None
    assert final.usage.total_tokens == final.usage.prompt_tokens + final.usage.completion_tokens
    assert gpt.requests[0].tool_names == ["get_vote_totals", "get_event"]
    assert [r.tool_call_id for r in gpt.requests[1].tool_results] == [calls[0].id, calls[1].id]


async def test_openai_stream_delivers_text_pieces_and_tool_call_fragments(gpt: OpenAIDouble):
    gpt.script(tool_turn(ToolCall("get_vote_totals", VOTES), text="Checking."), text_turn("Easel 3 leads with 41.5"))
    ask: list[Any] = [{"role": "user", "content": "voting?"}]

    async with openai_client(gpt) as client:
        async with client.chat.completions.stream(model="gpt-4o-mini", messages=ask, tools=OPENAI_TOOLS) as stream:
            called = await stream.get_final_completion()
        chunks = await client.chat.completions.create(
            model="gpt-4o-mini", messages=ask, stream=True, stream_options={"include_usage": True}
        )
        pieces = [chunk async for chunk in chunks]

    tool_call = (called.choices[0].message.tool_calls or [])[0]
    assert called.choices[0].message.content == "Checking."
    assert (tool_call.function.name, json.loads(tool_call.function.arguments)) == ("get_vote_totals", VOTES)
    text = "".join(c.choices[0].delta.content or "" for c in pieces if c.choices)
    assert text == "Easel 3 leads with 41.5"
    assert sum(1 for c in pieces if c.choices and c.choices[0].delta.content) > 1
    assert pieces[-1].usage is not None
    assert gpt.requests[1].stream


async def test_openai_refuses_a_tool_call_left_without_its_tool_message(gpt: OpenAIDouble):
    gpt.script(text_turn("never played"))
    assistant = {"role": "assistant", "tool_calls": [_openai_call("call_1"), _openai_call("call_2")]}
    messages: list[Any] = [
        {"role": "user", "content": "voting?"},
        assistant,
        {"role": "tool", "tool_call_id": "call_1", "content": "easel 3"},
    ]

    async with openai_client(gpt) as client:
        with pytest.raises(openai.BadRequestError, match="call_2"):
            await client.chat.completions.create(model="gpt-4o-mini", messages=messages)

    assert gpt.turns_left == 1


async def test_openai_wrong_key_empty_script_and_forced_429_surface_as_sdk_errors(gpt: OpenAIDouble):
    ask: list[Any] = [{"role": "user", "content": "hi"}]
    gpt.fail(429, "Rate limit reached", retry_after_ms=1)
    gpt.script(text_turn("after the retry"))

    async with openai_client(gpt, api_key="sk-wrong") as wrong, openai_client(gpt) as client:
        with pytest.raises(openai.AuthenticationError):
            await wrong.chat.completions.create(model="gpt-4o-mini", messages=ask)
        retried = await client.chat.completions.create(model="gpt-4o-mini", messages=ask)
        with pytest.raises(openai.BadRequestError, match="no turn left for request #3"):
            await client.chat.completions.create(model="gpt-4o-mini", messages=ask)

    assert retried.choices[0].message.content == "after the retry"
    assert len(gpt.requests) == 3


async def test_anthropic_parallel_tool_use_then_an_answer_that_sees_the_error_result(claude: AnthropicDouble):
    claude.script(
        tool_turn(ToolCall("get_vote_totals", VOTES), ToolCall("get_event", VOTES)), echo_anthropic_tool_result
    )
    messages: list[Any] = [{"role": "user", "content": "how's voting at AB4001?"}]

    async with anthropic_client(claude) as client:
        first = await client.messages.create(
            model="claude-sonnet-5-5", max_tokens=1024, messages=messages, tools=ANTHROPIC_TOOLS
        )
        uses = [block for block in first.content if block.type == "tool_use"]
        messages.append({"role": "assistant", "content": [block.model_dump() for block in first.content]})
        messages.append(
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": uses[0].id, "content": "easel 3 leads with 41.5"},
                    {"type": "tool_result", "tool_use_id": uses[1].id, "content": "no such event", "is_error": True},
                ],
            }
        )
        final = await client.messages.create(
            model="claude-sonnet-5-5", max_tokens=1024, messages=messages, tools=ANTHROPIC_TOOLS
        )

    assert first.stop_reason == "tool_use"
    assert [(u.name, u.input) for u in uses] == [("get_vote_totals", VOTES), ("get_event", VOTES)]
    assert uses[0].id.startswith("toolu_")
    assert final.stop_reason == "end_turn"
    assert final.content[0].text == f"Voting at AB4001: easel 3 leads with 41.5 (failed: {uses[1].id})"
    assert final.usage.input_tokens > 0
    assert claude.requests[0].tool_names == ["get_vote_totals", "get_event"]
    assert [r.is_error for r in claude.requests[1].tool_results] == [False, True]


async def test_anthropic_stream_delivers_text_deltas_and_tool_input_json_deltas(claude: AnthropicDouble):
    claude.script(tool_turn(ToolCall("get_vote_totals", VOTES), text="Checking the votes."))
    ask: list[Any] = [{"role": "user", "content": "voting?"}]

    async with (
        anthropic_client(claude) as client,
        client.messages.stream(
            model="claude-sonnet-5-5", max_tokens=1024, messages=ask, tools=ANTHROPIC_TOOLS
        ) as stream,
    ):
        text = "".join([piece async for piece in stream.text_stream])
        final = await stream.get_final_message()

    assert text == "Checking the votes."
    assert final.stop_reason == "tool_use"
    assert [(b.type, getattr(b, "input", None)) for b in final.content] == [("text", None), ("tool_use", VOTES)]
    assert claude.requests[0].stream


async def test_anthropic_refuses_a_tool_use_left_without_its_result_and_a_wrong_key(claude: AnthropicDouble):
    use = {"type": "tool_use", "id": "toolu_01A", "name": "get_event", "input": VOTES}
    messages: list[Any] = [
        {"role": "user", "content": "voting?"},
        {"role": "assistant", "content": [use]},
        {"role": "user", "content": "and?"},
    ]

    async with anthropic_client(claude) as client, anthropic_client(claude, api_key="sk-ant-wrong") as wrong:
        with pytest.raises(anthropic.BadRequestError, match="toolu_01A"):
            await client.messages.create(model="claude-sonnet-5-5", max_tokens=64, messages=messages)
        with pytest.raises(anthropic.AuthenticationError):
            await wrong.messages.create(model="claude-sonnet-5-5", max_tokens=64, messages=messages[:1])

    sent = claude.requests[0].headers
    assert sent["anthropic-version"]
    assert claude.api_key in (sent.get("x-api-key"), sent.get("Authorization", "").removeprefix("Bearer "))


async def test_openai_lists_its_models_and_refuses_a_wrong_key_with_its_masked_value(gpt: OpenAIDouble):
    async with openai_client(gpt) as client, openai_client(gpt, api_key="sk-wrong-key-1234") as wrong:
        page = await client.models.list()
        with pytest.raises(openai.AuthenticationError, match=r"Incorrect API key provided: sk-\*+1234\.") as refused:
            await wrong.models.list()

    assert [model.id for model in page.data] == gpt.models
    assert "gpt-4o-mini" in gpt.models
    assert refused.value.code == "invalid_api_key"
    assert gpt.model_listings == 1 and gpt.requests == []


async def test_anthropic_pages_its_models_and_refuses_a_wrong_key(claude: AnthropicDouble):
    claude.models = ["claude-sonnet-5-5", "claude-opus-4-5"]
    async with anthropic_client(claude) as client, anthropic_client(claude, api_key="sk-ant-wrong") as wrong:
        first = await client.models.list(limit=1)
        every = [model.id async for model in client.models.list(limit=1)]
        with pytest.raises(anthropic.AuthenticationError, match="invalid x-api-key"):
            await wrong.models.list(limit=1)

    assert [model.id for model in first.data] == ["claude-sonnet-5-5"] and first.has_more
    assert every == ["claude-sonnet-5-5", "claude-opus-4-5"]
    assert claude.model_listings == 3 and claude.requests == []


def test_requests_can_be_awaited_from_sync_code_with_a_bound(claude: AnthropicDouble):
    with pytest.raises(TimeoutError, match="request #1"):
        claude.wait_for_request(timeout=0.05)


def _openai_call(call_id: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": "get_event", "arguments": "{}"}}
