"""How a tool finds what the lifespan built: the services of the call it is answering."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from mcp_server.services import GatewayServices


def services_of(ctx: Any) -> GatewayServices:
    """The services a tool call runs with (what the MCP server's lifespan yielded)."""
    return cast("GatewayServices", ctx.request_context.lifespan_context)
