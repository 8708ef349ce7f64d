"""When the bot's answer in a thread or a DM is finished, however Slack was given it.

An answer arrives one of three ways: a stream (`chat.startStream`, `chat.appendStream`…), one message
posted and then updated in place (where Slack refuses to stream, or at a DM's top level), or whole posts.
Only its last call says it is done:

- a stream is finished when `chat.stopStream` is answered ok: Slack's message stops growing there;
- a posted message is finished when a `chat.postMessage` or `chat.update` leaves it carrying the 👍/👎
  feedback buttons (Slack's `feedback_buttons` element), which the bot puts only under an answer's end.

So a posted answer that ends without feedback (one followed by a confirmation prompt) is not an answer
here: wait for the prompt's `chat.postMessage` instead. `SlackDouble.wait_for_answer_async` uses this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .slack_workspace import channel_of

if TYPE_CHECKING:
    from .slack_api import ApiCall

_ENDINGS = ("chat.stopStream", "chat.postMessage", "chat.update")


@dataclass(frozen=True)
class Answer:
    """The message that ends an answer, as Slack holds it at that moment."""

    channel: str
    ts: str
    thread_ts: str | None
    text: str  # markdown for a stream, mrkdwn for a posted message
    blocks: list[dict[str, Any]]
    streamed: bool  # delivered through chat.startStream … chat.stopStream


def answer_ended_by(call: ApiCall) -> Answer | None:
    """The answer `call` finished, or None when it finished none."""
    if call.method not in _ENDINGS or not call.ok:
        return None
    message: dict[str, Any] = call.response.get("message") or {}
    streamed = call.method == "chat.stopStream"
    if not streamed and not _has_feedback(message.get("blocks") or []):
        return None
    return Answer(
        channel=str(call.response["channel"]),
        ts=str(message["ts"]),
        thread_ts=message.get("thread_ts"),
        text=str(message.get("text") or ""),
        blocks=list(message.get("blocks") or []),
        streamed=streamed,
    )


def ends_answer_in(
    channel: str, thread_ts: str | None, where: Callable[[Answer], bool] | None
) -> Callable[[ApiCall], bool]:
    """Whether a call finishes an answer in `channel` (a user id means their DM), in `thread_ts` or else
    at the top level, that `where` accepts."""
    wanted = channel_of(channel)

    def ends(call: ApiCall) -> bool:
        answer = answer_ended_by(call)
        if answer is None or answer.channel != wanted or answer.thread_ts != thread_ts:
            return False
        return where is None or where(answer)

    return ends


def _has_feedback(blocks: list[dict[str, Any]]) -> bool:
    return any(element.get("type") == "feedback_buttons" for block in blocks for element in block.get("elements", []))
