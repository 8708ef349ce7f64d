"""The one adapter for the MCP gateway: the official `mcp` SDK client over streamable HTTP.

Connection model. One long-lived `mcp.Client` runs in a supervisor task that owns it; requests from any
task call tools through it. A transport failure (gateway down or restarting) ends that client (the SDK
tears down its task group); callers then see `GatewayUnavailable` and the supervisor reconnects with
exponential backoff, relisting tools each time. Keeping the client in its own task confines the SDK's
teardown to that task, so a failing call never cancels the request that made it.

Busy. A call the gateway answers with 429 or 503 and `Retry-After` is tried again after that delay, a
couple of times within a few seconds (`gateway_busy`), then fails as `GatewayBusy`, not "unreachable".

Per-call headers. `Authorization: Bearer` goes on every HTTP request; `X-Request-Id`, `X-Acting-User`
and `X-Acting-Role` come from a context variable set around each call (see `gateway_convert`), so
concurrent calls for different users each carry their own headers over one connection pool.

Tool discovery. `tools/list` at connect, on `notifications/tools/list_changed`, after a TTL, and (opt-in)
through a `subscriptions/listen` stream when the gateway speaks 2026-07-28. Never a hard-coded list.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import Any

import anyio
import httpx2
import mcp_types
import structlog
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.client.subscriptions import ListenNotSupportedError
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import ValidationError

from abcodex_common.retry import Backoff, retrying
from slack_client.errors import GatewayBusy, GatewayRefused, GatewayUnavailable
from slack_client.gateway_busy import BUSY_RETRIES, note_if_busy, noting_busy
from slack_client.gateway_convert import GatewayAuth, acting_as, describe_error, outcome_from_sdk, tool_spec_from_sdk
from slack_client.models import Actor, ToolOutcome, ToolSpec

log = structlog.get_logger(__name__)

_STABLE_SECONDS = 5.0
RECONNECT = Backoff(first=0.2, ceiling=10.0)
# A call whose connection died under it is tried once more at once: the supervisor is already reconnecting.
_AFTER_A_DROP = Backoff(first=0.0, attempts=2)


class GatewayClient:
    """Talk to the gateway; survives its restarts; publishes its current tools."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        tools_ttl: float = 60.0,
        listen_for_changes: bool = False,
        backoff: Backoff = RECONNECT,
        connect_wait: float = 3.0,
        call_timeout: float = 30.0,
        client_name: str = "abcodex-slackbot",
    ) -> None:
        self._url = url
        self._ttl = tools_ttl
        self._listen = listen_for_changes
        self._backoff = backoff
        self._connect_wait = connect_wait
        self._call_timeout = call_timeout
        self._client_info = mcp_types.Implementation(name=client_name, version="0.1.0")
        timeout = httpx2.Timeout(10.0, read=call_timeout + 5.0)
        hooks = {"response": [self._note_refusal, note_if_busy]}
        self._http = httpx2.AsyncClient(auth=GatewayAuth(token), timeout=timeout, event_hooks=hooks)
        self._refusal: str | None = None
        self._tools: tuple[ToolSpec, ...] = ()
        self._client: Client | None = None
        self._attempt_ended = anyio.Event()
        self._wake = anyio.Event()
        self._changed = anyio.Event()
        self._tools_loaded = anyio.Event()
        self._task: asyncio.Task[None] | None = None
        self._connected_at: float | None = None
        self.last_error: str | None = None
        self.listening = False
        self.tools_loaded_at: float | None = None

    async def __aenter__(self) -> GatewayClient:
        self._task = asyncio.create_task(self._supervise(), name="gateway-supervisor")
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._http.aclose()

    @property
    def connected(self) -> bool:
        return self._client is not None

    def tools(self) -> tuple[ToolSpec, ...]:
        """The tools the gateway listed last."""
        return self._tools

    async def next_tools(self) -> tuple[ToolSpec, ...]:
        """Wait for the next `tools/list` to complete and return what it listed."""
        await self._tools_loaded.wait()
        return self._tools

    async def wait_ready(self, within: float) -> bool:
        """True when connected; else wake the supervisor and wait (at most `within` s) for its next attempt."""
        if self._client is None:
            attempt = self._attempt_ended
            self._wake.set()
            with anyio.move_on_after(within):
                await attempt.wait()
        return self._client is not None

    async def call_tool(self, name: str, arguments: Mapping[str, Any], actor: Actor) -> ToolOutcome:
        """Call one tool as `actor`.

        `GatewayUnavailable` when the gateway can't be reached, `GatewayBusy` when it is still busy after
        the retries `BUSY_RETRIES` allows, `GatewayRefused` when it answers with a protocol error.
        """
        return await retrying(
            lambda: self._call_across_a_drop(name, arguments, actor),
            backoff=BUSY_RETRIES,
            retry_on=lambda error: isinstance(error, GatewayBusy),
            requested_delay=lambda error: error.retry_after if isinstance(error, GatewayBusy) else None,
            on_retry=lambda error, delay: log.info("gateway_busy", tool=name, retry_in=delay),
        )

    async def _call_across_a_drop(self, name: str, arguments: Mapping[str, Any], actor: Actor) -> ToolOutcome:
        try:
            return await retrying(
                lambda: self._call_once(name, arguments, actor),
                backoff=_AFTER_A_DROP,
                retry_on=lambda error: isinstance(error, MCPError) and error.code == CONNECTION_CLOSED,
            )
        except MCPError as error:
            raise self._map_error(error) from None

    async def _call_once(self, name: str, arguments: Mapping[str, Any], actor: Actor) -> ToolOutcome:
        client = await self._connected_client()
        with acting_as(actor), noting_busy() as busy:
            try:
                result = await client.call_tool(name, dict(arguments), read_timeout_seconds=self._call_timeout)
            except MCPError:
                if busy.retry_after is not None:
                    sentence = f"the gateway is busy and asked to be called again in {busy.retry_after:g} s"
                    raise GatewayBusy(sentence, busy.retry_after) from None
                raise
            except (RuntimeError, ValidationError) as error:
                raise GatewayRefused(f"the gateway's answer for {name} was malformed: {error}") from None
        return outcome_from_sdk(result)

    async def _connected_client(self) -> Client:
        if not await self.wait_ready(self._connect_wait):
            raise GatewayUnavailable(f"the gateway at {self._url} is unreachable ({self.last_error or 'connecting'})")
        assert self._client is not None
        return self._client

    def _map_error(self, error: MCPError) -> Exception:
        if error.code in (CONNECTION_CLOSED, REQUEST_TIMEOUT):
            return GatewayUnavailable(f"the gateway did not answer ({error.message})")
        if error.code == mcp_types.METHOD_NOT_FOUND or "unknown tool" in error.message.lower():
            self._changed.set()  # our tool list is stale
        return GatewayRefused(error.message)

    async def _supervise(self) -> None:
        # Not `retrying`: a waiting request cuts the pause short, and a connection that held starts the
        # backoff over. The delays are the shared `Backoff`'s.
        delays = self._backoff.delays()
        while True:
            self._connected_at = None
            try:
                await self._run_connection()
            except Exception as error:
                self.last_error = self._refusal or describe_error(error)
            self._set_down()
            self._end_attempt()
            if self._connected_at is not None and time.monotonic() - self._connected_at > _STABLE_SECONDS:
                delays = self._backoff.delays()
            delay = next(delays)
            log.warning("gateway_disconnected", error=self.last_error, retry_in=round(delay, 2))
            await self._pause(delay)

    async def _pause(self, delay: float) -> None:
        """Back off for `delay` seconds, or less when a request is waiting for the gateway."""
        self._wake = anyio.Event()
        with anyio.move_on_after(delay):
            await self._wake.wait()

    def _set_up(self, client: Client) -> None:
        self._client = client
        self._connected_at = time.monotonic()
        self.last_error = None
        self._end_attempt()

    def _set_down(self) -> None:
        self.listening = False
        self._client = None

    def _end_attempt(self) -> None:
        """Wake whoever waits for the outcome of a connection attempt."""
        ended, self._attempt_ended = self._attempt_ended, anyio.Event()
        ended.set()

    async def _run_connection(self) -> None:
        transport = streamable_http_client(self._url, http_client=self._http)
        async with Client(
            transport, cache=None, message_handler=self._on_message, client_info=self._client_info
        ) as client:
            await self._load_tools(client)
            self._set_up(client)
            log.info("gateway_connected", protocol=client.protocol_version, tools=[t.name for t in self._tools])
            try:
                await self._watch(client)
            finally:
                self._set_down()

    async def _watch(self, client: Client) -> None:
        """Keep the tool list fresh until the connection breaks."""
        if self._listen and _can_listen(client):
            try:
                await self._watch_listening(client)
            except (MCPError, ListenNotSupportedError) as error:
                log.info("gateway_listen_unavailable", error=str(error))
        while True:
            with anyio.move_on_after(self._ttl):
                await self._changed.wait()
            self._changed = anyio.Event()
            await self._load_tools(client)

    async def _watch_listening(self, client: Client) -> None:
        """Relist on every `tools` change the gateway announces on a `subscriptions/listen` stream."""
        while True:
            async with client.listen(tools_list_changed=True) as subscription:
                self.listening = True
                # Listed after the subscription is acknowledged, so no change slips in between.
                await self._load_tools(client)
                with anyio.move_on_after(self._ttl):
                    async for _event in subscription:
                        await self._load_tools(client)
            self.listening = False

    async def _load_tools(self, client: Client) -> None:
        specs: list[ToolSpec] = []
        cursor: str | None = None
        for _page in range(50):
            listing = await client.list_tools(cursor=cursor)
            specs.extend(tool_spec_from_sdk(tool) for tool in listing.tools)
            cursor = listing.next_cursor
            if cursor is None:
                break
        self._tools = tuple(specs)
        self.tools_loaded_at = time.monotonic()
        loaded, self._tools_loaded = self._tools_loaded, anyio.Event()
        loaded.set()

    async def _note_refusal(self, response: httpx2.Response) -> None:
        if response.status_code in (401, 403):
            self._refusal = f"the gateway refused the bot's token (HTTP {response.status_code})"
            log.error("gateway_refused_token", status=response.status_code)
        elif response.is_success:
            self._refusal = None

    async def _on_message(self, message: object) -> None:
        if isinstance(message, mcp_types.ToolListChangedNotification):
            self._changed.set()


def _can_listen(client: Client) -> bool:
    tools = client.server_capabilities.tools
    return client.protocol_version in MODERN_PROTOCOL_VERSIONS and bool(tools and tools.list_changed)
