"""The JSON-RPC envelope of every POST to /mcp, checked once before the SDK sees it.

The SDK's handshake-era transport validates a posted message against a union of envelope models: a request
whose `id` is null, an object, an array, a boolean or a float fails the request model and is taken for a
notification (202, never answered), and any other envelope mistake comes back as pydantic's multi-line
validation dump. This guard reads the body (at most `max_body_bytes`; more is 413), parses it, and answers a
malformed envelope itself with one JSON-RPC error whose message is one sentence about what was wrong. A
well-formed body goes on to the SDK unchanged. See docs/conformance.md.
"""

from __future__ import annotations

import json
from typing import Any, Final

import pydantic_core
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_MAX_BODY_BYTES", "JsonRpcGuard", "envelope_problem"]

DEFAULT_MAX_BODY_BYTES: Final = 2 * 1024 * 1024
PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
INVALID_PARAMS: Final = -32602


# Where the guard leaves the body it read and checked, for the layers inside it (the OAuth scope gate).
CHECKED_BODY_KEY = "abcodex_checked_body"


class EnvelopeProblem(Exception):
    """What is wrong with a posted message, as a JSON-RPC error code and one sentence."""

    def __init__(self, code: int, message: str, request_id: str | int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


def _is_id(value: Any) -> bool:
    # bool is an int in Python, but `true` is not a JSON-RPC id; MCP forbids null ids as well.
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _check_response(message: dict[str, Any], request_id: str | int) -> None:
    if ("result" in message) == ("error" in message):
        raise EnvelopeProblem(
            INVALID_REQUEST,
            "Invalid Request: a message needs a `method` (a request or notification), or a `result` or an `error` "
            "(a response).",
        )
    if "result" in message and not isinstance(message["result"], dict):
        raise EnvelopeProblem(INVALID_REQUEST, "Invalid Request: `result` must be an object.", request_id)
    if "error" in message and not _is_error_object(message["error"]):
        raise EnvelopeProblem(
            INVALID_REQUEST,
            "Invalid Request: `error` must be an object with an integer `code` and a string `message`.",
            request_id,
        )


def _is_error_object(error: Any) -> bool:
    if not isinstance(error, dict):
        return False
    code = error.get("code")
    return isinstance(code, int) and not isinstance(code, bool) and isinstance(error.get("message"), str)


def _check_envelope(message: Any) -> None:
    if isinstance(message, list):
        raise EnvelopeProblem(
            INVALID_REQUEST, "Invalid Request: batches (JSON arrays) are not supported; send one message per request."
        )
    if not isinstance(message, dict):
        raise EnvelopeProblem(INVALID_REQUEST, "Invalid Request: the body must be one JSON-RPC message object.")
    request_id = message.get("id")
    if "id" in message and not _is_id(request_id):
        raise EnvelopeProblem(INVALID_REQUEST, "Invalid Request: `id` must be a string or an integer.")
    if message.get("jsonrpc") != "2.0":
        raise EnvelopeProblem(INVALID_REQUEST, 'Invalid Request: `jsonrpc` must be "2.0".', request_id)
    if "method" not in message:
        if request_id is None:
            raise EnvelopeProblem(INVALID_REQUEST, "Invalid Request: a response needs the `id` it answers.")
        _check_response(message, request_id)
        return
    if not isinstance(message["method"], str):
        raise EnvelopeProblem(INVALID_REQUEST, "Invalid Request: `method` must be a string.", request_id)
    params = message.get("params")
    if params is not None and not isinstance(params, dict):
        raise EnvelopeProblem(INVALID_PARAMS, "Invalid params: `params` must be an object.", request_id)
    if message["method"] == "tools/call":
        _check_tool_call(params or {}, request_id)


def _check_tool_call(params: dict[str, Any], request_id: str | int | None) -> None:
    # The SDK answers these with a bare "Invalid request parameters"; a caller deserves to know which.
    if not isinstance(params.get("name"), str):
        raise EnvelopeProblem(INVALID_PARAMS, "Invalid params: `name` must be the tool's name, a string.", request_id)
    if params.get("arguments") is not None and not isinstance(params["arguments"], dict):
        raise EnvelopeProblem(INVALID_PARAMS, "Invalid params: `arguments` must be an object.", request_id)


def envelope_problem(body: bytes) -> EnvelopeProblem | None:
    """Why `body` is not one well-formed JSON-RPC message, or None when it is."""
    try:
        # The SDK's own parser, so the guard and the SDK agree on what is JSON (and on the nesting limit).
        message = pydantic_core.from_json(body)
    except ValueError:
        return EnvelopeProblem(PARSE_ERROR, "Parse error: the body is not valid JSON.")
    try:
        _check_envelope(message)
    except EnvelopeProblem as problem:
        return problem
    return None


class JsonRpcGuard:
    """ASGI middleware: a POST to `path` reaches `app` only with a bounded body holding one valid envelope."""

    def __init__(self, app: ASGIApp, path: str = "/mcp", max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self._app = app
        self._path = path
        self._max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (scope["type"] == "http" and scope["method"] == "POST" and scope["path"].rstrip("/") == self._path):
            await self._app(scope, receive, send)
            return
        if self._declared_length(scope) > self._max_body_bytes:
            await self._too_large(send)
            return
        body = await self._body(receive)
        if body is None:
            return  # the client left before it finished sending
        if len(body) > self._max_body_bytes:
            await self._too_large(send)
            return
        problem = envelope_problem(body)
        if problem is not None:
            await _send_error(send, 400, problem)
            return
        scope.setdefault("state", {})[CHECKED_BODY_KEY] = body  # later layers read it here, not again off the wire
        await self._app(scope, _replay(body, receive), send)

    @staticmethod
    def _declared_length(scope: Scope) -> int:
        for name, value in scope["headers"]:
            if name == b"content-length":
                return int(value) if value.isdigit() else 0
        return 0

    async def _body(self, receive: Receive) -> bytes | None:
        """The whole body, or as much as proves it too large; None if the client disconnected."""
        chunks: list[bytes] = []
        size = 0
        while size <= self._max_body_bytes:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _too_large(self, send: Send) -> None:
        limit = f"{self._max_body_bytes // (1024 * 1024)} MiB"
        await _send_error(send, 413, EnvelopeProblem(INVALID_REQUEST, f"Invalid Request: the body is over {limit}."))


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then whatever the client sends next."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


async def _send_error(send: Send, status: int, problem: EnvelopeProblem) -> None:
    payload = {
        "jsonrpc": "2.0",
        "id": problem.request_id,
        "error": {"code": problem.code, "message": problem.message},
    }
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
