"""An answer that appears in Slack as the model writes it, and ends as one ordinary message.

In a thread (a mention's, or a DM's) it is Slack's native stream: `chat.startStream` with the first words,
`chat.appendStream` with what follows (batched, at most one call per `append_interval`), `chat.stopStream`
with the rest. Where Slack refuses to start a stream (the workspace, plan or conversation can't), or the
answer goes to a DM's top level (a stream must be a thread reply), it posts one message with the first
words and updates it at most once per `update_interval`. Either way there is one message: the fallback
begins only when no stream was started, and a stream call that fails later is retried at the stop, never
replaced by a second message.

Every piece is redacted before it leaves (`StreamRedactor` holds back a tail no contact can span yet) and
escaped like a posted answer, so a streamed answer shows exactly what a posted one would. Tables are held
back too (`stream_tables.TableHold`) and end as `table` blocks under the message, one per message as Slack allows: the
first under the streamed message, each further one in a message of its own after it, the answer's own
blocks (its feedback) under the last.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from slack_client.errors import SlackError
from slack_client.formatting import (
    SLACK_TEXT_LIMIT,
    Table,
    escape_keep_mentions,
    split_message,
    to_mrkdwn,
    truncate,
)
from slack_client.slack.blocks import table_block
from slack_client.slack.stream_tables import TableHold, code_text
from slack_client.slack.web import SlackWeb
from slack_client.stream_redact import StreamRedactor

log = structlog.get_logger(__name__)

SHORTENED = "\n… (answer shortened)"
# Slack takes at most 12,000 characters of markdown per stream call; escaping can lengthen the text.
_CALL_CHARS = 10_000
# A fallback message may end with blocks under its text, and a section block holds 3,000 characters.
_PIECE_CHARS = 3_000

Blocks = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class StreamTarget:
    """Where the answer goes and who asked (Slack wants the recipient when streaming into a channel)."""

    channel: str
    thread_ts: str | None
    user: str | None = None
    team: str | None = None


class StreamedAnswer:
    """One answer, streamed; `text` is the agent's `TextSink`, `finish` ends the message."""

    def __init__(
        self,
        web: SlackWeb,
        target: StreamTarget,
        *,
        max_chars: int,
        append_interval: float = 0.5,
        update_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._web, self._target, self._clock = web, target, clock
        self._room = max_chars
        self._update_interval = update_interval
        self._native = target.thread_ts is not None
        self._interval = append_interval if self._native else update_interval
        self._redactor = StreamRedactor()
        self._tables = TableHold()
        self._ts: str | None = None
        self._shown = ""  # redacted markdown Slack has
        self._pending = ""  # redacted markdown not sent yet
        self._last_sent = -math.inf
        self._stalled = False
        self._received = False
        self._cut = False
        self._finishing = False
        self._finish_requested = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None

    @property
    def received(self) -> bool:
        """Whether any text came in (if none did, the answer is posted the ordinary way)."""
        return self._received

    async def text(self, chunk: str) -> None:
        """Take the next piece of the answer; what is safe to show goes out without delaying the model."""
        if self._finishing or self._cut or not chunk:
            return
        self._received = True
        kept = chunk[: self._room]
        self._room -= len(kept)
        self._pending += self._redactor.feed(self._tables.feed(kept))
        if len(kept) < len(chunk):  # the answer is longer than a reply may be: end it here, saying so
            self._cut = True
            self._pending += self._redactor.feed(self._tables.flush()) + self._redactor.flush() + SHORTENED
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._pump(), name="slack-stream")

    async def finish(self, blocks: Blocks | None = None) -> None:
        """Send what is left and end the message, `blocks` under it (idempotent; safe after an error).

        Raises `SlackError` when nothing of the answer could be shown at all.
        """
        if self._finishing:
            return
        self._finishing = True
        self._finish_requested.set()
        if self._sender is not None:
            await self._sender
        self._pending += self._redactor.feed(self._tables.flush()) + self._redactor.flush()
        if self._ts is None and self._pending.strip():
            await self._send()
            if self._ts is None:
                raise SlackError("the answer could be neither streamed nor posted")
        if self._ts is not None:
            await self._end(blocks, self._tables.tables)

    async def _end(self, blocks: Blocks | None, tables: list[Table]) -> None:
        """The first table (and `blocks`, unless more tables follow) under the message; the rest after it."""
        under = [table_block(tables[0])] if tables else []
        if len(tables) <= 1:
            under += blocks or []
        if self._native:
            await self._stop(under or None)
        else:
            await self._final_update(under or None, code_text(tables[0]) if tables else "")
        for index, table in enumerate(tables[1:], start=2):
            ending = (blocks or []) if index == len(tables) else []
            try:
                await self._web.post_message(
                    self._target.channel,
                    truncate(code_text(table), SLACK_TEXT_LIMIT),
                    thread_ts=self._target.thread_ts,
                    blocks=[table_block(table), *ending],
                )
            except SlackError as error:
                log.warning("stream_table_not_posted", error=str(error))

    async def _pump(self) -> None:
        while self._pending and not self._finishing and not self._stalled:
            wait = self._last_sent + self._interval - self._clock()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._finish_requested.wait(), wait)
                continue
            await self._send()

    async def _send(self) -> None:
        text, self._pending = self._pending, ""
        self._last_sent = self._clock()
        try:
            if self._native:
                await self._send_native(text)
            else:
                await self._send_fallback(text)
        except SlackError as error:
            # Keep the text for the stop (or the final update) rather than post it a second time.
            log.warning("stream_update_failed", error=str(error))
            self._pending = text + self._pending
            self._stalled = True

    async def _send_native(self, text: str) -> None:
        pieces = _pieces(escape_keep_mentions(text))
        if self._ts is None:
            target = self._target
            try:
                self._ts = await self._web.start_stream(
                    target.channel,
                    target.thread_ts or "",
                    pieces[0],
                    recipient_user_id=target.user,
                    recipient_team_id=target.team or self._web.team_id,
                )
            except SlackError as error:
                log.info("streaming_refused", error=str(error))
                self._native, self._interval = False, self._update_interval
                await self._send_fallback(text)
                return
            pieces = pieces[1:]
        for piece in pieces:
            await self._web.append_stream(self._target.channel, self._ts, piece)
        self._shown += text

    async def _send_fallback(self, text: str) -> None:
        first = _first_piece(self._shown + text)
        if not first:
            self._pending = text + self._pending  # nothing visible yet: wait for more
            return
        if self._ts is None:
            self._ts = await self._web.post_message(self._target.channel, first, thread_ts=self._target.thread_ts)
        else:
            await self._web.update_message(self._target.channel, self._ts, first)
        self._shown += text

    async def _stop(self, blocks: Blocks | None) -> None:
        assert self._ts is not None
        pieces = _pieces(escape_keep_mentions(self._pending))
        try:
            for piece in pieces[:-1]:
                await self._web.append_stream(self._target.channel, self._ts, piece)
            await self._web.stop_stream(self._target.channel, self._ts, pieces[-1], blocks)
        except SlackError as error:
            log.warning("stream_not_stopped", error=str(error))
            return
        self._shown += self._pending
        self._pending = ""

    async def _final_update(self, blocks: Blocks | None, table_text: str) -> None:
        assert self._ts is not None
        wait = self._last_sent + self._update_interval - self._clock()
        if wait > 0:  # at most one update a second, the last one included
            await asyncio.sleep(wait)
        pieces = split_message(to_mrkdwn(self._shown + self._pending), _PIECE_CHARS) or [""]
        last = [_section(pieces[-1]), *blocks] if blocks else None
        # Notifications show a message's text, not its blocks: there the table is a code block.
        last_text = truncate(f"{pieces[-1]}\n{table_text}", SLACK_TEXT_LIMIT) if table_text else pieces[-1]
        texts = [*pieces[:-1], last_text]
        channel, thread_ts = self._target.channel, self._target.thread_ts
        try:
            if self._pending or (last and len(pieces) == 1):
                await self._web.update_message(channel, self._ts, texts[0], last if len(pieces) == 1 else None)
            for index, text in enumerate(texts[1:], start=2):
                await self._web.post_message(
                    channel, text, thread_ts=thread_ts, blocks=last if index == len(pieces) else None
                )
        except SlackError as error:
            log.warning("stream_not_finished", error=str(error))
            return
        self._shown += self._pending
        self._pending = ""


def _pieces(text: str) -> list[str]:
    return [text[start : start + _CALL_CHARS] for start in range(0, len(text), _CALL_CHARS)] or [""]


def _first_piece(markdown: str) -> str:
    pieces = split_message(to_mrkdwn(markdown), _PIECE_CHARS)
    return pieces[0] if pieces else ""


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}
