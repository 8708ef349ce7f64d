"""The one small interface every LLM provider adapter implements."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from slack_client.models import LLMRequest, LLMTurn

TextSink = Callable[[str], Awaitable[None]]
"""Receives the answer's text as it streams (the terminal chat prints it)."""


class LLMProvider(Protocol):
    """One turn of a tool-using conversation: messages and tools in, text and/or tool calls out.

    Adapters raise only the bot's `LLMError` subclasses, never an SDK exception.
    """

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str: ...

    async def complete(self, request: LLMRequest, on_text: TextSink | None = None) -> LLMTurn:
        """Run one turn; stream text into `on_text` when given."""
        ...

    async def ping(self) -> None:
        """Ask the provider something cheap (list models), once: the readiness check; the caller bounds it.

        Raises `LLMRejected` when the key is refused and `LLMUnavailable` when the API can't be reached.
        """
        ...

    async def aclose(self) -> None:
        """Release the provider's HTTP connections."""
        ...
