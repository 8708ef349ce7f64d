"""What a scripted LLM says next, shared by the OpenAI and Anthropic doubles.

A test writes the conversation the model will have, one `Turn` per request, in provider-neutral terms:

    llm.script(
        tool_turn(ToolCall("get_vote_totals", {"eid": "AB4001"}), ToolCall("get_event", {"eid": "AB4001"})),
        lambda request: text_turn(f"Voting at AB4001: {request.tool_results[0].text}"),
    )

- `text_turn(text)` answers; `tool_turn(*calls, text="")` asks for tools (several = parallel calls).
- `ToolCall(name, arguments)`; `raw_arguments="{bad json"` sends an exact string instead.
- A callable in the script receives the recorded request (`.body`, `.tool_results`, ...) and returns the
  turn, so a turn can depend on what the bot sent (e.g. echo a tool result).
- `Turn(input_tokens=, output_tokens=)` fixes the usage reported; otherwise it is estimated from sizes.
- `Turn(stop=...)` overrides the stop reason (`"length"` / `"max_tokens"` to test truncation).

`ToolResultSeen` is the provider-neutral view of a tool result the bot sent back to the model.
"""

from __future__ import annotations

import json
import secrets
import string
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

R = TypeVar("R")


@dataclass(frozen=True)
class ToolCall:
    """A tool the scripted model calls; `id` is generated in the provider's style when None."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    raw_arguments: str | None = None

    @property
    def arguments_json(self) -> str:
        return self.raw_arguments if self.raw_arguments is not None else json.dumps(self.arguments)


@dataclass(frozen=True)
class Turn:
    """One reply of the scripted model: text, tool calls, or both."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    input_tokens: int | None = None
    output_tokens: int | None = None
    stop: str | None = None


@dataclass(frozen=True)
class ToolResultSeen:
    """A tool result the bot sent back: which call it answers, its text, and (Anthropic only) is_error."""

    tool_call_id: str
    text: str
    is_error: bool | None


def text_turn(text: str) -> Turn:
    return Turn(text=text)


def tool_turn(*calls: ToolCall, text: str = "") -> Turn:
    return Turn(text=text, tool_calls=calls)


ScriptItem = Turn | Callable[[R], Turn]


class Script(Generic[R]):
    """The queue of turns still to play, safe to extend from the test while the server reads it."""

    def __init__(self) -> None:
        self._items: deque[ScriptItem[R]] = deque()
        self._lock = threading.Lock()

    def extend(self, items: tuple[ScriptItem[R], ...]) -> None:
        with self._lock:
            self._items.extend(items)

    def remaining(self) -> int:
        with self._lock:
            return len(self._items)

    def next_turn(self, request: R) -> Turn | None:
        """The next turn for `request`, or None when the script has run out."""
        with self._lock:
            item = self._items.popleft() if self._items else None
        if item is None or isinstance(item, Turn):
            return item
        return item(request)


def estimate_tokens(value: Any) -> int:
    """About four characters a token, as the providers' own rule of thumb; at least one."""
    text = value if isinstance(value, str) else json.dumps(value)
    return max(1, len(text) // 4)


def text_chunks(text: str, size: int = 12) -> list[str]:
    """Split text the way a stream delivers it: several small pieces."""
    return [text[start : start + size] for start in range(0, len(text), size)] or [""]


def joined_text(content: Any) -> str:
    """The text of a message content that is either a string or a list of text parts/blocks."""
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def random_token(length: int) -> str:
    """Letters and digits, as providers use in their ids (`call_...`, `toolu_01...`)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))
