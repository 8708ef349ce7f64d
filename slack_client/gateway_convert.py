"""The gateway adapter's SDK edge: per-call headers, and MCP SDK types turned into the bot's own.

`acting_as(actor)` sets the headers for the calls made inside it (`X-Request-Id`, `X-Acting-User`,
`X-Acting-Role`); `GatewayAuth` adds them, with `Authorization: Bearer`, to every HTTP request the SDK
sends. The SDK carries the caller's context into the task that sends the POST (its streams snapshot
`contextvars` on send), so concurrent calls for different users each carry their own headers.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Generator, Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType

import httpx2
import mcp_types

from slack_client.models import Actor, ToolImage, ToolOutcome, ToolSpec

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})
_acting_headers: ContextVar[Mapping[str, str]] = ContextVar("abcodex_acting_headers", default=_NO_HEADERS)


class GatewayAuth(httpx2.Auth):
    """Bearer token on every request, plus the acting user's headers for the current call."""

    def __init__(self, token: str) -> None:
        self._authorization = f"Bearer {token}"

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        request.headers["Authorization"] = self._authorization
        request.headers.update(_acting_headers.get())
        yield request


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """Send `actor`'s request id, user and role with the gateway calls made inside this block."""
    headers = {"X-Request-Id": actor.request_id, "X-Acting-User": actor.user_id, "X-Acting-Role": actor.role}
    token = _acting_headers.set(MappingProxyType(headers))
    try:
        yield
    finally:
        _acting_headers.reset(token)


def tool_spec_from_sdk(tool: mcp_types.Tool) -> ToolSpec:
    """Our `ToolSpec` from an SDK `Tool`; MCP's defaults apply to missing annotations."""
    hints = tool.annotations
    read_only = bool(hints and hints.read_only_hint)
    destructive_hint = hints.destructive_hint if hints else None
    return ToolSpec(
        name=tool.name,
        description=tool.description or "",
        input_schema=dict(tool.input_schema),
        read_only=read_only,
        # MCP: destructiveHint defaults to true, and only means something when the tool is not read-only.
        destructive=not read_only and destructive_hint is not False,
        title=tool.title or (hints.title if hints else None),
    )


def outcome_from_sdk(result: mcp_types.CallToolResult) -> ToolOutcome:
    """Our `ToolOutcome` from an SDK `CallToolResult`; images keep their bytes apart from the text."""
    structured = dict(result.structured_content) if isinstance(result.structured_content, Mapping) else None
    title = structured.get("title") if structured else None
    alt_text = title if isinstance(title, str) and title else "An image from the gateway"
    texts, images = [], []
    for block in result.content:
        if isinstance(block, mcp_types.TextContent):
            texts.append(block.text)
        elif isinstance(block, mcp_types.ImageContent) and (image := _image(block, alt_text)) is not None:
            images.append(image)
            texts.append(f"[image: {alt_text}]")
        else:
            texts.append(f"[{block.type}]")
    return ToolOutcome(
        is_error=bool(result.is_error), text="\n".join(texts), structured=structured, images=tuple(images)
    )


def _image(block: mcp_types.ImageContent, alt_text: str) -> ToolImage | None:
    try:
        data = base64.b64decode(block.data, validate=True)
    except binascii.Error:  # a malformed image is left out; the numbers beside it still answer
        return None
    return ToolImage(data, block.mime_type, alt_text)


def describe_error(error: BaseException) -> str:
    """The innermost cause, readable: the SDK wraps transport failures in exception groups."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return f"{type(error).__name__}: {error}"
