"""A local OpenAI Chat Completions API (`POST /v1/chat/completions`) that plays scripted turns.

    with OpenAIDouble(api_key="sk-test") as llm:
        llm.script(tool_turn(ToolCall("get_vote_totals", {"eid": "AB4001"})), text_turn("Easel 3 leads"))
        client = AsyncOpenAI(base_url=llm.base_url, api_key=llm.api_key)   # base_url ends in /v1

- Each request plays the next scripted turn (see `llm_script`): text gives `finish_reason: "stop"`,
  tool calls give `choices[0].message.tool_calls` (`call_...` ids, arguments as a JSON string) and
  `finish_reason: "tool_calls"`; `usage` is estimated from sizes unless the turn fixes it.
- `stream: true` answers with SSE `data: {chunk}` lines: role, content pieces, `tool_calls` deltas (id
  and name first, then argument fragments), the finish chunk, a usage chunk when
  `stream_options.include_usage`, then `data: [DONE]`.
- Checked as OpenAI does: `Authorization: Bearer <api_key>` (401 `invalid_api_key`), `model` and
  `messages` present, and every assistant `tool_calls` id answered by a `tool` message before the next
  message (400 with OpenAI's wording), so a bot that drops a parallel tool result fails loudly.
- `requests` lists every `OpenAIRequest` (`.body`, `.headers`, `.messages`, `.tool_names`,
  `.tool_results`, `.stream`); `wait_for_request(count=1, timeout=5)` and `wait_for_request_async`.
- `fail(status=500, message=..., times=1, retry_after_ms=None, should_retry=None)` answers errors in
  OpenAI's shape; the SDK retries 408/409/429/5xx unless `should_retry=False`. An empty script answers
  400 naming the request; `turns_left` counts what is still queued; `script_errors` keeps exceptions
  raised by scripted callables.
- `GET /v1/models` lists `models` (ids) as OpenAI does (`{"object": "list", "data": [...]}`); a wrong key
  gets OpenAI's 401 `invalid_api_key` naming the key masked. `model_listings` counts the listings
  answered (they take no scripted turn).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import CIMultiDictProxy

from ._llm_double import RecordedLlmRequest, ScriptedLlmDouble, write_sse
from .llm_script import (
    ToolCall,
    ToolResultSeen,
    Turn,
    estimate_tokens,
    joined_text,
    random_token,
    text_chunks,
    text_turn,
    tool_turn,
)

__all__ = ["OpenAIDouble", "OpenAIRequest", "ToolCall", "ToolResultSeen", "Turn", "text_turn", "tool_turn"]

_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    429: ("requests", "rate_limit_exceeded"),
}


@dataclass(frozen=True)
class OpenAIRequest(RecordedLlmRequest):
    """One request the double received, numbered from 1."""

    @property
    def tool_names(self) -> list[str]:
        """Names of the tools offered to the model, in order."""
        return [tool["function"]["name"] for tool in self.body.get("tools") or []]

    @property
    def tool_results(self) -> list[ToolResultSeen]:
        """Every `tool` message in the conversation, oldest first."""
        return [
            ToolResultSeen(str(m.get("tool_call_id")), joined_text(m.get("content")), None)
            for m in self.messages
            if m.get("role") == "tool"
        ]


class OpenAIDouble(ScriptedLlmDouble[OpenAIRequest]):
    """OpenAI's Chat Completions endpoint for tests; see the module docstring."""

    route = "/v1/chat/completions"
    default_models = ("gpt-4o-mini", "gpt-4o", "gpt-4.1")

    def __init__(self, api_key: str = "sk-test-openai") -> None:
        super().__init__(api_key)

    @property
    def base_url(self) -> str:
        """What `AsyncOpenAI(base_url=...)` / `OPENAI_BASE_URL` takes: the server with `/v1`."""
        return f"{self._server.base_url}/v1"

    def _authorized(self, headers: CIMultiDictProxy[str]) -> bool:
        return headers.get("Authorization") == f"Bearer {self.api_key}"

    def _invalid(self, body: dict[str, Any], headers: CIMultiDictProxy[str]) -> str | None:
        for required in ("model", "messages"):
            if required not in body:
                return f"Missing required parameter: '{required}'."
        return _unanswered_tool_calls(body["messages"])

    def _record(self, number: int, body: dict[str, Any], headers: CIMultiDictProxy[str]) -> OpenAIRequest:
        return OpenAIRequest(number, body, headers)

    def _key_refusal(self, headers: CIMultiDictProxy[str]) -> str:
        sent = headers.get("Authorization", "").removeprefix("Bearer ")
        masked = sent[:3] + "*" * max(0, len(sent) - 7) + sent[-4:] if len(sent) > 7 else sent
        return f"Incorrect API key provided: {masked}. You can find your API key at https://platform.openai.com/account/api-keys."

    def _models_page(self, query: dict[str, str]) -> dict[str, Any]:
        listed = [
            {"id": model_id, "object": "model", "created": 1715367049, "owned_by": "system"} for model_id in self.models
        ]
        return {"object": "list", "data": listed}

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
        kind, code = _ERROR_TYPES.get(status, ("server_error", None))
        body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
        return web.json_response(body, status=status, headers={"x-request-id": _request_id(), **(headers or {})})

    async def _reply(self, http: web.Request, request: OpenAIRequest, turn: Turn) -> web.StreamResponse:
        completion = _Completion(request, turn)
        headers = {"x-request-id": _request_id(), "openai-processing-ms": "1"}
        if not request.stream:
            return web.json_response(completion.whole(), headers=headers)
        include_usage = bool((request.body.get("stream_options") or {}).get("include_usage"))
        events = [f"data: {json.dumps(chunk)}\n\n".encode() for chunk in completion.chunks(include_usage)]
        return await write_sse(http, [*events, b"data: [DONE]\n\n"], headers)


