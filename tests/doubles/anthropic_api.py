"""A local Anthropic Messages API (`POST /v1/messages`) that plays scripted turns.

    with AnthropicDouble(api_key="sk-ant-test") as llm:
        llm.script(tool_turn(ToolCall("get_vote_totals", {"eid": "AB4001"})), text_turn("Easel 3 leads"))
        client = AsyncAnthropic(base_url=llm.base_url, api_key=llm.api_key)   # base_url without /v1

- Each request plays the next scripted turn (see `llm_script`): a `text` block and/or `tool_use` blocks
  (`toolu_...` ids, `input` objects) with `stop_reason` `end_turn` or `tool_use`, and `usage`.
- `stream: true` answers with Anthropic's SSE events: `message_start`, `ping`, per block
  `content_block_start` / `content_block_delta` (`text_delta` or `input_json_delta` fragments) /
  `content_block_stop`, then `message_delta` (stop reason, output tokens) and `message_stop`.
- Checked as Anthropic does: the key in `x-api-key` or `Authorization: Bearer` (401
  `authentication_error`; anthropic 2.x sends the Bearer form), an `anthropic-version` header, `model`,
  `max_tokens` and `messages` present, and each `tool_use` answered by a `tool_result` in the next message
  (400 with Anthropic's wording).
- `requests` lists every `AnthropicRequest` (`.body`, `.headers`, `.messages`, `.system`, `.tool_names`,
  `.tool_results` with `is_error`, `.stream`); `wait_for_request(count=1, timeout=5)` and its `_async` twin.
- `fail(status=500, message=..., times=1, retry_after_ms=None, should_retry=None)` answers errors in
  Anthropic's shape (`overloaded_error` for 529). An empty script answers 400 naming the request.
- `GET /v1/models` pages `models` (ids; `limit`, default 20, and `after_id` as Anthropic takes them) as
  `ModelInfo` objects with `has_more`, `first_id`, `last_id`; a wrong key gets the 401 `invalid x-api-key`.
  `model_listings` counts the listings answered (they take no scripted turn).
"""

from __future__ import annotations

import json
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

__all__ = ["AnthropicDouble", "AnthropicRequest", "ToolCall", "ToolResultSeen", "Turn", "text_turn", "tool_turn"]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class AnthropicRequest(RecordedLlmRequest):
    """One request the double received, numbered from 1."""

    @property
    def system(self) -> str:
        return joined_text(self.body.get("system"))

    @property
    def tool_names(self) -> list[str]:
        """Names of the tools offered to the model, in order."""
        return [tool["name"] for tool in self.body.get("tools") or []]

    @property
    def tool_results(self) -> list[ToolResultSeen]:
        """Every `tool_result` block in the conversation, oldest first."""
        return [
            ToolResultSeen(
                str(block.get("tool_use_id")), joined_text(block.get("content")), bool(block.get("is_error"))
            )
            for message in self.messages
            for block in _blocks(message)
            if block.get("type") == "tool_result"
        ]


class AnthropicDouble(ScriptedLlmDouble[AnthropicRequest]):
    """Anthropic's Messages endpoint for tests; see the module docstring."""

    route = "/v1/messages"
    default_models = ("claude-sonnet-5-5", "claude-opus-4-5", "claude-haiku-4-5")

    def __init__(self, api_key: str = "sk-ant-test") -> None:
        super().__init__(api_key)

    @property
    def base_url(self) -> str:
        """What `AsyncAnthropic(base_url=...)` / `ANTHROPIC_BASE_URL` takes: the server, no `/v1`."""
        return self._server.base_url

    def _authorized(self, headers: CIMultiDictProxy[str]) -> bool:
        return self.api_key in (headers.get("x-api-key"), headers.get("Authorization", "").removeprefix("Bearer "))

    def _invalid(self, body: dict[str, Any], headers: CIMultiDictProxy[str]) -> str | None:
        if "anthropic-version" not in headers:
            return "anthropic-version: header is required"
        for required in ("model", "max_tokens", "messages"):
            if required not in body:
                return f"{required}: Field required"
        return _unanswered_tool_uses(body["messages"])

    def _record(self, number: int, body: dict[str, Any], headers: CIMultiDictProxy[str]) -> AnthropicRequest:
        return AnthropicRequest(number, body, headers)

    def _key_refusal(self, headers: CIMultiDictProxy[str]) -> str:
        return "invalid x-api-key"

    def _models_page(self, query: dict[str, str]) -> dict[str, Any]:
        ids = self.models
        if query.get("after_id") in ids:
            ids = ids[ids.index(query["after_id"]) + 1 :]
        limit = int(query.get("limit", "20"))
        page = ids[:limit]
        return {
            "data": [_model_info(model_id) for model_id in page],
            "has_more": len(ids) > limit,
            "first_id": page[0] if page else None,
            "last_id": page[-1] if page else None,
        }

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
        request_id = _request_id()
        error = {"type": _ERROR_TYPES.get(status, "api_error"), "message": message}
        body = {"type": "error", "error": error, "request_id": request_id}
        return web.json_response(body, status=status, headers={"request-id": request_id, **(headers or {})})

    async def _reply(self, http: web.Request, request: AnthropicRequest, turn: Turn) -> web.StreamResponse:
        message = _message(request, turn)
        headers = {"request-id": _request_id()}
        if not request.stream:
            return web.json_response(message, headers=headers)
        events = [f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in _events(message)]
        return await write_sse(http, events, headers)


