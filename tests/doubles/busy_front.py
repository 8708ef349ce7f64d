"""An overloaded gateway's front door: the next tool calls get 429 or 503 with `Retry-After`.

    front = BusyFront()
    app = front.wrap(mcp_asgi_app)
    front.answer_busy(503, retry_after="0", times=1)   # the next tools/call gets 503; later ones pass

Only `tools/call` POSTs are turned away (initialize and tools/list pass), which is where a connected
client meets a busy gateway. `body="jsonrpc"` answers with a JSON-RPC error, as an MCP server would;
`body="text"` with plain text, as a load balancer would. `tool_calls` counts every tools/call that
arrived, turned away or not.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
BodyKind = Literal["jsonrpc", "text"]


@dataclass
class _Busy:
    status: int
    retry_after: str | None
    body: BodyKind
    remaining: int


class BusyFront:
    """Wraps an MCP server's ASGI app; see the module docstring."""

    def __init__(self) -> None:
        self._busy: deque[_Busy] = deque()
        self.tool_calls = 0

    def answer_busy(
        self, status: int = 503, *, retry_after: str | None = "1", times: int = 1, body: BodyKind = "text"
    ) -> None:
        """Turn away the next `times` tool calls with `status` and `Retry-After: retry_after` (None: no header)."""
        self._busy.append(_Busy(status, retry_after, body, times))

    def wrap(self, app: ASGIApp) -> ASGIApp:
        async def front(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or scope["method"] != "POST":
                await app(scope, receive, send)
                return
            body = await _whole_body(receive)
            message = _json(body)
            if isinstance(message, dict) and message.get("method") == "tools/call":
                self.tool_calls += 1
                busy = self._take()
                if busy is not None:
                    await _turn_away(send, busy, message.get("id"))
                    return
            await app(scope, _replaying(body, receive), send)

        return front

    def _take(self) -> _Busy | None:
        if not self._busy:
            return None
        busy = self._busy[0]
        busy.remaining -= 1
        if busy.remaining <= 0:
            self._busy.popleft()
        return busy


async def _whole_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


async def _turn_away(send: Send, busy: _Busy, request_id: Any) -> None:
    if busy.body == "jsonrpc":
        error = {"code": -32000, "message": "The gateway is busy; try again shortly."}
        content = json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}).encode()
        content_type = b"application/json"
    else:
        content, content_type = b"busy, try again later", b"text/plain; charset=utf-8"
    headers = [(b"content-type", content_type), (b"content-length", str(len(content)).encode())]
    if busy.retry_after is not None:
        headers.append((b"retry-after", busy.retry_after.encode()))
    await send({"type": "http.response.start", "status": busy.status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
