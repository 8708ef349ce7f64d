"""The one wiring place: settings in, a running assistant out (lifespan), plus its HTTP listener.

`BotApp` builds the gateway client, the LLM provider, the Slack clients and everything between them
on entry, and on exit shuts down gracefully: stop receiving (close the socket), let answers in flight
finish (bounded by `BOT_DRAIN_SECONDS`), then close connections. The HTTP listener on `PORT` serves
`/healthz`, `/readyz`, `/metrics` and, in Events API mode, `/slack/events`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Awaitable
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
import structlog
import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from abcodex_common.retry import Backoff, retrying
from abcodex_common.serving import DrainingServer
from slack_client.agent import Agent
from slack_client.button_seal import ButtonSeal
from slack_client.confirmations import Confirmations
from slack_client.errors import SlackError
from slack_client.gateway_client import GatewayClient
from slack_client.llm import LLMProvider, build_provider
from slack_client.observability import Metrics
from slack_client.policy import Policy
from slack_client.ratelimit import RateLimiter
from slack_client.readiness import Check, llm_check, run_checks
from slack_client.roles import RoleResolver
from slack_client.settings import BotSettings
from slack_client.slack.assistant import Services, SlackAssistant
from slack_client.slack.http_events import SlackEventsEndpoint
from slack_client.slack.inbox import Inbox
from slack_client.slack.socket_mode import SocketModeListener
from slack_client.slack.uploads import ImageCollector
from slack_client.slack.web import SlackWeb
from slack_client.tasks import TaskTracker

log = structlog.get_logger(__name__)

_IDENTIFY_BACKOFF = Backoff(first=0.5, ceiling=30.0)


class BotApp:
    """The Slack assistant, wired; use `async with BotApp(settings, policy):` or serve `asgi()`."""

    def __init__(self, settings: BotSettings, policy: Policy) -> None:
        self.settings = settings
        self.policy = policy
        self.metrics = Metrics()
        self.tracker = TaskTracker()
        self.checks: dict[str, Check] = {}
        self._stack = AsyncExitStack()
        self._listener: SocketModeListener | None = None
        self._events: SlackEventsEndpoint | None = None
        self.gateway: GatewayClient | None = None
        self.web: SlackWeb | None = None
        self.started = asyncio.Event()

    async def __aenter__(self) -> BotApp:
        try:
            await self._build()
        except BaseException:
            await self._stack.aclose()
            raise
        self.started.set()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop_receiving()
        await self.tracker.drain(self.settings.bot_drain_seconds)
        await self._stack.aclose()

    async def stop_receiving(self) -> None:
        """Take no new Slack work (close the socket); answers already in flight carry on."""
        if self._listener is not None:
            await self._listener.close()

    async def _build(self) -> None:
        s, stack = self.settings, self._stack
        token = s.mcp_gateway_auth_token.get_secret_value()
        gateway = GatewayClient(
            s.mcp_gateway_url, token, tools_ttl=s.mcp_tools_ttl_seconds, listen_for_changes=s.mcp_listen_for_changes
        )
        self.gateway = await stack.enter_async_context(gateway)
        llm = build_provider(s)
        stack.push_async_callback(llm.aclose)
        session = await stack.enter_async_context(aiohttp.ClientSession())
        web = self.web = SlackWeb(_secret(s.slack_bot_token), s.slack_api_url, session)
        roles = RoleResolver(self.policy, s.rbac_user_map, directory=web)
        self._background(stack, roles.sweep(), "user-group-sweep")
        images = ImageCollector(gateway)
        services = Services(
            web=web,
            agent=Agent(llm, images, self.policy, max_output_tokens=s.llm_max_output_tokens),
            policy=self.policy,
            roles=roles,
            limiter=RateLimiter(self.policy.limits),
            confirmations=Confirmations(gateway, self.policy, roles.role_of, seal=ButtonSeal(s.state_key())),
            metrics=self.metrics,
            provider=llm.name,
            gateway=gateway,
            images=images,
        )
        inbox = Inbox(SlackAssistant(services), self.tracker, lambda: web.bot_user_id)
        self._background(stack, self._identify(web), "slack-identify")
        if s.slack_use_socket_mode:
            self._listener = SocketModeListener(_secret(s.slack_app_token), web, inbox, self.metrics)
            self._background(stack, self._listener.start(), "socket-mode-connect")
        else:
            self._events = SlackEventsEndpoint(_secret(s.slack_signing_secret), inbox, self.metrics)
        self._register_checks(llm)

    def _background(self, stack: AsyncExitStack, work: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(work)
        task.set_name(name)

        async def stop() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        stack.push_async_callback(stop)

    async def _identify(self, web: SlackWeb) -> None:
        """`auth.test` until it works: the bot's user id tells its own messages apart."""
        await retrying(
            web.identify,
            backoff=_IDENTIFY_BACKOFF,
            retry_on=lambda error: isinstance(error, SlackError),
            on_retry=lambda error, delay: log.warning("slack_identify_failed", error=str(error), retry_in=delay),
        )

    def _register_checks(self, llm: LLMProvider) -> None:
        async def slack() -> tuple[bool, str]:
            if self._listener is not None:
                ok = await self._listener.connected()
                return ok, "socket connected" if ok else "socket not connected"
            ok = self.web is not None and self.web.bot_user_id is not None
            return ok, "events API, token verified" if ok else "auth.test has not succeeded"

        async def tools() -> tuple[bool, str]:
            assert self.gateway is not None
            count = len(self.gateway.tools())
            state = "connected" if self.gateway.connected else f"reconnecting ({self.gateway.last_error})"
            return count > 0, f"{count} tools; gateway {state}"

        self.checks = {"slack": slack, "tools": tools, "llm": llm_check(llm)}

    async def readiness(self) -> dict[str, Any]:
        """Run every check with a short timeout; ready when all pass."""
        return await run_checks(self.checks)

    def asgi(self) -> Starlette:
        """The HTTP listener; its lifespan is this app's."""

        @contextlib.asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            async with self:
                yield

        routes = [
            Route("/healthz", self._healthz),
            Route("/readyz", self._readyz),
            Route("/metrics", self._metrics),
        ]
        if not self.settings.slack_use_socket_mode:
            routes.append(Route("/slack/events", self._slack_events, methods=["POST"]))
        return Starlette(routes=routes, lifespan=lifespan)

    async def _healthz(self, _: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def _readyz(self, _: Request) -> Response:
        report = await self.readiness()
        return JSONResponse(report, status_code=200 if report["ready"] else 503)

    async def _metrics(self, _: Request) -> Response:
        return Response(self.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    async def _slack_events(self, request: Request) -> Response:
        if self._events is None:
            return JSONResponse({"error": "starting"}, status_code=503)
        return await self._events(request)


def _secret(value: Any) -> str:
    return str(value.get_secret_value()) if value is not None else ""


async def serve(settings: BotSettings, policy: Policy) -> None:
    """Run the assistant and its HTTP listener until SIGTERM/SIGINT, then shut down gracefully."""
    app = BotApp(settings, policy)
    config = uvicorn.Config(
        app.asgi(),
        host=settings.bot_host,
        port=settings.port,
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=max(1, int(settings.bot_drain_seconds)),
    )
    stopping: set[asyncio.Task[None]] = set()

    def stop_receiving(sig: signal.Signals) -> None:
        log.info("shutdown_requested", signal=sig.name, in_flight=app.tracker.in_flight)
        task = asyncio.ensure_future(app.stop_receiving())  # close the socket now, not after the HTTP drain
        stopping.add(task)
        task.add_done_callback(stopping.discard)

    await DrainingServer(config, on_signal=stop_receiving).serve()
