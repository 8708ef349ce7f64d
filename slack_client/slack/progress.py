"""Show the user, within a second, that the bot is working and what it is looking up.

A reaction on their message, and Slack's native thread status ("is looking up live voting for AB4001…")
when the answer goes to a thread. Both are courtesies: a failure here is logged, never raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence

import structlog

from slack_client.errors import SlackError
from slack_client.models import ToolCall
from slack_client.slack.web import SlackWeb

log = structlog.get_logger(__name__)

WORKING_REACTION = "eyes"


def describe_calls(calls: Sequence[ToolCall]) -> str:
    """`live voting status for AB4001 and auction status for AB4001`."""
    parts = []
    for call in calls:
        name = call.name.removeprefix("get_").replace("_", " ")
        eid = call.arguments.get("eid")
        parts.append(f"{name} for {str(eid).upper()}" if eid else name)
    unique = list(dict.fromkeys(parts))
    return " and ".join([", ".join(unique[:-1]), unique[-1]] if len(unique) > 1 else unique)


class SlackProgress:
    """Progress for one question (an `AgentObserver`)."""

    def __init__(self, web: SlackWeb, channel: str, message_ts: str | None, thread_ts: str | None) -> None:
        self._web = web
        self._channel = channel
        self._message_ts = message_ts
        self._thread_ts = thread_ts
        self._reacted = False

    async def start(self) -> None:
        await asyncio.gather(self._react(), self._status("is thinking…"))

    async def tools_started(self, calls: Sequence[ToolCall]) -> None:
        await self._status(f"is looking up {describe_calls(calls)}…")

    async def finish(self) -> None:
        if self._reacted and self._message_ts:
            await _quietly(self._web.remove_reaction(self._channel, self._message_ts, WORKING_REACTION))

    async def _react(self) -> None:
        if self._message_ts:
            self._reacted = await _quietly(self._web.add_reaction(self._channel, self._message_ts, WORKING_REACTION))

    async def _status(self, status: str) -> None:
        if self._thread_ts:
            await _quietly(self._web.set_status(self._channel, self._thread_ts, status))


async def _quietly(call: Awaitable[None]) -> bool:
    try:
        await call
    except SlackError as error:
        log.info("progress_not_shown", error=str(error))
        return False
    return True
