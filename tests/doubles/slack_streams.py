"""The Slack double's streaming methods (chat.startStream, chat.appendStream, chat.stopStream).

As Slack does: `chat.startStream` needs a `thread_ts` (a streamed message always answers someone) and, in a
channel, `recipient_user_id` and `recipient_team_id`; it stores a bot message marked `"streaming": true`
whose `text` is the markdown so far. `chat.appendStream` adds to it; `chat.stopStream` adds its last text
and `blocks` (checked as `chat.postMessage` checks them, `slack_views.check_blocks`: `invalid_blocks`
otherwise) and clears the mark, leaving one ordinary message. Appending to or stopping a message that is
not streaming is `message_not_in_streaming_state`.

A workspace that cannot stream: `refuse_streaming(slack)` answers every `chat.startStream` with
`STREAMING_REFUSED`, one of the errors Slack documents for the method (the channel's type does not support
it); `slack.clear_failures()` lets it stream again. Any stream method fails on demand with `slack.fail(...)`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .slack_payloads import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID, new_ts
from .slack_views import check_blocks
from .slack_workspace import SlackError, Workspace, channel_of, register_handlers

if TYPE_CHECKING:
    from .slack_api import SlackDouble

STREAMING_REFUSED = "channel_type_not_supported"
_MARKDOWN_LIMIT = 12_000


def refuse_streaming(slack: SlackDouble, error: str = STREAMING_REFUSED) -> None:
    """Make the double answer `chat.startStream` the way a workspace that cannot stream does."""
    slack.fail("chat.startStream", error, times=None)


def _start_stream(workspace: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    channel = channel_of(params.get("channel"))
    if not params.get("thread_ts"):
        raise SlackError("invalid_arguments")
    if not channel.startswith("D"):
        if not params.get("recipient_team_id"):
            raise SlackError("missing_recipient_team_id")
        if not params.get("recipient_user_id"):
            raise SlackError("missing_recipient_user_id")
    message: dict[str, Any] = {
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "type": "message",
        "team": TEAM_ID,
    }
    message |= {"text": _markdown(params), "ts": new_ts(), "thread_ts": str(params["thread_ts"]), "streaming": True}
    workspace.store(channel, message)
    return {"channel": channel, "ts": message["ts"]}


def _append_stream(workspace: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("markdown_text"):
        raise SlackError("invalid_arguments")
    channel, message = _streaming_message(workspace, params)
    message["text"] += _markdown(params)
    return {"channel": channel, "ts": message["ts"]}


def _stop_stream(workspace: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    blocks = params.get("blocks")
    if isinstance(blocks, str):  # a form-encoded call carries them as JSON
        blocks = json.loads(blocks)
    if blocks is not None:
        check_blocks(blocks)
    channel, message = _streaming_message(workspace, params)
    message["text"] += _markdown(params)
    if blocks:
        message["blocks"] = blocks
    del message["streaming"]
    return {"channel": channel, "ts": message["ts"], "message": dict(message)}


def _streaming_message(workspace: Workspace, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    channel = channel_of(params.get("channel"))
    # The workspace hands out copies; the stream changes the stored message itself.
    stored = next((m for m in workspace.channels.get(channel, []) if m["ts"] == str(params.get("ts"))), None)
    if stored is None:
        raise SlackError("message_not_found")
    if not stored.get("streaming"):
        raise SlackError("message_not_in_streaming_state")
    return channel, stored


def _markdown(params: dict[str, Any]) -> str:
    text = str(params.get("markdown_text") or "")
    if len(text) > _MARKDOWN_LIMIT:
        raise SlackError("msg_too_long")
    return text


register_handlers(
    {"chat.startStream": _start_stream, "chat.appendStream": _append_stream, "chat.stopStream": _stop_stream}
)
