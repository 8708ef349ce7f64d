"""Where an answer goes: a thread (mentions), the DM itself, or a slash command's response URL."""

from __future__ import annotations

from typing import Any, Protocol

from slack_client.slack.web import SlackWeb

Blocks = list[dict[str, Any]]


class Reply(Protocol):
    """Post the answer where the question was asked; refusals go to the asker alone."""

    async def answer(self, text: str, blocks: Blocks | None = None) -> None: ...

    async def refuse(self, text: str) -> None: ...


class ThreadReply:
    """An `app_mention`: answer in the thread, refuse with an ephemeral message."""

    def __init__(self, web: SlackWeb, channel: str, thread_ts: str, user: str) -> None:
        self._web, self._channel, self._thread_ts, self._user = web, channel, thread_ts, user

    async def answer(self, text: str, blocks: Blocks | None = None) -> None:
        await self._web.post_message(self._channel, text, thread_ts=self._thread_ts, blocks=blocks)

    async def refuse(self, text: str) -> None:
        await self._web.post_ephemeral(self._channel, self._user, text, thread_ts=self._thread_ts)


class DirectReply:
    """A DM: answer inline (in its thread when the DM was a thread reply); a DM is already private."""

    def __init__(self, web: SlackWeb, channel: str, thread_ts: str | None) -> None:
        self._web, self._channel, self._thread_ts = web, channel, thread_ts

    async def answer(self, text: str, blocks: Blocks | None = None) -> None:
        await self._web.post_message(self._channel, text, thread_ts=self._thread_ts, blocks=blocks)

    async def refuse(self, text: str) -> None:
        await self.answer(text)


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
