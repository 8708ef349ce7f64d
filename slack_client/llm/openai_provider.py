"""The OpenAI adapter: Chat Completions with native function calling, SDK errors mapped to ours.

Prompt caching is automatic at OpenAI for a prefix of 1,024 tokens or more that is byte for byte the same
as an earlier request's: the tools (sent in a fixed order and form, `schema.for_model`) and the system
prompt come first, and `prompt_cache_key`, a digest of them, sends requests that share them to the same
cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import openai
from openai import Omit
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam, ChatCompletionToolUnionParam

from slack_client.errors import LLMRateLimited, LLMRejected, LLMUnavailable
from slack_client.llm.base import TextSink
from slack_client.llm.schema import ToolNames, drop_absent_optionals, for_model, model_description, openai_parameters
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


@contextlib.contextmanager
def _mapped_errors() -> Iterator[None]:
    """Turn OpenAI SDK exceptions into the bot's own."""
    try:
        yield
    except openai.RateLimitError as error:
        raise LLMRateLimited(f"OpenAI rate limit: {error.message}") from None
    except openai.APIConnectionError as error:  # includes timeouts
        raise LLMUnavailable(f"OpenAI unreachable: {error}") from None
    except openai.InternalServerError as error:
        raise LLMUnavailable(f"OpenAI error {error.status_code}: {error.message}") from None
    except openai.APIStatusError as error:
        raise LLMRejected(f"OpenAI refused the request ({error.status_code}): {error.message}") from None
    except openai.OpenAIError as error:
        raise LLMUnavailable(f"OpenAI error: {error}") from None


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class OpenAIProvider:
    """`LLMProvider` over OpenAI Chat Completions."""

    def __init__(
        self, *, api_key: str, model: str, base_url: str | None = None, timeout: float = 60.0, max_retries: int = 2
    ) -> None:
        self._model = model
        self._client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)

    @property
    def name(self) -> str:
        return "openai"

    @property
    def model(self) -> str:
        return self._model

    async def aclose(self) -> None:
        await self._client.close()

    async def ping(self) -> None:
        with _mapped_errors():
            await self._client.with_options(max_retries=0).models.list()

    async def complete(self, request: LLMRequest, on_text: TextSink | None = None) -> LLMTurn:
        names = ToolNames(request.tools)
        messages = _messages(request, names)
        tools = [_tool(spec, names) for spec in for_model(request.tools)]
        with _mapped_errors():
            if on_text is None:
                reply = await self._client.chat.completions.create(
                    model=self._model,
                    messages=messages,
                    tools=tools or openai.omit,
                    tool_choice=_choice(request, tools),
                    max_completion_tokens=request.max_output_tokens,
                    prompt_cache_key=_cache_key(request.system, tools),
                )
                return _turn(reply, names, request.tools)
            return await self._stream(request, messages, tools, names, on_text)

    async def _stream(
        self,
        request: LLMRequest,
        messages: list[ChatCompletionMessageParam],
        tools: list[ChatCompletionToolUnionParam],
        names: ToolNames,
        on_text: TextSink,
    ) -> LLMTurn:
        stream = await self._client.chat.completions.create(
            model=self._model,
            messages=messages,
            tools=tools or openai.omit,
            tool_choice=_choice(request, tools),
            max_completion_tokens=request.max_output_tokens,
            prompt_cache_key=_cache_key(request.system, tools),
            stream=True,
            stream_options={"include_usage": True},
        )
        texts: list[str] = []
        partial: dict[int, _PartialCall] = {}
        usage, stop = Usage(), ""
        async with stream:
            async for chunk in stream:
                if chunk.usage is not None:
                    usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                for choice in chunk.choices:
                    stop = choice.finish_reason or stop
                    if choice.delta.content:
                        texts.append(choice.delta.content)
                        await on_text(choice.delta.content)
                    for delta in choice.delta.tool_calls or []:
                        call = partial.setdefault(delta.index, _PartialCall())
                        call.id = delta.id or call.id
                        if delta.function is not None:
                            call.name += delta.function.name or ""
                            call.arguments.append(delta.function.arguments or "")
        calls = [_call(c.id, c.name, "".join(c.arguments), names, request.tools) for _, c in sorted(partial.items())]
        return LLMTurn("".join(texts), tuple(calls), usage, stop)


def _choice(request: LLMRequest, tools: list[ChatCompletionToolUnionParam]) -> Literal["none"] | Omit:
    return "none" if tools and not request.may_call_tools else openai.omit


def _cache_key(system: str, tools: list[ChatCompletionToolUnionParam]) -> str:
    """Requests with the same tools and system prompt (one role, one day) share a key, so they reach one cache."""
    prefix = json.dumps([system, tools], separators=(",", ":"), sort_keys=True).encode()
    return "abcodex-" + hashlib.sha256(prefix).hexdigest()[:32]


def _tool(spec: ToolSpec, names: ToolNames) -> ChatCompletionToolUnionParam:
    parameters, strict = openai_parameters(spec.input_schema)
    function: dict[str, Any] = {
        "name": names.for_provider(spec.name),
        "description": model_description(spec),
        "parameters": parameters,
        "strict": strict,
    }
    return cast("ChatCompletionToolUnionParam", {"type": "function", "function": function})


def _messages(request: LLMRequest, names: ToolNames) -> list[ChatCompletionMessageParam]:
    out: list[dict[str, Any]] = [{"role": "system", "content": request.system}]
    for message in request.messages:
        out.extend(_message(message, names))
    return cast("list[ChatCompletionMessageParam]", out)


def _message(message: Message, names: ToolNames) -> list[dict[str, Any]]:
    if isinstance(message, UserMessage):
        return [{"role": "user", "content": message.text}]
    if isinstance(message, AssistantMessage):
        entry: dict[str, Any] = {"role": "assistant", "content": message.text or None}
        if message.tool_calls:
            entry["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": names.for_provider(c.name), "arguments": json.dumps(dict(c.arguments))},
                }
                for c in message.tool_calls
            ]
        return [entry]
    assert isinstance(message, ToolResultsMessage)
    return [
        {"role": "tool", "tool_call_id": r.call_id, "content": f"ERROR: {r.content}" if r.is_error else r.content}
        for r in message.results
    ]


def _turn(reply: ChatCompletion, names: ToolNames, tools: tuple[ToolSpec, ...]) -> LLMTurn:
    if not reply.choices:
        raise LLMUnavailable("OpenAI returned no choices")
    choice = reply.choices[0]
    calls = [
        _call(c.id, c.function.name, c.function.arguments, names, tools)
        for c in choice.message.tool_calls or []
        if c.type == "function"
    ]
    usage = Usage(reply.usage.prompt_tokens, reply.usage.completion_tokens) if reply.usage else Usage()
    return LLMTurn(choice.message.content or "", tuple(calls), usage, choice.finish_reason or "")


def _call(call_id: str, name: str, raw_arguments: str, names: ToolNames, tools: tuple[ToolSpec, ...]) -> ToolCall:
    gateway_name = names.for_gateway(name)
    schema: Mapping[str, Any] = next((t.input_schema for t in tools if t.name == gateway_name), {})
    try:
        arguments = json.loads(raw_arguments or "{}")
    except json.JSONDecodeError:
        arguments = None
    if not isinstance(arguments, dict):
        return ToolCall(call_id, gateway_name, {}, invalid_arguments=raw_arguments)
    return ToolCall(call_id, gateway_name, drop_absent_optionals(arguments, schema))
