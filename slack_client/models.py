"""The bot's own value types: tools, tool outcomes, the acting user, and the LLM conversation.

Adapters convert SDK objects into these, so agent, policy and Slack code never see an SDK type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool as the gateway lists it (`tools/list`), reduced to what the bot needs."""

    name: str
    description: str
    input_schema: Mapping[str, Any]
    read_only: bool = False
    destructive: bool = True
    title: str | None = None

    @property
    def takes_confirmation_token(self) -> bool:
        """Whether the tool follows the gateway's two-step preview/confirm contract."""
        properties = self.input_schema.get("properties") or {}
        return "confirmation_token" in properties


@dataclass(frozen=True, slots=True)
class ToolImage:
    """An image a tool returned (a chart): shown to people, never sent to the model."""

    data: bytes = field(repr=False)
    mime_type: str
    alt_text: str


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """The result of one `tools/call`: its text, its structured content, its images, and whether it is an error."""

    is_error: bool
    text: str
    structured: Mapping[str, Any] | None = None
    images: tuple[ToolImage, ...] = ()


@dataclass(frozen=True, slots=True)
class Actor:
    """Who a request is for; forwarded to the gateway for its audit (`X-Acting-User`, `X-Acting-Role`)."""

    request_id: str
    user_id: str
    role: str
    channel_id: str | None = None
    team_id: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call the model asked for."""

    id: str
    name: str
    arguments: Mapping[str, Any]
    invalid_arguments: str | None = None
    """The raw text when the model's arguments were not a JSON object."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What we tell the model about one of its tool calls."""

    call_id: str
    name: str
    content: str
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class UserMessage:
    text: str


@dataclass(frozen=True, slots=True)
class AssistantMessage:
    text: str
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True, slots=True)
class ToolResultsMessage:
    results: tuple[ToolResult, ...]


Message = UserMessage | AssistantMessage | ToolResultsMessage


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens)

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class LLMRequest:
    """One turn's input: the system prompt, the conversation so far, and the tools on offer."""

    system: str
    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...]
    max_output_tokens: int
    may_call_tools: bool = True
    """False asks for a final answer: the tools stay defined (the history refers to them) but may not be called."""


@dataclass(frozen=True, slots=True)
class LLMTurn:
    """One turn's output: text and/or tool calls, and what it cost."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    stop_reason: str = ""


@dataclass(frozen=True, slots=True)
class PendingConfirmation:
    """An action prepared by the agent, waiting for the requester's click."""

    id: str
    actor: Actor
    tool: str
    arguments: Mapping[str, Any]
    preview: Mapping[str, Any]
    token: str | None = field(repr=False)
    expires_at: float
