"""The Anthropic adapter: Messages API with native tool use, SDK errors mapped to ours.

Prompt caching: a request is tools, then system, then messages, and Anthropic caches a prefix up to a
`cache_control` breakpoint. Two breakpoints, on the last tool and on the system prompt, let every question
after the first (for five minutes, per role and day) read the tools and the system prompt from the cache,
so adding tools adds little to each question's uncached input.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, cast

import anthropic
from anthropic import Omit
from anthropic.types import CacheControlEphemeralParam, MessageParam, TextBlockParam, ToolChoiceParam, ToolParam
from anthropic.types import Message as SDKMessage

from slack_client.errors import LLMRateLimited, LLMRejected, LLMUnavailable
from slack_client.llm.base import TextSink
from slack_client.llm.schema import ToolNames, drop_absent_optionals, for_model, model_description, object_schema
from slack_client.models import (
    AssistantMessage,
    LLMRequest,
    LLMTurn,
    Message,
    ToolCall,
    ToolResultsMessage,
    ToolSpec,
    Usage,
    UserMessage,
)

CACHE_BREAKPOINT: CacheControlEphemeralParam = {"type": "ephemeral"}


@contextlib.contextmanager
def _mapped_errors() -> Iterator[None]:
    """Turn Anthropic SDK exceptions into the bot's own."""
    try:
        yield
    except anthropic.RateLimitError as error:
        raise LLMRateLimited(f"Anthropic rate limit: {error.message}") from None
    except anthropic.APIConnectionError as error:  # includes timeouts
        raise LLMUnavailable(f"Anthropic unreachable: {error}") from None
    except anthropic.InternalServerError as error:  # 5xx and 529 overloaded
        raise LLMUnavailable(f"Anthropic error {error.status_code}: {error.message}") from None
    except anthropic.APIStatusError as error:
        raise LLMRejected(f"Anthropic refused the request ({error.status_code}): {error.message}") from None
    except anthropic.AnthropicError as error:
        raise LLMUnavailable(f"Anthropic error: {error}") from None


class AnthropicProvider:
    """`LLMProvider` over the Anthropic Messages API."""

    def __init__(
        self, *, api_key: str, model: str, base_url: str | None = None, timeout: float = 60.0, max_retries: int = 2
    ) -> None:
        self._model = model
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )

    @property
    def name(self) -> str:
        return "anthropic"

    @property
    def model(self) -> str:
        return self._model

    async def aclose(self) -> None:
        await self._client.close()

    async def ping(self) -> None:
        with _mapped_errors():
            await self._client.with_options(max_retries=0).models.list(limit=1)

    async def complete(self, request: LLMRequest, on_text: TextSink | None = None) -> LLMTurn:
        names = ToolNames(request.tools)
        messages = cast("list[MessageParam]", [_message(m, names) for m in request.messages])
        tools = _tools(request.tools, names)
        with _mapped_errors():
            if on_text is None:
                reply = await self._client.messages.create(
                    model=self._model,
                    max_tokens=request.max_output_tokens,
                    system=_system(request),
                    messages=messages,
                    tools=tools or anthropic.omit,
                    tool_choice=_choice(request, tools),
                )
            else:
                reply = await self._stream(request, messages, tools, on_text)
        return _turn(reply, names, request.tools)

    async def _stream(
        self, request: LLMRequest, messages: list[MessageParam], tools: list[ToolParam], on_text: TextSink
    ) -> SDKMessage:
        async with self._client.messages.stream(
            model=self._model,
            max_tokens=request.max_output_tokens,
            system=_system(request),
            messages=messages,
            tools=tools or anthropic.omit,
            tool_choice=_choice(request, tools),
        ) as stream:
            async for text in stream.text_stream:
                await on_text(text)
            return await stream.get_final_message()


def _choice(request: LLMRequest, tools: list[ToolParam]) -> ToolChoiceParam | Omit:
    # The tools stay defined when they may not be called: the history's tool_use blocks refer to them.
    return {"type": "none"} if tools and not request.may_call_tools else anthropic.omit


def _system(request: LLMRequest) -> list[TextBlockParam]:
    return [{"type": "text", "text": request.system, "cache_control": CACHE_BREAKPOINT}]


def _tools(specs: tuple[ToolSpec, ...], names: ToolNames) -> list[ToolParam]:
    tools = [_tool(spec, names) for spec in for_model(specs)]
    if tools:
        tools[-1]["cache_control"] = CACHE_BREAKPOINT
    return tools


def _tool(spec: ToolSpec, names: ToolNames) -> ToolParam:
    return {
        "name": names.for_provider(spec.name),
        "description": model_description(spec),
        "input_schema": object_schema(spec.input_schema),
    }


def _message(message: Message, names: ToolNames) -> dict[str, Any]:
    if isinstance(message, UserMessage):
        return {"role": "user", "content": message.text}
    if isinstance(message, AssistantMessage):
        blocks: list[dict[str, Any]] = [{"type": "text", "text": message.text}] if message.text else []
        blocks += [
            {"type": "tool_use", "id": c.id, "name": names.for_provider(c.name), "input": dict(c.arguments)}
            for c in message.tool_calls
        ]
        return {"role": "assistant", "content": blocks or [{"type": "text", "text": "(no answer)"}]}
    assert isinstance(message, ToolResultsMessage)
    results = [
        {"type": "tool_result", "tool_use_id": r.call_id, "content": r.content, "is_error": r.is_error}
        for r in message.results
    ]
    return {"role": "user", "content": results}


def _turn(reply: SDKMessage, names: ToolNames, tools: tuple[ToolSpec, ...]) -> LLMTurn:
    schemas = {spec.name: spec.input_schema for spec in tools}
    texts: list[str] = []
    calls: list[ToolCall] = []
    for block in reply.content:
        if block.type == "text":
            texts.append(block.text)
        elif block.type == "tool_use":
            name = names.for_gateway(block.name)
            arguments = block.input if isinstance(block.input, dict) else {}
            calls.append(ToolCall(block.id, name, drop_absent_optionals(arguments, schemas.get(name, {}))))
    # Anthropic counts cached input apart; ours is all the input, as OpenAI's prompt_tokens is (the bounds use it).
    cached = (reply.usage.cache_read_input_tokens or 0) + (reply.usage.cache_creation_input_tokens or 0)
    usage = Usage((reply.usage.input_tokens or 0) + cached, reply.usage.output_tokens or 0)
    return LLMTurn("".join(texts), tuple(calls), usage, str(reply.stop_reason or ""))
