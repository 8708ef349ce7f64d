"""Where an answer goes: a thread (mentions), the DM itself, or a slash command's response URL.

A thread or a DM can show the answer as it is written (`stream`); a response URL can't, so `/ab`
answers arrive whole.
"""

from __future__ import annotations

from typing import Any, Protocol

from slack_client.slack.streaming import StreamedAnswer, StreamTarget
from slack_client.slack.web import SlackWeb

Blocks = list[dict[str, Any]]


class Reply(Protocol):
    """Post the answer where the question was asked; refusals go to the asker alone."""

    async def answer(self, text: str, blocks: Blocks | None = None) -> None: ...

    async def refuse(self, text: str) -> None: ...

    def stream(self, max_chars: int) -> StreamedAnswer | None:
        """A message that grows as the model writes, or None where answers can only arrive whole."""
        ...


class ThreadReply:
    """An `app_mention`: answer in the thread, refuse with an ephemeral message."""

    def __init__(self, web: SlackWeb, channel: str, thread_ts: str, user: str, team: str | None = None) -> None:
        self._web, self._channel, self._thread_ts, self._user = web, channel, thread_ts, user
        self._team = team

    async def answer(self, text: str, blocks: Blocks | None = None) -> None:
        await self._web.post_message(self._channel, text, thread_ts=self._thread_ts, blocks=blocks)

    async def refuse(self, text: str) -> None:
        await self._web.post_ephemeral(self._channel, self._user, text, thread_ts=self._thread_ts)

    def stream(self, max_chars: int) -> StreamedAnswer | None:
        target = StreamTarget(self._channel, self._thread_ts, self._user, self._team)
        return StreamedAnswer(self._web, target, max_chars=max_chars)


class DirectReply:
    """A DM: answer inline (in its thread when the DM was a thread reply); a DM is already private."""

    def __init__(
        self, web: SlackWeb, channel: str, thread_ts: str | None, user: str | None = None, team: str | None = None
    ) -> None:
        self._web, self._channel, self._thread_ts = web, channel, thread_ts
        self._user, self._team = user, team

    async def answer(self, text: str, blocks: Blocks | None = None) -> None:
        await self._web.post_message(self._channel, text, thread_ts=self._thread_ts, blocks=blocks)

    async def refuse(self, text: str) -> None:
        await self.answer(text)

    def stream(self, max_chars: int) -> StreamedAnswer | None:
        target = StreamTarget(self._channel, self._thread_ts, self._user, self._team)
        return StreamedAnswer(self._web, target, max_chars=max_chars)


class ResponseUrlReply:
    """`/ab`: answer through the response URL, ephemeral unless the user asked for `public`."""

    def __init__(self, web: SlackWeb, response_url: str, public: bool) -> None:
        self._web, self._url, self._public = web, response_url, public

    async def answer(self, text: str, blocks: Blocks | None = None) -> None:
        body: dict[str, Any] = {
            "response_type": "in_channel" if self._public else "ephemeral",
            "replace_original": False,
            "text": text,
        }
        if blocks is not None:
            body["blocks"] = blocks
        await self._web.respond(self._url, body)

    async def refuse(self, text: str) -> None:
        await self._web.respond(self._url, {"response_type": "ephemeral", "replace_original": False, "text": text})

    def stream(self, max_chars: int) -> StreamedAnswer | None:
        return None  # a response URL takes whole messages only
