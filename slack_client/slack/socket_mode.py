"""Socket Mode transport (slack-sdk's aiohttp `SocketModeClient`): ack each envelope at once.

The SDK reconnects by itself (Slack's `disconnect` frames, dropped sockets, stale pings). Each
envelope is parsed and scheduled by the inbox, which never waits on the network, then acknowledged;
for `/ab` the ack carries the immediate reply.
"""

from __future__ import annotations

import time

import structlog
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from slack_client.observability import Metrics
from slack_client.slack.inbox import Inbox
from slack_client.slack.web import SlackWeb

log = structlog.get_logger(__name__)


class SocketModeListener:
    """Receive envelopes over Slack's WebSocket and hand them to the inbox."""

    def __init__(self, app_token: str, web: SlackWeb, inbox: Inbox, metrics: Metrics) -> None:
        self._app_token = app_token
        self._web = web
        self._inbox = inbox
        self._metrics = metrics
        self._client: SocketModeClient | None = None
        self._closed = False

    async def start(self) -> None:
        """Open the socket (the SDK keeps it open and reconnects on its own)."""
        self._client = SocketModeClient(app_token=self._app_token, web_client=self._web.client)
        self._client.socket_mode_request_listeners.append(self._on_request)
        await self._client.connect()  # type: ignore[no-untyped-call]  # slack-sdk leaves it unannotated

    async def connected(self) -> bool:
        return self._client is not None and not self._client.closed and await self._client.is_connected()

    async def close(self) -> None:
        """Stop receiving: no new envelopes reach the bot after this."""
        if self._client is not None and not self._closed:
            self._closed = True
            await self._client.close()  # type: ignore[no-untyped-call]  # slack-sdk leaves it unannotated

    async def _on_request(self, client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        if not self._inbox.accepting:
            return  # shutting down: no ack, so Slack delivers the envelope again (to a running replica)
        started = time.perf_counter()
        payload = None
        try:
            if request.type == "events_api":
                self._inbox.on_event(request.payload)
            elif request.type == "slash_commands":
                payload = self._inbox.on_slash_command(request.payload)
            elif request.type == "interactive":
                self._inbox.on_interaction(request.payload)
        except Exception:  # a payload we cannot parse is still acknowledged, or Slack retries it
            log.exception("envelope_not_understood", envelope_type=request.type)
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id, payload=payload))
        self._metrics.ack_seconds.labels("socket_mode").observe(time.perf_counter() - started)