def _message(request: AnthropicRequest, turn: Turn) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": turn.text}] if turn.text else []
    content += [
        {
            "type": "tool_use",
            "id": call.id or "toolu_01" + random_token(22),
            "name": call.name,
            "input": _input_of(call),
        }
        for call in turn.tool_calls
    ]
    prompt = turn.input_tokens or sum(
        estimate_tokens(request.body.get(key) or "") for key in ("system", "messages", "tools")
    )
    generated = turn.text + "".join(call.arguments_json for call in turn.tool_calls)
    usage = {
        "input_tokens": prompt,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": turn.output_tokens or estimate_tokens(generated),
        "service_tier": "standard",
    }
    return {
        "id": "msg_01" + random_token(22),
        "type": "message",
        "role": "assistant",
        "model": request.model,
        "content": content,
        "stop_reason": turn.stop or ("tool_use" if turn.tool_calls else "end_turn"),
        "stop_sequence": None,
        "usage": usage,
    }


def _events(message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The SSE events that stream `message`, in Anthropic's order."""
    start = {**message, "content": [], "stop_reason": None, "usage": {**message["usage"], "output_tokens": 1}}
    events: list[tuple[str, dict[str, Any]]] = [("message_start", {"type": "message_start", "message": start})]
    events.append(("ping", {"type": "ping"}))
    for index, block in enumerate(message["content"]):
        events += _block_events(index, block)
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    usage = {"output_tokens": message["usage"]["output_tokens"]}
    events.append(("message_delta", {"type": "message_delta", "delta": delta, "usage": usage}))
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def _block_events(index: int, block: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    opening: dict[str, Any]
    if block["type"] == "text":
        opening = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": piece} for piece in text_chunks(block["text"])]
    else:
        opening = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        pieces = ["", *text_chunks(json.dumps(block["input"]))]
        deltas = [{"type": "input_json_delta", "partial_json": piece} for piece in pieces]
    return [
        ("content_block_start", {"type": "content_block_start", "index": index, "content_block": opening}),
        *[("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d}) for d in deltas],
        ("content_block_stop", {"type": "content_block_stop", "index": index}),
    ]


def _unanswered_tool_uses(messages: list[dict[str, Any]]) -> str | None:
    """Anthropic's 400 when `tool_use` and `tool_result` blocks do not pair up, else None."""
    expected: set[str] = set()
    for position, message in enumerate(messages):
        results = [b for b in _blocks(message) if b.get("type") == "tool_result"]
        for block_index, block in enumerate(results):
            if block.get("tool_use_id") not in expected:
                return (
                    f"messages.{position}.content.{block_index}: unexpected `tool_use_id` found in `tool_result` "
                    f"blocks: {block.get('tool_use_id')}. Each `tool_result` block must have a corresponding "
                    "`tool_use` block in the previous message."
                )
        missing = expected - {b.get("tool_use_id") for b in results}
        if missing:
            return (
                f"messages.{position - 1}: `tool_use` ids were found without `tool_result` blocks immediately "
                f"after: {', '.join(sorted(missing))}. Each `tool_use` block must have a corresponding "
                "`tool_result` block in the next message."
            )
        expected = {b["id"] for b in _blocks(message) if b.get("type") == "tool_use"}
    return None


def _input_of(call: ToolCall) -> dict[str, Any]:
    if call.raw_arguments is None:
        return dict(call.arguments)
    return {"raw": call.raw_arguments}  # Anthropic always sends an object; keep the odd string visible


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    return [block for block in content if isinstance(block, dict)] if isinstance(content, list) else []


def _model_info(model_id: str) -> dict[str, Any]:
    return {
        "type": "model",
        "id": model_id,
        "display_name": model_id.replace("-", " ").title(),
        "created_at": "2026-01-15T00:00:00Z",
        "lifecycle": "active",
    }


def _request_id() -> str:
    return "req_011" + random_token(21)
