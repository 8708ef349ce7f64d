"""What Slack sends, turned into questions and clicks; acknowledged at once, answered in the background.

Both transports (Socket Mode and the Events API over HTTP) hand their payloads here. Nothing in this
module waits on the network: it parses, drops duplicates (a retried event has the same `event_id`),
schedules the work and returns the acknowledgement body, so the ack goes back in microseconds.

`/ab` syntax: `/ab <question>` answers only you (ephemeral); `/ab public <question>` answers in the
channel for everyone; `/ab help` (or `/ab` alone) shows this.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import structlog

from slack_client.tasks import RecentIds, TaskTracker

log = structlog.get_logger(__name__)

HELP_TEXT = (
    "Ask me about Art Battle events, voting, auctions and artist payments.\n"
    "• `/ab how's voting at AB4001?`: answers only you\n"
    "• `/ab public how's voting at AB4001?`: answers in this channel\n"
    "• mention me in a channel (I answer in the thread) or send me a DM"
)
_PUBLIC_PREFIX = re.compile(r"^\s*public\b[:,]?\s*", re.IGNORECASE)
_MENTION = re.compile(r"<@[UW][A-Z0-9]+>")


@dataclass(frozen=True, slots=True)
class Question:
    """A question, wherever it was asked."""

    kind: Literal["mention", "dm", "slash"]
    user: str
    channel: str
    text: str
    team: str | None = None
    ts: str | None = None
    reply_thread_ts: str | None = None
    history_ts: str | None = None
    response_url: str | None = None
    public: bool = False


@dataclass(frozen=True, slots=True)
class ThreadStart:
    """A user opened the assistant (`assistant_thread_started`): a new thread in their DM with the bot."""

    user: str
    channel: str
    thread_ts: str
    team: str | None = None


@dataclass(frozen=True, slots=True)
class Click:
    """A button click: Confirm, Cancel or feedback."""

    user: str
    action_id: str
    value: str
    channel: str | None
    message_ts: str | None
    response_url: str | None
    team: str | None
    ephemeral: bool


class Handler(Protocol):
    async def answer(self, question: Question) -> None: ...

    async def handle_click(self, click: Click) -> None: ...

    async def thread_started(self, start: ThreadStart) -> None: ...

    async def home_opened(self, user: str, team: str | None) -> None: ...


def strip_mentions(text: str) -> str:
    return _MENTION.sub("", text).strip()


class Inbox:
    """Parse, deduplicate, schedule; return the ack body."""

    def __init__(self, handler: Handler, tracker: TaskTracker, bot_user_id: Callable[[], str | None]) -> None:
        self._handler = handler
        self._tracker = tracker
        self._bot_user_id = bot_user_id
        self._seen = RecentIds()

    @property
    def accepting(self) -> bool:
        """False once shutdown has begun: transports then let Slack deliver again elsewhere."""
        return self._tracker.accepting

    def on_event(self, body: Mapping[str, Any]) -> None:
        """An Events API `event_callback` (over either transport)."""
        event = body.get("event")
        if body.get("type") != "event_callback" or not isinstance(event, Mapping):
            return
        if event.get("type") in ("assistant_thread_started", "app_home_opened"):
            self._on_surface_event(event, body)
            return
        question = self._question(event, body.get("team_id"))
        if question is None:
            return
        message_key = f"{question.channel}:{question.ts}"
        if not self._seen.first_time(str(body.get("event_id") or ""), message_key):
            log.info("duplicate_event_ignored", event_id=body.get("event_id"), retry=message_key)
            return
        self._tracker.spawn(self._handler.answer(question), name=f"answer-{body.get('event_id')}")

    def _on_surface_event(self, event: Mapping[str, Any], body: Mapping[str, Any]) -> None:
        """The assistant opened (suggested prompts) or the Home tab opened (the Home view)."""
        event_id = str(body.get("event_id") or "")
        if not self._seen.first_time(event_id):
            log.info("duplicate_event_ignored", event_id=event_id)
            return
        if event.get("type") == "app_home_opened":
            if event.get("tab") == "home" and event.get("user"):
                opened = self._handler.home_opened(str(event["user"]), body.get("team_id"))
                self._tracker.spawn(opened, name=f"home-{event_id}")
            return
        thread = event.get("assistant_thread") or {}
        if not (thread.get("user_id") and thread.get("channel_id") and thread.get("thread_ts")):
            return
        context = thread.get("context") or {}
        start = ThreadStart(
            str(thread["user_id"]), str(thread["channel_id"]), str(thread["thread_ts"]), context.get("team_id")
        )
        self._tracker.spawn(self._handler.thread_started(start), name=f"thread-start-{event_id}")

    def on_slash_command(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """A `/ab` command; the returned body is the immediate (ephemeral unless public) reply."""
        text = str(fields.get("text") or "").strip()
        if not text or text.lower() in ("help", "?"):
            return {"response_type": "ephemeral", "text": HELP_TEXT}
        public = bool(_PUBLIC_PREFIX.match(text))
        question = Question(
            kind="slash",
            user=str(fields.get("user_id") or ""),
            channel=str(fields.get("channel_id") or ""),
            text=_PUBLIC_PREFIX.sub("", text) if public else text,
            team=fields.get("team_id"),
            response_url=fields.get("response_url"),
            public=public,
        )
        if not self._tracker.spawn(self._handler.answer(question), name=f"slash-{question.user}"):
            return {"response_type": "ephemeral", "text": "I'm restarting; please ask again in a moment."}
        # In channel, the ack shows everyone the question; the answer follows through the response URL.
        return {"response_type": "in_channel"} if public else {"response_type": "ephemeral", "text": "Looking into it…"}

    def on_interaction(self, payload: Mapping[str, Any]) -> None:
        """A `block_actions` payload (a button click)."""
        if payload.get("type") != "block_actions":
            return
        container = payload.get("container") or {}
        for action in payload.get("actions") or []:
            click = Click(
                user=str((payload.get("user") or {}).get("id") or ""),
                action_id=str(action.get("action_id") or ""),
                value=str(action.get("value") or ""),
                channel=container.get("channel_id") or (payload.get("channel") or {}).get("id"),
                message_ts=container.get("message_ts"),
                response_url=payload.get("response_url"),
                team=(payload.get("team") or {}).get("id"),
                ephemeral=bool(container.get("is_ephemeral")),
            )
            self._tracker.spawn(self._handler.handle_click(click), name=f"click-{click.user}")

    def _question(self, event: Mapping[str, Any], team: str | None) -> Question | None:
        if event.get("bot_id") or event.get("subtype") or event.get("user") in (None, self._bot_user_id()):
            return None  # our own messages, edits, joins, other bots
        ts, thread_ts = event.get("ts"), event.get("thread_ts")
        user, channel = str(event["user"]), str(event.get("channel") or "")
        text = strip_mentions(str(event.get("text") or ""))
        if event.get("type") == "app_mention":
            reply_in = thread_ts or ts
            return Question("mention", user, channel, text, team, ts, reply_in, thread_ts)
        if event.get("type") == "message" and event.get("channel_type") == "im":
            return Question("dm", user, channel, text, team, ts, thread_ts, thread_ts)
        return None