class _Completion:
    """One scripted turn rendered as a chat completion, whole or as stream chunks."""

    def __init__(self, request: OpenAIRequest, turn: Turn) -> None:
        self.turn = turn
        self.calls = [(call.id or "call_" + random_token(24), call) for call in turn.tool_calls]
        self.finish_reason = turn.stop or ("tool_calls" if turn.tool_calls else "stop")
        self.head = {
            "id": "chatcmpl-" + random_token(29),
            "created": int(time.time()),
            "model": request.model,
            "service_tier": "default",
            "system_fingerprint": "fp_" + secrets.token_hex(5),
        }
        prompt = turn.input_tokens or estimate_tokens(request.messages) + estimate_tokens(request.body.get("tools", []))
        generated = turn.text + "".join(call.arguments_json for call in turn.tool_calls)
        completion = turn.output_tokens or estimate_tokens(generated)
        self.usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def whole(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": self.turn.text or None,
            "refusal": None,
            "annotations": [],
        }
        if self.calls:
            message["tool_calls"] = [
                {"id": call_id, "type": "function", "function": {"name": call.name, "arguments": call.arguments_json}}
                for call_id, call in self.calls
            ]
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": self.finish_reason}
        return {**self.head, "object": "chat.completion", "choices": [choice], "usage": self.usage}

    def chunks(self, include_usage: bool) -> list[dict[str, Any]]:
        deltas: list[dict[str, Any]] = [
            {"role": "assistant", "content": "" if self.turn.text or not self.calls else None, "refusal": None}
        ]
        if self.turn.text:
            deltas += [{"content": piece} for piece in text_chunks(self.turn.text)]
        for index, (call_id, call) in enumerate(self.calls):
            deltas.append(
                _tool_delta(index, id=call_id, type="function", function={"name": call.name, "arguments": ""})
            )
            deltas += [_tool_delta(index, function={"arguments": piece}) for piece in text_chunks(call.arguments_json)]
        chunks = [self._chunk(delta, None, include_usage) for delta in deltas]
        chunks.append(self._chunk({}, self.finish_reason, include_usage))
        if include_usage:
            chunks.append({**self.head, "object": "chat.completion.chunk", "choices": [], "usage": self.usage})
        return chunks

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None, include_usage: bool) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        chunk = {**self.head, "object": "chat.completion.chunk", "choices": [choice]}
        return chunk | ({"usage": None} if include_usage else {})


def _tool_delta(index: int, **fields: Any) -> dict[str, Any]:
    return {"tool_calls": [{"index": index, **fields}]}


def _unanswered_tool_calls(messages: list[dict[str, Any]]) -> str | None:
    """OpenAI's 400 when tool calls and tool messages do not pair up, else None."""
    pending: list[str] = []
    for position, message in enumerate(messages):
        if message.get("role") == "tool":
            if message.get("tool_call_id") not in pending:
                return (
                    f"Invalid parameter: messages with role 'tool' must be a response to a preceeding "
                    f"message with 'tool_calls'. (messages.[{position}].role)"
                )
            pending.remove(message["tool_call_id"])
            continue
        if pending:
            break
        if message.get("role") == "assistant":
            pending = [call["id"] for call in message.get("tool_calls") or []]
    if pending:
        return (
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
            f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(pending)}"
        )
    return None


def _request_id() -> str:
    return "req_" + secrets.token_hex(16)
