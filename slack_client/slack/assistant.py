"""The Slack assistant's use case: a question in, a checked, bounded, formatted and redacted answer out.

Order of checks for a question: allow-lists, rate limits, length; then progress, thread context, the
agent, and the reply. Anything that goes wrong becomes a polite sentence for the user (with a reference
id when it is our fault) and one log line per request either way.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass
from typing import Any

import structlog

from slack_client.agent import Agent, AgentResult
from slack_client.confirmations import Confirmations
from slack_client.errors import (
    AccessDenied,
    BotError,
    GatewayBusy,
    GatewayUnavailable,
    LLMError,
    LLMRateLimited,
    RateLimited,
    RequestTooLong,
    SlackError,
)
from slack_client.formatting import truncate
from slack_client.models import Actor, AssistantMessage, Message, UserMessage
from slack_client.observability import Metrics
from slack_client.policy import Policy
from slack_client.ports import ToolGateway
from slack_client.ratelimit import RateLimiter
from slack_client.roles import RoleResolver
from slack_client.slack.blocks import answer_posts, confirmation_blocks, feedback_block
from slack_client.slack.clicks import ClickHandler
from slack_client.slack.home import HomeTab
from slack_client.slack.inbox import Click, Question, ThreadStart, strip_mentions
from slack_client.slack.progress import SlackProgress
from slack_client.slack.replies import DirectReply, Reply, ResponseUrlReply, ThreadReply
from slack_client.slack.streaming import StreamedAnswer
from slack_client.slack.suggestions import ThreadSuggestions
from slack_client.slack.uploads import ImageCollector, upload_images
from slack_client.slack.web import SlackWeb

log = structlog.get_logger(__name__)

_HISTORY_MESSAGES = 12
_HISTORY_CHARS = 8_000


@dataclass(frozen=True, slots=True)
class Services:
    """What the assistant needs, built once in the app's lifespan."""

    web: SlackWeb
    agent: Agent
    policy: Policy
    roles: RoleResolver
    limiter: RateLimiter
    confirmations: Confirmations
    metrics: Metrics
    provider: str
    gateway: ToolGateway
    images: ImageCollector  # the agent's view of the gateway: keeps each request's charts for the thread


