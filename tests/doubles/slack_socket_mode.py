"""The Socket Mode side of the Slack double: Slack's WebSocket, envelopes and acks.

It is served by `SlackDouble` (in `slack_api`) on the same port as the Web API, so `apps.connections.open`
with the app token (`xapp-...`) returns `ws://127.0.0.1:PORT/link?ticket=...` for it. Reach it as
`slack.socket_mode`, a `SocketModeHub`:

- On connect it sends Slack's `hello` (`num_connections`, `debug_info`, `connection_info.app_id`).
  `wait_for_connection(count=1, timeout=5)` / `wait_for_connection_async(...)` wait until `count`
  connections have been greeted in total (a reconnect makes it 2).
- `push_events_api(event_callback(...), retry_attempt=0, retry_reason="")`, `push_slash_command(fields)`,
  `push_interactive(payload)` send an envelope to the newest connection and return its `envelope_id`;
  `push(envelope)` sends any dict. Pushing an event also stores its message in the double's history, so
  `reactions.add` and `conversations.replies` see it, as on Slack.
- `push_disconnect(reason="refresh_requested")` asks the client to reconnect, as Slack does before it
  rotates a connection; `drop_connections()` closes every socket from the server side.
- `acks` lists each `{"envelope_id": ..., "payload": ...}` the client sent back as an `Ack` with
  `received_at` and `latency` (seconds since the push, `time.perf_counter` on both ends);
  `wait_for_ack(envelope_id, timeout=5)` / `wait_for_ack_async(...)` wait for one. `pushed` and
  `received` list every envelope sent and every text frame received.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from ._threaded_server import Journal, ThreadedServer

# Slack's own frame types; an envelope's `accepts_response_payload` depends on its type.
_ACCEPTS_RESPONSE_PAYLOAD = {"events_api": False, "slash_commands": True, "interactive": False}


@dataclass(frozen=True)
class Envelope:
    """An envelope the double pushed, with the moment it went out (`time.perf_counter`)."""

    envelope_id: str
    type: str
    body: dict[str, Any]
    pushed_at: float


@dataclass(frozen=True)
class Ack:
    """An acknowledgement from the client; `payload` is the optional response payload."""

    envelope_id: str
    payload: dict[str, Any] | None
    received_at: float
    pushed_at: float | None

    @property
    def latency(self) -> float | None:
        """Seconds from pushing the envelope to receiving this ack, or None for an unknown envelope."""
        return None if self.pushed_at is None else self.received_at - self.pushed_at


@dataclass(frozen=True)
class Connection:
    """A greeted WebSocket connection; `number` counts connections since the double started."""

    number: int
    ticket: str


class SocketModeHub:
    """Slack's Socket Mode endpoint: greets clients, pushes envelopes, records acks."""

    def __init__(self, app_id: str, remember_event: Callable[[dict[str, Any]], None]) -> None:
        self._app_id = app_id
        self._remember_event = remember_event
        self._server: ThreadedServer | None = None
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._connections: Journal[Connection] = Journal()
        self._pushed: Journal[Envelope] = Journal()
        self._acks: Journal[Ack] = Journal()
        self._received: Journal[dict[str, Any]] = Journal()

    def install(self, app: web.Application, server: ThreadedServer) -> None:
        """Serve `/link` on `app`, which `server` runs; called by `SlackDouble`."""
        self._server = server
        app.router.add_get("/link", self._link)
        app.on_shutdown.append(self._close_all)

    def issue_url(self) -> str:
        """A fresh WebSocket URL, as `apps.connections.open` returns."""
        assert self._server is not None
        ticket = str(uuid.uuid4())
        self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self._server.port}/link?ticket={ticket}"

    # -- what a test reads ------------------------------------------------------------------------

    @property
    def acks(self) -> list[Ack]:
        return self._acks.entries()

    @property
    def pushed(self) -> list[Envelope]:
        return self._pushed.entries()

    @property
    def received(self) -> list[dict[str, Any]]:
        return self._received.entries()

    @property
    def open_connections(self) -> int:
        return sum(1 for socket in self._sockets if not socket.closed)

    def wait_for_connection(self, count: int = 1, timeout: float = 5.0) -> Connection:
        return self._connections.wait_for(lambda c: c.number >= count, timeout, f"connection #{count}")

    async def wait_for_connection_async(self, count: int = 1, timeout: float = 5.0) -> Connection:
        return await self._connections.wait_for_async(lambda c: c.number >= count, timeout, f"connection #{count}")

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        return self._acks.wait_for(lambda a: a.envelope_id == envelope_id, timeout, f"ack of {envelope_id}")

    async def wait_for_ack_async(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        return await self._acks.wait_for_async(lambda a: a.envelope_id == envelope_id, timeout, f"ack of {envelope_id}")

    # -- what a test sends ------------------------------------------------------------------------

    def push_events_api(self, callback: dict[str, Any], *, retry_attempt: int = 0, retry_reason: str = "") -> str:
        """Deliver an event callback (see `slack_payloads.event_callback`); returns the envelope id."""
        self._remember_event(callback["event"])
        return self._push_envelope("events_api", callback, retry_attempt=retry_attempt, retry_reason=retry_reason)

    def push_slash_command(self, fields: dict[str, str]) -> str:
        """Deliver a slash command (see `slack_payloads.slash_command`); returns the envelope id."""
        return self._push_envelope("slash_commands", fields)

    def push_interactive(self, payload: dict[str, Any]) -> str:
        """Deliver an interaction (see `slack_payloads.block_actions`); returns the envelope id."""
        return self._push_envelope("interactive", payload)

    def push_disconnect(self, reason: str = "refresh_requested") -> None:
        """Tell the newest connection to reconnect, as Slack does before it rotates a connection."""
        self.push({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-double"}})

    def push(self, message: dict[str, Any]) -> None:
        """Send any JSON frame to the newest open connection."""
        self._run(self._send(json.dumps(message)))

    def drop_connections(self) -> None:
        """Close every connection from the server side, like a network blip."""
        self._run(self._close_all(None))

    # -- inside the server ------------------------------------------------------------------------

    def _push_envelope(self, kind: str, payload: dict[str, Any], **extra: Any) -> str:
        envelope_id = str(uuid.uuid4())
        body = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": _ACCEPTS_RESPONSE_PAYLOAD[kind],
            **extra,
        }

        def record() -> None:  # on the server's loop, just before the frame goes out, so latency is the ack's
            self._pushed.append(Envelope(envelope_id, kind, body, time.perf_counter()))

        self._run(self._send(json.dumps(body), just_before=record))
        return envelope_id

    def _run(self, coro: Any) -> None:
        if self._server is None:
            coro.close()
            raise RuntimeError("the Slack double is not running")
        self._server.run(coro)

    async def _send(self, text: str, just_before: Callable[[], None] = lambda: None) -> None:
        live = [socket for socket in self._sockets if not socket.closed]
        if not live:
            raise RuntimeError("no Socket Mode client is connected; call wait_for_connection() first")
        just_before()
        await live[-1].send_str(text)

    async def _link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid ticket")
        socket = web.WebSocketResponse(timeout=1.0)
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json(self._hello())
        self._connections.append(Connection(len(self._connections.entries()) + 1, ticket))
        try:
            async for frame in socket:
                if frame.type == WSMsgType.TEXT:
                    self._on_text(frame.data, time.perf_counter())
        finally:
            self._sockets.remove(socket)
        return socket

    def _hello(self) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": self.open_connections,
            "debug_info": {
                "host": "applink-double",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self._app_id},
        }

    def _on_text(self, text: str, received_at: float) -> None:
        message = json.loads(text)
        self._received.append(message)
        envelope_id = message.get("envelope_id")
        if envelope_id is None:
            return
        pushed = self._pushed.find(lambda e: e.envelope_id == envelope_id)
        self._acks.append(Ack(envelope_id, message.get("payload"), received_at, pushed.pushed_at if pushed else None))

    async def _close_all(self, _app: web.Application | None) -> None:
        for socket in list(self._sockets):
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"double closing")