class SlackAssistant:
    """Answers questions, handles clicks, starts assistant threads, publishes the Home tab (the inbox's `Handler`)."""

    def __init__(self, services: Services) -> None:
        self._s = services
        self._clicks = ClickHandler(services.web, services.confirmations, services.metrics)
        self._suggestions = ThreadSuggestions(services.web, services.policy, services.roles)
        self._home = HomeTab(services.web, services.policy, services.roles, services.gateway, services.metrics)

    async def handle_click(self, click: Click) -> None:
        await self._clicks.handle(click)

    async def thread_started(self, start: ThreadStart) -> None:
        await self._suggestions.thread_started(start)

    async def home_opened(self, user: str, team: str | None) -> None:
        await self._home.publish(user, team)

    async def answer(self, question: Question) -> None:
        request_id = uuid.uuid4().hex[:12]
        started = time.perf_counter()
        reply = self._reply_for(question)
        outcome, result = "answered", None
        self._s.metrics.in_flight.inc()
        try:
            result = await self._answer(question, request_id, reply)
        except BotError as error:
            outcome = type(error).__name__
            await self._refuse(reply, _polite(error, request_id))
        except Exception:
            outcome = "error"
            log.exception("answer_failed", request_id=request_id)
            await self._refuse(reply, f"Sorry, something went wrong on my side. Reference: `{request_id}`")
        finally:
            self._s.metrics.in_flight.dec()
            self._record(question, request_id, outcome, result, time.perf_counter() - started)

    async def _answer(self, question: Question, request_id: str, reply: Reply) -> AgentResult:
        self._admit(question)
        actor = Actor(request_id, question.user, self._s.roles.role_of(question.user), question.channel, question.team)
        progress = SlackProgress(self._s.web, question.channel, question.ts, _status_thread(question))
        await progress.start()
        stream = reply.stream(self._s.policy.limits.max_response_chars)
        try:
            history = await self._history(question)
            await self._suggestions.title_if_first(question, history)
            on_text = stream.text if stream is not None else None
            result = await self._s.agent.run(actor, question.text, history, observer=progress, on_text=on_text)
            await self._deliver(reply, result, request_id, stream)
            await self._share_images(question, request_id)
        finally:
            if stream is not None:  # an answer cut short by an error still ends as one ordinary message
                await stream.finish()
            await progress.finish()
        return result

    def _admit(self, question: Question) -> None:
        limits = self._s.policy.limits
        if not self._s.policy.access_allowed(question.team, question.channel, question.user):
            raise AccessDenied("not allowed here")
        wait = self._s.limiter.try_acquire(question.user, question.channel)
        if wait > 0:
            raise RateLimited("too many requests", wait)
        if len(question.text) > limits.max_request_chars:
            raise RequestTooLong(f"{len(question.text)} characters; the limit is {limits.max_request_chars}")

    async def _deliver(
        self, reply: Reply, result: AgentResult, request_id: str, stream: StreamedAnswer | None = None
    ) -> None:
        if stream is not None and stream.received:
            await stream.finish([feedback_block(request_id)] if result.pending is None else None)
        else:
            text = truncate(result.text, self._s.policy.limits.max_response_chars)
            for post in answer_posts(text, request_id, feedback=result.pending is None):
                await reply.answer(post.text, post.blocks)
        if result.pending is not None:
            button_value = self._s.confirmations.add(result.pending)
            await reply.answer("Please confirm or cancel.", confirmation_blocks(result.pending, button_value))

    async def _share_images(self, question: Question, request_id: str) -> None:
        """Charts the tools drew go into the thread (a slash command's response URL cannot carry files)."""
        images = self._s.images.take(request_id)
        if not images or question.kind == "slash":
            return
        thread_ts = question.reply_thread_ts if question.kind == "dm" else question.reply_thread_ts or question.ts
        try:
            await upload_images(self._s.web, question.channel, thread_ts, images)
        except SlackError as error:
            log.warning("chart_not_shared", request_id=request_id, error=str(error))

    async def _history(self, question: Question) -> list[Message]:
        """The thread's earlier messages, as conversation context (bounded)."""
        if not question.history_ts:
            return []
        try:
            messages = await self._s.web.thread_messages(question.channel, question.history_ts)
        except SlackError as error:
            log.warning("thread_context_unavailable", error=str(error))
            return []
        history: list[Message] = []
        for message in messages:
            text = strip_mentions(message.text)
            if not text or message.ts == question.ts or float(message.ts or 0) > float(question.ts or 0):
                continue
            mine = bool(message.bot_id) or message.user == self._s.web.bot_user_id
            history.append(AssistantMessage(text) if mine else UserMessage(text))
        return _bounded(history)

    def _reply_for(self, question: Question) -> Reply:
        web = self._s.web
        if question.kind == "slash" and question.response_url:
            return ResponseUrlReply(web, question.response_url, question.public)
        if question.kind == "dm":
            return DirectReply(web, question.channel, question.reply_thread_ts, question.user, question.team)
        thread_ts = question.reply_thread_ts or question.ts or ""
        return ThreadReply(web, question.channel, thread_ts, question.user, question.team)

    async def _refuse(self, reply: Reply, text: str) -> None:
        try:
            await reply.refuse(text)
        except SlackError as error:
            log.warning("refusal_not_delivered", error=str(error))

    def _record(
        self, question: Question, request_id: str, outcome: str, result: AgentResult | None, seconds: float
    ) -> None:
        m = self._s.metrics
        m.requests.labels(question.kind, outcome).inc()
        m.request_seconds.labels(question.kind).observe(seconds)
        fields: dict[str, Any] = {}
        if result is not None:
            m.llm_rounds.labels(self._s.provider).inc(result.rounds)
            m.tokens.labels("input").inc(result.usage.input_tokens)
            m.tokens.labels("output").inc(result.usage.output_tokens)
            for tool in result.tools_used:
                m.tool_calls.labels(tool).inc()
            fields = {
                "tools_used": list(result.tools_used),
                "llm_rounds": result.rounds,
                "input_tokens": result.usage.input_tokens,
                "output_tokens": result.usage.output_tokens,
                "stopped": result.stopped,
                "pending_confirmation": result.pending is not None,
            }
        log.info(
            "request",
            request_id=request_id,
            kind=question.kind,
            user=question.user,
            channel=question.channel,
            outcome=outcome,
            duration_ms=round(seconds * 1000, 1),
            **fields,
        )


def _status_thread(question: Question) -> str | None:
    return question.reply_thread_ts if question.kind != "slash" else None


def _bounded(history: list[Message]) -> list[Message]:
    kept: list[Message] = []
    size = 0
    for message in reversed(history[-_HISTORY_MESSAGES:]):
        size += len(message.text) if isinstance(message, UserMessage | AssistantMessage) else 0
        if size > _HISTORY_CHARS:
            break
        kept.append(message)
    kept.reverse()
    while kept and isinstance(kept[0], AssistantMessage):
        kept.pop(0)  # a conversation starts with the user
    return kept


_POLITE: tuple[tuple[type[BotError], str], ...] = (
    (AccessDenied, "Sorry, I'm not enabled for you here. Ask an admin if you think you should have access."),
    (RateLimited, "You're asking faster than I can keep up. Please try again in {wait} s."),
    (RequestTooLong, "That question is too long ({error}). Could you shorten it?"),
    (GatewayBusy, "The Art Battle data service is busy right now; please try again in {wait} seconds. (ref `{ref}`)"),
    (
        GatewayUnavailable,
        "I can't reach the Art Battle data service right now, so I can't look that up. "
        "Please try again in a minute. (ref `{ref}`)",
    ),
    (LLMRateLimited, "The AI service is busy right now; please try again in a minute. (ref `{ref}`)"),
    (LLMError, "The AI service isn't answering right now; please try again shortly. (ref `{ref}`)"),
)


def _polite(error: BotError, request_id: str) -> str:
    """The sentence a Slack user sees for `error`."""
    wait = math.ceil(error.retry_after) if isinstance(error, RateLimited) else 0
    if isinstance(error, GatewayBusy):
        wait = error.wait_seconds
    for kind, template in _POLITE:
        if isinstance(error, kind):
            return template.format(wait=wait, error=error, ref=request_id)
    return f"Sorry, something went wrong on my side. Reference: `{request_id}`"
